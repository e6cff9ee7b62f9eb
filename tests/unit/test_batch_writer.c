/* Unit tests: the batch writer against a real SQLite file: schema migration,
 * idempotence, session aggregation, Pre/Post pairing, counters. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "batch_writer.h"
#include "check.h"
#include "chronicle/schema.h"
#include "chronicle/redact.h"

static char dbpath[64];

static struct batch_writer *fresh(void)
{
    strcpy(dbpath, "/tmp/chronicle-test-XXXXXX");
    int fd = mkstemp(dbpath);
    close(fd);
    unlink(dbpath);
    char err[256];
    struct batch_writer *w = batch_writer_open(dbpath, err, sizeof err);
    if (w == NULL)
        fprintf(stderr, "open: %s\n", err);
    return w;
}

static void cleanup(struct batch_writer *w)
{
    batch_writer_close(w);
    char p[96];
    unlink(dbpath);
    snprintf(p, sizeof p, "%s-wal", dbpath);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", dbpath);
    unlink(p);
}

static struct pending_event *ev(int idn, int64_t ts, const char *json)
{
    struct wire_event w = {.kind = WIRE_EVENT, .ts_ns = ts, .uid = 1, .pid = 2, .ppid = 3,
                           .claude_pid = -1};
    memset(w.id, 0, sizeof w.id);
    w.id[0] = (unsigned char)idn;
    w.payload = (struct wire_str){json, strlen(json)};
    w.orig_size = strlen(json);
    static const struct redact_rules on = {.on = 1};
    return pending_event_new(&w, &on);
}

static int64_t q(struct batch_writer *w, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -999;
    if (sqlite3_prepare_v2(batch_writer_db(w), sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

static char *qs(struct batch_writer *w, const char *sql)
{
    static char out[256];
    sqlite3_stmt *st;
    out[0] = '\0';
    if (sqlite3_prepare_v2(batch_writer_db(w), sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    return out;
}

static int commit(struct batch_writer *w, struct stats *s, struct pending_event **v, size_t n)
{
    char err[256];
    int rc = batch_writer_commit(w, v, n, s, err, sizeof err);
    if (rc != SQLITE_OK)
        fprintf(stderr, "commit: %s\n", err);
    return rc;
}

static void free_all(struct pending_event **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pending_event_free(v[i]);
}

static void migration_sets_version(struct check *c)
{
    struct batch_writer *w = fresh();
    CHECK(c, w != NULL);
    int v = 0;
    CHECK_INT(c, schema_version(batch_writer_db(w), &v), SQLITE_OK);
    CHECK(c, v == schema_latest_version());
    CHECK_STR(c, qs(w, "PRAGMA journal_mode"), "wal");
    /* A database from a newer build is refused, not mangled. */
    sqlite3_exec(batch_writer_db(w), "PRAGMA user_version=999", NULL, NULL, NULL);
    char err[256];
    CHECK_INT(c, schema_migrate(batch_writer_db(w), err, sizeof err), SQLITE_MISMATCH);
    CHECK(c, strstr(err, "newer") != NULL);
    cleanup(w);
}

static void duplicates_are_skipped(struct check *c)
{
    struct batch_writer *w = fresh();
    static struct stats s;
    stats_init(&s);
    const char *j = "{\"session_id\":\"s1\",\"hook_event_name\":\"Stop\"}";
    struct pending_event *v[3] = {ev(1, 100, j), ev(1, 100, j), ev(2, 200, j)};
    CHECK_INT(c, commit(w, &s, v, 3), SQLITE_OK);
    CHECK(c, v[0]->row_id > 0 && !v[0]->duplicate);
    CHECK(c, v[1]->duplicate);
    CHECK_INT(c, q(w, "SELECT count(*) FROM events"), 2);
    CHECK_INT(c, q(w, "SELECT event_count FROM sessions WHERE session_id='s1'"), 2);
    char err[256];
    CHECK_INT(c, batch_writer_flush_stats(w, &s, err, sizeof err), SQLITE_OK);
    CHECK_INT(c, q(w, "SELECT value FROM collector_stats WHERE name='events_duplicate_total'"), 1);
    CHECK(c, q(w, "SELECT value FROM collector_stats WHERE name='events_committed_total'"
                  " AND label='Stop'") == 2);
    free_all(v, 3);
    /* Again in a later batch (the spool delivering after a lost ack). */
    struct pending_event *again[1] = {ev(2, 200, j)};
    CHECK_INT(c, commit(w, &s, again, 1), SQLITE_OK);
    CHECK(c, again[0]->duplicate);
    CHECK_INT(c, q(w, "SELECT count(*) FROM events"), 2);
    CHECK_INT(c, q(w, "SELECT event_count FROM sessions"), 2);
    free_all(again, 1);
    cleanup(w);
}

