/* batch_writer.c - group commit into SQLite.  See batch_writer.h. */
#include "batch_writer.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chronicle/clock.h"
#include "chronicle/event_type.h"
#include "chronicle/schema.h"
#include "chronicle/tool_hist.h"
#include "session_state.h"
#include "transcript_reader.h"

#define STATS_FLUSH_NS (200 * NS_PER_MS)

enum stmt_id {
    ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_EVENT, ST_SESSION, ST_TOOL_PRE, ST_TOOL_POST,
    ST_STAT, ST_USAGE, ST_TRANSCRIPT, ST_EVENT_COUNT, ST_EVENT_COUNT_10M, ST_TOOL_STATS,
    ST_SESSION_STATE, ST_LIVE_PIDS, ST_PROCESS_GONE, ST_TITLE, ST_TFILE, ST_TLINES_CLEAR,
    ST_TLINE, ST_SEARCH_EVENT, ST_REPLY, ST_SEARCH_REPLY, ST_COUNT
};

#define COUNT_BUCKET_NS 10000000000LL /* event_counts granularity: 10 s */

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_EVENT] =
        "INSERT INTO events(event_uid, session_id, event_type, ts_ns, stored_ns, tool_name,"
        " tool_use_id, agent_id, agent_type, prompt_id, cwd, duration_ms, flags, payload, raw,"
        " payload_size, host, uid, pid, ppid, claude_pid, project_dir)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22)"
        " ON CONFLICT(event_uid) DO NOTHING",
    /* Columns describing "the latest state" only move forward in time: a
     * late event (from the spool) must not overwrite newer ones.  The state
     * columns (?14, ?21..?23) come from the state machine, which started
     * from the stored ones (ST_SESSION_STATE) in this same transaction.  A
     * title (?24, ?25 its source) never replaces Claude Code's own. */
    [ST_SESSION] =
        "INSERT INTO sessions(session_id, first_seen_ns, last_seen_ns, cwd, project, model,"
        " source, permission_mode, transcript_path, end_reason, ended_ns, last_event_type,"
        " last_event_id, state, claude_pid, event_count, tool_call_count, error_count,"
        " prompt_count, subagent_count, awaiting_reason, state_since_ns, state_detail, title,"
        " title_source)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,"
        "?18,?19,?20,?21,?22,?23,?24,?25)"
        " ON CONFLICT(session_id) DO UPDATE SET"
        "  first_seen_ns = min(first_seen_ns, excluded.first_seen_ns),"
        "  last_seen_ns = max(last_seen_ns, excluded.last_seen_ns),"
        "  cwd = CASE WHEN excluded.last_seen_ns >= last_seen_ns"
        "        THEN coalesce(excluded.cwd, cwd) ELSE coalesce(cwd, excluded.cwd) END,"
        "  project = coalesce(project, excluded.project),"
        "  model = coalesce(excluded.model, model),"
        "  source = coalesce(excluded.source, source),"
        "  permission_mode = CASE WHEN excluded.last_seen_ns >= last_seen_ns"
        "        THEN coalesce(excluded.permission_mode, permission_mode)"
        "        ELSE coalesce(permission_mode, excluded.permission_mode) END,"
        "  transcript_path = coalesce(excluded.transcript_path, transcript_path),"
        "  end_reason = coalesce(excluded.end_reason, end_reason),"
        "  ended_ns = max(coalesce(ended_ns, 0), coalesce(excluded.ended_ns, 0)),"
        "  last_event_type = CASE WHEN excluded.last_seen_ns >= last_seen_ns"
        "        THEN excluded.last_event_type ELSE last_event_type END,"
        "  state = ?14, awaiting_reason = ?21, state_since_ns = ?22, state_detail = ?23,"
        "  title = CASE WHEN ?25 IS NULL OR title_source = 'claude' THEN title"
        "        WHEN ?25 = 'claude' OR title IS NULL THEN ?24 ELSE title END,"
        "  title_source = CASE WHEN ?25 IS NULL OR title_source = 'claude' THEN title_source"
        "        WHEN ?25 = 'claude' OR title IS NULL THEN ?25 ELSE title_source END,"
        "  last_event_id = max(last_event_id, excluded.last_event_id),"
        "  claude_pid = coalesce(excluded.claude_pid, claude_pid),"
        "  event_count = event_count + excluded.event_count,"
        "  tool_call_count = tool_call_count + excluded.tool_call_count,"
        "  error_count = error_count + excluded.error_count,"
        "  prompt_count = prompt_count + excluded.prompt_count,"
        "  subagent_count = subagent_count + excluded.subagent_count",
    [ST_TOOL_PRE] =
        "INSERT INTO tool_calls(tool_use_id, session_id, agent_id, tool_name, pre_event_id,"
        " started_ns, status) VALUES(?1,?2,?3,?4,?5,?6,'running')"
        " ON CONFLICT(tool_use_id) DO UPDATE SET pre_event_id = excluded.pre_event_id,"
        "  started_ns = excluded.started_ns,"
        "  duration_ms = coalesce(duration_ms, (ended_ns - excluded.started_ns) / 1000000)",
    [ST_TOOL_POST] =
        "INSERT INTO tool_calls(tool_use_id, session_id, agent_id, tool_name, post_event_id,"
        " ended_ns, duration_ms, status) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)"
        " ON CONFLICT(tool_use_id) DO UPDATE SET post_event_id = excluded.post_event_id,"
        "  ended_ns = excluded.ended_ns, status = excluded.status,"
        "  tool_name = coalesce(tool_name, excluded.tool_name),"
        "  duration_ms = coalesce(excluded.duration_ms, (excluded.ended_ns - started_ns) / 1000000)"
        " RETURNING tool_name, duration_ms",
    [ST_EVENT_COUNT_10M] =
        "INSERT INTO event_counts_10m(bucket, event_type, count) VALUES(?1,?2,?3)"
        " ON CONFLICT(bucket, event_type) DO UPDATE SET count = count + excluded.count",
    [ST_TOOL_STATS] =
        "INSERT INTO tool_stats(bucket, tool_name, le, count, errors) VALUES(?1,?2,?3,?4,?5)"
        " ON CONFLICT(bucket, tool_name, le) DO UPDATE SET count = count + excluded.count,"
        "  errors = errors + excluded.errors",
    [ST_USAGE] =
        "INSERT INTO usage(message_id, request_id, session_id, agent_id, prompt_id, model, ts_ns,"
        " input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)"
        " ON CONFLICT(message_id, request_id) DO UPDATE SET"
        "  input_tokens = max(input_tokens, excluded.input_tokens),"
        "  output_tokens = max(output_tokens, excluded.output_tokens),"
        "  cache_creation_input_tokens = max(cache_creation_input_tokens,"
        "                                    excluded.cache_creation_input_tokens),"
        "  cache_read_input_tokens = max(cache_read_input_tokens, excluded.cache_read_input_tokens),"
        "  session_id = coalesce(session_id, excluded.session_id),"
        "  agent_id = coalesce(agent_id, excluded.agent_id),"
        "  prompt_id = coalesce(prompt_id, excluded.prompt_id),"
        "  model = coalesce(model, excluded.model),"
        "  ts_ns = coalesce(min(ts_ns, excluded.ts_ns), ts_ns, excluded.ts_ns)",
    [ST_TRANSCRIPT] =
        "INSERT INTO transcripts(path, inode, offset, session_id, agent_id, updated_ns)"
        " VALUES(?1,?2,?3,?4,?5,?6) ON CONFLICT(path) DO UPDATE SET inode = excluded.inode,"
        "  offset = excluded.offset, updated_ns = excluded.updated_ns,"
        "  session_id = coalesce(session_id, excluded.session_id),"
        "  agent_id = coalesce(agent_id, excluded.agent_id)",
    /* The conversation view's offset index (schema 6). */
    [ST_TFILE] =
        "INSERT INTO transcript_files(path, inode, session_id, agent_id, parent_tool_use_id,"
        " agent_type, description) VALUES(?1,?2,?3,?4,?5,?6,?7)"
        " ON CONFLICT(path) DO UPDATE SET inode = excluded.inode,"
        "  session_id = coalesce(session_id, excluded.session_id),"
        "  agent_id = coalesce(agent_id, excluded.agent_id),"
        "  parent_tool_use_id = coalesce(excluded.parent_tool_use_id, parent_tool_use_id),"
        "  agent_type = coalesce(excluded.agent_type, agent_type),"
        "  description = coalesce(excluded.description, description)"
        " RETURNING id, session_id, agent_id",
    [ST_TLINES_CLEAR] = "DELETE FROM transcript_lines WHERE file_id = ?1",
    [ST_TLINE] =
        "INSERT INTO transcript_lines(session_id, agent_id, file_id, offset, length, kind, block,"
        " uuid, tool_use_id, prompt_id, ts_ns) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
    [ST_EVENT_COUNT] =
        "INSERT INTO event_counts(bucket, event_type, count) VALUES(?1,?2,?3)"
        " ON CONFLICT(bucket, event_type) DO UPDATE SET count = count + excluded.count",
    /* The event's text into the full-text index, in the event's own
     * transaction (schema.c migration 5 says why external content). */
    [ST_SEARCH_EVENT] =
        "INSERT INTO search_events(rowid, prompt, command, file_path, tool_output, error, other)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7)",
    [ST_REPLY] =
        "INSERT INTO replies(message_id, text_hash, session_id, agent_id, ts_ns, reply)"
        " VALUES(?1,?2,?3,?4,?5,?6) ON CONFLICT(message_id, text_hash) DO NOTHING RETURNING id",
    [ST_SEARCH_REPLY] = "INSERT INTO search_replies(rowid, reply) VALUES(?1,?2)",
    [ST_STAT] =
        "INSERT INTO collector_stats(name, label, value) VALUES(?1,?2,?3)"
        " ON CONFLICT(name, label) DO UPDATE SET value = excluded.value",
    /* Where the state machine starts for a session a batch touches.  The
     * detail is read back through json_extract rather than parsed here. */
    [ST_SESSION_STATE] =
        "SELECT state, awaiting_reason, state_since_ns, last_seen_ns, title_source,"
        " json_extract(state_detail, '$.tool_name'), json_extract(state_detail, '$.tool_input'),"
        " json_extract(state_detail, '$.message'), json_extract(state_detail, '$.error')"
        " FROM sessions WHERE session_id = ?1",
    [ST_LIVE_PIDS] =
        "SELECT session_id, claude_pid FROM sessions WHERE state IN"
        " ('working', 'awaiting_input', 'failed') AND claude_pid IS NOT NULL",
    [ST_PROCESS_GONE] =
        "UPDATE sessions SET state = 'ended', awaiting_reason = NULL, state_since_ns = ?3,"
        " state_detail = ?4, end_reason = coalesce(end_reason, 'process_gone'),"
        " ended_ns = max(coalesce(ended_ns, 0), ?3)"
        " WHERE session_id = ?1 AND claude_pid = ?2 AND state <> 'ended'",
    /* A title Claude Code wrote into the transcript. */
    [ST_TITLE] =
        "UPDATE sessions SET title = ?2, title_source = 'claude' WHERE session_id = ?1"
        " AND (title IS NOT ?2 OR title_source IS NOT 'claude')",
};

