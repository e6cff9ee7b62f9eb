/* ship_row.c - what a local event means, for PostgreSQL.  See ship_row.h. */
#include "ship_row.h"

#include <stdlib.h>
#include <string.h>

#include "chronicle/event_type.h"
#include "event_fields.h"
#include "jsonb_check.h"

void ship_batch_reset(struct ship_batch *b)
{
    b->n = 0;
    b->bytes = 0;
    b->payload_text = 0;
    buf_reset(&b->arena);
    if (b->tools)
        memset(b->tools, 0, b->tools_cap * sizeof *b->tools);
    b->tools_n = 0;
}

void ship_batch_free(struct ship_batch *b)
{
    free(b->rows);
    free(b->tools);
    buf_free(&b->arena);
    memset(b, 0, sizeof *b);
}

static uint64_t hash_str(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h ? h : 1;
}

/* The slot holding id, or the empty slot where it would go. */
static struct tool_seen *tool_slot(struct ship_batch *b, uint64_t h, const char *id)
{
    for (size_t i = h & (b->tools_cap - 1);; i = (i + 1) & (b->tools_cap - 1)) {
        struct tool_seen *t = &b->tools[i];
        if (t->hash == 0 || (t->hash == h && strcmp(b->arena.data + t->off - 1, id) == 0))
            return t;
    }
}

static int tools_reserve(struct ship_batch *b)
{
    if ((b->tools_n + 1) * 2 <= b->tools_cap)
        return 0;
    size_t cap = b->tools_cap ? b->tools_cap * 2 : 1024;
    struct tool_seen *old = b->tools, *t = calloc(cap, sizeof *t);
    if (t == NULL)
        return -1;
    size_t oldcap = b->tools_cap;
    b->tools = t;
    b->tools_cap = cap;
    for (size_t i = 0; i < oldcap; i++) {
        if (old[i].hash == 0)
            continue;
        *tool_slot(b, old[i].hash, b->arena.data + old[i].off - 1) = old[i];
    }
    free(old);
    return 0;
}

/* 1 when r (a tool event) cannot join this batch: its call already has an
 * event of the same phase here, or r is a Pre after the call's Post.  With
 * commit, records r's phase. */
static int tool_conflict(struct ship_batch *b, const struct ship_row *r, int commit)
{
    size_t len;
    const char *id = ship_row_col(b, r, SC_TOOL_USE_ID, &len);
    if (r->tool_phase == TOOL_NONE || id == NULL)
        return 0;
    uint64_t h = hash_str(id, len);
    struct tool_seen *t = tool_slot(b, h, id);
    unsigned char bit = (unsigned char)(1u << r->tool_phase);
    if (t->hash != 0 &&
        ((t->phases & bit) || (r->tool_phase == TOOL_PRE && (t->phases & (1u << TOOL_POST)))))
        return 1;
    if (commit) {
        if (t->hash == 0) {
            *t = (struct tool_seen){h, r->off[SC_TOOL_USE_ID], 0};
            b->tools_n++;
        }
        t->phases |= bit;
    }
    return 0;
}

const char *ship_row_col(const struct ship_batch *b, const struct ship_row *r, enum ship_col c,
                         size_t *len)
{
    *len = r->len[c];
    return r->off[c] ? b->arena.data + r->off[c] - 1 : NULL;
}

/* Stores s (n bytes) NUL-terminated; as_text: invalid UTF-8 sequences (and
 * NULs) become U+FFFD, since PostgreSQL text refuses them. */
static int put(struct ship_batch *b, struct ship_row *r, enum ship_col c, const char *s, size_t n,
               int as_text)
{
    if (s == NULL)
        return 0;
    if (b->arena.len + n * 3 + 1 > UINT32_MAX - 1 || buf_reserve(&b->arena, n * 3 + 1) != 0)
        return -1;
    size_t start = b->arena.len;
    if (!as_text || utf8_text_valid(s, n)) {
        memcpy(b->arena.data + start, s, n);
        b->arena.len += n;
    } else {
        for (size_t i = 0; i < n;) {
            size_t k = 1; /* the longest valid sequence at i, else one bad byte */
            while (k <= 4 && i + k <= n && !utf8_text_valid(s + i, k))
                k++;
            if (k <= 4 && i + k <= n) {
                memcpy(b->arena.data + b->arena.len, s + i, k);
                b->arena.len += k;
                i += k;
            } else {
                memcpy(b->arena.data + b->arena.len, "\xef\xbf\xbd", 3);
                b->arena.len += 3;
                i++;
            }
        }
    }
    b->arena.data[b->arena.len++] = '\0';
    r->off[c] = (uint32_t)start + 1;
    r->len[c] = (uint32_t)(b->arena.len - 1 - start);
    return 0;
}

static int put_str(struct ship_batch *b, struct ship_row *r, enum ship_col c, const char *s)
{
    return put(b, r, c, s, s ? strlen(s) : 0, 1);
}

/* As pending_event.c resolves it: the type's flags, and for a Notification
 * those of its notification_type. */
static uint32_t type_flags(const char *type, const char *notification_type)
{
    const struct event_type *t = event_type_find(type, strlen(type));
    uint32_t f = t ? t->flags : 0;
    if (f & EVF_NOTIFICATION) {
        enum awaiting_reason why = AWAIT_NONE;
        f |= notification_type_flags(notification_type, &why);
    }
    return f;
}

