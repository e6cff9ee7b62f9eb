/* Unit tests: a frame whose payload is not valid UTF-8 JSON, though the
 * sender did not flag it, is stored as raw bytes flagged invalid, and
 * redacted as such; a valid payload keeps its flags. */
#include "check.h"
#include "pending_event.h"
#include "chronicle/redact.h"

static struct pending_event *ingest(const char *payload, size_t len, uint32_t flags, int redact)
{
    static struct redact_rules rules;
    char err[128];
    redact_rules_init(&rules, redact, NULL, err, sizeof err);
    struct wire_event ev = {.kind = WIRE_EVENT, .ts_ns = 1, .uid = -1, .pid = -1, .ppid = -1,
                            .claude_pid = -1, .flags = flags, .orig_size = len};
    ev.payload = (struct wire_str){payload, len};
    struct pending_event *p = pending_event_new(&ev, &rules);
    redact_rules_free(&rules);
    return p;
}

static void unflagged_invalid_json_is_raw_and_redacted(struct check *c)
{
    const char *in = "{\"session_id\":\"s1\",\"hook_event_name\":\"Stop\",\"note\":\"DB_PASSWORD=hunter2pw\" oops";
    struct pending_event *p = ingest(in, strlen(in), 0, 1);
    CHECK(c, p != NULL);
    if (p == NULL)
        return;
    CHECK(c, p->flags == (WIRE_FLAG_INVALID | WIRE_FLAG_REDACTED));
    CHECK(c, memmem(p->payload.data, p->payload.len, "hunter2pw", 9) == NULL);
    CHECK(c, memmem(p->payload.data, p->payload.len, "oops", 4) != NULL);
    /* No columns come from a payload that is not JSON. */
    CHECK(c, p->fields.v[F_SESSION_ID] == NULL);
    CHECK_STR(c, p->event_type, "Unknown");
    pending_event_free(p);
}

static void invalid_utf8_is_raw(struct check *c)
{
    const char in[] = "{\"session_id\":\"\xff\xfe\",\"prompt\":\"ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1\"}";
    struct pending_event *p = ingest(in, sizeof in - 1, 0, 1);
    CHECK(c, p != NULL);
    if (p == NULL)
        return;
    CHECK(c, p->flags == (WIRE_FLAG_INVALID | WIRE_FLAG_REDACTED));
    CHECK(c, memmem(p->payload.data, p->payload.len, "aaaaaaaaaaaaaaaa", 16) == NULL);
    CHECK(c, memmem(p->payload.data, p->payload.len, "\xff\xfe", 2) != NULL);
    pending_event_free(p);
}

static void invalid_without_redaction_is_still_flagged(struct check *c)
{
    const char *in = "not json at all";
    struct pending_event *p = ingest(in, strlen(in), 0, 0);
    CHECK(c, p != NULL);
    if (p == NULL)
        return;
    CHECK(c, p->flags == WIRE_FLAG_INVALID);
    CHECK(c, p->payload.len == strlen(in) && memcmp(p->payload.data, in, p->payload.len) == 0);
    pending_event_free(p);
}

static void empty_unflagged_payload_is_invalid(struct check *c)
{
    struct pending_event *p = ingest(NULL, 0, 0, 1);
    CHECK(c, p != NULL);
    if (p == NULL)
        return;
    CHECK(c, p->flags == WIRE_FLAG_INVALID);
    CHECK(c, p->payload.len == 0);
    pending_event_free(p);
}

static void valid_payload_keeps_flags(struct check *c)
{
    const char *in = "{\"session_id\":\"s1\",\"hook_event_name\":\"Stop\"}";
    for (int redact = 0; redact <= 1; redact++) {
        struct pending_event *p = ingest(in, strlen(in), WIRE_FLAG_TRUNCATED, redact);
        CHECK(c, p != NULL);
        if (p == NULL)
            return;
        CHECK(c, p->flags == WIRE_FLAG_TRUNCATED);
        CHECK_STR(c, p->fields.v[F_SESSION_ID], "s1");
        CHECK_STR(c, p->event_type, "Stop");
        CHECK(c, p->payload.len == strlen(in));
        pending_event_free(p);
    }
}

CHECK_MAIN(CASE(unflagged_invalid_json_is_raw_and_redacted), CASE(invalid_utf8_is_raw),
           CASE(invalid_without_redaction_is_still_flagged), CASE(empty_unflagged_payload_is_invalid),
           CASE(valid_payload_keeps_flags))
