/* usage_sync.c - shipping changed usage rows.  See usage_sync.h. */
#include "usage_sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t key_of(const struct local_usage *r)
{
    return fp_nonzero(fp_mix_str(fp_mix_str(FP_BASIS, r->message_id), r->request_id));
}

static uint64_t value_of(const struct local_usage *r)
{
    uint64_t h = FP_BASIS;
    const char *s[] = {r->message_id, r->request_id, r->session_id, r->agent_id, r->prompt_id,
                       r->model};
    for (size_t i = 0; i < 6; i++)
        h = fp_mix_str(h, s[i]);
    int64_t v[] = {r->ts_ns, r->input_tokens, r->output_tokens, r->cache_creation_input_tokens,
                   r->cache_read_input_tokens};
    return fp_nonzero(fp_mix(h, v, sizeof v));
}

void usage_sync_forget(struct usage_sync *u)
{
    fingerprints_clear(&u->shipped);
    u->walking = 0;
    u->shipped_version = -1;
}

void usage_sync_free(struct usage_sync *u)
{
    fingerprints_free(&u->shipped);
    fp_page_free(&u->page);
    for (int i = 0; i < USAGE_COLS; i++)
        pg_array_free(&u->col[i]);
    memset(u, 0, sizeof *u);
}

static const uint32_t col_oid[USAGE_COLS] = {
    PG_OID_TEXT, PG_OID_TEXT, PG_OID_TEXT, PG_OID_TEXT, PG_OID_TEXT, PG_OID_TEXT,
    PG_OID_INT8, PG_OID_INT8, PG_OID_INT8, PG_OID_INT8, PG_OID_INT8};

static const char *nonempty(const char *s) { return s && *s ? s : NULL; }

static int add_row(const struct local_usage *r, void *ctx)
{
    struct usage_sync *u = ctx;
    uint64_t key = key_of(r), value = value_of(r);
    struct fingerprint *f = fingerprints_find(&u->shipped, key);
    if (f != NULL) {
        f->pass = u->pass;
        if (f->value == value)
            return 0;
    }
    if (fp_page_add(&u->page, key, value, USAGE_PAGE) != 0)
        return -1;
    /* As batch_writer_commit_usage() stores them: empty strings are NULL. */
    pg_array_add_text(&u->col[0], r->message_id);
    pg_array_add_text(&u->col[1], r->request_id);
    pg_array_add_text(&u->col[2], nonempty(r->session_id));
    pg_array_add_text(&u->col[3], nonempty(r->agent_id));
    pg_array_add_text(&u->col[4], nonempty(r->prompt_id));
    pg_array_add_text(&u->col[5], nonempty(r->model));
    pg_array_add_opt_i64(&u->col[6], r->ts_ns > 0 ? r->ts_ns : -1);
    pg_array_add_i64(&u->col[7], r->input_tokens);
    pg_array_add_i64(&u->col[8], r->output_tokens);
    pg_array_add_i64(&u->col[9], r->cache_creation_input_tokens);
    pg_array_add_i64(&u->col[10], r->cache_read_input_tokens);
    return 0;
}

long usage_sync_page(struct usage_sync *u, struct local_db *d, char *err, size_t errlen)
{
    u->page.n = 0;
    for (int i = 0; i < USAGE_COLS; i++)
        pg_array_reset(&u->col[i], col_oid[i]);
    long n = local_db_scan_usage(d, u->after_msg, u->after_req, sizeof u->after_msg, USAGE_PAGE,
                                 add_row, u, err, errlen);
    for (int i = 0; n >= 0 && i < USAGE_COLS; i++)
        if (pg_array_finish(&u->col[i]) != 0) {
            snprintf(err, errlen, "out of memory");
            n = -1;
        }
    return n;
}

void usage_sync_committed(struct usage_sync *u)
{
    fingerprints_commit_page(&u->shipped, &u->page, u->pass, 4096);
}

void usage_sync_walk_done(struct usage_sync *u)
{
    struct fingerprints *t = &u->shipped;
    size_t stale = 0;
    for (size_t i = 0; i < t->cap; i++)
        stale += t->map[i].key && t->map[i].pass != u->pass;
    if (stale > 0 && stale * 4 > t->n) { /* rebuild without the rows retention deleted */
        struct fingerprints keep = *t;
        *t = (struct fingerprints){0};
        for (size_t i = 0; i < keep.cap; i++) {
            const struct fingerprint *f = &keep.map[i];
            if (f->key != 0 && f->pass == u->pass &&
                fingerprints_put(t, f->key, f->value, f->pass, 4096) != 0)
                break;
        }
        fingerprints_free(&keep);
    }
    u->pass++;
    u->walking = 0;
    u->after_msg[0] = u->after_req[0] = '\0';
}
