/* shipper.c - local events into PostgreSQL.  See shipper.h. */
#include "shipper.h"

#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chronicle/clock.h"
#include "chronicle/log.h"
#include "pg_schema.h"

#define TAG "chronicle-ship"
#define USAGE_EVERY_NS (2 * NS_PER_S)
#define SESSIONS_EVERY_NS (1 * NS_PER_S)
#define STATS_EVERY_NS (10 * NS_PER_S)
#define CURSOR_EVERY_NS (500 * NS_PER_MS)

static const char usage_sql[] =
    "INSERT INTO chronicle.usage AS u (message_id, request_id, machine_id, session_id, agent_id,"
    " prompt_id, model, ts_ns, input_tokens, output_tokens, cache_creation_input_tokens,"
    " cache_read_input_tokens)"
    " SELECT m, r, $1, s, a, p, mo, t, i, o, cc, cr FROM unnest($2::text[], $3::text[],"
    " $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::bigint[],"
    " $11::bigint[], $12::bigint[]) AS x(m, r, s, a, p, mo, t, i, o, cc, cr)"
    /* The local rule (batch_writer.c ST_USAGE): each count keeps its largest
     * value.  Another machine's row is left alone, and a row that would not
     * change is not rewritten. */
    " ON CONFLICT (message_id, request_id) DO UPDATE SET"
    "  input_tokens = greatest(u.input_tokens, excluded.input_tokens),"
    "  output_tokens = greatest(u.output_tokens, excluded.output_tokens),"
    "  cache_creation_input_tokens = greatest(u.cache_creation_input_tokens,"
    "                                         excluded.cache_creation_input_tokens),"
    "  cache_read_input_tokens = greatest(u.cache_read_input_tokens, excluded.cache_read_input_tokens),"
    "  session_id = coalesce(u.session_id, excluded.session_id),"
    "  agent_id = coalesce(u.agent_id, excluded.agent_id),"
    "  prompt_id = coalesce(u.prompt_id, excluded.prompt_id),"
    "  model = coalesce(u.model, excluded.model),"
    "  ts_ns = least(u.ts_ns, excluded.ts_ns)"
    " WHERE u.machine_id = excluded.machine_id AND (excluded.input_tokens > u.input_tokens"
    "  OR excluded.output_tokens > u.output_tokens"
    "  OR excluded.cache_creation_input_tokens > u.cache_creation_input_tokens"
    "  OR excluded.cache_read_input_tokens > u.cache_read_input_tokens"
    "  OR (u.session_id IS NULL AND excluded.session_id IS NOT NULL)"
    "  OR (u.agent_id IS NULL AND excluded.agent_id IS NOT NULL)"
    "  OR (u.prompt_id IS NULL AND excluded.prompt_id IS NOT NULL)"
    "  OR (u.model IS NULL AND excluded.model IS NOT NULL)"
    "  OR excluded.ts_ns < u.ts_ns OR (u.ts_ns IS NULL AND excluded.ts_ns IS NOT NULL))";

static const char stats_sql[] =
    "INSERT INTO chronicle.machine_stats AS m (machine_id, name, label, value, updated_ns)"
    " SELECT $1, n, l, v, $5 FROM unnest($2::text[], $3::text[], $4::bigint[]) AS x(n, l, v)"
    " ON CONFLICT (machine_id, name, label) DO UPDATE SET value = excluded.value,"
    "  updated_ns = excluded.updated_ns";

/* session_sync.h: the local state columns over PostgreSQL's, for the rows
 * that differ (this machine's only: row-level security lets the machine
 * role update no other). */
static const char sessions_sql[] =
    "UPDATE chronicle.sessions AS t SET state = x.st, awaiting_reason = x.ar,"
    " state_since_ns = x.ss, state_detail = x.sd, title = x.ti, title_source = x.ts,"
    " end_reason = x.er, ended_ns = x.en"
    " FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[],"
    " $8::text[], $9::text[], $10::bigint[]) AS x(s, st, ar, ss, sd, ti, ts, er, en)"
    " WHERE t.machine_id = $1 AND t.session_id = x.s AND x.st IS NOT NULL"
    " AND (t.state, t.awaiting_reason, t.state_since_ns, t.state_detail, t.title, t.title_source,"
    "  t.end_reason, t.ended_ns)"
    " IS DISTINCT FROM (x.st, x.ar, x.ss, x.sd, x.ti, x.ts, x.er, x.en)";

