/* alert_payload.c - notification bodies and texts.  See alert_payload.h. */
#include "alert_payload.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chronicle/clock.h"

enum alert_format alert_format_for(const char *url, const char *forced)
{
    if (forced != NULL && strcmp(forced, "auto") != 0 && forced[0] != '\0') {
        if (strcmp(forced, "slack") == 0) return ALERT_FORMAT_SLACK;
        if (strcmp(forced, "discord") == 0) return ALERT_FORMAT_DISCORD;
        if (strcmp(forced, "ntfy") == 0) return ALERT_FORMAT_NTFY;
        return ALERT_FORMAT_JSON;
    }
    const char *sep = strstr(url, "://");
    const char *host = sep ? sep + 3 : url;
    size_t hn = strcspn(host, "/?#");
    char h[256];
    snprintf(h, sizeof h, "%.*s", (int)(hn < sizeof h ? hn : sizeof h - 1), host);
    const char *path = host + hn;
    if (strcmp(h, "hooks.slack.com") == 0)
        return ALERT_FORMAT_SLACK;
    if ((strcmp(h, "discord.com") == 0 || strcmp(h, "discordapp.com") == 0 ||
         strcmp(h, "canary.discord.com") == 0) && strncmp(path, "/api/webhooks/", 14) == 0)
        return ALERT_FORMAT_DISCORD;
    if (strstr(h, "ntfy") != NULL)
        return ALERT_FORMAT_NTFY;
    return ALERT_FORMAT_JSON;
}

void alert_iso(int64_t ns, char out[32])
{
    time_t s = (time_t)(ns / NS_PER_S);
    struct tm tm;
    if (gmtime_r(&s, &tm) == NULL) {
        snprintf(out, 32, "1970-01-01T00:00:00.000Z");
        return;
    }
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)((ns % NS_PER_S) / NS_PER_MS));
}

/* Cuts s (in place) to fewer than cap bytes, and drops a last UTF-8
 * sequence that a cut (here or by snprintf) left incomplete. */
static void cut_utf8(char *s, size_t cap)
{
    size_t n = strlen(s);
    if (n >= cap)
        s[n = cap - 1] = '\0';
    size_t start = n;
    while (start > 0 && ((unsigned char)s[start - 1] & 0xC0) == 0x80)
        start--;
    if (start == 0)
        return;
    unsigned char lead = (unsigned char)s[start - 1];
    size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (n - (start - 1) < want)
        s[start - 1] = '\0';
}

static const char *str_or(const char *s, const char *dflt) { return s && *s ? s : dflt; }

