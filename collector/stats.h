/*
 * stats.h - the collector's own counters, persisted in the collector_stats
 * table so that chronicle-server (another process) can export them.
 *
 * A counter is (name, label) -> int64.  Labels carry the event type or a
 * reject reason; since event types come from outside, each name keeps at
 * most STATS_MAX_LABELS distinct labels and folds the rest into "other".
 * Changed counters are marked dirty and written by stats_flush() inside the
 * next transaction, so the table is always consistent with the events it
 * describes.  The struct and its table are owned by the collector context.
 * The event loop and the writer thread both count: every function here
 * takes the struct's mutex, so callers never lock.
 */
#ifndef CHRONICLE_STATS_H
#define CHRONICLE_STATS_H

#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#define STATS_MAX_LABELS 64
#define STATS_SLOTS 1024 /* power of two, comfortably above names x labels */

struct stat_slot {
    char name[48];
    char label[72];
    int64_t value;
    int used, dirty;
};

struct stats {
    pthread_mutex_t mu;
    struct stat_slot slot[STATS_SLOTS];
    size_t count;
};

void stats_init(struct stats *s);
void stats_add(struct stats *s, const char *name, const char *label, int64_t delta);
void stats_set(struct stats *s, const char *name, const char *label, int64_t value);
int64_t stats_get(const struct stats *s, const char *name, const char *label);

/* Records one batch latency (microseconds) into the histogram counters
 * batch_latency_us_bucket{le}, _sum and _count. */
void stats_observe_batch_us(struct stats *s, int64_t us);

/* Loads persisted values (so counters survive restarts).  SQLite code. */
int stats_load(struct stats *s, sqlite3 *db);

/* Writes dirty counters with upsert_stmt ("INSERT ... (name,label,value)
 * ON CONFLICT DO UPDATE").  Clears dirty flags only on success.  SQLite code. */
int stats_flush(struct stats *s, sqlite3_stmt *upsert_stmt);

/* 1 when some counter changed since the last flush. */
int stats_has_dirty(struct stats *s);

/* After a rolled-back transaction: everything must be written again. */
void stats_mark_all_dirty(struct stats *s);

#endif