/* batch_writer.c's state_of(). */
static const char *state_of(uint32_t f)
{
    if (f & EVF_SESSION_END)
        return "ended";
    if (f & EVF_AWAITING_INPUT)
        return "awaiting_input";
    if (f & EVF_NOTIFICATION)
        return NULL;
    return "working";
}

static void derive(struct ship_row *r, uint32_t f)
{
    r->state = state_of(f);
    r->tool_phase = (f & EVF_TOOL_START) ? TOOL_PRE : (f & EVF_TOOL_END) ? TOOL_POST : TOOL_NONE;
    r->tool_status = r->tool_phase != TOOL_POST ? NULL
                     : (f & EVF_TOOL_DENIED)    ? "denied"
                     : (f & EVF_TOOL_FAILURE)   ? "error"
                                                : "ok";
    r->is_error = (f & EVF_ERROR) != 0;
    r->is_prompt = (f & EVF_PROMPT) != 0;
    r->is_subagent = (f & EVF_SUBAGENT_START) != 0;
}

/* The payload's column (by what jsonb accepts) and the session fields
 * read from it. */
static int place_payload(struct ship_batch *b, struct ship_row *r, const struct local_event *ev,
                         uint32_t *flags)
{
    const char *type = ev->col[SC_EVENT_TYPE] ? ev->col[SC_EVENT_TYPE] : "Unknown";
    if (ev->payload == NULL) {
        *flags = type_flags(type, NULL);
        return put(b, r, SC_RAW, ev->raw, ev->raw ? ev->raw_len : 0, 0);
    }
    enum jsonb_verdict v = jsonb_check(ev->payload, ev->payload_len);
    int text_ok = utf8_text_valid(ev->payload, ev->payload_len);
    enum ship_col where = v == JSONB_OK ? SC_PAYLOAD : text_ok ? SC_PAYLOAD_TEXT : SC_RAW;
    b->payload_text += where != SC_PAYLOAD;
    if (put(b, r, where, ev->payload, ev->payload_len, 0) != 0)
        return -1;
    struct event_fields fl = {.arena = BUF_INIT};
    if (event_fields_parse(&fl, ev->payload, ev->payload_len) != 0) {
        event_fields_free(&fl);
        return -1;
    }
    const char *const *v2 = fl.v;
    *flags = type_flags(type, v2[F_NOTIFICATION_TYPE]);
    const char *reason = (*flags & EVF_SESSION_END) ? (v2[F_REASON] ? v2[F_REASON] : "unknown") : NULL;
    int rc = put_str(b, r, SC_MODEL, v2[F_MODEL]) |
             put_str(b, r, SC_SOURCE, (*flags & EVF_SESSION_START) ? v2[F_SOURCE] : NULL) |
             put_str(b, r, SC_TRANSCRIPT_PATH, v2[F_TRANSCRIPT_PATH]) |
             put_str(b, r, SC_PERMISSION_MODE, v2[F_PERMISSION_MODE]) |
             put_str(b, r, SC_END_REASON, reason);
    event_fields_free(&fl);
    return rc;
}

int ship_batch_add(struct ship_batch *b, const struct local_event *ev)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        struct ship_row *rows = realloc(b->rows, cap * sizeof *rows);
        if (rows == NULL)
            return -1;
        b->rows = rows;
        b->cap = cap;
    }
    size_t arena_len = b->arena.len;
    int64_t text_before = b->payload_text;
    struct ship_row *r = &b->rows[b->n];
    memset(r, 0, sizeof *r);
    r->local_id = ev->id;
    r->ts_ns = ev->ts_ns;
    r->stored_ns = ev->stored_ns;
    r->payload_size = ev->payload_size;
    r->duration_ms = ev->duration_ms;
    r->uid = ev->uid;
    r->pid = ev->pid;
    r->ppid = ev->ppid;
    r->claude_pid = ev->claude_pid;
    r->flags = ev->flags;
    memcpy(r->event_uid, ev->event_uid, ev->event_uid_len < 16 ? ev->event_uid_len : 16);
    int rc = 0;
    for (int c = SC_SESSION_ID; c <= SC_PROJECT_DIR; c++)
        rc |= put_str(b, r, (enum ship_col)c, ev->col[c]);
    if (r->off[SC_EVENT_TYPE] == 0)
        rc |= put_str(b, r, SC_EVENT_TYPE, "Unknown");
    uint32_t flags = 0;
    rc |= place_payload(b, r, ev, &flags);
    if (rc != 0) {
        b->arena.len = arena_len;
        b->payload_text = text_before;
        return -1;
    }
    derive(r, flags);
    if (tools_reserve(b) != 0) {
        b->arena.len = arena_len;
        b->payload_text = text_before;
        return -1;
    }
    if (b->n > 0 && tool_conflict(b, r, 0)) {
        b->arena.len = arena_len;
        b->payload_text = text_before;
        return 1;
    }
    tool_conflict(b, r, 1);
    b->bytes += ev->payload_len + ev->raw_len + 256;
    b->n++;
    return 0;
}
