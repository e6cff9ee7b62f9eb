/*
 * search_page.h - the two pieces of GET /api/search that read bytes from
 * outside SQLite's own parser: the client's paging cursor, and the snippet
 * text FTS5 returns (payload text with highlight markers) turned into the
 * API's array.  tests/fuzz/fuzz_search_query.c fuzzes both, with the query
 * text itself against a real FTS5 table.
 */
#ifndef CHRONICLE_SEARCH_PAGE_H
#define CHRONICLE_SEARCH_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "chronicle/buf.h"

/* Highlight markers given to snippet(): search_text.c turns control
 * characters in the indexed text into spaces, so these only ever come from
 * snippet() itself. */
#define SEARCH_HIT_OPEN '\x01'
#define SEARCH_HIT_CLOSE '\x02'

/* "<event id>.<reply id>", two decimal integers >= 0 that fit int64: 0, or
 * -1 (nothing written). */
int search_cursor_parse(const char *s, int64_t *event_below, int64_t *reply_below);

/* Appends s[0..n) as a JSON array alternating plain and highlighted strings,
 * starting with plain (possibly ""); a marker out of turn is dropped.  The
 * strings' concatenation is s without its markers.  0, or -1 on ENOMEM. */
int search_snippet_json(struct buf *b, const char *s, size_t n);

#endif
