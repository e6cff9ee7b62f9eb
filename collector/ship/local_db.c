/* local_db.c - reading chronicle.db for shipping.  See local_db.h. */
#include "local_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { Q_EVENTS, Q_UID_AT, Q_MAX_ID, Q_OLDEST, Q_USAGE_VERSION, Q_USAGE, Q_STATS, Q_SESSIONS, Q_COUNT };

static const char *const query_sql[Q_COUNT] = {
    [Q_EVENTS] =
        "SELECT id, event_uid, session_id, event_type, ts_ns, stored_ns, tool_name, tool_use_id,"
        " agent_id, agent_type, prompt_id, cwd, duration_ms, flags, payload, raw, payload_size,"
        " host, uid, pid, ppid, claude_pid, project_dir FROM events WHERE id > ?1 ORDER BY id"
        " LIMIT ?2",
    [Q_UID_AT] = "SELECT event_uid FROM events WHERE id = ?1",
    [Q_MAX_ID] = "SELECT coalesce(max(id), 0) FROM events",
    [Q_OLDEST] = "SELECT stored_ns FROM events WHERE id > ?1 ORDER BY id LIMIT 1",
    [Q_USAGE_VERSION] = "SELECT coalesce(max(updated_ns), 0) FROM transcripts",
    [Q_USAGE] =
        "SELECT message_id, request_id, session_id, agent_id, prompt_id, model, ts_ns,"
        " input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens"
        " FROM usage WHERE (message_id, request_id) > (?1, ?2) ORDER BY message_id, request_id"
        " LIMIT ?3",
    [Q_STATS] = "SELECT name, label, value FROM collector_stats",
    [Q_SESSIONS] = "SELECT session_id, state, awaiting_reason, state_detail, title, title_source,"
                   " state_since_ns, end_reason, ended_ns FROM sessions",
};

struct local_db {
    sqlite3 *db;
    sqlite3_stmt *q[Q_COUNT];
};

struct local_db *local_db_open(const char *path, char *err, size_t errlen)
{
    struct local_db *d = calloc(1, sizeof *d);
    if (d == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int rc = sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW |
                             SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        sqlite3_busy_timeout(d->db, 1000);
    for (int i = 0; rc == SQLITE_OK && i < Q_COUNT; i++)
        rc = sqlite3_prepare_v3(d->db, query_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &d->q[i], NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, d->db ? sqlite3_errmsg(d->db) : sqlite3_errstr(rc));
        local_db_close(d);
        return NULL;
    }
    return d;
}

void local_db_close(struct local_db *d)
{
    if (d == NULL)
        return;
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(d->q[i]);
    sqlite3_close_v2(d->db);
    free(d);
}

static int fail(struct local_db *d, sqlite3_stmt *st, char *err, size_t errlen)
{
    snprintf(err, errlen, "chronicle.db: %s", sqlite3_errmsg(d->db));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return -1;
}

static int64_t opt_int(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

static const char *opt_text(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NULL : (const char *)sqlite3_column_text(st, i);
}

static void row_of(sqlite3_stmt *st, struct local_event *ev)
{
    static const int text_cols[SC_PROJECT_DIR + 1] = {
        [SC_SESSION_ID] = 2, [SC_EVENT_TYPE] = 3, [SC_TOOL_NAME] = 6, [SC_TOOL_USE_ID] = 7,
        [SC_AGENT_ID] = 8, [SC_AGENT_TYPE] = 9, [SC_PROMPT_ID] = 10, [SC_CWD] = 11,
        [SC_HOST] = 17, [SC_PROJECT_DIR] = 22};
    memset(ev, 0, sizeof *ev);
    ev->id = sqlite3_column_int64(st, 0);
    ev->event_uid = sqlite3_column_blob(st, 1);
    ev->event_uid_len = (size_t)sqlite3_column_bytes(st, 1);
    for (int c = 0; c <= SC_PROJECT_DIR; c++)
        ev->col[c] = opt_text(st, text_cols[c]);
    ev->ts_ns = sqlite3_column_int64(st, 4);
    ev->stored_ns = sqlite3_column_int64(st, 5);
    ev->duration_ms = opt_int(st, 12);
    ev->flags = (int32_t)sqlite3_column_int(st, 13);
    if (sqlite3_column_type(st, 14) != SQLITE_NULL) {
        ev->payload = (const char *)sqlite3_column_text(st, 14);
        ev->payload_len = (size_t)sqlite3_column_bytes(st, 14);
    }
    if (sqlite3_column_type(st, 15) != SQLITE_NULL) {
        ev->raw = sqlite3_column_blob(st, 15);
        ev->raw_len = (size_t)sqlite3_column_bytes(st, 15);
    }
    ev->payload_size = sqlite3_column_int64(st, 16);
    ev->uid = opt_int(st, 18);
    ev->pid = opt_int(st, 19);
    ev->ppid = opt_int(st, 20);
    ev->claude_pid = opt_int(st, 21);
}

long local_db_read_events(struct local_db *d, int64_t after, long max_rows, size_t max_bytes,
                          struct ship_batch *b, char *err, size_t errlen)
{
    sqlite3_stmt *st = d->q[Q_EVENTS];
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, max_rows);
    long n = 0;
    int rc = SQLITE_DONE;
    while ((n == 0 || b->bytes < max_bytes) && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct local_event ev;
        row_of(st, &ev);
        int added = ship_batch_add(b, &ev);
        if (added < 0) {
            snprintf(err, errlen, "out of memory");
            sqlite3_reset(st);
            return -1;
        }
        if (added == 1) { /* it starts the next batch */
            rc = SQLITE_DONE;
            break;
        }
        n++;
    }
    if (n > 0 && b->bytes >= max_bytes)
        rc = SQLITE_DONE; /* stopped on the size cap */
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return fail(d, st, err, errlen);
    sqlite3_reset(st); /* ends the read transaction */
    return n;
}

