/*
 * team_feed.c - the live feed's source in team mode: polls PostgreSQL for
 * events with id > the feed's cursor and hands them to live_feed.c, which
 * owns the subscribers (their cursors, filters, caps and gaps).
 *
 * Why polling, not LISTEN/NOTIFY: the cursor is the team-wide
 * chronicle.events.id, allocated in commit order (every shipper's batch
 * takes one advisory lock in ship_events), so "id > last" reads every
 * committed event exactly once however many machines ship, and a poll of
 * the primary key every FEED_POLL_MS (team_route.c) costs one index probe
 * when nothing is new.  NOTIFY would need the shipper's function to change
 * and would still need this query to read the rows; its only gain, a lower
 * latency than the poll period, is measured against the poll in
 * docs/PERFORMANCE.md.  A restarted team server or a reconnect goes on from
 * the cursor, and a client resuming with ?after=<id> is replayed from it:
 * no gap, no double.
 */
#include "team.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chronicle/log.h"
#include "row_json.h"
#include "ws_conn.h"
#include "ws_message.h"

/* {"type":"event","data":{...}} framed once for every subscriber. */
static unsigned char *event_frame(const PGresult *r, int row, size_t *flen)
{
    struct buf msg = BUF_INIT;
    struct row_src src;
    row_src_pg(&src, r, row);
    unsigned char *frame = NULL;
    if (buf_append_str(&msg, "{\"type\":\"event\",\"data\":") == 0 &&
        event_text_src(&msg, &src, 0) == 0 &&
        team_event_extra_text(&msg, r, row, TEAM_EVENT_BRIEF_N, 0) == 0 &&
        buf_append(&msg, "}", 1) == 0)
        frame = ws_frame_text(msg.data, msg.len, flen);
    buf_free(&msg);
    return frame;
}

static PGresult *events_after(struct team *t, int64_t after, int64_t upto, long limit)
{
    char a[24], u[24], l[24];
    snprintf(a, sizeof a, "%lld", (long long)after);
    snprintf(u, sizeof u, "%lld", (long long)upto);
    snprintf(l, sizeof l, "%ld", limit);
    const char *const vals[3] = {a, u, l};
    int unavailable;
    char err[400];
    PGresult *r = pg_db_query(&t->db, "SELECT " TEAM_EVENT_COLUMNS TEAM_EVENT_EXTRA
                                      " FROM chronicle.events WHERE id > $1 AND id <= $2"
                                      " ORDER BY id LIMIT $3", 3, vals, &unavailable, err,
                              sizeof err);
    if (r == NULL)
        log_msg(SERVER_TAG, LOG_LEVEL_WARN, "team live feed: %s", err);
    return r;
}

static void fan_out_sessions(struct team *t)
{
    char a[24];
    snprintf(a, sizeof a, "%lld", (long long)t->feed_last_session_eid);
    const char *const vals[1] = {a};
    int unavailable;
    char err[400];
    PGresult *r = pg_db_query(&t->db, "SELECT " TEAM_SESSION_COLUMNS " FROM chronicle.sessions"
                                      " WHERE last_event_id > $1 ORDER BY last_event_id LIMIT 1000",
                              1, vals, &unavailable, err, sizeof err);
    if (r == NULL) {
        log_msg(SERVER_TAG, LOG_LEVEL_WARN, "team live feed (sessions): %s", err);
        return;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        int64_t eid = strtoll(PQgetvalue(r, i, 12), NULL, 10);
        t->feed_last_session_eid = eid;
        if (!live_feed_has_subscribers(t->srv->feed))
            continue;
        json_t *s = team_session_json(t, r, i);
        json_t *m = s ? json_pack("{s:s,s:o}", "type", "session", "data", s) : NULL;
        char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
        json_decref(m);
        if (text != NULL)
            live_feed_publish_session(t->srv->feed, eid, PQgetvalue(r, i, 0), text, strlen(text));
        free(text);
    }
    PQclear(r);
}

void team_feed_poll(struct team *t)
{
    struct live_feed *f = t->srv->feed;
    if (f == NULL || !t->feed_ready || t->db.state != PG_DB_UP)
        return;
    t->feed_polls++;
    t->srv->metrics.db_poll_total++;
    /* Batch by batch within this call, the sockets written between: the
     * poll timer's next turn takes the rest of a large backlog. */
    long limit = live_feed_has_subscribers(f) ? live_feed_batch_rows(f) : 1000;
    PGresult *r = events_after(t, live_feed_last_id(f), INT64_MAX, limit);
    if (r == NULL)
        return;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        int64_t id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        if (!live_feed_has_subscribers(f)) {
            live_feed_set_last_id(f, id); /* nobody listens: only advance */
            continue;
        }
        size_t flen = 0;
        unsigned char *frame = event_frame(r, i, &flen);
        if (frame == NULL) {
            log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "out of memory serializing event %lld",
                    (long long)id);
            live_feed_set_last_id(f, id);
            continue;
        }
        live_feed_publish_event(f, id, PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), frame, flen);
        free(frame);
    }
    PQclear(r);
    t->feed_rows += (uint64_t)n;
    if (n > 0)
        t->srv->metrics.db_poll_changed++;
    if (n < limit) { /* caught up: the sessions those events changed, and alerts */
        fan_out_sessions(t);
        team_alerts_poll(t);
    }
    live_feed_flush(f);
}

int team_feed_replay(struct team *t, struct subscriber *c, int64_t after, int64_t upto, long max)
{
    PGresult *r = events_after(t, after, upto, max + 1);
    if (r == NULL)
        return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        int64_t id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        if (i == max) {
            char msg[200];
            int len = snprintf(msg, sizeof msg, "{\"type\":\"gap\",\"data\":{\"from\":%lld,"
                               "\"to\":%lld,\"reason\":\"replay_limit\"}}", (long long)id,
                               (long long)upto);
            if (len > 0 && (size_t)len < sizeof msg)
                live_feed_send_to(c, msg, (size_t)len);
            break;
        }
        size_t flen = 0;
        unsigned char *frame = event_frame(r, i, &flen);
        if (frame == NULL) {
            PQclear(r);
            return -1;
        }
        live_feed_deliver_to(c, id, PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), frame, flen);
        free(frame);
    }
    PQclear(r);
    return 0;
}
