/*
 * event_params.h - a batch of rows as the 40 binary parameters of
 * chronicle.ship_events() (pg_schema.c): five scalars (machine, host,
 * user, the cursor's id and event id) and one array per column.
 *
 * degrade moves payloads out of jsonb's way for a batch PostgreSQL refused
 * on data (one row jsonb_check() did not foresee): 1 ships every payload
 * as text, 2 as bytes; the shipper uses them only once a failing batch has
 * been split down to one row.
 *
 * Owner: the shipper's context; event_params_free().
 */
#ifndef CHRONICLE_SHIP_EVENT_PARAMS_H
#define CHRONICLE_SHIP_EVENT_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "pg_array.h"
#include "ship_row.h"

#define EVENT_ARRAYS 35
#define EVENT_PARAMS (5 + EVENT_ARRAYS)

struct event_params {
    struct pg_array a[EVENT_ARRAYS];
    unsigned char machine[16], last_id[8], last_uid[16];
    const char *values[EVENT_PARAMS];
    int lengths[EVENT_PARAMS];
    int64_t payload_text; /* rows of this batch stored as text or bytes */
};

/* The SQL that PQprepare() takes, with the parameters' types. */
extern const char event_params_sql[];
extern const unsigned event_params_types[EVENT_PARAMS];

/* Encodes rows [0, n) of b.  host/user: this machine's.  0 or -1 (ENOMEM). */
int event_params_build(struct event_params *p, const unsigned char machine[16], const char *host,
                       const char *user, const struct ship_batch *b, size_t n, int degrade);

void event_params_free(struct event_params *p);

/* The 16 bytes of a canonical UUID string.  0 or -1. */
int uuid_parse16(const char *s, unsigned char out[16]);

#endif
