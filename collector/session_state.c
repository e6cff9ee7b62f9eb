/* session_state.c - the session state machine.  See session_state.h. */
#include "session_state.h"

#include <stdio.h>
#include <string.h>

#include "chronicle/json_scan.h"

static const char *const state_names[] = {
    [SSTATE_WORKING] = "working",
    [SSTATE_AWAITING] = "awaiting_input",
    [SSTATE_FAILED] = "failed",
    [SSTATE_ENDED] = "ended",
};

const char *session_state_name(enum session_state_kind k)
{
    return (unsigned)k < sizeof state_names / sizeof state_names[0] ? state_names[k] : "working";
}

enum session_state_kind session_state_parse(const char *name)
{
    for (unsigned i = 0; name != NULL && i < sizeof state_names / sizeof state_names[0]; i++)
        if (strcmp(name, state_names[i]) == 0)
            return (enum session_state_kind)i;
    return SSTATE_WORKING;
}

enum awaiting_reason awaiting_reason_parse(const char *name)
{
    for (int r = AWAIT_PERMISSION; name != NULL && r <= AWAIT_ELICITATION; r++)
        if (strcmp(name, awaiting_reason_name((enum awaiting_reason)r)) == 0)
            return (enum awaiting_reason)r;
    return AWAIT_NONE;
}

/* Keeps what the new wait does not say: the permission_prompt
 * Notification that follows a PermissionRequest names no tool. */
static void merge_text(char *dst, const char *old, size_t cap)
{
    if (dst[0] == '\0' && old[0] != '\0')
        snprintf(dst, cap, "%s", old);
}

static void set_state(struct session_state *next, const struct session_state *cur,
                      enum session_state_kind k, enum awaiting_reason r, int64_t ts,
                      const struct state_detail *d)
{
    struct session_state s;
    s.state = k;
    s.reason = k == SSTATE_AWAITING ? r : AWAIT_NONE;
    /* One wait is one wait: the reason may sharpen (Stop, then the
     * idle_prompt Notification a minute later), the clock does not restart. */
    s.since_ns = cur->state == k && cur->since_ns > 0 ? cur->since_ns : ts;
    if (d != NULL)
        s.detail = *d;
    else
        memset(&s.detail, 0, sizeof s.detail);
    if (k == SSTATE_AWAITING && cur->state == k && cur->reason == s.reason) {
        merge_text(s.detail.tool_name, cur->detail.tool_name, sizeof s.detail.tool_name);
        merge_text(s.detail.tool_input, cur->detail.tool_input, sizeof s.detail.tool_input);
        merge_text(s.detail.message, cur->detail.message, sizeof s.detail.message);
    }
    *next = s;
}

/* Why an awaiting event waits (an agent_needs_input Notification already
 * maps to idle_prompt in the event table). */
static enum awaiting_reason wait_reason(const struct state_event *ev)
{
    enum awaiting_reason r = ev->awaiting;
    if (r == AWAIT_NONE) /* a type flagged awaiting without a reason of its own */
        return (ev->flags & EVF_PERMISSION) ? AWAIT_PERMISSION
               : (ev->flags & EVF_ELICITATION) ? AWAIT_ELICITATION : AWAIT_TURN_DONE;
    return r;
}

int session_state_next(const struct session_state *cur, const struct state_event *ev,
                       struct session_state *next)
{
    uint32_t f = ev->flags;
    int waits = (f & EVF_AWAITING_INPUT) != 0;
    enum awaiting_reason why = waits ? wait_reason(ev) : AWAIT_NONE;
    if (ev->subagent) {
        /* A subagent's own dialog waits for the person as much as the main
         * agent's; anything else it does is inside the main turn. */
        if (waits && (why == AWAIT_PERMISSION || why == AWAIT_ELICITATION) &&
            cur->state != SSTATE_ENDED) {
            set_state(next, cur, SSTATE_AWAITING, why, ev->ts_ns, &ev->detail);
            return 1;
        }
        if ((f & EVF_ACTIVITY) && cur->state == SSTATE_AWAITING &&
            (cur->reason == AWAIT_PERMISSION || cur->reason == AWAIT_ELICITATION)) {
            set_state(next, cur, SSTATE_WORKING, AWAIT_NONE, ev->ts_ns, NULL);
            return 1;
        }
        if (next != cur)
            *next = *cur;
        return 0;
    }
    if (f & EVF_SESSION_END) {
        set_state(next, cur, SSTATE_ENDED, AWAIT_NONE, ev->ts_ns, NULL);
        return 1;
    }
    if (cur->state == SSTATE_ENDED) {
        /* Only a resume brings an ended session back; stragglers do not. */
        if (f & (EVF_SESSION_START | EVF_PROMPT)) {
            set_state(next, cur, SSTATE_WORKING, AWAIT_NONE, ev->ts_ns, NULL);
            return 1;
        }
    } else if (f & EVF_TURN_FAILED) {
        struct state_detail d;
        memset(&d, 0, sizeof d);
        memcpy(d.error, ev->detail.error, sizeof d.error);
        memcpy(d.message, ev->detail.message, sizeof d.message);
        set_state(next, cur, SSTATE_FAILED, AWAIT_NONE, ev->ts_ns, &d);
        return 1;
    } else if (waits) {
        set_state(next, cur, SSTATE_AWAITING, why, ev->ts_ns, &ev->detail);
        return 1;
    } else if (f & EVF_ACTIVITY) {
        set_state(next, cur, SSTATE_WORKING, AWAIT_NONE, ev->ts_ns, NULL);
        return 1;
    }
    if (next != cur)
        *next = *cur;
    return 0;
}

