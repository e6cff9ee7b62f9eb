/* ws_message.c - client-to-server WebSocket messages and filters. */
#include "ws_message.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ws_filters_free(struct ws_filters *f)
{
    for (size_t i = 0; i < f->n_sessions; i++)
        free(f->session_ids[i]);
    for (size_t i = 0; i < f->n_types; i++)
        free(f->event_types[i]);
    f->n_sessions = f->n_types = 0;
}

static int in(char *const *list, size_t n, const char *v)
{
    if (n == 0)
        return 1;
    if (v == NULL)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], v) == 0)
            return 1;
    return 0;
}

int ws_filters_match(const struct ws_filters *f, const char *session_id, const char *event_type)
{
    return in(f->session_ids, f->n_sessions, session_id) &&
           in(f->event_types, f->n_types, event_type);
}

int ws_filters_match_session(const struct ws_filters *f, const char *session_id)
{
    return in(f->session_ids, f->n_sessions, session_id);
}

static int load_list(json_t *obj, const char *key, char **out, size_t *n, char *err,
                     size_t errlen)
{
    *n = 0;
    json_t *arr = json_object_get(obj, key);
    if (arr == NULL || json_is_null(arr))
        return 0;
    if (!json_is_array(arr) || json_array_size(arr) > WS_FILTER_MAX) {
        snprintf(err, errlen, "filters.%s must be an array of at most %d strings", key,
                 WS_FILTER_MAX);
        return -1;
    }
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_string(v) || json_string_length(v) == 0 ||
            json_string_length(v) > WS_FILTER_VALUE_MAX ||
            strlen(json_string_value(v)) != json_string_length(v)) {
            snprintf(err, errlen, "filters.%s[%zu] must be a non-empty string of at most %d bytes",
                     key, i, WS_FILTER_VALUE_MAX);
            goto fail;
        }
        out[*n] = strdup(json_string_value(v));
        if (out[*n] == NULL) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        (*n)++;
    }
    return 0;
fail:
    for (size_t i = 0; i < *n; i++)
        free(out[i]);
    *n = 0;
    return -1;
}

static int parse_subscribe(json_t *root, struct ws_filters *filters, char *err, size_t errlen)
{
    json_t *f = json_object_get(root, "filters");
    struct ws_filters next;
    memset(&next, 0, sizeof next);
    if (f != NULL && !json_is_object(f) && !json_is_null(f)) {
        snprintf(err, errlen, "'filters' must be an object");
        return -1;
    }
    if (f != NULL && json_is_object(f)) {
        const char *key;
        json_t *v;
        json_object_foreach(f, key, v) {
            if (strcmp(key, "session_ids") != 0 && strcmp(key, "event_types") != 0) {
                snprintf(err, errlen, "unknown filter '%.64s' (session_ids, event_types)", key);
                return -1;
            }
        }
        if (load_list(f, "session_ids", next.session_ids, &next.n_sessions, err, errlen) != 0)
            return -1;
        if (load_list(f, "event_types", next.event_types, &next.n_types, err, errlen) != 0) {
            ws_filters_free(&next);
            return -1;
        }
    }
    ws_filters_free(filters);
    *filters = next;
    return 0;
}

int ws_message_parse(const char *text, size_t len, enum ws_msg_type *type,
                     struct ws_filters *filters, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        snprintf(err, errlen, "not JSON: %s", je.text);
        return -1;
    }
    int rc = -1;
    json_t *t = json_object_get(root, "type");
    if (!json_is_object(root) || !json_is_string(t)) {
        snprintf(err, errlen, "a message must be an object with a string 'type'");
    } else if (strcmp(json_string_value(t), "heartbeat") == 0) {
        *type = WS_MSG_HEARTBEAT;
        rc = 0;
    } else if (strcmp(json_string_value(t), "subscribe") == 0) {
        *type = WS_MSG_SUBSCRIBE;
        rc = parse_subscribe(root, filters, err, errlen);
    } else {
        snprintf(err, errlen, "unknown message type '%.64s' (subscribe, heartbeat)",
                 json_string_value(t));
    }
    json_decref(root);
    return rc;
}

int utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        /* Most text is ASCII: eight bytes at a time while none has the high
         * bit (payload pages check every payload they splice). */
        uint64_t w;
        while (i + 8 <= len && (memcpy(&w, s + i, 8), (w & 0x8080808080808080ULL) == 0))
            i += 8;
        if (i >= len)
            break;
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; }
        else return 0;
        if (i + n >= len)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += n + 1;
    }
    return 1;
}