static void sessions_and_tool_calls(struct check *c)
{
    struct batch_writer *w = fresh();
    static struct stats s;
    stats_init(&s);
    struct pending_event *v[] = {
        ev(1, 1000, "{\"session_id\":\"s\",\"hook_event_name\":\"SessionStart\",\"source\":\"startup\","
                    "\"model\":\"claude-opus-4-5\",\"cwd\":\"/p\"}"),
        ev(2, 2000, "{\"session_id\":\"s\",\"hook_event_name\":\"UserPromptSubmit\",\"prompt\":\"hi\"}"),
        ev(3, 3000, "{\"session_id\":\"s\",\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Bash\","
                    "\"tool_use_id\":\"t1\"}"),
        ev(4, 3000000000LL + 3000, "{\"session_id\":\"s\",\"hook_event_name\":\"PostToolUse\","
                    "\"tool_name\":\"Bash\",\"tool_use_id\":\"t1\"}"),
        ev(5, 4000000000LL, "{\"session_id\":\"s\",\"hook_event_name\":\"PostToolUseFailure\","
                    "\"tool_name\":\"Read\",\"tool_use_id\":\"t2\",\"duration_ms\":35}"),
        ev(6, 5000000000LL, "{\"session_id\":\"s\",\"hook_event_name\":\"Notification\","
                    "\"notification_type\":\"permission_prompt\"}"),
    };
    size_t n = sizeof v / sizeof v[0];
    CHECK_INT(c, commit(w, &s, v, n), SQLITE_OK);
    CHECK_INT(c, q(w, "SELECT duration_ms FROM tool_calls WHERE tool_use_id='t1'"), 3000);
    CHECK_STR(c, qs(w, "SELECT status FROM tool_calls WHERE tool_use_id='t1'"), "ok");
    CHECK_INT(c, q(w, "SELECT duration_ms FROM tool_calls WHERE tool_use_id='t2'"), 35);
    CHECK_STR(c, qs(w, "SELECT status FROM tool_calls WHERE tool_use_id='t2'"), "error");
    CHECK_STR(c, qs(w, "SELECT state FROM sessions"), "awaiting_input");
    /* Finished calls in the duration histogram: Bash 3000 ms (bucket of
     * bound 3000), Read 35 ms failed (bucket of bound 50). */
    CHECK_INT(c, q(w, "SELECT le FROM tool_stats WHERE tool_name='Bash' AND count=1 AND errors=0"), 20);
    CHECK_INT(c, q(w, "SELECT le FROM tool_stats WHERE tool_name='Read' AND count=1 AND errors=1"), 9);
    CHECK_STR(c, qs(w, "SELECT model FROM sessions"), "claude-opus-4-5");
    CHECK_STR(c, qs(w, "SELECT source FROM sessions"), "startup");
    CHECK_INT(c, q(w, "SELECT tool_call_count FROM sessions"), 1);
    CHECK_INT(c, q(w, "SELECT error_count FROM sessions"), 1);
    CHECK_INT(c, q(w, "SELECT prompt_count FROM sessions"), 1);
    CHECK_INT(c, q(w, "SELECT first_seen_ns FROM sessions"), 1000);
    free_all(v, n);

    /* A late event (older timestamp, e.g. from the spool) counts but does
     * not rewind the state; a newer one moves it. */
    struct pending_event *late[] = {
        ev(7, 500, "{\"session_id\":\"s\",\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Grep\","
                   "\"tool_use_id\":\"t0\"}"),
    };
    CHECK_INT(c, commit(w, &s, late, 1), SQLITE_OK);
    CHECK_STR(c, qs(w, "SELECT state FROM sessions"), "awaiting_input");
    CHECK_INT(c, q(w, "SELECT first_seen_ns FROM sessions"), 500);
    CHECK_INT(c, q(w, "SELECT event_count FROM sessions"), 7);
    free_all(late, 1);
    struct pending_event *end[] = {
        ev(8, 6000000000LL, "{\"session_id\":\"s\",\"hook_event_name\":\"SessionEnd\","
                            "\"reason\":\"logout\"}"),
    };
    CHECK_INT(c, commit(w, &s, end, 1), SQLITE_OK);
    CHECK_STR(c, qs(w, "SELECT state FROM sessions"), "ended");
    CHECK_STR(c, qs(w, "SELECT end_reason FROM sessions"), "logout");
    CHECK(c, q(w, "SELECT last_event_id FROM sessions") == q(w, "SELECT max(id) FROM events"));
    free_all(end, 1);
    cleanup(w);
}