/* Per-batch aggregate of one session's changes. */
struct session_agg {
    const char *session_id;
    const struct pending_event *latest;       /* newest event (by ts) */
    struct session_state state;               /* as stored, then after each event */
    int64_t state_ts;                         /* newest event folded into state */
    int title_claude;                         /* the stored title is Claude Code's */
    int title_known;                          /* there is a stored title */
    const char *title_source;                 /* NULL: no new title in this batch */
    const struct pending_event *title_event;  /* ... else the event carrying it (read
                                               * again at the upsert: no copy kept here) */
    int64_t first_ns, last_ns, last_id, ended_ns;
    const char *model, *source, *transcript_path, *end_reason, *project;
    int64_t claude_pid;
    int64_t events, tools, errors, prompts, subagents;
};

/* Per-batch (10 s bucket, type) counts; a batch spans few of them. */
struct type_count {
    int64_t bucket;
    const char *type;
    int64_t n;
};
#define MAX_TYPE_COUNTS 128

/* Per-batch (10 min bucket, tool, duration bucket) counts of finished calls. */
struct tool_count {
    int64_t bucket;
    char tool[64];
    int le;
    int64_t n, errors;
};
#define MAX_TOOL_COUNTS 128

struct batch_writer {
    sqlite3 *db;
    char path[PATH_MAX];
    dev_t dev;                  /* the file opened: the path must keep naming it */
    ino_t ino;
    struct stat side[2];        /* our -wal and -shm when opened (st_ino 0: none) */
    struct type_count counts[MAX_TYPE_COUNTS];
    size_t ncounts;
    struct tool_count tcounts[MAX_TOOL_COUNTS];
    size_t ntcounts;
    int64_t stats_flushed_mono; /* last time counters went into a batch */
    sqlite3_stmt *st[ST_COUNT];
    int wal_pages;
    struct session_agg *agg;    /* scratch, cap entries */
    size_t *agg_index;          /* open-addressed: slot -> agg index + 1 */
    size_t agg_cap, agg_n, index_cap;
    struct buf detail;          /* scratch: a state_detail's JSON text */
};