void alert_link(const struct alert_view *a, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s", str_or(a->dashboard, ""));
    if (a->session_id == NULL || n < 0 || (size_t)n >= cap)
        return;
    size_t o = (size_t)n;
    static const char hex[] = "0123456789ABCDEF";
    const char *q = "?open=";
    for (const char *p = q; *p && o + 1 < cap; p++)
        out[o++] = *p;
    for (const unsigned char *p = (const unsigned char *)a->session_id; *p && o + 3 < cap; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.') {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o] = '\0';
}

/* The session's name for people: its title, else the first 8 characters of its id. */
static void who(const struct alert_view *a, char *out, size_t cap)
{
    if (a->title && *a->title)
        snprintf(out, cap, "%s", a->title);
    else if (a->session_id)
        snprintf(out, cap, "session %.8s", a->session_id);
    else
        snprintf(out, cap, "Chronicle");
    cut_utf8(out, cap < 81 ? cap : 81);
}

static const char *dstr(json_t *d, const char *k)
{
    json_t *v = d ? json_object_get(d, k) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static double dnum(json_t *d, const char *k)
{
    json_t *v = d ? json_object_get(d, k) : NULL;
    return json_is_number(v) ? json_number_value(v) : 0;
}

void alert_summary(const struct alert_view *a, char *out, size_t cap)
{
    char name[128], proj[160] = "";
    who(a, name, sizeof name);
    if (a->project && *a->project)
        snprintf(proj, sizeof proj, " (%s)", a->project);
    json_t *d = a->detail ? json_loads(a->detail, 0, NULL) : NULL;
    const char *rule = str_or(a->rule, "?"), *reason = str_or(a->reason, "");
    const char *done = a->kind && strcmp(a->kind, "resolved") == 0 ? "resolved: " : "";
    if (strcmp(rule, "awaiting") == 0) {
        const char *tool = dstr(d, "tool_name"), *input = dstr(d, "tool_input"),
                   *msg = dstr(d, "message");
        if (strcmp(reason, "permission") == 0 && tool)
            snprintf(out, cap, "%s%s%s needs you: permission for %s%s%s", done, name, proj, tool,
                     input ? ": " : "", input ? input : "");
        else if (strcmp(reason, "turn_done") == 0)
            snprintf(out, cap, "%s%s%s is waiting: turn done", done, name, proj);
        else
            snprintf(out, cap, "%s%s%s is waiting for you (%s)%s%s", done, name, proj,
                     str_or(reason, "input"), msg ? ": " : "", msg ? msg : "");
    } else if (strcmp(rule, "failed") == 0) {
        const char *e = dstr(d, "error");
        if (strcmp(reason, "tool_errors") == 0)
            snprintf(out, cap, "%s%s%s: %.0f tool errors in %.0f s", done, name, proj,
                     dnum(d, "errors"), dnum(d, "window_s"));
        else
            snprintf(out, cap, "%s%s%s failed%s%s", done, name, proj, e ? ": " : "", e ? e : "");
    } else if (strcmp(rule, "budget") == 0 || strcmp(rule, "budget_forecast") == 0) {
        const char *per = strcmp(reason, "monthly") == 0 ? "this month" : "today";
        const char *p = dstr(d, "project");
        char scope[192] = "";
        if (p)
            snprintf(scope, sizeof scope, " in %s", p);
        if (strcmp(rule, "budget") == 0)
            snprintf(out, cap, "%sspend %s%s $%.2f crossed the %s budget of $%.2f", done, per, scope,
                     dnum(d, "spent_usd"), strcmp(reason, "monthly") == 0 ? "monthly" : "daily",
                     dnum(d, "budget_usd"));
        else
            snprintf(out, cap, "%sspend today%s $%.2f is on course to reach $%.2f by the end of "
                     "the day, over the daily budget of $%.2f", done, scope, dnum(d, "spent_usd"),
                     dnum(d, "forecast_usd"), dnum(d, "budget_usd"));
    } else if (strcmp(rule, "ended_unexpectedly") == 0) {
        snprintf(out, cap, "%s%s%s ended unexpectedly: its Claude Code process is gone", done, name,
                 proj);
    } else {
        snprintf(out, cap, "%s%s%s: %s %s", done, name, proj, rule, reason);
    }
    json_decref(d);
    /* One line: a newline in a tool input must not start a fake line. */
    for (char *p = out; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    cut_utf8(out, cap < 501 ? cap : 501);
}

/* Slack's mrkdwn: &, < and > must be escaped, or data could make links. */
static char *slack_escape(const char *s)
{
    size_t n = strlen(s);
    char *o = malloc(n * 5 + 1), *w = o;
    if (o == NULL)
        return NULL;
    for (; *s; s++) {
        const char *r = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : NULL;
        if (r) {
            memcpy(w, r, strlen(r));
            w += strlen(r);
        } else {
            *w++ = *s;
        }
    }
    *w = '\0';
    return o;
}

static json_t *opt_str(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *time_json(json_t *o, const char *key, int64_t ns)
{
    char iso[32], kms[48];
    snprintf(kms, sizeof kms, "%s_ms", key);
    if (ns <= 0) {
        json_object_set_new(o, key, json_null());
        json_object_set_new(o, kms, json_null());
    } else {
        alert_iso(ns, iso);
        json_object_set_new(o, key, json_string(iso));
        json_object_set_new(o, kms, json_integer(ns / NS_PER_MS));
    }
    return o;
}

static json_t *generic(const struct alert_view *a, const char *summary, const char *link)
{
    json_t *detail = a->detail ? json_loads(a->detail, 0, NULL) : NULL;
    json_t *o = json_object();
    if (o == NULL) {
        json_decref(detail);
        return NULL;
    }
    json_object_set_new(o, "schema", json_string("chronicle.alert/1"));
    json_object_set_new(o, "event", json_string(a->kind));
    json_object_set_new(o, "id", json_integer(a->id));
    json_object_set_new(o, "rule", opt_str(a->rule));
    json_object_set_new(o, "session_id", opt_str(a->session_id));
    json_object_set_new(o, "title", opt_str(a->title));
    json_object_set_new(o, "project", opt_str(a->project));
    json_object_set_new(o, "machine", opt_str(a->machine));
    json_object_set_new(o, "reason", opt_str(a->reason));
    json_object_set_new(o, "detail", detail ? detail : json_null());
    json_object_set_new(o, "summary", json_string(summary));
    json_object_set_new(o, "link", json_string(link));
    int resolved = strcmp(a->kind, "resolved") == 0 && a->resolved_ns > 0;
    time_json(o, "time", resolved ? a->resolved_ns : a->fired_ns);
    time_json(o, "fired", a->fired_ns);
    time_json(o, "resolved", a->resolved_ns);
    return o;
}

int alert_payload_build(const struct alert_view *a, enum alert_format f, struct alert_body *out)
{
    char summary[512], link[1024];
    memset(out, 0, sizeof *out);
    alert_summary(a, summary, sizeof summary);
    alert_link(a, link, sizeof link);
    json_t *o = NULL;
    snprintf(out->content_type, sizeof out->content_type, "application/json");
    switch (f) {
    case ALERT_FORMAT_SLACK: {
        char *t = slack_escape(summary);
        char *text = NULL;
        if (t && asprintf(&text, "%s <%s|Open in Chronicle>", t, link) < 0)
            text = NULL;
        free(t);
        if (text == NULL)
            return -1;
        o = json_pack("{s:s}", "text", text);
        free(text);
        break;
    }
    case ALERT_FORMAT_DISCORD: {
        char *text = NULL;
        if (asprintf(&text, "%s\n<%s>", summary, link) < 0)
            return -1;
        /* No @everyone or role pings from data: mentions are parsed from nothing. */
        o = json_pack("{s:s,s:{s:[]}}", "content", text, "allowed_mentions", "parse");
        free(text);
        break;
    }
    case ALERT_FORMAT_NTFY: {
        /* ntfy takes the message as the body and the rest as headers. */
        out->body = strdup(summary);
        snprintf(out->content_type, sizeof out->content_type, "text/plain; charset=utf-8");
        snprintf(out->header[0], sizeof out->header[0], "Title: Chronicle: %s %s", a->rule,
                 a->kind);
        snprintf(out->header[1], sizeof out->header[1], "Tags: %s",
                 strcmp(a->kind, "resolved") == 0 ? "white_check_mark" : "warning");
        if (strlen(link) < sizeof out->header[2] - 8)
            snprintf(out->header[2], sizeof out->header[2], "Click: %s", link);
        return out->body ? 0 : -1;
    }
    default:
        o = generic(a, summary, link);
        break;
    }
    if (o == NULL)
        return -1;
    out->body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return out->body ? 0 : -1;
}
