/*
 * alert_payload.h - what a notification says: the webhook bodies (the
 * documented JSON schema, Slack, Discord, ntfy) and the desktop text of one
 * alert event ("fired" or "resolved").  Pure functions of their input, so
 * unit tests pin every format (tests/unit/test_alert_payload.c).
 *
 * The schema is docs/ALERTS.md's "Payload"; a change there is a change here.
 */
#ifndef CHRONICLE_ALERT_PAYLOAD_H
#define CHRONICLE_ALERT_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

/* One alert as the engine read it back from its row.  Strings may be NULL. */
struct alert_view {
    int64_t id;
    const char *rule, *session_id, *title, *project, *machine, *reason;
    const char *detail;     /* JSON object text or NULL */
    const char *kind;       /* "fired" | "resolved" */
    int64_t fired_ns, resolved_ns; /* resolved_ns 0: open */
    const char *dashboard;  /* link base, ends in '/', never carries the token */
};

enum alert_format { ALERT_FORMAT_JSON, ALERT_FORMAT_SLACK, ALERT_FORMAT_DISCORD, ALERT_FORMAT_NTFY };

/* The format for url: forced by name ("json", "slack", "discord", "ntfy"),
 * or with "auto" (or NULL) by the URL's shape: hooks.slack.com,
 * discord.com/api/webhooks (or discordapp.com), a host with "ntfy" in it;
 * anything else gets the JSON schema. */
enum alert_format alert_format_for(const char *url, const char *forced);

/* A request body, malloc'd (caller frees), with its content type and one
 * extra header line ("" when none). */
struct alert_body {
    char *body;
    char content_type[48];
    char header[3][320];    /* extra "Name: value" lines, "" when unused */
};

/* 0, or -1 on ENOMEM. */
int alert_payload_build(const struct alert_view *a, enum alert_format f, struct alert_body *out);

/* One line for people: "needs you: permission for Bash: rm -rf build"...
 * into out (cap bytes, always terminated, cut at a UTF-8 boundary). */
void alert_summary(const struct alert_view *a, char *out, size_t cap);

/* The dashboard link of a: base + "?open=<session id, percent-encoded>",
 * or base alone for alerts about no session. */
void alert_link(const struct alert_view *a, char *out, size_t cap);

/* UTC ISO 8601 with milliseconds ("2026-12-02T04:40:30.123Z"). */
void alert_iso(int64_t ns, char out[32]);

#endif