static const char cursor_sql[] =
    "SELECT last_local_id, encode(uuid_send(last_event_uid), 'hex') FROM chronicle.ship_cursors"
    " WHERE machine_id = $1";

void shipper_fail(struct shipper *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->state.last_error, sizeof s->state.last_error, fmt, ap);
    va_end(ap);
    s->state.last_error_ns = clock_wall_ns();
    s->state.errors_total++;
    log_msg(TAG, LOG_LEVEL_ERROR, "%s", s->state.last_error);
}

int shipper_init(struct shipper *s, const struct chronicle_config *cfg, int stop_fd, char *err,
                 size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    s->stop_fd = stop_fd;
    s->batch_max = cfg->batch_max > 0 ? cfg->batch_max * 4 : 4096;
    s->batch_bytes = 8u << 20;
    s->timeout_ns = 120 * NS_PER_S;
    s->limit = s->batch_max;
    s->usage.shipped_version = -1;
    if (pg_link_describe(cfg->ship_to, s->target, sizeof s->target, err, errlen) != 0 ||
        machine_id_get(cfg->home, 1, s->machine_id, err, errlen) != 0)
        return -1;
    if (uuid_parse16(s->machine_id, s->machine) != 0) {
        snprintf(err, errlen, "bad machine id %s", s->machine_id);
        return -1;
    }
    if (gethostname(s->host, sizeof s->host) != 0)
        snprintf(s->host, sizeof s->host, "unknown");
    s->host[sizeof s->host - 1] = '\0';
    struct passwd *pw = getpwuid(geteuid());
    snprintf(s->user, sizeof s->user, "%s", pw ? pw->pw_name : "unknown");
    s->state.pid = getpid();
    snprintf(s->state.target, sizeof s->state.target, "%s", s->target);
    snprintf(s->state.machine_id, sizeof s->state.machine_id, "%s", s->machine_id);
    snprintf(s->state.phase, sizeof s->state.phase, "connecting");
    struct ship_cursor cur;
    char ignored[256];
    if (ship_cursor_read(cfg->home, &cur, ignored, sizeof ignored) == 0) {
        s->cursor = cur.last_id; /* until PostgreSQL says otherwise: for status only */
        memcpy(s->cursor_uid, cur.last_uid, 16);
        s->usage_synced_ns = cur.usage_synced_ns;
    }
    s->state.shipped_id = s->cursor;
    return 0;
}

void shipper_disconnect(struct shipper *s)
{
    PQfinish(s->pg);
    s->pg = NULL;
}

void shipper_close(struct shipper *s)
{
    shipper_disconnect(s);
    local_db_close(s->local);
    s->local = NULL;
    ship_batch_free(&s->batch);
    event_params_free(&s->params);
    usage_sync_free(&s->usage);
    session_sync_free(&s->sessions);
}

int shipper_open_local(struct shipper *s)
{
    if (s->local != NULL)
        return 0;
    char err[512];
    s->local = local_db_open(s->cfg->db_path, err, sizeof err);
    if (s->local == NULL) {
        snprintf(s->state.last_error, sizeof s->state.last_error, "waiting for the local "
                 "database: %s", err);
        return -1;
    }
    return 0;
}

/* ---- connecting --------------------------------------------------------- */

static PGresult *exec(struct shipper *s, const char *stmt, int n, const char *const *values,
                      const int *lengths, char *err, size_t errlen)
{
    int timed_out;
    return pg_link_exec(s->pg, stmt, n, values, lengths, clock_mono_ns() + s->timeout_ns,
                        s->stop_fd, &timed_out, err, errlen);
}

/* The schema at this build's version or a compatible newer one: created or
 * migrated when this role may, else the error says who must. */