/* ---- text ---------------------------------------------------------------- */

static size_t utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

size_t one_line_text(const char *s, size_t n, char *out, size_t cap, size_t max_chars)
{
    size_t len = 0, chars = 0;
    int space = 0;
    if (cap == 0)
        return 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f) {
            space = len > 0;
            i++;
            continue;
        }
        size_t k = utf8_len(c);
        if (i + k > n || chars + space + 1 > max_chars || len + space + k > cap - 1)
            break;
        if (space)
            out[len++] = ' ', chars++;
        space = 0;
        memcpy(out + len, s + i, k);
        len += k;
        chars++;
        i += k;
    }
    out[len] = '\0';
    return len;
}

/* Only a prefix is decoded (never more than a line can use), cut before an
 * escape it would split. */
size_t json_text_line(const char *raw, size_t len, char *out, size_t cap, size_t max_chars)
{
    char tmp[2048];
    size_t n = len < sizeof tmp ? len : sizeof tmp;
    for (size_t i = 0; i < n; i++) {
        if (raw[i] != '\\')
            continue;
        size_t esc = i + 1 < n && raw[i + 1] == 'u' ? 6 : 2;
        if (i + esc > n) {
            n = i;
            break;
        }
        i += esc - 1;
    }
    size_t m = json_unescape(raw, n, tmp);
    return one_line_text(tmp, m, out, cap, max_chars);
}

/* Payload members the state machine reads, as raw spans (0 length: absent). */
enum member {
    M_TOOL_NAME, M_MESSAGE, M_ERROR, M_ERROR_DETAILS, M_LAST_MESSAGE, M_PROMPT, M_TITLE,
    M_SERVER, M_COUNT
};
static const char *const member_names[M_COUNT] = {
    "tool_name", "message", "error", "error_details", "last_assistant_message", "prompt",
    "session_title", "mcp_server_name",
};
/* tool_input members that summarise a call, best first. */
static const char *const input_names[] = {
    "command", "file_path", "notebook_path", "path", "pattern", "url", "query", "skill",
    "description", "prompt",
};
#define N_INPUT (sizeof input_names / sizeof input_names[0])

struct reader {
    const char *json;
    int key, in_input, input_key;
    size_t span[M_COUNT][2];
    size_t input_span[N_INPUT][2];
    size_t input_start, input_end;
};

static int find(const char *const *names, size_t n, const char *raw, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(names[i]) == len && memcmp(names[i], raw, len) == 0)
            return (int)i;
    return -1;
}

static int visit(void *ctx, enum json_token tok, size_t depth, size_t start, size_t len)
{
    struct reader *r = ctx;
    if (depth == 1) {
        if (tok == JSON_TOK_KEY) {
            r->key = find(member_names, M_COUNT, r->json + start, len);
            r->in_input = len == 10 && memcmp(r->json + start, "tool_input", 10) == 0 ? 1 : 0;
            return 0;
        }
        if (r->in_input == 1 && tok == JSON_TOK_OBJ_BEGIN) {
            r->in_input = 2;
            r->input_start = start;
            return 0;
        }
        if (r->in_input == 2 && tok == JSON_TOK_OBJ_END) {
            r->input_end = start + 1;
            r->in_input = 0;
            return 0;
        }
        if (r->key >= 0 && tok == JSON_TOK_STRING && r->span[r->key][1] == 0) {
            r->span[r->key][0] = start;
            r->span[r->key][1] = len;
        }
        r->key = -1;
        return 0;
    }
    if (depth == 2 && r->in_input == 2) {
        if (tok == JSON_TOK_KEY) {
            r->input_key = find(input_names, N_INPUT, r->json + start, len);
        } else {
            if (r->input_key >= 0 && tok == JSON_TOK_STRING && len > 0) {
                r->input_span[r->input_key][0] = start;
                r->input_span[r->input_key][1] = len;
            }
            r->input_key = -1;
        }
    }
    return 0;
}

