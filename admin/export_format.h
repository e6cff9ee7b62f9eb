/*
 * export_format.h - one events row as an NDJSON line or a CSV record.
 *
 * Column order is export_columns(); both formats carry the same fields.
 * NDJSON embeds the stored payload as JSON (it is validated again here;
 * a payload that is not JSON is exported as a string), and raw bytes of an
 * invalid payload as base64.  Text that is not valid UTF-8 is repaired with
 * U+FFFD so every line is valid JSON.  CSV follows RFC 4180 (CRLF, quotes
 * doubled), with the payload as JSON text in one field.
 */
#ifndef CHRONICLE_ADMIN_EXPORT_FORMAT_H
#define CHRONICLE_ADMIN_EXPORT_FORMAT_H

#include <sqlite3.h>
#include <stddef.h>

#include "chronicle/buf.h"

/* The SELECT list matching export_columns(), for "SELECT <list> FROM events". */
const char *export_select_list(void);

/* Column names; *count receives how many. */
const char *const *export_columns(size_t *count);

/* Appends the CSV header line. */
int export_csv_header(struct buf *out);

/* Appends the current row of st (prepared from export_select_list()). */
int export_ndjson_row(sqlite3_stmt *st, struct buf *out);
int export_csv_row(sqlite3_stmt *st, struct buf *out);

/* Appends s with invalid UTF-8 sequences replaced by U+FFFD. */
int export_utf8_repair(struct buf *out, const unsigned char *s, size_t n);

#endif
