/* fuzz_search_query.c - libFuzzer target: what /api/search takes from
 * outside.  The input is, in turn, a paging cursor (search_cursor_parse), a
 * snippet text (search_snippet_json: valid JSON, strings alternating, their
 * concatenation the input without markers) and a query text run against a
 * real FTS5 table with the schema's tokenizer: SQLite must answer rows or
 * SQLITE_ERROR (what the server turns into 400 bad_query), nothing else. */
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chronicle/buf.h"
#include "chronicle/json_scan.h"
#include "ws_message.h" /* utf8_valid */
#include "search_page.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct concat {
    const char *json;
    struct buf out;
    size_t items;
    int bad;
};

static int collect(void *ctx, enum json_token tok, size_t depth, size_t start, size_t len)
{
    struct concat *c = ctx;
    if (depth == 1) {
        if (tok != JSON_TOK_STRING) {
            c->bad = 1;
            return 1;
        }
        char *tmp = malloc(len + 1);
        if (tmp == NULL)
            return 1;
        size_t n = json_unescape(c->json + start, len, tmp);
        c->bad |= buf_append(&c->out, tmp, n);
        free(tmp);
        c->items++;
    }
    return 0;
}

static sqlite3 *fts(void)
{
    static sqlite3 *db; /* one table for the whole run */
    if (db == NULL) {
        if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
            sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(prompt, command, columnsize=0,"
                             " tokenize='unicode61 remove_diacritics 2');"
                             "INSERT INTO t VALUES('add a retry to the webhook', 'pytest -q');"
                             "INSERT INTO t VALUES('caf\xc3\xa9 timeout', 'make lint');",
                         NULL, NULL, NULL) != SQLITE_OK)
            abort();
    }
    return db;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    int64_t a, b;
    if (search_cursor_parse(s, &a, &b) == 0 && (a < 0 || b < 0))
        abort();
    if (utf8_valid(data, size) && memchr(data, 0, size) == NULL) {
        struct buf j = BUF_INIT;
        if (search_snippet_json(&j, s, size) == 0) {
            struct concat c = {.json = j.data};
            if (json_walk(j.data, j.len, collect, &c, NULL) != JSON_OK || c.bad)
                abort();
            size_t k = 0;
            for (size_t i = 0; i < size; i++)
                if (s[i] != SEARCH_HIT_OPEN && s[i] != SEARCH_HIT_CLOSE)
                    s[k++] = s[i];
            if (k != c.out.len || (k && memcmp(s, c.out.data, k) != 0))
                abort();
            buf_free(&c.out);
        }
        buf_free(&j);
        memcpy(s, data, size);
        if (size <= 1024) {
            sqlite3_stmt *st;
            if (sqlite3_prepare_v2(fts(), "SELECT rowid, snippet(t, -1, X'01', X'02', '...', 16)"
                                          " FROM t WHERE t MATCH ?1 ORDER BY rowid DESC LIMIT 5",
                                   -1, &st, NULL) != SQLITE_OK)
                abort();
            sqlite3_bind_text(st, 1, s, (int)size, SQLITE_STATIC);
            int rc;
            while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                ;
            if (rc != SQLITE_DONE && rc != SQLITE_ERROR)
                abort();
            sqlite3_finalize(st);
        }
    }
    free(s);
    return 0;
}
