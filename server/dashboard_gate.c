/* dashboard_gate.c - ?token= for a cookie, or the sign-in page.  See dashboard_gate.h. */
#include "dashboard_gate.h"

#include <stdio.h>
#include <string.h>

#include <event2/keyvalq_struct.h>

#include "http_guard.h"
#include "http_query.h"

/* 30 days, as Jupyter's (Tornado's) cookie: the token itself does not change
 * until server.token is removed, and then the cookie no longer matches. */
#define COOKIE_MAX_AGE_S (30 * 86400)

/* The sign-in page: no script, no style, nothing from the request in it. */
#define PAGE_CSP "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

static const char page_head[] =
    "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>Chronicle: open the dashboard with its link</title>\n</head>\n<body>\n"
    "<h1>&#9670; Chronicle</h1>\n";

static const char page_no_token[] =
    "<p>This dashboard shows your Claude Code sessions: it opens only with its link, which "
    "carries this server's token.</p>\n";

static const char page_wrong_token[] =
    "<p>The link you opened carries a token that is not this server's: it may be the link of "
    "another Chronicle server, or the token changed (a new <code>server.token</code>).</p>\n";

static const char page_tail[] =
    "<p>To get the link, run in a terminal, as the user that runs chronicle-server:</p>\n"
    "<pre>chronicle open</pre>\n"
    "<p>and open the URL it prints, <code>http://&hellip;/?token=&hellip;</code> "
    "(<code>chronicle open --browser</code> opens it for you). The server then keeps you signed "
    "in with a cookie and takes the token out of the address bar.</p>\n"
    "<p>Opened the link from another web page just now? Reload this page: browsers do not send "
    "the sign-in cookie on a navigation another site started.</p>\n"
    "<p>The token is in <code>$CHRONICLE_HOME/server.token</code> (by default "
    "<code>~/.claude/chronicle/server.token</code>), or is <code>CHRONICLE_TOKEN</code> when "
    "that is set. Treat the link as a password.</p>\n</body>\n</html>\n";

static void signin_page(struct http_ctx *hc, int wrong_token)
{
    char page[sizeof page_head + sizeof page_wrong_token + sizeof page_tail];
    snprintf(page, sizeof page, "%s%s%s", page_head,
             wrong_token ? page_wrong_token : page_no_token, page_tail);
    struct evkeyvalq *out = evhttp_request_get_output_headers(hc->req);
    evhttp_add_header(out, "Content-Security-Policy", PAGE_CSP);
    evhttp_add_header(out, "Referrer-Policy", "no-referrer");
    evhttp_add_header(out, "WWW-Authenticate", "Bearer realm=\"chronicle\"");
    http_reply_text(hc, 401, "text/html; charset=utf-8", page, strlen(page));
}

/* 303 to the same path without ?token=, with the cookie set. */
static void exchange(struct http_ctx *hc, const char *path)
{
    struct server *srv = hc->srv;
    char rest[QUERY_MAX_LEN + 1], location[QUERY_MAX_LEN + 64], cookie[1024];
    /* The other parameters (the dashboard's filters) are kept as sent; a
     * query that cannot be rebuilt cleanly is dropped. */
    if (query_without(hc->query, "token", rest, sizeof rest) != 0)
        rest[0] = '\0';
    for (const char *p = rest; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
            rest[0] = '\0';
            break;
        }
    snprintf(location, sizeof location, "%s%s%s", path, rest[0] ? "?" : "", rest);
    /* Secure only behind a TLS proxy that says so: on plain http a Secure
     * cookie would never be sent back, and the sign-in would loop. */
    const char *proto = evhttp_find_header(evhttp_request_get_input_headers(hc->req),
                                           "X-Forwarded-Proto");
    int secure = proto != NULL && strcmp(proto, "https") == 0;
    snprintf(cookie, sizeof cookie, "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s",
             srv->cookie_name, srv->cookie_value, COOKIE_MAX_AGE_S, secure ? "; Secure" : "");
    struct evkeyvalq *out = evhttp_request_get_output_headers(hc->req);
    evhttp_add_header(out, "Location", location);
    evhttp_add_header(out, "Set-Cookie", cookie);
    evhttp_add_header(out, "Referrer-Policy", "no-referrer");
    http_reply_text(hc, 303, "text/plain; charset=utf-8", "", 0);
}

int dashboard_gate(struct http_ctx *hc)
{
    if (hc->srv->cfg.token[0] == '\0')
        return 0; /* --no-token */
    struct query q;
    char err[256];
    const char *given = NULL;
    if (query_parse(&q, hc->query, err, sizeof err) == 0)
        given = query_get(&q, "token");
    int right = given != NULL && guard_secret_equal(given, hc->srv->cfg.token);
    int wrong = given != NULL && !right;
    query_free(&q);
    if (right) {
        const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(hc->req);
        exchange(hc, evhttp_uri_get_path(u));
        return 1;
    }
    if (!wrong && http_authorized(hc))
        return 0;
    signin_page(hc, wrong);
    return 1;
}
