/* pg_array.c - binary array parameters.  See pg_array.h. */
#include "pg_array.h"

#include <string.h>

#define HEADER 20 /* ndim, flags, element oid, dimension, lower bound */

void pg_put_i64(unsigned char out[8], int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++)
        out[i] = (unsigned char)(u >> (56 - 8 * i));
}

void pg_put_i32(unsigned char out[4], int32_t v)
{
    uint32_t u = (uint32_t)v;
    for (int i = 0; i < 4; i++)
        out[i] = (unsigned char)(u >> (24 - 8 * i));
}

void pg_array_reset(struct pg_array *a, uint32_t elem_oid)
{
    buf_reset(&a->b);
    a->elem_oid = elem_oid;
    a->n = 0;
    a->has_null = 0;
    a->nomem = buf_reserve(&a->b, HEADER) != 0;
    if (!a->nomem)
        a->b.len = HEADER;
}

void pg_array_add(struct pg_array *a, const void *p, int32_t len)
{
    if (p == NULL)
        len = -1;
    unsigned char hdr[4];
    pg_put_i32(hdr, len);
    if (a->nomem || buf_append(&a->b, hdr, 4) != 0 ||
        (len > 0 && buf_append(&a->b, p, (size_t)len) != 0)) {
        a->nomem = 1;
        return;
    }
    a->has_null |= len < 0;
    a->n++;
}

void pg_array_add_text(struct pg_array *a, const char *s)
{
    pg_array_add(a, s, s ? (int32_t)strlen(s) : -1);
}

void pg_array_add_i64(struct pg_array *a, int64_t v)
{
    unsigned char x[8];
    pg_put_i64(x, v);
    pg_array_add(a, x, 8);
}

void pg_array_add_opt_i64(struct pg_array *a, int64_t v)
{
    if (v < 0)
        pg_array_add(a, NULL, -1);
    else
        pg_array_add_i64(a, v);
}

void pg_array_add_i32(struct pg_array *a, int32_t v)
{
    unsigned char x[4];
    pg_put_i32(x, v);
    pg_array_add(a, x, 4);
}

void pg_array_add_i16(struct pg_array *a, int16_t v)
{
    unsigned char x[2] = {(unsigned char)((uint16_t)v >> 8), (unsigned char)v};
    pg_array_add(a, x, 2);
}

void pg_array_add_bool(struct pg_array *a, int v)
{
    unsigned char x = v ? 1 : 0;
    pg_array_add(a, &x, 1);
}

int pg_array_finish(struct pg_array *a)
{
    if (a->nomem)
        return -1;
    unsigned char *h = (unsigned char *)a->b.data;
    pg_put_i32(h, 1);
    pg_put_i32(h + 4, a->has_null);
    pg_put_i32(h + 8, (int32_t)a->elem_oid);
    pg_put_i32(h + 12, a->n);
    pg_put_i32(h + 16, 1);
    return 0;
}

void pg_array_free(struct pg_array *a) { buf_free(&a->b); }