static int on_wal(void *ctx, sqlite3 *db, const char *name, int pages)
{
    (void)db;
    (void)name;
    ((struct batch_writer *)ctx)->wal_pages = pages;
    return SQLITE_OK;
}

/* Opens (creating, migrating) w->path into w->db and prepares everything. */
static int open_db(struct batch_writer *w, char *err, size_t errlen)
{
    const char *path = w->path;
    /* NOFOLLOW: a chronicle.db symlinked elsewhere by someone else is refused. */
    int rc = sqlite3_open_v2(path, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                             SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path,
                 w->db ? sqlite3_errmsg(w->db) : sqlite3_errstr(rc));
        return -1;
    }
    /* Start-up may wait for a lock (another process migrating, a backup);
     * the loop is not running yet, so a long timeout costs nothing. */
    sqlite3_busy_timeout(w->db, 10000);
    char msg[256];
    if (sqlite3_exec(w->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK ||
        schema_migrate(w->db, msg, sizeof msg) != SQLITE_OK ||
        schema_configure(w->db, 1, msg, sizeof msg) != SQLITE_OK) {
        snprintf(err, errlen, "database %s: %s", path, msg[0] ? msg : sqlite3_errmsg(w->db));
        return -1;
    }
    for (int i = 0; i < ST_COUNT; i++) {
        if (sqlite3_prepare_v3(w->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &w->st[i],
                               NULL) != SQLITE_OK) {
            snprintf(err, errlen, "preparing statement %d: %s", i, sqlite3_errmsg(w->db));
            return -1;
        }
    }
    /* Short wait in the loop: on contention, back off and retry (see header). */
    sqlite3_busy_timeout(w->db, 5);
    sqlite3_wal_hook(w->db, on_wal, w);
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
        return -1;
    }
    w->dev = st.st_dev;
    w->ino = st.st_ino;
    for (int i = 0; i < 2; i++) {
        char side[PATH_MAX + 8];
        snprintf(side, sizeof side, "%s%s", path, i ? "-shm" : "-wal");
        if (stat(side, &w->side[i]) != 0)
            memset(&w->side[i], 0, sizeof w->side[i]);
    }
    return 0;
}

/*
 * When chronicle.db was replaced, SQLite sees that its file "has moved" and
 * leaves its -wal and -shm behind on close; opening the path again would
 * replay our old WAL into the new file and corrupt it.  So before closing,
 * the -wal/-shm at the path are removed when they are still ours (same
 * inode as when we opened): their contents belong to the file that is gone.
 */
static void drop_stale_sidecars(struct batch_writer *w)
{
    for (int i = 0; i < 2; i++) {
        char side[PATH_MAX + 8];
        struct stat st;
        snprintf(side, sizeof side, "%s%s", w->path, i ? "-shm" : "-wal");
        if (w->side[i].st_ino != 0 && stat(side, &st) == 0 && st.st_dev == w->side[i].st_dev &&
            st.st_ino == w->side[i].st_ino)
            unlink(side);
    }
}

static void close_db(struct batch_writer *w)
{
    for (int i = 0; i < ST_COUNT; i++) {
        sqlite3_finalize(w->st[i]);
        w->st[i] = NULL;
    }
    if (w->db != NULL && sqlite3_close(w->db) != SQLITE_OK)
        sqlite3_close_v2(w->db);
    w->db = NULL;
    w->wal_pages = 0;
}

