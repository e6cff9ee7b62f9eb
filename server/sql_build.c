/* sql_build.c - SQL text plus bound values. */
#include "sql_build.h"

#include <stdlib.h>
#include <string.h>

void sqlb_init(struct sqlb *sb)
{
    memset(sb, 0, sizeof *sb);
}

void sqlb_free(struct sqlb *sb)
{
    for (int i = 0; i < sb->n; i++)
        free(sb->v[i].s);
    buf_free(&sb->sql);
    sb->n = 0;
}

void sqlb_sql(struct sqlb *sb, const char *fragment)
{
    if (buf_append_str(&sb->sql, fragment) != 0)
        sb->oom = 1;
}

static struct sqlb_val *next_val(struct sqlb *sb)
{
    if (sb->n == SQLB_MAX_BINDS) {
        sb->oom = 1; /* the callers' list limits keep far below this */
        return NULL;
    }
    struct sqlb_val *v = &sb->v[sb->n++];
    memset(v, 0, sizeof *v);
    if (buf_printf(&sb->sql, "?%d", sb->n) != 0)
        sb->oom = 1;
    return v;
}

void sqlb_text(struct sqlb *sb, const char *text)
{
    struct sqlb_val *v = next_val(sb);
    if (v == NULL)
        return;
    v->is_text = 1;
    v->s = strdup(text);
    if (v->s == NULL)
        sb->oom = 1;
}

void sqlb_int(struct sqlb *sb, int64_t i)
{
    struct sqlb_val *v = next_val(sb);
    if (v != NULL)
        v->i = i;
}

void sqlb_in(struct sqlb *sb, const char *col, const char *const *vals, size_t n)
{
    sqlb_sql(sb, col);
    sqlb_sql(sb, " IN (");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            sqlb_sql(sb, ",");
        sqlb_text(sb, vals[i]);
    }
    sqlb_sql(sb, ")");
}

int sqlb_prepare(struct sqlb *sb, sqlite3 *db, sqlite3_stmt **out)
{
    *out = NULL;
    if (sb->oom || sb->sql.data == NULL)
        return SQLITE_NOMEM;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, sb->sql.data, (int)sb->sql.len, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    for (int i = 0; i < sb->n && rc == SQLITE_OK; i++) {
        if (sb->v[i].is_text)
            rc = sqlite3_bind_text(st, i + 1, sb->v[i].s, -1, SQLITE_STATIC);
        else
            rc = sqlite3_bind_int64(st, i + 1, sb->v[i].i);
    }
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        return rc;
    }
    *out = st;
    return SQLITE_OK;
}
