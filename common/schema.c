/* schema.c - DDL, forward migrations and per-connection pragmas. */
#include "chronicle/schema.h"

#include <stdio.h>

#include "chronicle/search_text.h"

/*
 * Migration N brings user_version from N-1 to N.  Append only: a released
 * migration is never edited, because databases in the field already ran it.
 */
static const char *const migrations[] = {
    /* 1: first schema. */
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY,"          /* cursor the server tails; grows with commits */
    "  event_uid BLOB NOT NULL UNIQUE,"  /* sender's random 16-byte id: idempotence */
    "  session_id TEXT,"
    "  event_type TEXT NOT NULL,"
    "  ts_ns INTEGER NOT NULL,"          /* when the sender read it, UTC ns */
    "  stored_ns INTEGER NOT NULL,"      /* when the collector committed it, UTC ns */
    "  tool_name TEXT,"
    "  tool_use_id TEXT,"
    "  agent_id TEXT,"
    "  agent_type TEXT,"
    "  prompt_id TEXT,"
    "  cwd TEXT,"
    "  duration_ms INTEGER,"
    "  flags INTEGER NOT NULL DEFAULT 0," /* 1 truncated, 2 invalid, 4 redacted */
    "  payload TEXT,"                    /* JSON as sent (after redaction); NULL if invalid */
    "  raw BLOB,"                        /* the bytes of an invalid payload, capped */
    "  payload_size INTEGER NOT NULL,"   /* bytes read from stdin */
    "  host TEXT,"
    "  uid INTEGER,"
    "  pid INTEGER,"
    "  ppid INTEGER,"
    "  claude_pid INTEGER,"
    "  project_dir TEXT"
    ");"
    "CREATE INDEX events_session_ts ON events(session_id, ts_ns);"
    "CREATE INDEX events_type_ts ON events(event_type, ts_ns);"
    "CREATE INDEX events_tool_ts ON events(tool_name, ts_ns) WHERE tool_name IS NOT NULL;"
    "CREATE TABLE sessions ("
    "  session_id TEXT PRIMARY KEY,"
    "  first_seen_ns INTEGER NOT NULL,"
    "  last_seen_ns INTEGER NOT NULL,"
    "  cwd TEXT,"
    "  project TEXT,"
    "  model TEXT,"
    "  source TEXT,"
    "  permission_mode TEXT,"
    "  transcript_path TEXT,"
    "  end_reason TEXT,"
    "  ended_ns INTEGER,"
    "  last_event_type TEXT,"
    "  last_event_id INTEGER NOT NULL DEFAULT 0,"
    "  state TEXT NOT NULL DEFAULT 'working'," /* working | awaiting_input | ended */
    "  claude_pid INTEGER,"
    "  event_count INTEGER NOT NULL DEFAULT 0,"
    "  tool_call_count INTEGER NOT NULL DEFAULT 0,"
    "  error_count INTEGER NOT NULL DEFAULT 0,"
    "  prompt_count INTEGER NOT NULL DEFAULT 0,"
    "  subagent_count INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX sessions_last_seen ON sessions(last_seen_ns);"
    "CREATE INDEX sessions_last_event ON sessions(last_event_id);"
    /* WITHOUT ROWID: every access is by tool_use_id, and the row living in
     * the key's B-tree saves one B-tree write per Pre/Post upsert. */
    "CREATE TABLE tool_calls ("
    "  tool_use_id TEXT PRIMARY KEY NOT NULL,"
    "  session_id TEXT,"
    "  agent_id TEXT,"
    "  tool_name TEXT,"
    "  pre_event_id INTEGER,"
    "  post_event_id INTEGER,"
    "  started_ns INTEGER,"
    "  ended_ns INTEGER,"
    "  duration_ms INTEGER,"
    "  status TEXT NOT NULL"             /* running | ok | error | denied */
    ") WITHOUT ROWID;"
    "CREATE INDEX tool_calls_session ON tool_calls(session_id, started_ns);"
    "CREATE INDEX tool_calls_tool ON tool_calls(tool_name, ended_ns);"
    "CREATE TABLE collector_stats ("
    "  name TEXT NOT NULL,"
    "  label TEXT NOT NULL DEFAULT '',"
    "  value INTEGER NOT NULL,"
    "  PRIMARY KEY (name, label)"
    ") WITHOUT ROWID;",

    /* 2: token usage read from transcripts (issue 6).  One row per
     * assistant message, keyed like Claude Code's own rows so that the
     * repeats (one per content block, and again in resumed or forked
     * session files) collapse into one. */
    "CREATE TABLE usage ("
    "  message_id TEXT NOT NULL,"
    "  request_id TEXT NOT NULL DEFAULT '',"
    "  session_id TEXT,"
    "  agent_id TEXT,"                   /* set for subagent (sidechain) messages */
    "  prompt_id TEXT,"                  /* the user prompt this answers, when known */
    "  model TEXT,"
    "  ts_ns INTEGER,"
    "  input_tokens INTEGER NOT NULL DEFAULT 0,"
    "  output_tokens INTEGER NOT NULL DEFAULT 0,"
    "  cache_creation_input_tokens INTEGER NOT NULL DEFAULT 0,"
    "  cache_read_input_tokens INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (message_id, request_id)"
    ") WITHOUT ROWID;"
    "CREATE INDEX usage_session ON usage(session_id, ts_ns);"
    "CREATE INDEX usage_ts ON usage(ts_ns);"
    /* How far each transcript has been read, committed with its rows. */
    "CREATE TABLE transcripts ("
    "  path TEXT PRIMARY KEY NOT NULL,"
    "  inode INTEGER NOT NULL,"
    "  offset INTEGER NOT NULL,"
    "  session_id TEXT,"
    "  agent_id TEXT,"
    "  updated_ns INTEGER NOT NULL"
    ") WITHOUT ROWID;",

    /* 3: indexes in the order the server pages (by id, the cursor), and
     * per-10-second counts so that statistics over a day read a few
     * thousand rows instead of every event.  Measured on 1M events:
     * ?event_type= 365 ms -> 3 ms, /api/stats (24 h) 813 ms -> see
     * docs/PERFORMANCE.md.  Same number of B-trees per event as before. */
    "DROP INDEX events_session_ts;"
    "DROP INDEX events_type_ts;"
    "DROP INDEX events_tool_ts;"
    "CREATE INDEX events_session_id ON events(session_id, id);"
    "CREATE INDEX events_type_id ON events(event_type, id);"
    "CREATE INDEX events_tool_id ON events(tool_name, id) WHERE tool_name IS NOT NULL;"
    /* Covering: per-tool statistics read durations and status from the
     * index alone instead of one table lookup per call. */
    "DROP INDEX tool_calls_tool;"
    "CREATE INDEX tool_calls_tool ON tool_calls(tool_name, ended_ns, duration_ms, status);"
    /* Finished tool calls per 10 minutes, tool and duration bucket
     * (include/chronicle/tool_hist.h): per-tool percentiles over long
     * windows without reading every call. */
    "CREATE TABLE tool_stats ("
    "  bucket INTEGER NOT NULL,"         /* ended_ns / 10 min */
    "  tool_name TEXT NOT NULL,"
    "  le INTEGER NOT NULL,"             /* duration bucket; -1: no duration */
    "  count INTEGER NOT NULL,"
    "  errors INTEGER NOT NULL,"
    "  PRIMARY KEY (bucket, tool_name, le)"
    ") WITHOUT ROWID;"
    "CREATE TABLE event_counts ("
    "  bucket INTEGER NOT NULL,"         /* ts_ns / 10 s */
    "  event_type TEXT NOT NULL,"
    "  count INTEGER NOT NULL,"
    "  PRIMARY KEY (bucket, event_type)"
    ") WITHOUT ROWID;"
    "INSERT INTO event_counts SELECT ts_ns / 10000000000, event_type, count(*)"
    "  FROM events GROUP BY 1, 2;"
    /* The same per 10 minutes, for windows of hours and days. */
    "CREATE TABLE event_counts_10m ("
    "  bucket INTEGER NOT NULL,"         /* ts_ns / 10 min */
    "  event_type TEXT NOT NULL,"
    "  count INTEGER NOT NULL,"
    "  PRIMARY KEY (bucket, event_type)"
    ") WITHOUT ROWID;"
    "INSERT INTO event_counts_10m SELECT ts_ns / 600000000000, event_type, count(*)"
    "  FROM events GROUP BY 1, 2;",

    /* 4: session state with a reason, and titles (issue 11).  state keeps
     * its values (working | awaiting_input | ended) and gains failed; the
     * collector's state machine (collector/session_state.h) sets all of
     * these.  Existing rows get a best-effort backfill from what the
     * session row and its last event say. */
    "ALTER TABLE sessions ADD COLUMN awaiting_reason TEXT;"  /* permission | idle_prompt | turn_done | elicitation */
    "ALTER TABLE sessions ADD COLUMN state_since_ns INTEGER;" /* when the state began */
    "ALTER TABLE sessions ADD COLUMN state_detail TEXT;"     /* JSON object text, NULL: none */
    "ALTER TABLE sessions ADD COLUMN title TEXT;"
    "ALTER TABLE sessions ADD COLUMN title_source TEXT;"     /* claude | prompt */
    "UPDATE sessions SET state = 'failed' WHERE state = 'awaiting_input'"
    "  AND last_event_type = 'StopFailure';"
    "UPDATE sessions SET awaiting_reason = CASE last_event_type"
    "  WHEN 'Stop' THEN 'turn_done' WHEN 'PermissionRequest' THEN 'permission'"
    "  WHEN 'Elicitation' THEN 'elicitation'"
    "  ELSE coalesce((SELECT CASE json_extract(e.payload, '$.notification_type')"
    "    WHEN 'permission_prompt' THEN 'permission' WHEN 'elicitation_dialog' THEN 'elicitation'"
    "    WHEN 'idle_prompt' THEN 'idle_prompt' WHEN 'agent_needs_input' THEN 'idle_prompt' END"
    "    FROM events e WHERE e.id = sessions.last_event_id AND json_valid(e.payload)),"
    "    'turn_done') END"
    "  WHERE state = 'awaiting_input';"
    "UPDATE sessions SET state_since_ns = CASE WHEN state = 'ended' AND ended_ns > 0"
    "  THEN ended_ns ELSE last_seen_ns END;"
    /* The first prompt as the title: stored payloads are redacted already. */
    "UPDATE sessions SET title = (SELECT substr(trim(replace(replace(replace("
    "    json_extract(e.payload, '$.prompt'), char(10), ' '), char(13), ' '), char(9), ' ')),"
    "    1, 120) FROM events e WHERE e.session_id = sessions.session_id"
    "    AND e.event_type = 'UserPromptSubmit' AND json_valid(e.payload)"
    "    AND e.agent_id IS NULL ORDER BY e.id LIMIT 1);"
    "UPDATE sessions SET title = NULL WHERE title = '';"
    "UPDATE sessions SET title_source = 'prompt' WHERE title IS NOT NULL;"
    "CREATE INDEX sessions_state ON sessions(state, state_since_ns);",

    /* 5: full-text search (issue 11); docs/ARCHITECTURE.md "Search index".
     *
     * External content, the content being a view that extracts each
     * field's text from the stored (redacted) payload with
     * chronicle_search_field() (search_text.h), so no text is stored twice.
     * Measured on 1M bench events (docs/PERFORMANCE.md): the index adds
     * about as much as a regular FTS5 table's index does, and a regular
     * table (or a real content table) would add the extracted text once
     * more on top - the larger part, since tool outputs dominate.
     * Contentless (content='') would save the same but cannot give
     * snippets, and before SQLite 3.43 cannot delete a row without its
     * values anyway.  columnsize=0: results are ordered by rowid (newest
     * first), never by bm25, so per-row sizes would be dead weight.
     *
     * The collector inserts an event's row in the transaction that stores
     * the event (batch_writer.c); the trigger removes it in the transaction
     * that deletes the event (retention.c), with the values recomputed from
     * the payload, which must give what was inserted.  Assistant replies
     * from transcripts (redacted by the collector) live in replies, indexed
     * the same way with replies itself as the content. */
    "CREATE VIEW search_events_src AS SELECT id,"
    "  chronicle_search_field(event_type, payload, 0) AS prompt,"
    "  chronicle_search_field(event_type, payload, 1) AS command,"
    "  chronicle_search_field(event_type, payload, 2) AS file_path,"
    "  chronicle_search_field(event_type, payload, 3) AS tool_output,"
    "  chronicle_search_field(event_type, payload, 4) AS error,"
    "  chronicle_search_field(event_type, payload, 5) AS other"
    "  FROM events;"
    "CREATE VIRTUAL TABLE search_events USING fts5(prompt, command, file_path, tool_output,"
    "  error, other, content='search_events_src', content_rowid='id', columnsize=0,"
    "  tokenize='unicode61 remove_diacritics 2');"
    /* No merging inside the commits: measured on 1M events in batches of
     * 1024, automerge=4 (the default) costs 15.3 us an event, 0 costs
     * 10.7 us, and queries stay at 1-2 ms (crisis merges at 16 segments a
     * level bound the segment count); the collector merges when idle
     * (maintenance.c). */
    "INSERT INTO search_events(search_events, rank) VALUES('automerge', 0);"
    "CREATE TRIGGER search_events_delete AFTER DELETE ON events"
    "  WHEN old.payload IS NOT NULL BEGIN"
    "  INSERT INTO search_events(search_events, rowid, prompt, command, file_path, tool_output,"
    "    error, other)"
    "  SELECT 'delete', old.id, p, c, f, o, e, x FROM (SELECT"
    "    chronicle_search_field(old.event_type, old.payload, 0) AS p,"
    "    chronicle_search_field(old.event_type, old.payload, 1) AS c,"
    "    chronicle_search_field(old.event_type, old.payload, 2) AS f,"
    "    chronicle_search_field(old.event_type, old.payload, 3) AS o,"
    "    chronicle_search_field(old.event_type, old.payload, 4) AS e,"
    "    chronicle_search_field(old.event_type, old.payload, 5) AS x)"
    "  WHERE coalesce(p, c, f, o, e, x) IS NOT NULL;"
    "END;"
    /* Backfill: one INSERT ... SELECT instead of 'rebuild', which would also
     * write a row for every event without text. */
    "INSERT INTO search_events(rowid, prompt, command, file_path, tool_output, error, other)"
    "  SELECT id, prompt, command, file_path, tool_output, error, other FROM search_events_src"
    "  WHERE coalesce(prompt, command, file_path, tool_output, error, other) IS NOT NULL;"
    /* One row per distinct text block of an assistant message: a message
     * is repeated per content block and again in resumed or forked session
     * files, the (message_id, text_hash) key collapses the copies. */
    "CREATE TABLE replies ("
    "  id INTEGER PRIMARY KEY,"
    "  message_id TEXT NOT NULL,"
    "  text_hash INTEGER NOT NULL,"     /* FNV-1a 64 of reply */
    "  session_id TEXT,"
    "  agent_id TEXT,"
    "  ts_ns INTEGER,"
    "  reply TEXT NOT NULL,"            /* redacted, capped (transcript_row.h) */
    "  UNIQUE (message_id, text_hash)"
    ");"
    "CREATE INDEX replies_ts ON replies(ts_ns);"
    "CREATE VIRTUAL TABLE search_replies USING fts5(reply, content='replies', content_rowid='id',"
    "  columnsize=0, tokenize='unicode61 remove_diacritics 2');"
    "CREATE TRIGGER search_replies_delete AFTER DELETE ON replies BEGIN"
    "  INSERT INTO search_replies(search_replies, rowid, reply) VALUES('delete', old.id, old.reply);"
    "END;"
    /* The replies of transcripts already read: the reader reads them again
     * from the start, off the commit path (usage rows keep their largest
     * counts, so rereading changes none). */
    "UPDATE transcripts SET offset = 0;",

    /* 6: the conversation view's offset index.  The collector notes where
     * each line worth showing lies in its transcript, so the server can read
     * one page's byte ranges instead of the file (a transcript reaches
     * hundreds of MB).  No transcript text is stored here.  Files indexed
     * before this schema are read again from the start (usage rows
     * collapse).  docs/ARCHITECTURE.md: the offset index. */
    "CREATE TABLE transcript_files ("
    "  id INTEGER PRIMARY KEY,"
    "  path TEXT NOT NULL UNIQUE,"       /* as a hook named it: the only files the server reads */
    "  inode INTEGER NOT NULL,"          /* the file indexed; another inode is not read */
    "  session_id TEXT,"
    "  agent_id TEXT,"                   /* a subagent's file */
    "  parent_tool_use_id TEXT,"         /* the Agent/Task call that spawned it (meta.json) */
    "  agent_type TEXT,"
    "  description TEXT"
    ");"
    "CREATE INDEX transcript_files_parent ON transcript_files(parent_tool_use_id)"
    "  WHERE parent_tool_use_id IS NOT NULL;"
    /* One row per item-worthy block of a line (a line holds one block as
     * Claude Code writes it, sometimes more): the cursor is seq. */
    "CREATE TABLE transcript_lines ("
    "  seq INTEGER PRIMARY KEY,"         /* insertion order = file order */
    "  session_id TEXT NOT NULL,"
    "  agent_id TEXT NOT NULL DEFAULT '',"  /* '' = the main conversation */
    "  file_id INTEGER NOT NULL,"
    "  offset INTEGER NOT NULL,"         /* of the line in the file */
    "  length INTEGER NOT NULL,"         /* of the line, without its newline */
    "  kind INTEGER NOT NULL,"           /* conversation_line.h: 1 prompt, 2 text, 3 tool use, 4 result */
    "  block INTEGER NOT NULL,"          /* which of the line's blocks */
    "  uuid TEXT,"
    "  tool_use_id TEXT,"
    "  prompt_id TEXT,"
    "  ts_ns INTEGER"
    ");"
    "CREATE INDEX transcript_lines_page ON transcript_lines(session_id, agent_id, seq);"
    "CREATE INDEX transcript_lines_tool ON transcript_lines(tool_use_id)"
    "  WHERE tool_use_id IS NOT NULL;"
    "CREATE INDEX transcript_lines_file ON transcript_lines(file_id);"
    /* A prompt item links to its UserPromptSubmit event by prompt_id:
     * partial, so only prompt events pay for it at ingest. */
    "CREATE INDEX events_prompt_submit ON events(session_id, prompt_id)"
    "  WHERE event_type = 'UserPromptSubmit' AND prompt_id IS NOT NULL;",

    /* 7: alerts (issue 12, docs/ALERTS.md).  alert_key makes firing
     * idempotent: the engine derives it from what the alert is about (rule,
     * session and the state_since of the wait; rule and local day for a
     * budget), so a restarted collector finds the row and fires nothing
     * twice.  version grows with every change (fired, resolved,
     * acknowledged): the server tails it for the WebSocket "alert" message. */
    "CREATE TABLE alerts ("
    "  id INTEGER PRIMARY KEY,"
    "  alert_key TEXT NOT NULL UNIQUE,"
    "  rule TEXT NOT NULL,"              /* awaiting | failed | budget | budget_forecast | ended_unexpectedly */
    "  session_id TEXT,"
    "  title TEXT,"
    "  project TEXT,"
    "  machine TEXT,"
    "  reason TEXT,"
    "  detail TEXT,"                     /* JSON object text */
    "  since_ns INTEGER,"                /* the state_since (or period start) it is about */
    "  fired_ns INTEGER NOT NULL,"
    "  resolved_ns INTEGER,"
    "  acknowledged_ns INTEGER,"
    "  version INTEGER NOT NULL"
    ");"
    "CREATE INDEX alerts_open ON alerts(rule, session_id) WHERE resolved_ns IS NULL;"
    "CREATE INDEX alerts_version ON alerts(version);"
    /* One row per (alert, notification, target): the persistent queue of
     * the webhook sender.  target is scheme://host only (what the API and
     * the logs may show); target_id a hash of the whole URL, which stays in
     * the configuration, so secrets in URLs are never stored. */
    "CREATE TABLE alert_deliveries ("
    "  id INTEGER PRIMARY KEY,"
    "  alert_id INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"              /* fired | resolved */
    "  target TEXT NOT NULL,"
    "  target_id TEXT NOT NULL,"
    "  created_ns INTEGER NOT NULL,"
    "  next_ns INTEGER NOT NULL,"        /* next attempt not before */
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  delivered_ns INTEGER,"
    "  gave_up_ns INTEGER,"
    "  last_error TEXT,"
    "  UNIQUE (alert_id, kind, target_id)"
    ");"
    "CREATE INDEX alert_deliveries_due ON alert_deliveries(next_ns)"
    "  WHERE delivered_ns IS NULL AND gave_up_ns IS NULL;",
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int schema_latest_version(void) { return N_MIGRATIONS; }

int schema_version(sqlite3 *db, int *version)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *version = sqlite3_column_int(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

static int exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
    }
    return rc;
}

