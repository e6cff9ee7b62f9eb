/*
 * http_route.c - the request entry point: limits, security checks, routing,
 * and the per-request metrics.  The connections themselves (the listener,
 * the cap) are http_conn.c's.
 */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "chronicle/clock.h"
#include "http_guard.h"
#include "http_query.h"
#include "chronicle/log.h"
#include "static_serve.h"
#include "team.h"
#include "ws_message.h"

#define MAX_URI_BYTES 8192
#define MAX_ID_BYTES 256

/* Browsers cannot set headers on a WebSocket: /ws also takes the token as
 * ?access_token=.  Only there, so REST URLs with secrets do not spread. */
static int ws_query_token_ok(struct http_ctx *hc)
{
    if (hc->route != ROUTE_WS)
        return 0;
    struct query q;
    char err[128];
    int ok = 0;
    if (query_parse(&q, hc->query, err, sizeof err) == 0) {
        const char *t = query_get(&q, "access_token");
        ok = t != NULL && guard_secret_equal(t, hc->srv->cfg.token);
    }
    query_free(&q);
    return ok;
}

int http_reply_if_bad_host(struct http_ctx *hc)
{
    const struct chronicle_config *cfg = &hc->srv->cfg;
    const char *host = evhttp_find_header(evhttp_request_get_input_headers(hc->req), "Host");
    if (guard_host_allowed(host, cfg->bind, cfg->allowed_hosts))
        return 0;
    http_reply_error(hc, host ? 403 : 400, host ? "forbidden_host" : "missing_host",
                     host ? "Host header not allowed; add the name to CHRONICLE_ALLOWED_HOSTS"
                          : "the Host header is required");
    return 1;
}

/* The dashboard's cookie (dashboard_gate.c sets it), in any Cookie header. */
static int cookie_ok(struct http_ctx *hc)
{
    const struct server *srv = hc->srv;
    struct evkeyval *h;
    TAILQ_FOREACH(h, evhttp_request_get_input_headers(hc->req), next)
        if (strcasecmp(h->key, "Cookie") == 0 &&
            guard_cookie_ok(h->value, srv->cookie_name, srv->cookie_value))
            return 1;
    return 0;
}

int http_authorized(struct http_ctx *hc)
{
    const struct chronicle_config *cfg = &hc->srv->cfg;
    if (cfg->token[0] == '\0')
        return 1; /* --no-token */
    const char *auth =
        evhttp_find_header(evhttp_request_get_input_headers(hc->req), "Authorization");
    return guard_bearer_ok(auth, cfg->token) || cookie_ok(hc) || ws_query_token_ok(hc);
}

int http_reply_if_unauthorized(struct http_ctx *hc)
{
    if (http_authorized(hc))
        return 0;
    const char *auth =
        evhttp_find_header(evhttp_request_get_input_headers(hc->req), "Authorization");
    evhttp_add_header(evhttp_request_get_output_headers(hc->req), "WWW-Authenticate",
                      "Bearer realm=\"chronicle\"");
    http_reply_error(hc, 401, "unauthorized",
                     auth ? "wrong bearer token" : "this server requires 'Authorization: Bearer "
                     "<token>', the token being CHRONICLE_TOKEN or the contents of "
                     "$CHRONICLE_HOME/server.token; `chronicle open` prints the dashboard's link");
    return 1;
}

