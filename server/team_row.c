/*
 * team_row.c - PostgreSQL rows for row_json.c, the team's extra fields
 * (machine_id, host, user) and its identity filters.
 */
#include "team.h"

#include <stdlib.h>
#include <string.h>

#include "chronicle/clock.h"
#include "http_query.h"
#include "json_text.h"
#include "row_json.h"
#include "ws_message.h"

static int pg_is_null(struct row_src *r, int col)
{
    return PQgetisnull((const PGresult *)r->h, r->row, col);
}

static int64_t pg_i64(struct row_src *r, int col)
{
    const PGresult *res = r->h;
    if (PQgetisnull(res, r->row, col))
        return 0;
    return strtoll(PQgetvalue(res, r->row, col), NULL, 10);
}

static const char *pg_text(struct row_src *r, int col, size_t *len)
{
    const PGresult *res = r->h;
    if (PQgetisnull(res, r->row, col)) {
        *len = 0;
        return NULL;
    }
    *len = (size_t)PQgetlength(res, r->row, col);
    return PQgetvalue(res, r->row, col);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The uid comes as 32 hex digits (TEAM_EVENT_COLUMNS): back to its bytes,
 * which row_json.c writes as hex again. */
static const unsigned char *pg_blob(struct row_src *r, int col, size_t *len)
{
    size_t n;
    const char *s = pg_text(r, col, &n);
    *len = 0;
    if (s == NULL || n % 2 != 0 || n / 2 > sizeof r->scratch)
        return NULL;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return NULL;
        r->scratch[i] = (unsigned char)(hi << 4 | lo);
    }
    *len = n / 2;
    return r->scratch;
}

void row_src_pg(struct row_src *r, const PGresult *res, int row)
{
    r->h = res;
    r->row = row;
    r->is_null = pg_is_null;
    r->i64 = pg_i64;
    r->text = pg_text;
    r->blob = pg_blob;
}

static int text_or_null(struct buf *b, const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return jt_null(b);
    const char *s = PQgetvalue(res, row, col);
    size_t n = (size_t)PQgetlength(res, row, col);
    return utf8_valid((const uint8_t *)s, n) ? jt_str(b, s, n) : jt_null(b);
}

int team_event_extra_text(struct buf *b, const PGresult *res, int row, int col, int full)
{
    if (b->len == 0 || b->data[b->len - 1] != '}')
        return -1;
    b->len--; /* reopen the object */
    int bad = jt_key(b, "machine_id", 0) | text_or_null(b, res, row, col) |
              jt_key(b, "local_id", 0) |
              jt_int(b, strtoll(PQgetvalue(res, row, col + 1), NULL, 10));
    if (!full)
        bad |= jt_key(b, "host", 0) | text_or_null(b, res, row, col + 2);
    bad |= jt_key(b, "user", 0) | text_or_null(b, res, row, col + 3);
    return bad | buf_append(b, "}", 1) ? -1 : 0;
}

static json_t *jtext(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return json_null();
    json_t *v = json_stringn(PQgetvalue(res, row, col), (size_t)PQgetlength(res, row, col));
    return v ? v : json_null();
}

int team_event_extra_json(json_t *o, const PGresult *res, int row, int col, int full)
{
    int bad = json_object_set_new(o, "machine_id", jtext(res, row, col)) |
              json_object_set_new(o, "local_id",
                                  json_integer(strtoll(PQgetvalue(res, row, col + 1), NULL, 10)));
    if (!full)
        bad |= json_object_set_new(o, "host", jtext(res, row, col + 2));
    return bad | json_object_set_new(o, "user", jtext(res, row, col + 3));
}

int team_session_extra_json(json_t *o, const PGresult *res, int row, int col)
{
    return json_object_set_new(o, "machine_id", jtext(res, row, col)) |
           json_object_set_new(o, "host", jtext(res, row, col + 1)) |
           json_object_set_new(o, "user", jtext(res, row, col + 2));
}

json_t *team_session_json(struct team *t, const PGresult *res, int row)
{
    struct row_src r;
    row_src_pg(&r, res, row);
    /* Another machine's claude_pid says nothing about this machine's
     * processes: never infer an end from it. */
    json_t *s = session_json_src(&r, clock_wall_ns(),
                                 (int64_t)t->srv->cfg.idle_after_s * NS_PER_S, 0);
    if (s != NULL && team_session_extra_json(s, res, row, TEAM_SESSION_N) != 0) {
        json_decref(s);
        return NULL;
    }
    return s;
}

/* 8-4-4-4-12 hex digits. */
static int is_uuid(const char *s)
{
    if (strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (hexval(s[i]) < 0) {
            return 0;
        }
    }
    return 1;
}

int team_identity_filters(struct sqlb *sb, const struct query *q, char *err, size_t errlen)
{
    static const struct { const char *key, *expr; } f[] = {
        {"machine", "machine_id"}, {"host", "host"}, {"user", "username"},
    };
    for (size_t k = 0; k < 3; k++) {
        const char *vals[QUERY_MAX_LIST];
        size_t n = 0;
        char *store = NULL;
        if (query_list(q, f[k].key, vals, &n, &store, err, errlen) == QUERY_BAD)
            return -1;
        for (size_t i = 0; k == 0 && i < n; i++) {
            if (!is_uuid(vals[i])) {
                snprintf(err, errlen, "parameter 'machine' must be machine ids (the UUIDs in "
                         "each $CHRONICLE_HOME/machine-id), got '%.64s'", vals[i]);
                free(store);
                return -1;
            }
        }
        if (n > 0) {
            /* the parameters take the column's type: uuid for machine_id */
            sqlb_sql(sb, " AND ");
            sqlb_in(sb, f[k].expr, vals, n);
        }
        free(store);
    }
    return 0;
}