int schema_migrate(sqlite3 *db, char *err, size_t errlen)
{
    int version;
    /* Migration 5's backfill calls it. */
    if (search_text_register(db) != SQLITE_OK) {
        snprintf(err, errlen, "registering chronicle_search_field: %s", sqlite3_errmsg(db));
        return SQLITE_NOMEM;
    }
    int rc = schema_version(db, &version);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "reading user_version: %s", sqlite3_errmsg(db));
        return rc;
    }
    if (version > N_MIGRATIONS) {
        snprintf(err, errlen, "database schema version %d is newer than this build (%d); "
                 "upgrade Chronicle", version, N_MIGRATIONS);
        return SQLITE_MISMATCH;
    }
    for (int v = version; v < N_MIGRATIONS; v++) {
        char bump[64];
        snprintf(bump, sizeof bump, "PRAGMA user_version = %d;", v + 1);
        /* IMMEDIATE: take the write lock up front so two collectors racing
         * at start-up cannot both run the same migration. */
        if ((rc = exec(db, "BEGIN IMMEDIATE", err, errlen)) != SQLITE_OK)
            return rc;
        int cur;
        if (schema_version(db, &cur) == SQLITE_OK && cur > v) {
            exec(db, "ROLLBACK", err, errlen);
            v = cur - 1;
            continue;
        }
        if ((rc = exec(db, migrations[v], err, errlen)) != SQLITE_OK ||
            (rc = exec(db, bump, err, errlen)) != SQLITE_OK ||
            (rc = exec(db, "COMMIT", err, errlen)) != SQLITE_OK) {
            char ignored[8];
            exec(db, "ROLLBACK", ignored, sizeof ignored);
            return rc;
        }
    }
    return SQLITE_OK;
}