static int settle_schema(struct shipper *s)
{
    char err[512];
    int v, compat, applied;
    if (pg_schema_version(s->pg, &v, &compat, err, sizeof err) != 0) {
        shipper_fail(s, "%s", err);
        return -1;
    }
    if (v < pg_schema_latest()) {
        if (pg_schema_migrate(s->pg, &applied, err, sizeof err) != 0) {
            shipper_fail(s, "the team schema is %s (this chronicle-ship writes version %d) and "
                         "this role cannot %s it: %s; run `chronicle team init URL` as its owner",
                         v ? "older" : "missing", pg_schema_latest(), v ? "migrate" : "create", err);
            return -1;
        }
        if (applied)
            log_msg(TAG, LOG_LEVEL_INFO, "team schema brought to version %d (%d migration(s))",
                    pg_schema_latest(), applied);
        return 0;
    }
    if (compat > pg_schema_latest()) {
        shipper_fail(s, "the team schema (version %d) needs chronicle-ship of schema %d or later; "
                     "this one writes %d: upgrade Chronicle on this machine", v, compat,
                     pg_schema_latest());
        return -1;
    }
    return 0;
}

static int prepare(struct shipper *s, const char *name, const char *sql, int n,
                   const unsigned *types)
{
    PGresult *r = PQprepare(s->pg, name, sql, n, types);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) {
        char err[512];
        pg_link_error(s->pg, r, err, sizeof err);
        shipper_fail(s, "preparing %s: %s", name, err);
    }
    PQclear(r);
    return ok ? 0 : -1;
}

/* chronicle.machines has this machine: an owner registers it; a machine
 * role must have been registered by an administrator (pg_schema.c). */
static int register_machine(struct shipper *s)
{
    const char *v[] = {s->machine_id, s->host, s->user};
    PGresult *r = PQexecParams(s->pg, "SELECT 1 FROM chronicle.machines WHERE machine_id = $1",
                               1, NULL, v, NULL, NULL, 0);
    char err[512];
    int found = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        pg_link_error(s->pg, r, err, sizeof err);
        shipper_fail(s, "reading chronicle.machines: %s", err);
        PQclear(r);
        return -1;
    }
    PQclear(r);
    if (found)
        return 0;
    r = PQexecParams(s->pg, "INSERT INTO chronicle.machines (machine_id, hostname, username)"
                            " VALUES ($1, $2, $3) ON CONFLICT (machine_id) DO NOTHING",
                     3, NULL, v, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) {
        pg_link_error(s->pg, r, err, sizeof err);
        shipper_fail(s, "this machine (id %s) is not registered for the role %s in "
                     "chronicle.machines (%s): run the SQL `chronicle team init` prints, as an "
                     "administrator", s->machine_id, PQuser(s->pg), err);
    } else {
        log_msg(TAG, LOG_LEVEL_INFO, "registered this machine (%s, %s) in chronicle.machines",
                s->machine_id, s->host);
    }
    PQclear(r);
    return ok ? 0 : -1;
}

static int hex_uid(const char *hex, unsigned char out[16])
{
    if (strlen(hex) != 32)
        return -1;
    for (int i = 0; i < 16; i++) {
        unsigned x;
        if (sscanf(hex + 2 * i, "%2x", &x) != 1)
            return -1;
        out[i] = (unsigned char)x;
    }
    return 0;
}

/* Where to resume: PostgreSQL's cursor when the local database still has
 * the event it names, else from the start (see shipper.h). */