static void member_line(const struct reader *r, int m, char *out, size_t cap, size_t max)
{
    if (r->span[m][1] > 0)
        json_text_line(r->json + r->span[m][0], r->span[m][1], out, cap, max);
}

void state_event_read(struct state_event *ev, const char *json, size_t len)
{
    memset(&ev->detail, 0, sizeof ev->detail);
    ev->title[0] = '\0';
    ev->title_claude = 0;
    if (json == NULL || len == 0)
        return;
    struct reader r;
    memset(&r, 0, sizeof r);
    r.json = json;
    r.key = r.input_key = -1;
    if (json_walk(json, len, visit, &r, NULL) != JSON_OK)
        return;
    struct state_detail *d = &ev->detail;
    member_line(&r, M_TOOL_NAME, d->tool_name, sizeof d->tool_name, STATE_TOOL_NAME_MAX);
    for (size_t i = 0; i < N_INPUT && r.input_end > 0; i++) {
        if (r.input_span[i][1] > 0) {
            json_text_line(json + r.input_span[i][0], r.input_span[i][1], d->tool_input,
                           sizeof d->tool_input, STATE_TEXT_MAX);
            break;
        }
    }
    if (d->tool_input[0] == '\0' && r.input_end > r.input_start + 2) /* {} says nothing */
        one_line_text(json + r.input_start, r.input_end - r.input_start, d->tool_input,
                      sizeof d->tool_input, STATE_TEXT_MAX);
    member_line(&r, M_ERROR, d->error, sizeof d->error, STATE_ERROR_MAX);
    if (ev->flags & EVF_TURN_FAILED)
        member_line(&r, M_ERROR_DETAILS, d->message, sizeof d->message, STATE_TEXT_MAX);
    else if (r.span[M_MESSAGE][1] > 0)
        member_line(&r, M_MESSAGE, d->message, sizeof d->message, STATE_TEXT_MAX);
    else if (ev->flags & EVF_TURN_END)
        member_line(&r, M_LAST_MESSAGE, d->message, sizeof d->message, STATE_TEXT_MAX);
    if ((ev->flags & EVF_ELICITATION) && r.span[M_SERVER][1] > 0)
        member_line(&r, M_SERVER, d->tool_name, sizeof d->tool_name, STATE_TOOL_NAME_MAX);
    if (r.span[M_TITLE][1] > 0) {
        member_line(&r, M_TITLE, ev->title, sizeof ev->title, SESSION_TITLE_CHARS);
        ev->title_claude = ev->title[0] != '\0';
    }
    if (!ev->title_claude && (ev->flags & EVF_PROMPT) && !ev->subagent)
        member_line(&r, M_PROMPT, ev->title, sizeof ev->title, SESSION_TITLE_CHARS);
}

static int add_member(struct buf *out, const char *key, const char *v, int *first)
{
    if (v[0] == '\0')
        return 0;
    int bad = buf_append(out, *first ? "{\"" : ",\"", 2) | buf_append(out, key, strlen(key)) |
              buf_append(out, "\":\"", 3) | json_escape_append(out, v, strlen(v)) |
              buf_append(out, "\"", 1);
    *first = 0;
    return bad ? -1 : 0;
}

int state_detail_json(const struct state_detail *d, struct buf *out, int *empty)
{
    int first = 1;
    if (add_member(out, "tool_name", d->tool_name, &first) != 0 ||
        add_member(out, "tool_input", d->tool_input, &first) != 0 ||
        add_member(out, "message", d->message, &first) != 0 ||
        add_member(out, "error", d->error, &first) != 0)
        return -1;
    *empty = first;
    return first ? 0 : buf_append(out, "}", 1);
}

void state_detail_process_gone(struct state_detail *d, int64_t pid)
{
    memset(d, 0, sizeof *d);
    snprintf(d->message, sizeof d->message,
             "the Claude Code process (pid %lld) is gone; no SessionEnd was received",
             (long long)pid);
}