/* Picks the route and decodes the {id} segment into *id (malloc'd). */
static enum route_id match(const char *path, char **id)
{
    static const struct { const char *path; enum route_id r; } exact[] = {
        {"/health", ROUTE_HEALTH}, {"/health/performance", ROUTE_HEALTH_PERF},
        {"/metrics", ROUTE_METRICS}, {"/ws", ROUTE_WS}, {"/api/sessions", ROUTE_SESSIONS},
        {"/api/events", ROUTE_EVENTS}, {"/api/stats", ROUTE_STATS}, {"/api/usage", ROUTE_USAGE},
        {"/api/meta", ROUTE_META}, {"/api/cost", ROUTE_COST}, {"/api/search", ROUTE_SEARCH},
        {"/api/alerts", ROUTE_ALERTS},
    };
    *id = NULL;
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (strcmp(path, exact[i].path) == 0)
            return exact[i].r;
    enum route_id r;
    const char *rest;
    if (strncmp(path, "/api/sessions/", 14) == 0) {
        rest = path + 14;
        const char *slash = strchr(rest, '/');
        if (slash != NULL && strcmp(slash, "/events") != 0 && strcmp(slash, "/conversation") != 0)
            return ROUTE_OTHER;
        r = slash == NULL ? ROUTE_SESSION
            : strcmp(slash, "/events") == 0 ? ROUTE_SESSION_EVENTS : ROUTE_SESSION_CONVERSATION;
        size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
        char seg[MAX_ID_BYTES * 3 + 1];
        if (n == 0 || n >= sizeof seg)
            return ROUTE_OTHER;
        memcpy(seg, rest, n);
        seg[n] = '\0';
        size_t dlen = 0;
        *id = evhttp_uridecode(seg, 0, &dlen);
        /* No stored id holds a NUL or bytes that are not UTF-8: such a path
         * names nothing (404). */
        if (*id == NULL || dlen != strlen(*id) || dlen == 0 || dlen > MAX_ID_BYTES ||
            !utf8_valid((const uint8_t *)*id, dlen)) {
            free(*id);
            *id = NULL;
            return ROUTE_OTHER;
        }
        return r;
    }
    if (strncmp(path, "/api/alerts/", 12) == 0) {
        rest = path + 12;
        size_t n = strspn(rest, "0123456789");
        if (n == 0 || n > 18 || strcmp(rest + n, "/ack") != 0)
            return ROUTE_OTHER;
        *id = strndup(rest, n);
        return *id ? ROUTE_ALERT_ACK : ROUTE_OTHER;
    }
    if (strncmp(path, "/api/events/", 12) == 0) {
        rest = path + 12;
        if (*rest == '\0' || strlen(rest) > 20 || strspn(rest, "0123456789") != strlen(rest))
            return ROUTE_OTHER;
        *id = strdup(rest);
        return *id ? ROUTE_EVENT : ROUTE_OTHER;
    }
    return ROUTE_OTHER;
}