static int settle_cursor(struct shipper *s)
{
    char err[512];
    const char *v[] = {(const char *)s->machine};
    int len[] = {16}, fmt[] = {1};
    PGresult *r = PQexecParams(s->pg, cursor_sql, 1, (const Oid[]){PG_OID_UUID}, v, len, fmt, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        pg_link_error(s->pg, r, err, sizeof err);
        shipper_fail(s, "reading this machine's cursor: %s", err);
        PQclear(r);
        return -1;
    }
    int64_t was = s->cursor, pg_id = 0;
    unsigned char pg_uid[16] = {0}, here[16];
    int have = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0);
    if (have) {
        pg_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        have = PQgetisnull(r, 0, 1) || hex_uid(PQgetvalue(r, 0, 1), pg_uid) == 0;
    }
    PQclear(r);
    int found = have ? local_db_uid_at(s->local, pg_id, here, err, sizeof err) : 0;
    if (found < 0) {
        shipper_fail(s, "%s", err);
        return -1;
    }
    if (!have) {
        if (was > 0)
            log_msg(TAG, LOG_LEVEL_WARN, "PostgreSQL has no cursor for this machine (a new or reset "
                    "team database?): shipping every local event again");
        s->cursor = 0;
    } else if (found && memcmp(here, pg_uid, 16) == 0) {
        if (was > pg_id)
            log_msg(TAG, LOG_LEVEL_WARN, "PostgreSQL's cursor (%lld) is behind ship.cursor (%lld): it "
                    "lost commits (restored or failed over?); resending from %lld",
                    (long long)pg_id, (long long)was, (long long)pg_id);
        s->cursor = pg_id;
    } else {
        log_msg(TAG, LOG_LEVEL_WARN, "PostgreSQL's cursor names local event %lld, which this database "
                "%s: shipping every local event again (those already there are skipped)",
                (long long)pg_id, found ? "holds with another id (a new database?)" : "does not have");
        s->cursor = 0;
    }
    if (s->cursor != was || !have)
        usage_sync_forget(&s->usage); /* another database, or it lost rows */
    memcpy(s->cursor_uid, have && s->cursor ? pg_uid : (unsigned char[16]){0}, 16);
    s->cursor_dirty = 1;
    return 0;
}

int shipper_connect(struct shipper *s)
{
    char err[512];
    snprintf(s->state.phase, sizeof s->state.phase, "connecting");
    s->pg = pg_link_connect(s->cfg->ship_to, 10, err, sizeof err);
    if (s->pg == NULL) {
        shipper_fail(s, "%s: %s", s->target, err);
        return -1;
    }
    if (settle_schema(s) != 0 || register_machine(s) != 0 ||
        prepare(s, "ship_events", event_params_sql, EVENT_PARAMS, event_params_types) != 0 ||
        prepare(s, "ship_usage", usage_sql, 12,
                (const unsigned[]){PG_OID_UUID, PG_OID_TEXT_ARRAY, PG_OID_TEXT_ARRAY,
                                   PG_OID_TEXT_ARRAY, PG_OID_TEXT_ARRAY, PG_OID_TEXT_ARRAY,
                                   PG_OID_TEXT_ARRAY, PG_OID_INT8_ARRAY, PG_OID_INT8_ARRAY,
                                   PG_OID_INT8_ARRAY, PG_OID_INT8_ARRAY, PG_OID_INT8_ARRAY}) != 0 ||
        prepare(s, "ship_sessions", sessions_sql, 10,
                (const unsigned[]){PG_OID_UUID, PG_OID_TEXT_ARRAY, PG_OID_TEXT_ARRAY,
                                   PG_OID_TEXT_ARRAY, PG_OID_INT8_ARRAY, PG_OID_TEXT_ARRAY,
                                   PG_OID_TEXT_ARRAY, PG_OID_TEXT_ARRAY, PG_OID_TEXT_ARRAY,
                                   PG_OID_INT8_ARRAY}) != 0 ||
        prepare(s, "ship_stats", stats_sql, 5,
                (const unsigned[]){PG_OID_UUID, PG_OID_TEXT_ARRAY, PG_OID_TEXT_ARRAY,
                                   PG_OID_INT8_ARRAY, PG_OID_INT8}) != 0 ||
        settle_cursor(s) != 0) {
        shipper_disconnect(s);
        return -1;
    }
    log_msg(TAG, LOG_LEVEL_INFO, "connected to %s as %s; shipping local events after id %lld",
            s->target, PQuser(s->pg), (long long)s->cursor);
    s->limit = s->batch_max;
    s->degrade = 0;
    s->stats_hash = 0;
    session_sync_forget(&s->sessions); /* maybe another database: send every session once */
    s->sessions_checked_mono = 0;
    snprintf(s->state.phase, sizeof s->state.phase, "shipping");
    return 0;
}