struct batch_writer *batch_writer_open(const char *path, char *err, size_t errlen)
{
    struct batch_writer *w = calloc(1, sizeof *w);
    if (w == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(w->path, sizeof w->path, "%s", path);
    if (open_db(w, err, errlen) != 0) {
        batch_writer_close(w);
        return NULL;
    }
    return w;
}

void batch_writer_close(struct batch_writer *w)
{
    if (w == NULL)
        return;
    close_db(w);
    free(w->agg);
    free(w->agg_index);
    buf_free(&w->detail);
    free(w);
}

int batch_writer_file_ok(const struct batch_writer *w, char *err, size_t errlen)
{
    struct stat st;
    if (stat(w->path, &st) != 0) {
        snprintf(err, errlen, "%s is gone (%s)", w->path, strerror(errno));
        return 0;
    }
    if (st.st_dev != w->dev || st.st_ino != w->ino) {
        snprintf(err, errlen, "%s was replaced by another file", w->path);
        return 0;
    }
    if (st.st_nlink == 0) {
        snprintf(err, errlen, "%s was deleted", w->path);
        return 0;
    }
    return 1;
}

int batch_writer_reopen(struct batch_writer *w, char *err, size_t errlen)
{
    if (w->db != NULL)
        drop_stale_sidecars(w);
    close_db(w);
    if (open_db(w, err, errlen) != 0) {
        close_db(w);
        return -1;
    }
    /* A file put there by hand has the modes it came with. */
    struct stat st;
    if (stat(w->path, &st) == 0 && st.st_uid == geteuid() && (st.st_mode & 077) != 0)
        (void)chmod(w->path, 0600);
    return 0;
}

sqlite3 *batch_writer_db(struct batch_writer *w) { return w->db; }
int batch_writer_wal_pages(const struct batch_writer *w) { return w->wal_pages; }

static int step_reset(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s != NULL)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void bind_opt_int(sqlite3_stmt *st, int i, int64_t v)
{
    if (v >= 0)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static int insert_event(struct batch_writer *w, struct pending_event *p, int64_t now)
{
    sqlite3_stmt *st = w->st[ST_EVENT];
    const char *const *f = p->fields.v;
    int raw = (p->flags & WIRE_FLAG_INVALID) != 0;
    sqlite3_bind_blob(st, 1, p->id, WIRE_ID_LEN, SQLITE_STATIC);
    bind_text(st, 2, f[F_SESSION_ID]);
    bind_text(st, 3, p->event_type);
    sqlite3_bind_int64(st, 4, p->ts_ns);
    sqlite3_bind_int64(st, 5, now);
    bind_text(st, 6, f[F_TOOL_NAME]);
    bind_text(st, 7, f[F_TOOL_USE_ID]);
    bind_text(st, 8, f[F_AGENT_ID]);
    bind_text(st, 9, f[F_AGENT_TYPE]);
    bind_text(st, 10, f[F_PROMPT_ID]);
    bind_text(st, 11, f[F_CWD]);
    bind_opt_int(st, 12, p->fields.duration_ms);
    sqlite3_bind_int64(st, 13, p->flags);
    if (raw) {
        sqlite3_bind_null(st, 14);
        sqlite3_bind_blob64(st, 15, p->payload.data ? p->payload.data : "", p->payload.len,
                            SQLITE_STATIC);
    } else {
        sqlite3_bind_text64(st, 14, p->payload.data ? p->payload.data : "", p->payload.len,
                            SQLITE_STATIC, SQLITE_UTF8);
        sqlite3_bind_null(st, 15);
    }
    sqlite3_bind_int64(st, 16, (sqlite3_int64)p->orig_size);
    bind_text(st, 17, p->host);
    bind_opt_int(st, 18, p->uid);
    bind_opt_int(st, 19, p->pid);
    bind_opt_int(st, 20, p->ppid);
    bind_opt_int(st, 21, p->claude_pid);
    bind_text(st, 22, p->project_dir);
    int rc = step_reset(st);
    if (rc != SQLITE_OK)
        return rc;
    if (sqlite3_changes(w->db) == 0) {
        p->duplicate = 1;
        p->row_id = 0;
    } else {
        p->duplicate = 0;
        p->row_id = sqlite3_last_insert_rowid(w->db);
    }
    return SQLITE_OK;
}

/* The batch's rows of the full-text index, the last writes before COMMIT.
 * Why last: FTS5 writes its pending terms out as a new segment whenever a
 * statement opens a savepoint (a statement journal) after the index
 * joined the transaction, so index rows interleaved with the events' other
 * statements (tool calls, counters, session upserts) cost a segment flush
 * per event instead of one per commit: measured +42% commit time on the
 * ingest-bench rows interleaved, docs/PERFORMANCE.md has the figure after.
 * Still the events' own transaction, with the text extracted once, in
 * pending_event_new. */
static int index_batch(struct batch_writer *w, struct pending_event **events, size_t n)
{
    sqlite3_stmt *st = w->st[ST_SEARCH_EVENT];
    for (size_t k = 0; k < n; k++) {
        const struct pending_event *p = events[k];
        if (p->duplicate || search_text_empty(&p->search))
            continue;
        sqlite3_bind_int64(st, 1, p->row_id);
        for (int i = 0; i < SEARCH_FIELDS; i++) {
            const struct buf *t = &p->search.text[i];
            if (t->len > 0)
                sqlite3_bind_text(st, i + 2, t->data, (int)t->len, SQLITE_STATIC);
            else
                sqlite3_bind_null(st, i + 2);
        }
        int rc = step_reset(st);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

/* 1 when the event's type has any of the flags (chronicle/event_type.h). */
static int has(const struct pending_event *p, uint32_t flags)
{
    return (p->type_flags & flags) != 0;
}

static int flush_tool_counts(struct batch_writer *w)
{
    sqlite3_stmt *st = w->st[ST_TOOL_STATS];
    int rc = SQLITE_OK;
    for (size_t i = 0; rc == SQLITE_OK && i < w->ntcounts; i++) {
        const struct tool_count *t = &w->tcounts[i];
        sqlite3_bind_int64(st, 1, t->bucket);
        sqlite3_bind_text(st, 2, t->tool, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, t->le);
        sqlite3_bind_int64(st, 4, t->n);
        sqlite3_bind_int64(st, 5, t->errors);
        rc = step_reset(st);
    }
    w->ntcounts = 0;
    return rc;
}

static int count_tool(struct batch_writer *w, int64_t bucket, const char *tool, int le, int error)
{
    for (size_t i = 0; i < w->ntcounts; i++) {
        struct tool_count *t = &w->tcounts[i];
        if (t->bucket == bucket && t->le == le && strcmp(t->tool, tool) == 0) {
            t->n++;
            t->errors += error;
            return SQLITE_OK;
        }
    }
    if (w->ntcounts == MAX_TOOL_COUNTS) {
        int rc = flush_tool_counts(w);
        if (rc != SQLITE_OK)
            return rc;
    }
    struct tool_count *t = &w->tcounts[w->ntcounts++];
    t->bucket = bucket;
    snprintf(t->tool, sizeof t->tool, "%s", tool);
    t->le = le;
    t->n = 1;
    t->errors = error;
    return SQLITE_OK;
}

static int tool_call(struct batch_writer *w, const struct pending_event *p)
{
    const char *const *f = p->fields.v;
    if (f[F_TOOL_USE_ID] == NULL)
        return SQLITE_OK;
    int pre = has(p, EVF_TOOL_START);
    if (!pre && !has(p, EVF_TOOL_END))
        return SQLITE_OK;
    sqlite3_stmt *st = w->st[pre ? ST_TOOL_PRE : ST_TOOL_POST];
    bind_text(st, 1, f[F_TOOL_USE_ID]);
    bind_text(st, 2, f[F_SESSION_ID]);
    bind_text(st, 3, f[F_AGENT_ID]);
    bind_text(st, 4, f[F_TOOL_NAME]);
    sqlite3_bind_int64(st, 5, p->row_id);
    sqlite3_bind_int64(st, 6, p->ts_ns);
    if (pre)
        return step_reset(st);
    bind_opt_int(st, 7, p->fields.duration_ms);
    sqlite3_bind_text(st, 8, has(p, EVF_TOOL_DENIED) ? "denied" : has(p, EVF_TOOL_FAILURE) ? "error"
                                                                                        : "ok",
                      -1, SQLITE_STATIC);
    /* RETURNING gives the tool and the duration as stored (sent, or
     * computed from the PreToolUse): one finished call for tool_stats. */
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        int64_t ms = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 1);
        rc = count_tool(w, p->ts_ns / TOOL_HIST_PERIOD_NS,
                        (const char *)sqlite3_column_text(st, 0), tool_hist_bucket(ms),
                        has(p, EVF_TOOL_FAILURE));
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE || rc == SQLITE_OK ? SQLITE_OK : rc;
}

static int agg_reserve(struct batch_writer *w, size_t n)
{
    if (w->agg_cap >= n)
        return 0;
    size_t cap = n < 64 ? 64 : n;
    size_t icap = 1;
    while (icap < cap * 2)
        icap <<= 1;
    struct session_agg *a = realloc(w->agg, cap * sizeof *a);
    if (a == NULL)
        return -1;
    w->agg = a;
    size_t *idx = realloc(w->agg_index, icap * sizeof *idx);
    if (idx == NULL)
        return -1;
    w->agg_index = idx;
    w->agg_cap = cap;
    w->index_cap = icap;
    return 0;
}

static void column_copy(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
    const char *v = (const char *)sqlite3_column_text(st, col);
    snprintf(dst, cap, "%s", v ? v : "");
}

/* The state machine's starting point: the session's stored state, or a new
 * session's (working, since its first event). */
static int load_state(struct batch_writer *w, struct session_agg *a)
{
    sqlite3_stmt *st = w->st[ST_SESSION_STATE];
    memset(&a->state, 0, sizeof a->state);
    a->state_ts = INT64_MIN;
    sqlite3_bind_text(st, 1, a->session_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        struct session_state *s = &a->state;
        s->state = session_state_parse((const char *)sqlite3_column_text(st, 0));
        s->reason = awaiting_reason_parse((const char *)sqlite3_column_text(st, 1));
        s->since_ns = sqlite3_column_int64(st, 2);
        a->state_ts = sqlite3_column_int64(st, 3);
        const char *src = (const char *)sqlite3_column_text(st, 4);
        a->title_claude = src != NULL && strcmp(src, "claude") == 0;
        a->title_known = src != NULL;
        column_copy(st, 5, s->detail.tool_name, sizeof s->detail.tool_name);
        column_copy(st, 6, s->detail.tool_input, sizeof s->detail.tool_input);
        column_copy(st, 7, s->detail.message, sizeof s->detail.message);
        column_copy(st, 8, s->detail.error, sizeof s->detail.error);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

static struct session_agg *agg_find(struct batch_writer *w, const char *sid, int *rc)
{
    uint32_t h = 2166136261u;
    for (const char *c = sid; *c; c++)
        h = (h ^ (unsigned char)*c) * 16777619u;
    for (size_t probe = 0;; probe++) {
        size_t *slot = &w->agg_index[(h + probe) & (w->index_cap - 1)];
        if (*slot == 0) {
            struct session_agg *a = &w->agg[w->agg_n];
            memset(a, 0, sizeof *a);
            a->session_id = sid;
            a->first_ns = INT64_MAX;
            a->ended_ns = -1;
            a->claude_pid = -1;
            *slot = ++w->agg_n;
            *rc = load_state(w, a);
            return a;
        }
        if (strcmp(w->agg[*slot - 1].session_id, sid) == 0)
            return &w->agg[*slot - 1];
    }
}

/* Events that need their payload read: what they wait on (the detail) or a
 * title the session does not have yet.  Everything else is decided by the
 * flags alone, which keeps this off the common path. */
static int needs_payload(const struct session_agg *a, const struct pending_event *p)
{
    if ((p->flags & WIRE_FLAG_INVALID) || p->payload.len == 0)
        return 0;
    if (has(p, EVF_AWAITING_INPUT | EVF_TURN_FAILED))
        return 1;
    if (has(p, EVF_SESSION_START)) /* may carry Claude Code's session_title */
        return !a->title_claude;
    return has(p, EVF_PROMPT) && !a->title_known;
}

/* One event through the state machine (events older than the newest one
 * folded are late: they add to the counts, not to the state). */
static void fold_state(struct session_agg *a, const struct pending_event *p)
{
    struct state_event ev;
    ev.flags = p->type_flags;
    ev.awaiting = (enum awaiting_reason)p->awaiting;
    ev.subagent = p->fields.v[F_AGENT_ID] != NULL && p->fields.v[F_AGENT_ID][0] != '\0';
    ev.ts_ns = p->ts_ns;
    if (needs_payload(a, p)) {
        state_event_read(&ev, p->payload.data, p->payload.len);
    } else {
        memset(&ev.detail, 0, sizeof ev.detail);
        ev.title[0] = '\0';
        ev.title_claude = 0;
    }
    session_state_next(&a->state, &ev, &a->state);
    if (a->state.since_ns == 0)
        a->state.since_ns = p->ts_ns; /* a new session: its state began with it */
    a->state_ts = p->ts_ns;
    if (ev.title[0] != '\0' && !a->title_claude && (ev.title_claude || !a->title_known)) {
        a->title_event = p;
        a->title_source = ev.title_claude ? "claude" : "prompt";
        a->title_claude = ev.title_claude;
        a->title_known = 1;
    }
}

static void agg_add(struct session_agg *a, const struct pending_event *p)
{
    const char *const *f = p->fields.v;
    if (p->ts_ns < a->first_ns)
        a->first_ns = p->ts_ns;
    if (a->latest == NULL || p->ts_ns >= a->last_ns) {
        a->latest = p;
        a->last_ns = p->ts_ns;
    }
    if (p->ts_ns >= a->state_ts)
        fold_state(a, p);
    if (p->row_id > a->last_id)
        a->last_id = p->row_id;
    if (f[F_MODEL]) a->model = f[F_MODEL];
    if (f[F_SOURCE] && has(p, EVF_SESSION_START)) a->source = f[F_SOURCE];
    if (f[F_TRANSCRIPT_PATH]) a->transcript_path = f[F_TRANSCRIPT_PATH];
    if (p->project_dir) a->project = p->project_dir;
    if (p->claude_pid > 0) a->claude_pid = p->claude_pid;
    if (has(p, EVF_SESSION_END)) {
        a->end_reason = f[F_REASON] ? f[F_REASON] : "unknown";
        a->ended_ns = p->ts_ns;
    }
    a->events++;
    a->tools += has(p, EVF_TOOL_START);
    a->errors += has(p, EVF_ERROR);
    a->prompts += has(p, EVF_PROMPT);
    a->subagents += has(p, EVF_SUBAGENT_START);
}

static int upsert_session(struct batch_writer *w, const struct session_agg *a)
{
    sqlite3_stmt *st = w->st[ST_SESSION];
    const char *const *lf = a->latest->fields.v;
    sqlite3_bind_text(st, 1, a->session_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, a->first_ns);
    sqlite3_bind_int64(st, 3, a->last_ns);
    bind_text(st, 4, lf[F_CWD]);
    /* Project: Claude Code's project root when known, else the cwd. */
    bind_text(st, 5, a->project ? a->project : lf[F_CWD]);
    bind_text(st, 6, a->model);
    bind_text(st, 7, a->source);
    bind_text(st, 8, lf[F_PERMISSION_MODE]);
    bind_text(st, 9, a->transcript_path);
    bind_text(st, 10, a->end_reason);
    bind_opt_int(st, 11, a->ended_ns);
    bind_text(st, 12, a->latest->event_type);
    sqlite3_bind_int64(st, 13, a->last_id);
    const struct session_state *s = &a->state;
    sqlite3_bind_text(st, 14, session_state_name(s->state), -1, SQLITE_STATIC);
    bind_opt_int(st, 15, a->claude_pid);
    sqlite3_bind_int64(st, 16, a->events);
    sqlite3_bind_int64(st, 17, a->tools);
    sqlite3_bind_int64(st, 18, a->errors);
    sqlite3_bind_int64(st, 19, a->prompts);
    sqlite3_bind_int64(st, 20, a->subagents);
    bind_text(st, 21, awaiting_reason_name(s->reason));
    sqlite3_bind_int64(st, 22, s->since_ns);
    int empty = 1;
    buf_reset(&w->detail);
    if (state_detail_json(&s->detail, &w->detail, &empty) != 0)
        return SQLITE_NOMEM;
    if (empty)
        sqlite3_bind_null(st, 23);
    else
        sqlite3_bind_text(st, 23, w->detail.data, (int)w->detail.len, SQLITE_STATIC);
    struct state_event title;
    title.title[0] = '\0';
    if (a->title_event != NULL) {
        const struct pending_event *p = a->title_event;
        title.flags = p->type_flags;
        title.subagent = 0; /* only a main agent's prompt was taken */
        state_event_read(&title, p->payload.data, p->payload.len);
    }
    bind_text(st, 24, title.title[0] ? title.title : NULL);
    bind_text(st, 25, title.title[0] ? a->title_source : NULL);
    return step_reset(st);
}

/* Adds the batch's 10 s counts to event_counts, and the same counts per
 * 10 minutes to event_counts_10m (a 10 s bucket lies in one 10 min one). */
static int flush_counts(struct batch_writer *w)
{
    sqlite3_stmt *st = w->st[ST_EVENT_COUNT], *st10m = w->st[ST_EVENT_COUNT_10M];
    int rc = SQLITE_OK;
    for (size_t i = 0; rc == SQLITE_OK && i < w->ncounts; i++) {
        sqlite3_bind_int64(st, 1, w->counts[i].bucket);
        sqlite3_bind_text(st, 2, w->counts[i].type, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, w->counts[i].n);
        rc = step_reset(st);
        if (rc != SQLITE_OK)
            break;
        sqlite3_bind_int64(st10m, 1, w->counts[i].bucket / 60);
        sqlite3_bind_text(st10m, 2, w->counts[i].type, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st10m, 3, w->counts[i].n);
        rc = step_reset(st10m);
    }
    w->ncounts = 0;
    return rc;
}

static int count_event(struct batch_writer *w, const struct pending_event *p)
{
    int64_t bucket = p->ts_ns / COUNT_BUCKET_NS;
    for (size_t i = 0; i < w->ncounts; i++) {
        struct type_count *t = &w->counts[i];
        if (t->bucket == bucket && strcmp(t->type, p->event_type) == 0) {
            t->n++;
            return SQLITE_OK;
        }
    }
    if (w->ncounts == MAX_TYPE_COUNTS) {
        int rc = flush_counts(w);
        if (rc != SQLITE_OK)
            return rc;
    }
    w->counts[w->ncounts++] = (struct type_count){bucket, p->event_type, 1};
    return SQLITE_OK;
}

static int write_batch(struct batch_writer *w, struct pending_event **events, size_t n,
                       int64_t now)
{
    int rc;
    w->agg_n = 0;
    w->ncounts = 0;
    w->ntcounts = 0;
    memset(w->agg_index, 0, w->index_cap * sizeof *w->agg_index);
    for (size_t i = 0; i < n; i++) {
        struct pending_event *p = events[i];
        if ((rc = insert_event(w, p, now)) != SQLITE_OK)
            return rc;
        if (p->duplicate)
            continue;
        if ((rc = tool_call(w, p)) != SQLITE_OK || (rc = count_event(w, p)) != SQLITE_OK)
            return rc;
        const char *sid = p->fields.v[F_SESSION_ID];
        if (sid != NULL && *sid != '\0') {
            rc = SQLITE_OK;
            struct session_agg *a = agg_find(w, sid, &rc);
            if (rc != SQLITE_OK)
                return rc;
            agg_add(a, p);
        }
    }
    for (size_t i = 0; i < w->agg_n; i++)
        if ((rc = upsert_session(w, &w->agg[i])) != SQLITE_OK)
            return rc;
    if ((rc = flush_tool_counts(w)) != SQLITE_OK)
        return rc;
    return flush_counts(w);
}

static void count_batch(struct stats *s, struct pending_event **events, size_t n, int sign)
{
    int64_t dups = 0;
    for (size_t i = 0; i < n; i++) {
        if (events[i]->duplicate)
            dups++;
        else
            stats_add(s, "events_committed_total", events[i]->event_type, sign);
    }
    stats_add(s, "events_duplicate_total", "", sign * dups);
    stats_add(s, "batches_total", "", sign);
}

/* After a failed reopen the writer has no connection: every write tries to
 * open the path again first. */
static int ensure_open(struct batch_writer *w, char *err, size_t errlen)
{
    return w->db != NULL || batch_writer_reopen(w, err, errlen) == 0 ? SQLITE_OK : SQLITE_CANTOPEN;
}

int batch_writer_commit(struct batch_writer *w, struct pending_event **events, size_t n,
                        struct stats *stats, char *err, size_t errlen)
{
    int64_t t0 = clock_mono_ns();
    if (ensure_open(w, err, errlen) != SQLITE_OK)
        return SQLITE_CANTOPEN;
    if (agg_reserve(w, n) != 0) {
        snprintf(err, errlen, "out of memory");
        return SQLITE_NOMEM;
    }
    int rc = step_reset(w->st[ST_BEGIN]);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "begin: %s", sqlite3_errmsg(w->db));
        return rc;
    }
    rc = write_batch(w, events, n, clock_wall_ns());
    if (rc == SQLITE_OK) {
        count_batch(stats, events, n, +1);
        stats_set(stats, "batch_last_size", "", (int64_t)n);
        /* Counters ride along in a batch's transaction at most every
         * 200 ms: a dozen upserts per commit would double the latency of
         * a lone event.  The idle tick writes whatever is left. */
        if (t0 - w->stats_flushed_mono >= STATS_FLUSH_NS) {
            stats_set(stats, "heartbeat_ns", "", clock_wall_ns());
            rc = stats_flush(stats, w->st[ST_STAT]);
            w->stats_flushed_mono = t0;
        }
        if (rc == SQLITE_OK)
            rc = index_batch(w, events, n);
        if (rc == SQLITE_OK)
            rc = step_reset(w->st[ST_COMMIT]);
        if (rc != SQLITE_OK)
            count_batch(stats, events, n, -1);
    }
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(w->db));
        if (!sqlite3_get_autocommit(w->db))
            step_reset(w->st[ST_ROLLBACK]);
        stats_mark_all_dirty(stats);
        return rc;
    }
    int64_t us = (clock_mono_ns() - t0) / 1000;
    stats_set(stats, "batch_last_us", "", us);
    stats_observe_batch_us(stats, us);
    return SQLITE_OK;
}

static const char *nonempty(const char *s) { return s && *s ? s : NULL; }

/* The file's row, then its index rows; inside the usage batch's
 * transaction, so the index never runs ahead of the offset stored. */
static int commit_line_index(struct batch_writer *w, const struct usage_batch *b)
{
    if (b->nlines == 0 && !b->restart)
        return SQLITE_OK;
    sqlite3_stmt *st = w->st[ST_TFILE];
    sqlite3_bind_text(st, 1, b->path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, b->inode);
    bind_text(st, 3, nonempty(b->session_id));
    bind_text(st, 4, nonempty(b->agent_id));
    bind_text(st, 5, nonempty(b->meta.tool_use_id));
    bind_text(st, 6, nonempty(b->meta.agent_type));
    bind_text(st, 7, nonempty(b->meta.description));
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? SQLITE_ERROR : rc;
    }
    int64_t file_id = sqlite3_column_int64(st, 0);
    /* The session and agent first recorded for the file win, as in
     * transcripts: a later hook cannot move a file to another session. */
    char sid[128], aid[128];
    snprintf(sid, sizeof sid, "%s", sqlite3_column_type(st, 1) == SQLITE_NULL
                                        ? "" : (const char *)sqlite3_column_text(st, 1));
    snprintf(aid, sizeof aid, "%s", sqlite3_column_type(st, 2) == SQLITE_NULL
                                        ? "" : (const char *)sqlite3_column_text(st, 2));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return rc;
    if (b->restart) {
        sqlite3_bind_int64(w->st[ST_TLINES_CLEAR], 1, file_id);
        if ((rc = step_reset(w->st[ST_TLINES_CLEAR])) != SQLITE_OK)
            return rc;
    }
    if (sid[0] == '\0')
        return SQLITE_OK; /* no session known yet: nothing to page under */
    for (size_t i = 0; i < b->nlines; i++) {
        const struct line_index_row *x = &b->lines[i];
        st = w->st[ST_TLINE];
        sqlite3_bind_text(st, 1, sid, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, aid, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, file_id);
        sqlite3_bind_int64(st, 4, x->offset);
        sqlite3_bind_int64(st, 5, x->length);
        sqlite3_bind_int(st, 6, x->kind);
        sqlite3_bind_int(st, 7, x->block);
        bind_text(st, 8, nonempty(x->uuid));
        bind_text(st, 9, nonempty(x->tool_use_id));
        bind_text(st, 10, nonempty(x->prompt_id));
        if (x->ts_ns > 0)
            sqlite3_bind_int64(st, 11, x->ts_ns);
        else
            sqlite3_bind_null(st, 11);
        if ((rc = step_reset(st)) != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

static int64_t fnv1a64(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return (int64_t)h;
}

/* An assistant reply (already redacted by the transcript reader) and its
 * full-text row, unless the same text of the same message is stored. */
static int insert_reply(struct batch_writer *w, const struct transcript_row *r)
{
    sqlite3_stmt *st = w->st[ST_REPLY];
    sqlite3_bind_text(st, 1, r->message_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, fnv1a64(r->text, r->text_bytes));
    bind_text(st, 3, nonempty(r->session_id));
    bind_text(st, 4, nonempty(r->agent_id));
    if (r->ts_ns > 0)
        sqlite3_bind_int64(st, 5, r->ts_ns);
    else
        sqlite3_bind_null(st, 5);
    sqlite3_bind_text(st, 6, r->text, (int)r->text_bytes, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return rc;
    if (id == 0) /* a copy of a stored reply */
        return SQLITE_OK;
    st = w->st[ST_SEARCH_REPLY];
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, r->text, (int)r->text_bytes, SQLITE_STATIC);
    return step_reset(st);
}

/* Commits when rc is SQLITE_OK, else rolls back with err set. */
static int end_transaction(struct batch_writer *w, int rc, char *err, size_t errlen)
{
    if (rc == SQLITE_OK)
        rc = step_reset(w->st[ST_COMMIT]);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(w->db));
        if (!sqlite3_get_autocommit(w->db))
            step_reset(w->st[ST_ROLLBACK]);
    }
    return rc;
}

int batch_writer_commit_usage(struct batch_writer *w, const struct usage_batch *b, char *err,
                              size_t errlen)
{
    if (ensure_open(w, err, errlen) != SQLITE_OK)
        return SQLITE_CANTOPEN;
    int rc = step_reset(w->st[ST_BEGIN]);
    for (size_t i = 0; rc == SQLITE_OK && i < b->n; i++) {
        const struct transcript_row *r = &b->rows[i];
        sqlite3_stmt *st = w->st[ST_USAGE];
        sqlite3_bind_text(st, 1, r->message_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, r->request_id, -1, SQLITE_STATIC);
        bind_text(st, 3, nonempty(r->session_id));
        bind_text(st, 4, nonempty(r->agent_id));
        bind_text(st, 5, nonempty(r->prompt_id));
        bind_text(st, 6, nonempty(r->model));
        if (r->ts_ns > 0)
            sqlite3_bind_int64(st, 7, r->ts_ns);
        else
            sqlite3_bind_null(st, 7);
        sqlite3_bind_int64(st, 8, r->input_tokens);
        sqlite3_bind_int64(st, 9, r->output_tokens);
        sqlite3_bind_int64(st, 10, r->cache_creation_input_tokens);
        sqlite3_bind_int64(st, 11, r->cache_read_input_tokens);
        rc = step_reset(st);
        if (rc == SQLITE_OK && r->text != NULL)
            rc = insert_reply(w, r);
    }
    if (rc == SQLITE_OK)
        rc = commit_line_index(w, b);
    if (rc == SQLITE_OK && b->title[0] != '\0' && b->session_id[0] != '\0') {
        sqlite3_stmt *st = w->st[ST_TITLE];
        sqlite3_bind_text(st, 1, b->session_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, b->title, -1, SQLITE_STATIC);
        rc = step_reset(st);
    }
    if (rc == SQLITE_OK) {
        sqlite3_stmt *st = w->st[ST_TRANSCRIPT];
        sqlite3_bind_text(st, 1, b->path, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, b->inode);
        sqlite3_bind_int64(st, 3, b->offset);
        bind_text(st, 4, nonempty(b->session_id));
        bind_text(st, 5, nonempty(b->agent_id));
        sqlite3_bind_int64(st, 6, clock_wall_ns());
        rc = step_reset(st);
    }
    return end_transaction(w, rc, err, errlen);
}

int batch_writer_flush_stats(struct batch_writer *w, struct stats *stats, char *err,
                             size_t errlen)
{
    if (ensure_open(w, err, errlen) != SQLITE_OK)
        return SQLITE_CANTOPEN;
    int rc = step_reset(w->st[ST_BEGIN]);
    if (rc == SQLITE_OK) {
        stats_set(stats, "heartbeat_ns", "", clock_wall_ns());
        rc = stats_flush(stats, w->st[ST_STAT]);
        if (rc == SQLITE_OK)
            rc = step_reset(w->st[ST_COMMIT]);
    }
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(w->db));
        if (!sqlite3_get_autocommit(w->db))
            step_reset(w->st[ST_ROLLBACK]);
        stats_mark_all_dirty(stats);
    }
    return rc;
}