int local_db_uid_at(struct local_db *d, int64_t id, unsigned char uid[16], char *err,
                    size_t errlen)
{
    sqlite3_stmt *st = d->q[Q_UID_AT];
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW) {
        memset(uid, 0, 16);
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        memcpy(uid, sqlite3_column_blob(st, 0), n < 16 ? n : 16);
        found = 1;
    } else if (rc != SQLITE_DONE) {
        return fail(d, st, err, errlen);
    }
    sqlite3_reset(st);
    return found;
}

static int scalar(struct local_db *d, int q, int64_t bind, int64_t *out, char *err, size_t errlen)
{
    sqlite3_stmt *st = d->q[q];
    if (sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_int64(st, 1, bind);
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail(d, st, err, errlen);
    sqlite3_reset(st);
    return 0;
}

int local_db_progress(struct local_db *d, int64_t after, int64_t *max_id, int64_t *oldest_ns,
                      char *err, size_t errlen)
{
    if (scalar(d, Q_MAX_ID, 0, max_id, err, errlen) != 0)
        return -1;
    *oldest_ns = 0;
    return *max_id > after ? scalar(d, Q_OLDEST, after, oldest_ns, err, errlen) : 0;
}

int local_db_usage_version(struct local_db *d, int64_t *version, char *err, size_t errlen)
{
    return scalar(d, Q_USAGE_VERSION, 0, version, err, errlen);
}

static void keep_key(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

long local_db_scan_usage(struct local_db *d, char *after_msg, char *after_req, size_t cap,
                         long max_rows, int (*fn)(const struct local_usage *u, void *ctx),
                         void *ctx, char *err, size_t errlen)
{
    sqlite3_stmt *st = d->q[Q_USAGE];
    sqlite3_bind_text(st, 1, after_msg, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, after_req, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, max_rows);
    long n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct local_usage u = {
            opt_text(st, 0), opt_text(st, 1), opt_text(st, 2), opt_text(st, 3), opt_text(st, 4),
            opt_text(st, 5), opt_int(st, 6), sqlite3_column_int64(st, 7),
            sqlite3_column_int64(st, 8), sqlite3_column_int64(st, 9),
            sqlite3_column_int64(st, 10)};
        if (u.message_id == NULL || u.request_id == NULL)
            continue;
        keep_key(after_msg, cap, u.message_id);
        keep_key(after_req, cap, u.request_id);
        n++;
        if (fn(&u, ctx) != 0) {
            snprintf(err, errlen, "out of memory");
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return -1;
        }
    }
    if (rc != SQLITE_DONE)
        return fail(d, st, err, errlen);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return n;
}

int local_db_scan_stats(struct local_db *d,
                        int (*fn)(const char *name, const char *label, int64_t value, void *ctx),
                        void *ctx, char *err, size_t errlen)
{
    sqlite3_stmt *st = d->q[Q_STATS];
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = opt_text(st, 0), *label = opt_text(st, 1);
        if (name && fn(name, label ? label : "", sqlite3_column_int64(st, 2), ctx) != 0) {
            snprintf(err, errlen, "out of memory");
            sqlite3_reset(st);
            return -1;
        }
    }
    if (rc != SQLITE_DONE)
        return fail(d, st, err, errlen);
    sqlite3_reset(st);
    return 0;
}

int local_db_scan_sessions(struct local_db *d, int (*fn)(const struct local_session *s, void *ctx),
                           void *ctx, char *err, size_t errlen)
{
    sqlite3_stmt *st = d->q[Q_SESSIONS];
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct local_session r = {opt_text(st, 0), opt_text(st, 1), opt_text(st, 2),
                                  opt_text(st, 3), opt_text(st, 4), opt_text(st, 5),
                                  opt_int(st, 6), opt_text(st, 7), opt_int(st, 8)};
        if (fn(&r, ctx) != 0) {
            snprintf(err, errlen, "out of memory");
            sqlite3_reset(st);
            return -1;
        }
    }
    if (rc != SQLITE_DONE)
        return fail(d, st, err, errlen);
    sqlite3_reset(st);
    return 0;
}