/* ---- shipping ------------------------------------------------------------ */

/* A failed statement: split on data, else drop the connection. */
static enum ship_step failed(struct shipper *s, PGresult *r, const char *what, size_t n,
                             const char *err)
{
    enum pg_failure f = pg_link_classify(s->pg, r);
    char msg[512];
    if (r != NULL)
        pg_link_error(s->pg, r, msg, sizeof msg);
    else
        snprintf(msg, sizeof msg, "%s", err);
    PQclear(r);
    if (f == PGF_DATA && n > 0) {
        if (n > 1) {
            s->limit = (long)(n / 2);
        } else if (s->degrade < 2) {
            s->degrade++;
        } else {
            shipper_fail(s, "local event %lld is refused by PostgreSQL even as bytes: %s",
                         (long long)s->batch.rows[0].local_id, msg);
            shipper_disconnect(s);
            return STEP_FAILED;
        }
        log_msg(TAG, LOG_LEVEL_WARN, "PostgreSQL refused a value in a batch of %zu (%s): %s", n, msg,
                n > 1 ? "splitting it" : "sending that payload as text/bytes");
        return STEP_WORKED;
    }
    shipper_fail(s, "%s: %s", what, msg);
    shipper_disconnect(s);
    return STEP_FAILED;
}

static void shipped(struct shipper *s, size_t n, int64_t inserted)
{
    const struct ship_row *last = &s->batch.rows[n - 1];
    int64_t now = clock_wall_ns();
    for (size_t i = 0; i < n; i++) {
        const struct ship_row *row = &s->batch.rows[i];
        lag_hist_add(&s->lag, (now - row->stored_ns) / 1000);
        if (row->off[SC_SESSION_ID]) /* ship_events may have rewritten its state */
            session_sync_touch(&s->sessions, s->batch.arena.data + row->off[SC_SESSION_ID] - 1,
                               row->len[SC_SESSION_ID]);
    }
    s->cursor = last->local_id;
    memcpy(s->cursor_uid, last->event_uid, 16);
    s->cursor_dirty = 1;
    s->state.events_total += inserted;
    s->state.duplicates_total += (int64_t)n - inserted;
    s->state.batches_total++;
    s->state.payload_text_total += s->params.payload_text;
    s->state.last_commit_ns = now;
    s->state.shipped_id = s->cursor;
    if (s->degrade)
        log_msg(TAG, LOG_LEVEL_WARN, "local event %lld shipped with its payload as %s",
                (long long)last->local_id, s->degrade == 1 ? "text" : "bytes");
    s->degrade = 0;
    if (s->limit < s->batch_max)
        s->limit = s->limit * 2 < s->batch_max ? s->limit * 2 : s->batch_max;
}

/* One batch of events: 1 shipped, 0 nothing to ship, or a failure step. */
static int ship_events(struct shipper *s, enum ship_step *step)
{
    char err[512];
    ship_batch_reset(&s->batch);
    long n = local_db_read_events(s->local, s->cursor, s->limit, s->batch_bytes, &s->batch, err,
                                  sizeof err);
    if (n < 0) {
        shipper_fail(s, "%s", err);
        local_db_close(s->local);
        s->local = NULL;
        *step = STEP_FAILED;
        return -1;
    }
    if (n == 0)
        return 0;
    if (event_params_build(&s->params, s->machine, s->host, s->user, &s->batch, (size_t)n,
                           s->degrade) != 0) {
        shipper_fail(s, "out of memory");
        *step = STEP_FAILED;
        return -1;
    }
    PGresult *r = exec(s, "ship_events", EVENT_PARAMS, s->params.values, s->params.lengths, err,
                       sizeof err);
    if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
        *step = failed(s, r, "shipping events", (size_t)n, err);
        return -1;
    }
    int64_t inserted = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    shipped(s, (size_t)n, inserted);
    *step = STEP_WORKED;
    return 1;
}

