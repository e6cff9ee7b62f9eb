/* stats.c - open-addressed table of counters.  See stats.h. */
#include "stats.h"

#include <stdio.h>
#include <string.h>

static const int64_t latency_bounds_us[] = {100, 250, 500, 1000, 2500, 5000, 10000, 25000,
                                            50000, 100000, 250000, 1000000};

void stats_init(struct stats *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
}

#define LOCKED(s, body)                                                       \
    do {                                                                      \
        pthread_mutex_lock(&(s)->mu);                                         \
        body;                                                                 \
        pthread_mutex_unlock(&(s)->mu);                                       \
    } while (0)

static uint32_t hash2(const char *a, const char *b)
{
    uint32_t h = 2166136261u;
    for (; *a; a++)
        h = (h ^ (unsigned char)*a) * 16777619u;
    h = (h ^ 0xff) * 16777619u;
    for (; *b; b++)
        h = (h ^ (unsigned char)*b) * 16777619u;
    return h;
}

static size_t labels_of(const struct stats *s, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < STATS_SLOTS; i++)
        n += s->slot[i].used && strcmp(s->slot[i].name, name) == 0;
    return n;
}

static struct stat_slot *find(struct stats *s, const char *name, const char *label, int create)
{
    uint32_t h = hash2(name, label);
    for (size_t probe = 0; probe < STATS_SLOTS; probe++) {
        struct stat_slot *sl = &s->slot[(h + probe) & (STATS_SLOTS - 1)];
        if (!sl->used) {
            if (!create)
                return NULL;
            /* Cap outside-controlled label sets (rarely reached: new
             * labels only).  Leave room in the table for fixed names. */
            if (label[0] != '\0' && strcmp(label, "other") != 0 &&
                (labels_of(s, name) >= STATS_MAX_LABELS || s->count > STATS_SLOTS / 2))
                return find(s, name, "other", 1);
            snprintf(sl->name, sizeof sl->name, "%s", name);
            snprintf(sl->label, sizeof sl->label, "%s", label);
            sl->used = 1;
            s->count++;
            return sl;
        }
        if (strcmp(sl->name, name) == 0 && strcmp(sl->label, label) == 0)
            return sl;
    }
    return NULL;
}

static void add_unlocked(struct stats *s, const char *name, const char *label, int64_t delta)
{
    struct stat_slot *sl = find(s, name, label ? label : "", 1);
    if (sl != NULL && delta != 0) {
        sl->value += delta;
        sl->dirty = 1;
    }
}

void stats_add(struct stats *s, const char *name, const char *label, int64_t delta)
{
    LOCKED(s, add_unlocked(s, name, label, delta));
}

void stats_set(struct stats *s, const char *name, const char *label, int64_t value)
{
    pthread_mutex_lock(&s->mu);
    struct stat_slot *sl = find(s, name, label ? label : "", 1);
    if (sl != NULL && sl->value != value) {
        sl->value = value;
        sl->dirty = 1;
    }
    pthread_mutex_unlock(&s->mu);
}

int64_t stats_get(const struct stats *s, const char *name, const char *label)
{
    struct stats *m = (struct stats *)s;
    pthread_mutex_lock(&m->mu);
    struct stat_slot *sl = find(m, name, label ? label : "", 0);
    int64_t v = sl ? sl->value : 0;
    pthread_mutex_unlock(&m->mu);
    return v;
}

void stats_observe_batch_us(struct stats *s, int64_t us)
{
    char le[24];
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < sizeof latency_bounds_us / sizeof latency_bounds_us[0]; i++) {
        if (us <= latency_bounds_us[i]) {
            snprintf(le, sizeof le, "%lld", (long long)latency_bounds_us[i]);
            add_unlocked(s, "batch_latency_us_bucket", le, 1);
        }
    }
    add_unlocked(s, "batch_latency_us_bucket", "+Inf", 1);
    add_unlocked(s, "batch_latency_us_sum", "", us);
    add_unlocked(s, "batch_latency_us_count", "", 1);
    pthread_mutex_unlock(&s->mu);
}

int stats_load(struct stats *s, sqlite3 *db)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, "SELECT name, label, value FROM collector_stats", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    pthread_mutex_lock(&s->mu);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *label = (const char *)sqlite3_column_text(st, 1);
        struct stat_slot *sl = find(s, name ? name : "", label ? label : "", 1);
        if (sl != NULL)
            sl->value = sqlite3_column_int64(st, 2);
    }
    pthread_mutex_unlock(&s->mu);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int stats_flush(struct stats *s, sqlite3_stmt *up)
{
    /* Held across the upserts (a few dozen rows, microseconds) so that the
     * flushed values and the cleared dirty flags agree. */
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < STATS_SLOTS; i++) {
        struct stat_slot *sl = &s->slot[i];
        if (!sl->used || !sl->dirty)
            continue;
        sqlite3_bind_text(up, 1, sl->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(up, 2, sl->label, -1, SQLITE_STATIC);
        sqlite3_bind_int64(up, 3, sl->value);
        int rc = sqlite3_step(up);
        sqlite3_reset(up);
        if (rc != SQLITE_DONE) {
            pthread_mutex_unlock(&s->mu);
            return rc;
        }
    }
    for (size_t i = 0; i < STATS_SLOTS; i++)
        s->slot[i].dirty = 0;
    pthread_mutex_unlock(&s->mu);
    return SQLITE_OK;
}

void stats_mark_all_dirty(struct stats *s)
{
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < STATS_SLOTS; i++)
        s->slot[i].dirty = s->slot[i].used;
    pthread_mutex_unlock(&s->mu);
}

int stats_has_dirty(struct stats *s)
{
    int dirty = 0;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < STATS_SLOTS && !dirty; i++)
        dirty = s->slot[i].dirty;
    pthread_mutex_unlock(&s->mu);
    return dirty;
}