static void preflight(struct http_ctx *hc)
{
    const char *cors = hc->srv->cfg.cors_origin;
    const char *origin =
        evhttp_find_header(evhttp_request_get_input_headers(hc->req), "Origin");
    if (cors[0] == '\0' || origin == NULL || strcmp(origin, cors) != 0) {
        evhttp_add_header(evhttp_request_get_output_headers(hc->req), "Allow", "GET, HEAD");
        http_reply_error(hc, 405, "method_not_allowed", "only GET and HEAD are served");
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(hc->req);
    evhttp_add_header(h, "Access-Control-Allow-Methods", "GET, HEAD");
    evhttp_add_header(h, "Access-Control-Allow-Headers", "Authorization");
    evhttp_add_header(h, "Access-Control-Max-Age", "600");
    http_reply_text(hc, 204, "text/plain", "", 0);
}

/* Two Content-Length headers that disagree (request smuggling): evhttp
 * reads the body by the first, a proxy in front may have used the other, so
 * the connection's next bytes are no longer known to start a request.
 * Answers 400 and closes; returns 1 then. */
static int reply_if_lengths_conflict(struct http_ctx *hc)
{
    const char *first = NULL;
    struct evkeyval *h;
    TAILQ_FOREACH(h, evhttp_request_get_input_headers(hc->req), next) {
        if (strcasecmp(h->key, "Content-Length") != 0)
            continue;
        if (first == NULL) {
            first = h->value;
        } else if (strcmp(first, h->value) != 0) {
            evhttp_add_header(evhttp_request_get_output_headers(hc->req), "Connection", "close");
            http_reply_error(hc, 400, "conflicting_content_length",
                             "Content-Length headers that disagree");
            return 1;
        }
    }
    return 0;
}

static void dispatch(struct http_ctx *hc)
{
    struct evhttp_request *req = hc->req;
    if (reply_if_lengths_conflict(hc))
        return;
    const char *uri = evhttp_request_get_uri(req);
    if (uri == NULL || strlen(uri) > MAX_URI_BYTES) {
        http_reply_error(hc, 414, "uri_too_long", "request URI longer than %d bytes",
                         MAX_URI_BYTES);
        return;
    }
    const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
    const char *path = u ? evhttp_uri_get_path(u) : NULL;
    if (path == NULL || *path == '\0') {
        http_reply_error(hc, 400, "bad_uri", "cannot parse the request URI");
        return;
    }
    hc->query = evhttp_uri_get_query(u);
    /* The embedded dashboard (static_serve.c) answers its own paths: Host
     * check; the page itself is behind its door (dashboard_gate.c), its
     * scripts and styles hold no data and are served to anyone. */
    hc->route = ROUTE_STATIC;
    if (static_serve(hc, path))
        return;
    char *id = NULL;
    hc->route = match(path, &id);
    hc->path_arg = id;
    if (http_reply_if_bad_host(hc))
        goto out;
    /* A CORS preflight never carries credentials, and answers no data. */
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    if (cmd == EVHTTP_REQ_OPTIONS) {
        preflight(hc);
        goto out;
    }
    /* /health says whether the server and the collector run, nothing of
     * what they hold: probes and `chronicle status` ask it without a token. */
    if (hc->route != ROUTE_HEALTH && http_reply_if_unauthorized(hc))
        goto out;
    /* The one write: an acknowledgement, POST only (api_alerts.c). */
    if (hc->route == ROUTE_ALERT_ACK) {
        if (hc->srv->team != NULL) { /* team mode: alerts are each machine's (501) */
            team_dispatch(hc, path);
        } else if (cmd != EVHTTP_REQ_POST) {
            evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
            http_reply_error(hc, 405, "method_not_allowed", "acknowledge with POST");
        } else {
            api_alert_ack(hc);
        }
        goto out;
    }
    if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
        http_reply_error(hc, 405, "method_not_allowed", "only GET and HEAD are served");
        goto out;
    }
    if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) > 0) {
        http_reply_error(hc, 413, "body_not_allowed", "GET requests take no body");
        goto out;
    }
    if (hc->srv->team != NULL) { /* team mode: PostgreSQL (team_route.c) */
        team_dispatch(hc, path);
        goto out;
    }
    switch (hc->route) {
    case ROUTE_HEALTH: api_health(hc); break;
    case ROUTE_HEALTH_PERF: api_health_performance(hc); break;
    case ROUTE_METRICS: api_metrics(hc); break;
    case ROUTE_WS: live_feed_upgrade(hc); break;
    case ROUTE_SESSIONS: api_sessions(hc); break;
    case ROUTE_SESSION: api_session(hc); break;
    case ROUTE_SESSION_EVENTS: api_events(hc); break;
    case ROUTE_EVENTS: api_events(hc); break;
    case ROUTE_EVENT: api_event(hc); break;
    case ROUTE_STATS: api_stats(hc); break;
    case ROUTE_USAGE: api_usage(hc); break;
    case ROUTE_COST: api_cost(hc); break;
    case ROUTE_META: api_meta(hc); break;
    case ROUTE_ALERTS: api_alerts(hc); break;
    case ROUTE_SESSION_CONVERSATION: api_conversation(hc); break;
    case ROUTE_SEARCH: api_search(hc); break;
    default:
        http_reply_error(hc, 404, "not_found", "no such endpoint: %.200s", path);
        break;
    }
out:
    free(id);
    hc->path_arg = NULL;
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct server *srv = arg;
    int64_t t0 = clock_mono_ns();
    struct http_ctx hc = {srv, req, ROUTE_OTHER, 0, NULL, NULL};
    if (http_conn_track(srv, req) != 0) {
        srv->metrics.connections_rejected++;
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
        http_reply_error(&hc, 503, "too_many_connections",
                         "connection cap (%ld) reached; retry later", srv->cfg.max_connections);
    } else {
        dispatch(&hc);
    }
    if (hc.status == 0) { /* a handler that forgot to answer is a bug: answer anyway */
        log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "route %s did not answer", route_name(hc.route));
        http_reply_error(&hc, 500, "internal", "no answer");
    }
    metrics_record(&srv->metrics, hc.route, hc.status, (double)(clock_mono_ns() - t0) / 1e9);
}

void http_route_install(struct server *srv)
{
    evhttp_set_gencb(srv->http, on_request, srv);
    /* Limits: request line + headers, body, idle/slow timeout. */
    evhttp_set_max_headers_size(srv->http, 16 * 1024);
    evhttp_set_max_body_size(srv->http, 4096);
    evhttp_set_timeout(srv->http, (int)srv->cfg.http_timeout_s);
    /* Let every method reach us so a wrong one gets a JSON 405. */
    evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                              EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                              EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_default_content_type(srv->http, "application/json");
}
