/* session_sync.c - shipping the session state columns.  See session_sync.h. */
#include "session_sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FNV_BASIS 1469598103934665603ULL

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

static uint64_t key_of(const char *id, size_t len)
{
    uint64_t h = mix(FNV_BASIS, id, len);
    return h ? h : 1;
}

static uint64_t value_of(const struct local_session *r)
{
    uint64_t h = FNV_BASIS;
    const char *s[] = {r->state, r->awaiting_reason, r->state_detail, r->title, r->title_source};
    for (size_t i = 0; i < 5; i++)
        h = mix_str(h, s[i]);
    h = mix(h, &r->state_since_ns, sizeof r->state_since_ns);
    return h ? h : 1;
}

static struct session_fp *slot(struct session_sync *u, uint64_t key)
{
    for (size_t i = key & (u->cap - 1);; i = (i + 1) & (u->cap - 1))
        if (u->map[i].key == key || u->map[i].key == 0)
            return &u->map[i];
}

static int grow(struct session_sync *u)
{
    size_t cap = u->cap ? u->cap * 2 : 1024;
    struct session_fp *old = u->map, *m = calloc(cap, sizeof *m);
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

void session_sync_forget(struct session_sync *u)
{
    if (u->map)
        memset(u->map, 0, u->cap * sizeof *u->map);
    u->n = 0;
    u->dirty = 1;
}

void session_sync_free(struct session_sync *u)
{
    free(u->map);
    free(u->page_key);
    free(u->page_value);
    for (int i = 0; i < SESSION_COLS; i++)
        pg_array_free(&u->col[i]);
    memset(u, 0, sizeof *u);
}

void session_sync_touch(struct session_sync *u, const char *session_id, size_t len)
{
    u->dirty = 1;
    if (u->cap == 0 || session_id == NULL)
        return;
    struct session_fp *f = slot(u, key_of(session_id, len));
    if (f->key != 0)
        f->value = 0;
}

static const uint32_t col_oid[SESSION_COLS] = {PG_OID_TEXT, PG_OID_TEXT, PG_OID_TEXT,
                                               PG_OID_INT8, PG_OID_TEXT, PG_OID_TEXT,
                                               PG_OID_TEXT};

static int add_row(const struct local_session *r, void *ctx)
{
    struct session_sync *u = ctx;
    if (r->session_id == NULL || *r->session_id == '\0' || u->page_n >= SESSION_PAGE)
        return 0; /* PostgreSQL keeps no session '' (pg_schema.c); a full page: next round */
    uint64_t key = key_of(r->session_id, strlen(r->session_id)), value = value_of(r);
    if (u->cap && slot(u, key)->key == key && slot(u, key)->value == value)
        return 0;
    if (u->page_n == u->page_cap) {
        size_t cap = u->page_cap ? u->page_cap * 2 : 64;
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
    pg_array_add_text(&u->col[0], r->session_id);
    pg_array_add_text(&u->col[1], r->state);
    pg_array_add_text(&u->col[2], r->awaiting_reason);
    pg_array_add_opt_i64(&u->col[3], r->state_since_ns);
    pg_array_add_text(&u->col[4], r->state_detail);
    pg_array_add_text(&u->col[5], r->title);
    pg_array_add_text(&u->col[6], r->title_source);
    return 0;
}

long session_sync_page(struct session_sync *u, struct local_db *d, char *err, size_t errlen)
{
    u->page_n = 0;
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
    return (long)u->page_n;
}

void session_sync_committed(struct session_sync *u)
{
    for (size_t i = 0; i < u->page_n; i++) {
        if ((u->n + 1) * 2 > u->cap && grow(u) != 0)
            return; /* without memory, sessions are simply shipped again */
        struct session_fp *f = slot(u, u->page_key[i]);
        if (f->key == 0)
            u->n++;
        *f = (struct session_fp){u->page_key[i], u->page_value[i]};
    }
    u->page_n = 0;
}
