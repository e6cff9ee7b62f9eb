/*
 * pg_array.h - one-dimensional PostgreSQL arrays in the binary wire format,
 * for passing a whole batch as a few array parameters (unnest() on the
 * server) instead of one statement per row: no text escaping, one round
 * trip.  The layout is array_recv()'s: ndim, has-null flag, element type,
 * then (dimension, lower bound) and each element as a 4-byte length (-1 for
 * NULL) and its binary value.
 *
 * Owner: the caller's struct; pg_array_free() releases the bytes.
 */
#ifndef CHRONICLE_SHIP_PG_ARRAY_H
#define CHRONICLE_SHIP_PG_ARRAY_H

#include <stddef.h>
#include <stdint.h>

#include "chronicle/buf.h"

/* Element and array type oids (pg_type.dat; fixed since PostgreSQL 8). */
#define PG_OID_BOOL 16
#define PG_OID_BYTEA 17
#define PG_OID_INT8 20
#define PG_OID_INT2 21
#define PG_OID_INT4 23
#define PG_OID_TEXT 25
#define PG_OID_UUID 2950
#define PG_OID_BOOL_ARRAY 1000
#define PG_OID_BYTEA_ARRAY 1001
#define PG_OID_INT2_ARRAY 1005
#define PG_OID_INT4_ARRAY 1007
#define PG_OID_TEXT_ARRAY 1009
#define PG_OID_INT8_ARRAY 1016
#define PG_OID_UUID_ARRAY 2951

struct pg_array {
    struct buf b;
    uint32_t elem_oid;
    int32_t n;
    int has_null, nomem;
};

/* Empties a (keeping its memory) for elements of type elem_oid. */
void pg_array_reset(struct pg_array *a, uint32_t elem_oid);

/* Appends one element; len -1 (or p NULL) appends NULL.  Failures are
 * remembered: pg_array_finish() reports them once. */
void pg_array_add(struct pg_array *a, const void *p, int32_t len);
void pg_array_add_text(struct pg_array *a, const char *s);       /* NULL -> NULL */
void pg_array_add_i64(struct pg_array *a, int64_t v);
void pg_array_add_opt_i64(struct pg_array *a, int64_t v);        /* negative -> NULL */
void pg_array_add_i32(struct pg_array *a, int32_t v);
void pg_array_add_i16(struct pg_array *a, int16_t v);
void pg_array_add_bool(struct pg_array *a, int v);

/* Writes the header.  0, or -1 when an append ran out of memory.  Then
 * a->b.data / a->b.len are the parameter's bytes. */
int pg_array_finish(struct pg_array *a);

void pg_array_free(struct pg_array *a);

/* Big-endian encoders for scalar binary parameters. */
void pg_put_i64(unsigned char out[8], int64_t v);
void pg_put_i32(unsigned char out[4], int32_t v);

#endif
