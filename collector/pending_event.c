/* pending_event.c - copy, redact and index one received event. */
#include "pending_event.h"

#include <stdlib.h>
#include <string.h>

#include "chronicle/event_type.h"
#include "chronicle/json_scan.h"
#include "chronicle/redact.h"

static char *dup_str(struct wire_str s)
{
    if (s.ptr == NULL)
        return NULL;
    char *p = malloc(s.len + 1);
    if (p != NULL) {
        memcpy(p, s.ptr, s.len);
        p[s.len] = '\0';
    }
    return p;
}

/* Event type: printable ASCII only, so a hostile name cannot smuggle control
 * bytes into logs or metric labels; anything else becomes '?'. */
static void set_event_type(struct pending_event *p, const char *name, size_t len)
{
    if (len >= sizeof p->event_type)
        len = sizeof p->event_type - 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        p->event_type[i] = (c > 0x20 && c < 0x7f) ? (char)c : '?';
    }
    p->event_type[len] = '\0';
}

/* The type's row in the table of hook events, once, so that nothing later
 * compares names. */
static void resolve_type(struct pending_event *p)
{
    enum awaiting_reason why;
    p->type_flags = event_meaning(p->event_type, strlen(p->event_type),
                                  p->fields.v[F_NOTIFICATION_TYPE], &why);
    p->awaiting = (unsigned char)why;
}

/* A raw payload (flagged invalid): copied, redacted as text. */
static int fill_raw(struct pending_event *p, const struct wire_event *ev, int redact,
                    const struct redact_rules *rules)
{
    const char *raw = ev->payload.ptr ? ev->payload.ptr : "";
    buf_reset(&p->payload);
    /* redact_raw copies the text whether or not it finds a secret. */
    int r = redact ? redact_raw(raw, ev->payload.len, rules, &p->payload)
                   : buf_append(&p->payload, raw, ev->payload.len);
    if (r < 0)
        return -1;
    if (redact && r > 0)
        p->flags |= WIRE_FLAG_REDACTED;
    return 0;
}

/* A JSON payload: copied (and redacted), and the column fields extracted in
 * the same walk; only when a secret was removed are the fields taken again
 * from the redacted text.  1 when the payload is not valid UTF-8 JSON. */
static int fill_json(struct pending_event *p, const struct wire_event *ev, int redact,
                     const struct redact_rules *rules)
{
    const char *json = ev->payload.ptr ? ev->payload.ptr : "";
    event_fields_begin(&p->fields, json);
    int r;
    if (redact) {
        r = redact_json(json, ev->payload.len, rules, &p->payload, event_fields_visit, &p->fields);
    } else {
        enum json_status st = json_walk(json, ev->payload.len, event_fields_visit, &p->fields, NULL);
        r = st == JSON_OK ? 0 : st == JSON_STOPPED || st == JSON_NOMEM ? -1 : -2;
    }
    if (event_fields_end(&p->fields) != 0 || r == -1)
        return -1;
    if (r == -2)
        return 1;
    if (r > 0) {
        p->flags |= WIRE_FLAG_REDACTED;
        return event_fields_parse(&p->fields, p->payload.data, p->payload.len);
    }
    buf_reset(&p->payload);
    return buf_append(&p->payload, json, ev->payload.len);
}

/* Copies (and redacts) the payload and extracts the column fields.  A
 * payload the sender did not flag but that is not valid UTF-8 JSON is stored
 * the way the sender stores one it flagged: raw bytes, flag INVALID, no
 * columns from it, redacted as text. */
static int fill_payload(struct pending_event *p, const struct wire_event *ev,
                        const struct redact_rules *rules)
{
    int redact = rules != NULL && rules->on;
    if ((ev->flags & WIRE_FLAG_INVALID) == 0) {
        int r = fill_json(p, ev, redact, rules);
        if (r <= 0)
            return r;
        p->flags |= WIRE_FLAG_INVALID;
        event_fields_begin(&p->fields, NULL); /* a prefix of it was seen: forget it */
        event_fields_end(&p->fields);
    }
    p->fields.duration_ms = -1;
    return fill_raw(p, ev, redact, rules);
}

struct pending_event *pending_event_new(const struct wire_event *ev,
                                        const struct redact_rules *rules)
{
    struct pending_event *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    memcpy(p->id, ev->id, WIRE_ID_LEN);
    p->ts_ns = ev->ts_ns;
    p->uid = ev->uid;
    p->pid = ev->pid;
    p->ppid = ev->ppid;
    p->claude_pid = ev->claude_pid;
    p->flags = ev->flags;
    p->orig_size = ev->orig_size;
    p->host = dup_str(ev->host);
    p->project_dir = dup_str(ev->project_dir);
    if ((ev->host.ptr && !p->host) || (ev->project_dir.ptr && !p->project_dir) ||
        fill_payload(p, ev, rules) != 0)
        goto fail;

    const char *name = p->fields.v[F_HOOK_EVENT_NAME];
    if (name != NULL && *name != '\0')
        set_event_type(p, name, strlen(name));
    else if (ev->arg.ptr != NULL && ev->arg.len > 0)
        set_event_type(p, ev->arg.ptr, ev->arg.len);
    else
        strcpy(p->event_type, "Unknown");
    resolve_type(p);
    /* Extracted here, on the loop thread, so that the writer's transaction
     * only tokenizes.  From the stored (redacted) text: what is indexed is
     * exactly what is stored.  Raw (invalid) payloads are not indexed. */
    if ((p->flags & WIRE_FLAG_INVALID) == 0 &&
        search_text_extract(&p->search, p->event_type, p->payload.data, p->payload.len) != 0)
        goto fail;
    p->bytes = sizeof *p + p->payload.cap + p->fields.arena.cap;
    for (int i = 0; i < SEARCH_FIELDS; i++)
        p->bytes += p->search.text[i].cap;
    return p;
fail:
    pending_event_free(p);
    return NULL;
}

void pending_event_free(struct pending_event *p)
{
    if (p == NULL)
        return;
    free(p->host);
    free(p->project_dir);
    buf_free(&p->payload);
    event_fields_free(&p->fields);
    search_text_free(&p->search);
    free(p);
}