/* One page of changed usage rows, when a walk is due or under way. */
static int ship_usage(struct shipper *s, enum ship_step *step)
{
    struct usage_sync *u = &s->usage;
    char err[512];
    if (!u->walking) {
        int64_t now = clock_mono_ns(), version;
        if (s->usage_checked_mono != 0 && now - s->usage_checked_mono < USAGE_EVERY_NS)
            return 0;
        s->usage_checked_mono = now;
        if (local_db_usage_version(s->local, &version, err, sizeof err) != 0 ||
            version == u->shipped_version)
            return 0;
        u->walking = 1;
        u->walk_version = version;
        u->walk_started_ns = clock_wall_ns();
    }
    long n = usage_sync_page(u, s->local, err, sizeof err);
    if (n < 0) {
        shipper_fail(s, "%s", err);
        u->walking = 0;
        return 0;
    }
    if (u->page.n > 0) {
        const char *v[12];
        int len[12];
        v[0] = (const char *)s->machine;
        len[0] = 16;
        for (int i = 0; i < USAGE_COLS; i++) {
            v[1 + i] = u->col[i].b.data;
            len[1 + i] = (int)u->col[i].b.len;
        }
        PGresult *r = exec(s, "ship_usage", 12, v, len, err, sizeof err);
        if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) {
            *step = failed(s, r, "shipping usage", 0, err);
            u->walking = 0;
            return -1;
        }
        PQclear(r);
        s->state.usage_rows_total += (int64_t)u->page.n;
        usage_sync_committed(u);
    }
    if (n == 0) {
        usage_sync_walk_done(u);
        u->shipped_version = u->walk_version;
        s->usage_synced_ns = u->walk_started_ns;
        s->cursor_dirty = 1;
    }
    *step = STEP_WORKED;
    return 1;
}

/* The changed session state columns, every second (session_sync.h). */
static int ship_sessions(struct shipper *s, int caught_up, enum ship_step *step)
{
    struct session_sync *u = &s->sessions;
    char err[512];
    int64_t now = clock_mono_ns();
    if (!(caught_up && u->dirty) && s->sessions_checked_mono != 0 &&
        now - s->sessions_checked_mono < SESSIONS_EVERY_NS)
        return 0;
    s->sessions_checked_mono = now;
    long n = session_sync_page(u, s->local, err, sizeof err);
    if (n < 0) {
        shipper_fail(s, "%s", err);
        return 0;
    }
    if (n == 0)
        return 0;
    const char *v[1 + SESSION_COLS];
    int len[1 + SESSION_COLS];
    v[0] = (const char *)s->machine;
    len[0] = 16;
    for (int i = 0; i < SESSION_COLS; i++) {
        v[1 + i] = u->col[i].b.data;
        len[1 + i] = (int)u->col[i].b.len;
    }
    PGresult *r = exec(s, "ship_sessions", 1 + SESSION_COLS, v, len, err, sizeof err);
    if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) {
        *step = failed(s, r, "shipping session state", 0, err);
        return -1;
    }
    PQclear(r);
    session_sync_committed(u);
    if (n == SESSION_PAGE)
        s->sessions_checked_mono = 0; /* more may be waiting */
    *step = STEP_WORKED;
    return 1;
}

/* The collector's counters and the shipper's own, every 10 s when changed. */
struct stats_page {
    struct pg_array name, label, value;
    uint64_t hash;
};

static int add_stat(const char *name, const char *label, int64_t value, void *ctx)
{
    struct stats_page *p = ctx;
    pg_array_add_text(&p->name, name);
    pg_array_add_text(&p->label, label);
    pg_array_add_i64(&p->value, value);
    for (const char *c = name; *c; c++)
        p->hash = (p->hash ^ (unsigned char)*c) * 1099511628211ULL;
    for (const char *c = label; *c; c++)
        p->hash = (p->hash ^ (unsigned char)*c) * 1099511628211ULL;
    p->hash = (p->hash ^ (uint64_t)value) * 1099511628211ULL;
    return 0;
}