static void invalid_and_redacted_rows(struct check *c)
{
    struct batch_writer *w = fresh();
    static struct stats s;
    stats_init(&s);
    struct wire_event raw = {.kind = WIRE_EVENT, .ts_ns = 9, .flags = WIRE_FLAG_INVALID,
                             .claude_pid = -1, .uid = -1, .pid = -1, .ppid = -1};
    raw.payload = (struct wire_str){"\x00\x01garbage", 9};
    raw.arg = (struct wire_str){"PreToolUse", 10};
    struct pending_event *v[2] = {
        pending_event_new(&raw, &(struct redact_rules){.on = 1}),
        ev(2, 10, "{\"session_id\":\"s\",\"hook_event_name\":\"UserPromptSubmit\","
                  "\"prompt\":\"use api_key=abcdef123456 now\"}"),
    };
    CHECK_INT(c, commit(w, &s, v, 2), SQLITE_OK);
    CHECK_INT(c, q(w, "SELECT flags FROM events WHERE id=1"), WIRE_FLAG_INVALID);
    CHECK_INT(c, q(w, "SELECT length(raw) FROM events WHERE id=1"), 9);
    CHECK_INT(c, q(w, "SELECT payload IS NULL FROM events WHERE id=1"), 1);
    CHECK_STR(c, qs(w, "SELECT event_type FROM events WHERE id=1"), "PreToolUse");
    CHECK_INT(c, q(w, "SELECT flags FROM events WHERE id=2"), WIRE_FLAG_REDACTED);
    CHECK_STR(c, qs(w, "SELECT json_extract(payload,'$.prompt') FROM events WHERE id=2"),
              "use api_key=[REDACTED:secret] now");
    free_all(v, 2);
    cleanup(w);
}

/* The state machine as the writer runs it: across batches it starts from
 * the stored state; a late event (older than the newest folded) does not
 * rewind it; a wait keeps its since; titles. */
