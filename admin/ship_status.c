/* ship_status.c - the "shipping" lines of `chronicle status` (team mode). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "chronicle/clock.h"
#include "chronicle/config.h"
#include "chronicle/ship_file.h"
#include "db_reader.h"

static void when(int64_t ns, char *out, size_t cap)
{
    if (ns <= 0) {
        snprintf(out, cap, "never");
        return;
    }
    time_t t = (time_t)(ns / NS_PER_S);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Unshipped events the size cap deleted (retention.c), and the local lag
 * from ship.cursor, read from the database itself: right even when
 * chronicle-ship is not running. */
static void local_figures(const struct chronicle_config *cfg, int64_t cursor, long long *lost,
                          long long *lag)
{
    sqlite3 *db;
    char err[256];
    *lost = *lag = -1;
    if (db_reader_open(cfg->db_path, &db, err, sizeof err) != 0)
        return;
    if (db_reader_int(db, "SELECT coalesce(sum(value), 0) FROM collector_stats"
                          " WHERE name = 'events_deleted_unshipped_total'", 0, lost) != 0)
        *lost = -1;
    if (db_reader_int(db, "SELECT count(*) FROM events WHERE id > ?1", cursor, lag) != 0)
        *lag = -1;
    sqlite3_close(db);
}

void admin_show_shipping(const struct chronicle_config *cfg)
{
    char target[sizeof cfg->ship_to], a[32], err[512];
    if (cfg->ship_to[0] == '\0') {
        printf("shipping   off     (ship_to not set; docs/TEAM.md)\n");
        return;
    }
    config_mask_conninfo(cfg->ship_to, target, sizeof target);
    struct ship_state st;
    struct ship_cursor cur;
    int have_state = ship_state_read(cfg->home, &st, err, sizeof err) == 0;
    int have_cursor = ship_cursor_read(cfg->home, &cur, err, sizeof err) == 0;
    long long lost, lag;
    local_figures(cfg, have_cursor ? cur.last_id : 0, &lost, &lag);
    if (!have_state) {
        printf("shipping   NOT RUNNING  to %s: chronicle-ship has never run here\n", target);
        printf("           start it: systemctl --user enable --now chronicle-ship.service "
               "(or run chronicle-ship)\n");
    } else {
        int64_t age = clock_wall_ns() - st.updated_ns;
        int stale = age > 30 * NS_PER_S && strcmp(st.phase, "stopped") != 0;
        printf("shipping   %s  to %s (machine %s)\n", stale ? "STALE" : st.phase, st.target,
               st.machine_id);
        when(st.last_commit_ns, a, sizeof a);
        printf("           shipped up to local event %lld, last commit %s; lag %lld event(s), "
               "%.1f s; %lld shipped by pid %lld (p50 %.0f ms, p99 %.0f ms)\n",
               (long long)st.shipped_id, a, lag >= 0 ? lag : (long long)st.lag_events,
               (double)st.lag_ns / 1e9, (long long)st.events_total, (long long)st.pid,
               (double)st.lag_p50_us / 1e3, (double)st.lag_p99_us / 1e3);
        if (stale)
            printf("           WARNING: ship.state is %.0f s old: is chronicle-ship running?\n",
                   (double)age / 1e9);
        if (st.last_error[0]) {
            when(st.last_error_ns, a, sizeof a);
            printf("           last error (%s): %s\n", a, st.last_error);
        }
        if (st.payload_text_total > 0)
            printf("           %lld payload(s) stored as text (jsonb refused them)\n",
                   (long long)st.payload_text_total);
    }
    if (!have_cursor)
        printf("           no ship.cursor yet: retention deletes nothing by age until events "
               "are shipped\n");
    if (lost > 0)
        printf("           WARNING: %lld unshipped event(s) deleted because the database is over "
               "CHRONICLE_RETENTION_MAX_MB (lost for the team database)\n", lost);
}