static int ship_stats(struct shipper *s, enum ship_step *step)
{
    int64_t now = clock_mono_ns();
    if (now - s->stats_sent_mono < STATS_EVERY_NS)
        return 0;
    s->stats_sent_mono = now;
    struct stats_page p = {.hash = 1469598103934665603ULL};
    pg_array_reset(&p.name, PG_OID_TEXT);
    pg_array_reset(&p.label, PG_OID_TEXT);
    pg_array_reset(&p.value, PG_OID_INT8);
    char err[512];
    int rc = local_db_scan_stats(s->local, add_stat, &p, err, sizeof err);
    add_stat("ship_events_total", "", s->state.events_total, &p);
    add_stat("ship_batches_total", "", s->state.batches_total, &p);
    add_stat("ship_payload_text_total", "", s->state.payload_text_total, &p);
    add_stat("ship_cursor", "", s->cursor, &p);
    int done = 0;
    if (rc == 0 && p.hash != s->stats_hash && pg_array_finish(&p.name) == 0 &&
        pg_array_finish(&p.label) == 0 && pg_array_finish(&p.value) == 0) {
        unsigned char when[8];
        pg_put_i64(when, clock_wall_ns());
        const char *v[] = {(const char *)s->machine, p.name.b.data, p.label.b.data,
                           p.value.b.data, (const char *)when};
        int len[] = {16, (int)p.name.b.len, (int)p.label.b.len, (int)p.value.b.len, 8};
        PGresult *r = exec(s, "ship_stats", 5, v, len, err, sizeof err);
        if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) {
            *step = failed(s, r, "shipping counters", 0, err);
            done = -1;
        } else {
            PQclear(r);
            s->stats_hash = p.hash;
            *step = STEP_WORKED;
            done = 1;
        }
    }
    pg_array_free(&p.name);
    pg_array_free(&p.label);
    pg_array_free(&p.value);
    return done;
}

enum ship_step shipper_step(struct shipper *s)
{
    /* A batch of events, then a page of usage rows and the counters when
     * due: usage and counters keep moving under a flood of events. */
    enum ship_step step = STEP_IDLE;
    int worked = 0, rc;
    if ((rc = ship_events(s, &step)) < 0)
        return step;
    worked |= rc;
    int caught_up = rc == 0;
    if ((rc = ship_usage(s, &step)) < 0)
        return step;
    worked |= rc;
    if ((rc = ship_sessions(s, caught_up, &step)) < 0)
        return step;
    worked |= rc;
    if ((rc = ship_stats(s, &step)) < 0)
        return step;
    worked |= rc;
    return worked ? STEP_WORKED : STEP_IDLE;
}

/* ---- reporting ----------------------------------------------------------- */

void shipper_report(struct shipper *s, int force)
{
    char err[512];
    int64_t now = clock_mono_ns();
    if (s->cursor_dirty && (force || now - s->cursor_written_mono >= CURSOR_EVERY_NS)) {
        struct ship_cursor c = {.last_id = s->cursor, .usage_synced_ns = s->usage_synced_ns};
        memcpy(c.last_uid, s->cursor_uid, 16);
        if (ship_cursor_write(s->cfg->home, &c, err, sizeof err) == 0)
            s->cursor_dirty = 0;
        else
            log_msg(TAG, LOG_LEVEL_WARN, "%s", err);
        s->cursor_written_mono = now;
    }
    int64_t max_id = 0, oldest = 0;
    if (s->local && local_db_progress(s->local, s->cursor, &max_id, &oldest, err, sizeof err) == 0) {
        s->state.local_max_id = max_id;
        s->state.lag_events = max_id > s->cursor ? max_id - s->cursor : 0;
        s->state.lag_ns = oldest > 0 ? clock_wall_ns() - oldest : 0;
    }
    s->state.shipped_id = s->cursor;
    s->state.lag_p50_us = lag_hist_quantile(&s->lag, 0.50);
    s->state.lag_p99_us = lag_hist_quantile(&s->lag, 0.99);
    s->state.updated_ns = clock_wall_ns();
    if (ship_state_write(s->cfg->home, &s->state, err, sizeof err) != 0)
        log_msg(TAG, LOG_LEVEL_WARN, "%s", err);
}
