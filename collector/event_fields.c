/* event_fields.c - pick the column values out of a payload.  See event_fields.h. */
#include "event_fields.h"

#include <stdlib.h>
#include <string.h>


static const char *const names[F_COUNT] = {
    [F_SESSION_ID] = "session_id",
    [F_HOOK_EVENT_NAME] = "hook_event_name",
    [F_TOOL_NAME] = "tool_name",
    [F_TOOL_USE_ID] = "tool_use_id",
    [F_AGENT_ID] = "agent_id",
    [F_AGENT_TYPE] = "agent_type",
    [F_PROMPT_ID] = "prompt_id",
    [F_CWD] = "cwd",
    [F_MODEL] = "model",
    [F_SOURCE] = "source",
    [F_REASON] = "reason",
    [F_NOTIFICATION_TYPE] = "notification_type",
    [F_PERMISSION_MODE] = "permission_mode",
    [F_TRANSCRIPT_PATH] = "transcript_path",
    [F_AGENT_TRANSCRIPT_PATH] = "agent_transcript_path",
};

#define KEY_DURATION (-2)
#define KEY_OTHER (-1)

static int lookup(const char *raw, size_t len)
{
    /* Field names hold no escapes, so the raw span compares directly. */
    for (int i = 0; i < F_COUNT; i++)
        if (strlen(names[i]) == len && memcmp(names[i], raw, len) == 0)
            return i;
    if (len == 11 && memcmp(raw, "duration_ms", 11) == 0)
        return KEY_DURATION;
    return KEY_OTHER;
}

static int64_t parse_int(const char *s, size_t n)
{
    int64_t v = 0;
    size_t i = 0;
    int neg = n > 0 && s[0] == '-';
    if (neg)
        i++;
    if (i == n || n - i > 15)
        return -1;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1; /* fractions and exponents are not a duration in ms */
        v = v * 10 + (s[i] - '0');
    }
    return neg ? -1 : v;
}

int event_fields_visit(void *ctx, enum json_token tok, size_t depth, size_t start, size_t len)
{
    struct event_fields *f = ctx;
    if (depth != 1)
        return 0;
    if (tok == JSON_TOK_KEY) {
        f->key = lookup(f->json + start, len);
        return 0;
    }
    int key = f->key;
    f->key = KEY_OTHER;
    if (key == KEY_DURATION && tok == JSON_TOK_NUMBER) {
        f->duration_ms = parse_int(f->json + start, len);
    } else if (key >= 0 && tok == JSON_TOK_STRING) {
        struct buf *a = &f->arena;
        if (buf_reserve(a, len + 1) != 0) {
            f->nomem = 1;
            return 1;
        }
        f->offset[key] = a->len + 1; /* +1 so that 0 means absent */
        a->len += json_unescape(f->json + start, len, a->data + a->len);
        a->data[a->len++] = '\0';
    }
    return 0;
}

void event_fields_begin(struct event_fields *f, const char *json)
{
    memset(f->v, 0, sizeof f->v);
    memset(f->offset, 0, sizeof f->offset);
    f->duration_ms = -1;
    f->json = json;
    f->key = KEY_OTHER;
    f->nomem = 0;
    buf_reset(&f->arena);
}

int event_fields_end(struct event_fields *f)
{
    if (f->nomem)
        return -1;
    /* Resolve offsets only now: the arena may have moved while growing. */
    for (int i = 0; i < F_COUNT; i++)
        f->v[i] = f->offset[i] ? f->arena.data + f->offset[i] - 1 : NULL;
    return 0;
}

int event_fields_parse(struct event_fields *f, const char *json, size_t len)
{
    event_fields_begin(f, json);
    json_walk(json, len, event_fields_visit, f, NULL);
    return event_fields_end(f);
}

void event_fields_free(struct event_fields *f) { buf_free(&f->arena); }
