/* usage_sync.c - shipping changed usage rows.  See usage_sync.h. */
#include "usage_sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ULL; /* FNV-1a */
    return h;
}

static uint64_t mix_str(uint64_t h, const char *s)
{
    return s ? mix(h, s, strlen(s) + 1) : mix(h, "\xff", 1);
}

static uint64_t key_of(const struct local_usage *r)
{
    uint64_t h = mix_str(mix_str(1469598103934665603ULL, r->message_id), r->request_id);
    return h ? h : 1;
}

static uint64_t value_of(const struct local_usage *r)
{
    uint64_t h = 1469598103934665603ULL;
    const char *s[] = {r->message_id, r->request_id, r->session_id, r->agent_id, r->prompt_id,
                       r->model};
    for (size_t i = 0; i < 6; i++)
        h = mix_str(h, s[i]);
    int64_t v[] = {r->ts_ns, r->input_tokens, r->output_tokens, r->cache_creation_input_tokens,
                   r->cache_read_input_tokens};
    return mix(h, v, sizeof v);
}

static struct usage_fp *slot(struct usage_sync *u, uint64_t key)
{
    for (size_t i = key & (u->cap - 1);; i = (i + 1) & (u->cap - 1))
        if (u->map[i].key == key || u->map[i].key == 0)
            return &u->map[i];
}

static int grow(struct usage_sync *u)
{
    size_t cap = u->cap ? u->cap * 2 : 4096;
    struct usage_fp *old = u->map, *m = calloc(cap, sizeof *m);
    if (m == NULL)
        return -1;
    size_t oldcap = u->cap;
    u->map = m;
    u->cap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].key)
            *slot(u, old[i].key) = old[i];
    free(old);
    return 0;
}

void usage_sync_forget(struct usage_sync *u)
{
    if (u->map)
        memset(u->map, 0, u->cap * sizeof *u->map);
    u->n = 0;
    u->walking = 0;
    u->shipped_version = -1;
}

void usage_sync_free(struct usage_sync *u)
{
    free(u->map);
    free(u->page_key);
    free(u->page_value);
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
    if (u->cap && slot(u, key)->key == key) {
        struct usage_fp *f = slot(u, key);
        f->pass = u->pass;
        if (f->value == value)
            return 0;
    }
    if (u->page_n == u->page_cap) {
        size_t cap = u->page_cap ? u->page_cap * 2 : USAGE_PAGE;
        uint64_t *k = realloc(u->page_key, cap * sizeof *k);
        if (k == NULL)
            return -1;
        u->page_key = k;
        uint64_t *v = realloc(u->page_value, cap * sizeof *v);
        if (v == NULL)
            return -1;
        u->page_value = v;
        u->page_cap = cap;
    }
    u->page_key[u->page_n] = key;
    u->page_value[u->page_n++] = value;
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
    u->page_n = 0;
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
    for (size_t i = 0; i < u->page_n; i++) {
        if ((u->n + 1) * 2 > u->cap && grow(u) != 0)
            return; /* without memory, rows are simply shipped again */
        struct usage_fp *f = slot(u, u->page_key[i]);
        if (f->key == 0)
            u->n++;
        *f = (struct usage_fp){u->page_key[i], u->page_value[i], u->pass};
    }
    u->page_n = 0;
}

void usage_sync_walk_done(struct usage_sync *u)
{
    size_t stale = 0;
    for (size_t i = 0; i < u->cap; i++)
        stale += u->map[i].key && u->map[i].pass != u->pass;
    if (stale > 0 && stale * 4 > u->n) { /* rebuild without the rows retention deleted */
        struct usage_sync keep = *u;
        u->map = NULL;
        u->cap = u->n = 0;
        for (size_t i = 0; i < keep.cap; i++) {
            if (keep.map[i].key == 0 || keep.map[i].pass != keep.pass)
                continue;
            if ((u->n + 1) * 2 > u->cap && grow(u) != 0)
                break;
            *slot(u, keep.map[i].key) = keep.map[i];
            u->n++;
        }
        free(keep.map);
    }
    u->pass++;
    u->walking = 0;
    u->after_msg[0] = u->after_req[0] = '\0';
}