int schema_configure(sqlite3 *db, int writer, char *err, size_t errlen)
{
    /*
     * WAL lets the server read while the collector writes.  synchronous=NORMAL
     * in WAL mode syncs only at checkpoints: a power cut can lose the last
     * transactions but never corrupts the database, which is the trade the
     * seed guide makes too.  wal_autocheckpoint=0 because the collector
     * checkpoints deliberately between batches (see batch_writer.c): the
     * automatic checkpoint runs inside COMMIT and was measured to push commit
     * p99 from microseconds to milliseconds.
     */
    static const char writer_sql[] =
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "PRAGMA wal_autocheckpoint=0;"
        "PRAGMA cache_size=-4096;"
        "PRAGMA temp_store=MEMORY;";
    static const char reader_sql[] = "PRAGMA temp_store=MEMORY;";
    /* The search index's view and trigger call it (search_text.h). */
    if (search_text_register(db) != SQLITE_OK) {
        snprintf(err, errlen, "registering chronicle_search_field: %s", sqlite3_errmsg(db));
        return SQLITE_NOMEM;
    }
    if (!writer) /* the writer sets its own: see batch_writer.c */
        sqlite3_busy_timeout(db, 1000);
    return exec(db, writer ? writer_sql : reader_sql, err, errlen);
}