static void session_state_across_batches(struct check *c)
{
    struct batch_writer *w = fresh();
    static struct stats s;
    stats_init(&s);
    struct pending_event *b1[2] = {
        ev(1, 1000, "{\"session_id\":\"s\",\"hook_event_name\":\"UserPromptSubmit\","
                    "\"prompt\":\"  Fix\\nthe build \"}"),
        ev(2, 2000, "{\"session_id\":\"s\",\"hook_event_name\":\"PermissionRequest\","
                    "\"tool_name\":\"Bash\",\"tool_input\":{\"command\":\"make\"}}"),
    };
    CHECK_INT(c, commit(w, &s, b1, 2), SQLITE_OK);
    CHECK_STR(c, qs(w, "SELECT state || '/' || awaiting_reason FROM sessions"), "awaiting_input/permission");
    CHECK_INT(c, q(w, "SELECT state_since_ns FROM sessions"), 2000);
    CHECK_STR(c, qs(w, "SELECT state_detail FROM sessions"),
              "{\"tool_name\":\"Bash\",\"tool_input\":\"make\"}");
    CHECK_STR(c, qs(w, "SELECT title || '/' || title_source FROM sessions"), "Fix the build/prompt");
    /* Next batch: its notification merges into the same wait; a late
     * PreToolUse (ts before the wait began) changes nothing. */
    struct pending_event *b2[2] = {
        ev(3, 3000, "{\"session_id\":\"s\",\"hook_event_name\":\"Notification\","
                    "\"notification_type\":\"permission_prompt\",\"message\":\"needs you\"}"),
        ev(4, 1500, "{\"session_id\":\"s\",\"hook_event_name\":\"PreToolUse\"}"),
    };
    CHECK_INT(c, commit(w, &s, b2, 2), SQLITE_OK);
    CHECK_STR(c, qs(w, "SELECT state || '/' || awaiting_reason FROM sessions"), "awaiting_input/permission");
    CHECK_INT(c, q(w, "SELECT state_since_ns FROM sessions"), 2000);
    CHECK_STR(c, qs(w, "SELECT json_extract(state_detail, '$.message') || '/' ||"
                       " json_extract(state_detail, '$.tool_input') FROM sessions"), "needs you/make");
    CHECK_INT(c, q(w, "SELECT event_count FROM sessions"), 4);
    /* A later prompt does not retitle; Claude Code's own title does. */
    struct pending_event *b3[3] = {
        ev(5, 4000, "{\"session_id\":\"s\",\"hook_event_name\":\"PostToolUse\"}"),
        ev(6, 5000, "{\"session_id\":\"s\",\"hook_event_name\":\"UserPromptSubmit\","
                    "\"prompt\":\"other\"}"),
        ev(7, 6000, "{\"session_id\":\"s\",\"hook_event_name\":\"SessionStart\","
                    "\"session_title\":\"Build fixes\"}"),
    };
    CHECK_INT(c, commit(w, &s, b3, 3), SQLITE_OK);
    CHECK_STR(c, qs(w, "SELECT state FROM sessions"), "working");
    CHECK_INT(c, q(w, "SELECT state_since_ns FROM sessions"), 4000);
    CHECK_INT(c, q(w, "SELECT state_detail IS NULL AND awaiting_reason IS NULL FROM sessions"), 1);
    CHECK_STR(c, qs(w, "SELECT title || '/' || title_source FROM sessions"), "Build fixes/claude");
    free_all(b1, 2);
    free_all(b2, 2);
    free_all(b3, 3);
    cleanup(w);
}

/* Sessions whose Claude Code process is gone are ended by the writer. */
static void process_gone_ends_session(struct check *c)
{
    struct batch_writer *w = fresh();
    static struct stats s;
    stats_init(&s);
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    int status;
    waitpid(child, &status, 0); /* reaped: the pid no longer exists */
    struct pending_event *v[2] = {
        ev(1, 1000, "{\"session_id\":\"gone\",\"hook_event_name\":\"Stop\"}"),
        ev(2, 1000, "{\"session_id\":\"alive\",\"hook_event_name\":\"Stop\"}"),
    };
    v[0]->claude_pid = child;
    v[1]->claude_pid = getpid();
    CHECK_INT(c, commit(w, &s, v, 2), SQLITE_OK);
    char err[256];
    int ended = -1;
    CHECK_INT(c, batch_writer_end_gone_sessions(w, 9000, &ended, err, sizeof err), SQLITE_OK);
    CHECK_INT(c, ended, 1);
    CHECK_STR(c, qs(w, "SELECT state || '/' || end_reason FROM sessions WHERE session_id='gone'"),
              "ended/process_gone");
    CHECK_INT(c, q(w, "SELECT state_since_ns FROM sessions WHERE session_id='gone'"), 9000);
    CHECK(c, strstr(qs(w, "SELECT state_detail FROM sessions WHERE session_id='gone'"),
                    "is gone") != NULL);
    CHECK_STR(c, qs(w, "SELECT state FROM sessions WHERE session_id='alive'"), "awaiting_input");
    CHECK_INT(c, batch_writer_end_gone_sessions(w, 9500, &ended, err, sizeof err), SQLITE_OK);
    CHECK_INT(c, ended, 0); /* already ended: not again */
    free_all(v, 2);
    cleanup(w);
}

CHECK_MAIN(CASE(migration_sets_version), CASE(duplicates_are_skipped),
           CASE(sessions_and_tool_calls), CASE(invalid_and_redacted_rows),
           CASE(session_state_across_batches), CASE(process_gone_ends_session))
