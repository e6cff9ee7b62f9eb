/*
 * payload_trim.h - makes an oversized JSON payload fit, keeping its shape.
 *
 * Write/Edit inputs and tool responses carry whole files.  Rather than drop
 * such an event, the longest string values are cut to a common length T and
 * each gets a marker recording its original size:
 *     "...first T bytes...[chronicle: truncated from 5242880 bytes]"
 * T is the largest length for which the result fits, so short strings (ids,
 * paths, names) are never touched.  Keys, numbers and structure are kept.
 */
#ifndef CHRONICLE_PAYLOAD_TRIM_H
#define CHRONICLE_PAYLOAD_TRIM_H

#include <stddef.h>

#include "chronicle/buf.h"

#define TRIM_MARKER_FMT "[chronicle: truncated from %zu bytes]"

/*
 * json (len bytes) must be valid JSON.  Appends the trimmed text to out.
 * Returns 0 when the result fits in limit bytes, 1 when even cutting every
 * string could not make it fit (out then holds the smallest version), -1 on
 * allocation failure.
 */
int payload_trim(const char *json, size_t len, size_t limit, struct buf *out);

#endif
