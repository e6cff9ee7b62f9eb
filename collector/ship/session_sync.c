/* session_sync.c - shipping the session state columns.  See session_sync.h. */
#include "session_sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t key_of(const char *id, size_t len)
{
    return fp_nonzero(fp_mix(FP_BASIS, id, len));
}

static uint64_t value_of(const struct local_session *r)
{
    uint64_t h = FP_BASIS;
    const char *s[] = {r->state, r->awaiting_reason, r->state_detail, r->title, r->title_source,
                       r->end_reason};
    for (size_t i = 0; i < 6; i++)
        h = fp_mix_str(h, s[i]);
    h = fp_mix(h, &r->ended_ns, sizeof r->ended_ns);
    return fp_nonzero(fp_mix(h, &r->state_since_ns, sizeof r->state_since_ns));
}

void session_sync_forget(struct session_sync *u)
{
    fingerprints_clear(&u->shipped);
    u->dirty = 1;
}

void session_sync_free(struct session_sync *u)
{
    fingerprints_free(&u->shipped);
    fp_page_free(&u->page);
    for (int i = 0; i < SESSION_COLS; i++)
        pg_array_free(&u->col[i]);
    memset(u, 0, sizeof *u);
}

void session_sync_touch(struct session_sync *u, const char *session_id, size_t len)
{
    u->dirty = 1;
    if (session_id == NULL)
        return;
    struct fingerprint *f = fingerprints_find(&u->shipped, key_of(session_id, len));
    if (f != NULL)
        f->value = 0;
}

static const uint32_t col_oid[SESSION_COLS] = {PG_OID_TEXT, PG_OID_TEXT, PG_OID_TEXT,
                                               PG_OID_INT8, PG_OID_TEXT, PG_OID_TEXT,
                                               PG_OID_TEXT, PG_OID_TEXT, PG_OID_INT8};

static int add_row(const struct local_session *r, void *ctx)
{
    struct session_sync *u = ctx;
    if (r->session_id == NULL || *r->session_id == '\0' || u->page.n >= SESSION_PAGE)
        return 0; /* PostgreSQL keeps no session '' (pg_schema.c); a full page: next round */
    uint64_t key = key_of(r->session_id, strlen(r->session_id)), value = value_of(r);
    const struct fingerprint *f = fingerprints_find(&u->shipped, key);
    if (f != NULL && f->value == value)
        return 0;
    if (fp_page_add(&u->page, key, value, 64) != 0)
        return -1;
    pg_array_add_text(&u->col[0], r->session_id);
    pg_array_add_text(&u->col[1], r->state);
    pg_array_add_text(&u->col[2], r->awaiting_reason);
    pg_array_add_opt_i64(&u->col[3], r->state_since_ns);
    pg_array_add_text(&u->col[4], r->state_detail);
    pg_array_add_text(&u->col[5], r->title);
    pg_array_add_text(&u->col[6], r->title_source);
    pg_array_add_text(&u->col[7], r->end_reason);
    /* Locally an update leaves 0 for "not ended"; PostgreSQL's NULL says so. */
    pg_array_add_opt_i64(&u->col[8], r->ended_ns > 0 ? r->ended_ns : -1);
    return 0;
}

long session_sync_page(struct session_sync *u, struct local_db *d, char *err, size_t errlen)
{
    u->page.n = 0;
    u->dirty = 0;
    for (int i = 0; i < SESSION_COLS; i++)
        pg_array_reset(&u->col[i], col_oid[i]);
    if (local_db_scan_sessions(d, add_row, u, err, errlen) != 0)
        return -1;
    for (int i = 0; i < SESSION_COLS; i++)
        if (pg_array_finish(&u->col[i]) != 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    return (long)u->page.n;
}

void session_sync_committed(struct session_sync *u)
{
    fingerprints_commit_page(&u->shipped, &u->page, 0, 1024);
}
