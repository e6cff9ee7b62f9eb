/*
 * event_fields.h - the top-level payload fields that become columns.
 *
 * One walk over the (already redacted) JSON picks the string members of the
 * top-level object that the schema indexes or the session row needs, plus
 * duration_ms.  Values are decoded (escapes resolved) into one arena owned by
 * the struct.  Nested objects and unknown members are left in the payload,
 * where json_extract() can still reach them.
 */
#ifndef CHRONICLE_EVENT_FIELDS_H
#define CHRONICLE_EVENT_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "chronicle/buf.h"
#include "chronicle/json_scan.h"

enum event_field {
    F_SESSION_ID,
    F_HOOK_EVENT_NAME,
    F_TOOL_NAME,
    F_TOOL_USE_ID,
    F_AGENT_ID,
    F_AGENT_TYPE,
    F_PROMPT_ID,
    F_CWD,
    F_MODEL,
    F_SOURCE,
    F_REASON,
    F_NOTIFICATION_TYPE,
    F_PERMISSION_MODE,
    F_TRANSCRIPT_PATH,
    F_AGENT_TRANSCRIPT_PATH,
    F_COUNT
};

struct event_fields {
    const char *v[F_COUNT]; /* NUL-terminated, into arena; NULL when absent */
    int64_t duration_ms;    /* -1 when absent or not an integer */
    struct buf arena;       /* owned: event_fields_free() */
    /* Walk state (see event_fields_visit). */
    const char *json;
    size_t offset[F_COUNT];
    int key, nomem;
};

/* Fills f from json (valid JSON, len bytes).  0, or -1 on ENOMEM.  A payload
 * that is not an object simply yields no fields. */
int event_fields_parse(struct event_fields *f, const char *json, size_t len);

/*
 * The same in three steps, for a caller that already walks json for another
 * reason (redaction) and wants one pass: begin, pass event_fields_visit with
 * f as ctx to json_walk, then end (0, or -1 on ENOMEM).
 */
void event_fields_begin(struct event_fields *f, const char *json);
int event_fields_visit(void *f, enum json_token tok, size_t depth, size_t start, size_t len);
int event_fields_end(struct event_fields *f);

void event_fields_free(struct event_fields *f);

#endif
