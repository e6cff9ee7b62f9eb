/* event_fields.c - pick the column values out of a payload.  See event_fields.h. */
#include "event_fields.h"

#include <stdlib.h>
#include <string.h>

#include "chronicle/json_scan.h"

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
};

#define KEY_DURATION (-2)
#define KEY_OTHER (-1)

struct picker {
    const char *json;
    struct event_fields *f;
    size_t offset[F_COUNT];
    int key;   /* field the next value belongs to, or KEY_* */
    int nomem;
};

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

static int visit(void *ctx, enum json_token tok, size_t depth, size_t start, size_t len)
{
    struct picker *p = ctx;
    if (depth != 1)
        return 0;
    if (tok == JSON_TOK_KEY) {
        p->key = lookup(p->json + start, len);
        return 0;
    }
    int key = p->key;
    p->key = KEY_OTHER;
    if (key == KEY_DURATION && tok == JSON_TOK_NUMBER) {
        p->f->duration_ms = parse_int(p->json + start, len);
    } else if (key >= 0 && tok == JSON_TOK_STRING) {
        struct buf *a = &p->f->arena;
        if (buf_reserve(a, len + 1) != 0) {
            p->nomem = 1;
            return 1;
        }
        p->offset[key] = a->len + 1; /* +1 so that 0 means absent */
        a->len += json_unescape(p->json + start, len, a->data + a->len);
        a->data[a->len++] = '\0';
    }
    return 0;
}

int event_fields_parse(struct event_fields *f, const char *json, size_t len)
{
    memset(f->v, 0, sizeof f->v);
    f->duration_ms = -1;
    buf_reset(&f->arena);
    struct picker p = {.json = json, .f = f, .key = KEY_OTHER};
    json_walk(json, len, visit, &p, NULL);
    if (p.nomem)
        return -1;
    /* Resolve offsets only now: the arena may have moved while growing. */
    for (int i = 0; i < F_COUNT; i++)
        if (p.offset[i] != 0)
            f->v[i] = f->arena.data + p.offset[i] - 1;
    return 0;
}

void event_fields_free(struct event_fields *f) { buf_free(&f->arena); }
