/*
 * ws_message.h - the messages a WebSocket client may send to /ws, and the
 * subscription filters they set.
 *
 *   {"type":"subscribe","filters":{"session_ids":[...],"event_types":[...]}}
 *   {"type":"heartbeat"}
 *
 * Text from the network: parsed with jansson, every field checked, limits on
 * list length and string size.  struct ws_filters owns its strings;
 * ws_filters_free() releases them.  An empty list means "everything".
 */
#ifndef CHRONICLE_WS_MESSAGE_H
#define CHRONICLE_WS_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#define WS_FILTER_MAX 64        /* values per filter list */
#define WS_FILTER_VALUE_MAX 256 /* bytes per value */

struct ws_filters {
    char *session_ids[WS_FILTER_MAX];
    size_t n_sessions;
    char *event_types[WS_FILTER_MAX];
    size_t n_types;
};

enum ws_msg_type { WS_MSG_SUBSCRIBE, WS_MSG_HEARTBEAT };

/* Parses one text message.  On WS_MSG_SUBSCRIBE, *filters is replaced
 * (old values freed) only when the whole message is valid.  Returns 0, or -1
 * with a message in err. */
int ws_message_parse(const char *text, size_t len, enum ws_msg_type *type,
                     struct ws_filters *filters, char *err, size_t errlen);

/* 1 if an event of session_id / event_type passes the filters (NULL fields
 * never match a non-empty list). */
int ws_filters_match(const struct ws_filters *f, const char *session_id, const char *event_type);

/* 1 if session_id passes the session filter (event types not considered). */
int ws_filters_match_session(const struct ws_filters *f, const char *session_id);

void ws_filters_free(struct ws_filters *f);

/* 1 if s[0..len) is well-formed UTF-8 (RFC 3629: no overlongs, surrogates or
 * code points above U+10FFFF).  RFC 6455 requires it of text frames. */
int utf8_valid(const uint8_t *s, size_t len);

#endif
