/*
 * usage_sync.h - token usage rows shipped to PostgreSQL.
 *
 * The local usage table has no cursor: a row is upserted again each time a
 * transcript shows the message with larger counts.  So the shipper keeps a
 * fingerprint of every row as last committed to PostgreSQL (24 bytes a
 * row, in memory) and, whenever transcripts.updated_ns moves, walks the
 * table in key order and ships the rows whose fingerprint changed, a page
 * at a time.  After a restart the map is empty and every row goes once
 * more: harmless, the upsert keeps the largest count of each kind (the
 * local dedup rule) and skips rows that would not change.  Rows that
 * retention deleted locally leave the map at the end of each full walk.
 *
 * Owner: the shipper's context; usage_sync_free().
 */
#ifndef CHRONICLE_SHIP_USAGE_SYNC_H
#define CHRONICLE_SHIP_USAGE_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "chronicle/buf.h"
#include "fingerprints.h"
#include "local_db.h"
#include "pg_array.h"

#define USAGE_PAGE 2000
#define USAGE_COLS 11

struct usage_sync {
    struct fingerprints shipped; /* per (message_id, request_id): the row as last committed */
    uint32_t pass;               /* the full walk in progress (fingerprint.pass) */
    /* The walk in progress. */
    int walking;
    char after_msg[512], after_req[512];
    int64_t walk_version, walk_started_ns;
    int64_t shipped_version; /* transcripts version fully shipped */
    /* The page being shipped. */
    struct pg_array col[USAGE_COLS];
    struct fp_page page;
};

void usage_sync_free(struct usage_sync *u);

/* Forgets what was shipped (a new PostgreSQL connection may be a new
 * database): the next walk ships every row. */
void usage_sync_forget(struct usage_sync *u);

/* Scans the next page of the local table into u's arrays (rows to ship)
 * and returns the rows scanned (0: the walk is complete), or -1. */
long usage_sync_page(struct usage_sync *u, struct local_db *d, char *err, size_t errlen);

/* After the page's rows were committed: remember their fingerprints. */
void usage_sync_committed(struct usage_sync *u);

/* Ends a complete walk: drops rows not seen in it. */
void usage_sync_walk_done(struct usage_sync *u);

#endif
