/*
 * json_text.h - writes JSON text straight into a struct buf, for the
 * answers that are mostly rows (event pages, the live feed), so that a
 * stored payload is spliced in as it is instead of being parsed into a
 * jansson tree and serialised again.
 *
 * The output is what jansson's json_dumps(JSON_COMPACT) writes for the same
 * values: no spaces, strings escaped the same way (", \, \b \f \n \r \t,
 * other control bytes as \u00XX, UTF-8 passed through), so a client cannot
 * tell which path produced an answer.  Every function returns 0, or -1 on
 * ENOMEM (the buffer keeps what it had; callers OR the results and check
 * once).  The caller owns the buffer.
 */
#ifndef CHRONICLE_JSON_TEXT_H
#define CHRONICLE_JSON_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "chronicle/buf.h"

/* "key": (with a leading comma unless first). */
int jt_key(struct buf *b, const char *key, int first);
/* A JSON string of s[0..len), escaped. */
int jt_str(struct buf *b, const char *s, size_t len);
int jt_int(struct buf *b, int64_t v);
int jt_bool(struct buf *b, int v);
int jt_null(struct buf *b);
/* Text that already is JSON (a stored payload), as it is. */
int jt_raw(struct buf *b, const char *s, size_t len);

#endif
