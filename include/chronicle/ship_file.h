/*
 * ship_file.h - the two small files chronicle-ship leaves in CHRONICLE_HOME
 * for the other programs (docs/TEAM.md).
 *
 *   ship.cursor  the last local event id known to be committed in
 *                PostgreSQL (and that event's id), written after a COMMIT.
 *                The collector's retention never deletes an event above it;
 *                missing means "nothing is known to be shipped".
 *   ship.state   what `chronicle status` and the server's /metrics show:
 *                target (without password), lag, last error, counters.
 *
 * The authoritative cursor is this machine's row in PostgreSQL; ship.cursor
 * only ever lags behind it, which is the safe direction for retention.
 * Both files are "key=value" lines, written atomically (a temporary file,
 * then rename) with mode 0600 and never through a symbolic link.
 *
 * Plain data structs owned by the caller; nothing to free.
 */
#ifndef CHRONICLE_SHIP_FILE_H
#define CHRONICLE_SHIP_FILE_H

#include <stddef.h>
#include <stdint.h>

#define SHIP_CURSOR_NAME "ship.cursor"
#define SHIP_STATE_NAME "ship.state"
#define SHIP_UID_LEN 16

struct ship_cursor {
    int64_t last_id;                      /* local events.id; 0 = nothing shipped */
    unsigned char last_uid[SHIP_UID_LEN]; /* that event's event_uid (zeros when last_id = 0) */
    int64_t usage_synced_ns;              /* wall time of the last complete usage sync; 0 never */
    int64_t written_ns;                   /* when the file was written */
};

struct ship_state {
    int64_t pid;
    char target[512];          /* conninfo with the password masked */
    char machine_id[40];
    char phase[24];            /* connecting | shipping | idle | backoff | stopped */
    int64_t shipped_id;        /* = the cursor */
    int64_t local_max_id;      /* newest local event seen */
    int64_t lag_events;        /* local events above the cursor */
    int64_t lag_ns;            /* age of the oldest unshipped event; 0 when caught up */
    int64_t last_commit_ns;    /* wall time of the last PostgreSQL commit */
    int64_t events_total;      /* events inserted by this process */
    int64_t duplicates_total;  /* events PostgreSQL already had */
    int64_t batches_total;
    int64_t payload_text_total; /* payloads jsonb refused, stored as text */
    int64_t usage_rows_total;
    int64_t errors_total;
    int64_t lag_p50_us, lag_p99_us; /* local commit -> PostgreSQL commit, this process */
    char last_error[512];
    int64_t last_error_ns;
    int64_t updated_ns;
};

/*
 * Reads home/ship.cursor.  Returns 0 with *c filled, 1 when the file does
 * not exist (or is not a regular file), -1 with err when it cannot be read
 * or parsed: callers treat -1 like 1 (nothing known shipped).
 */
int ship_cursor_read(const char *home, struct ship_cursor *c, char *err, size_t errlen);

/* Writes home/ship.cursor atomically and durably (fsync before rename).
 * 0, or -1 with err. */
int ship_cursor_write(const char *home, const struct ship_cursor *c, char *err, size_t errlen);

/* Reads home/ship.state: 0, 1 when missing, -1 with err. */
int ship_state_read(const char *home, struct ship_state *s, char *err, size_t errlen);

/* Writes home/ship.state atomically (no fsync: it is only a report). */
int ship_state_write(const char *home, const struct ship_state *s, char *err, size_t errlen);

/* 32 lowercase hex digits for uid, NUL-terminated (out: 33 bytes). */
void ship_uid_hex(const unsigned char uid[SHIP_UID_LEN], char out[2 * SHIP_UID_LEN + 1]);

#endif