int batch_writer_checkpoint(struct batch_writer *w, int truncate)
{
    if (w->db == NULL)
        return SQLITE_CANTOPEN;
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(w->db, NULL,
                                       truncate ? SQLITE_CHECKPOINT_TRUNCATE
                                                : SQLITE_CHECKPOINT_PASSIVE,
                                       &log, &done);
    if (rc == SQLITE_OK)
        w->wal_pages = log - done;
    return rc;
}

/*
 * SessionEnd does not always fire (a killed terminal, `claude -p` runs): a
 * session whose Claude Code process is gone has ended too.  Only ESRCH
 * counts: EPERM (another user's process, a sandbox) says nothing.  The
 * server applies the same rule when it reads, for the seconds between two
 * of these passes (server/row_json.c).
 */
int batch_writer_end_gone_sessions(struct batch_writer *w, int64_t now_ns, int *ended, char *err,
                                   size_t errlen)
{
    *ended = 0;
    if (ensure_open(w, err, errlen) != SQLITE_OK)
        return SQLITE_CANTOPEN;
    int rc = step_reset(w->st[ST_BEGIN]);
    sqlite3_stmt *live = w->st[ST_LIVE_PIDS], *gone = w->st[ST_PROCESS_GONE];
    while (rc == SQLITE_OK && (rc = sqlite3_step(live)) == SQLITE_ROW) {
        int64_t pid = sqlite3_column_int64(live, 1);
        rc = SQLITE_OK;
        if (pid <= 1 || pid >= INT32_MAX || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        struct state_detail d;
        int empty;
        state_detail_process_gone(&d, pid);
        buf_reset(&w->detail);
        if (state_detail_json(&d, &w->detail, &empty) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        sqlite3_bind_text(gone, 1, (const char *)sqlite3_column_text(live, 0), -1,
                          SQLITE_TRANSIENT);
        sqlite3_bind_int64(gone, 2, pid);
        sqlite3_bind_int64(gone, 3, now_ns);
        sqlite3_bind_text(gone, 4, w->detail.data, (int)w->detail.len, SQLITE_STATIC);
        rc = step_reset(gone);
        *ended += sqlite3_changes(w->db);
    }
    if (rc == SQLITE_DONE)
        rc = SQLITE_OK;
    sqlite3_reset(live);
    if ((rc = end_transaction(w, rc, err, errlen)) != SQLITE_OK)
        *ended = 0;
    return rc;
}
