/*
 * static_serve.c - the dashboard's files over HTTP: Host check, GET/HEAD
 * only, the page behind its door (dashboard_gate.c), ETag revalidation
 * (304), and headers that keep a page showing
 * untrusted agent output safe (CSP without inline script, nosniff, no
 * framing).
 */
#include "static_serve.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "dashboard_gate.h"
#include "static_assets.h"

/* No inline script or style anywhere in dashboard/: a payload that ever
 * reached the DOM as markup still could not run.  connect-src 'self' covers
 * the same-origin WebSocket.  Chart.js sizes its canvas through element
 * style properties (CSSOM), which style-src does not restrict. */
#define CSP "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
            "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

static void asset_headers(struct evkeyvalq *h, const struct static_asset *a)
{
    /* evhttp_add_header fails only on CR/LF, which none of these hold. */
    evhttp_add_header(h, "Content-Type", a->content_type);
    evhttp_add_header(h, "ETag", a->etag);
    /* Revalidate on every load: the files change when the binary is
     * upgraded, and a 304 on localhost costs next to nothing. */
    evhttp_add_header(h, "Cache-Control", "no-cache");
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(h, "Referrer-Policy", "no-referrer");
    evhttp_add_header(h, "Content-Security-Policy", CSP);
}

int static_serve(struct http_ctx *hc, const char *path)
{
    const struct static_asset *a = static_asset_find(path);
    if (a == NULL)
        return 0;
    if (http_reply_if_bad_host(hc))
        return 1;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(hc->req);
    if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
        evhttp_add_header(evhttp_request_get_output_headers(hc->req), "Allow", "GET, HEAD");
        http_reply_error(hc, 405, "method_not_allowed", "only GET and HEAD are served");
        return 1;
    }
    if (evbuffer_get_length(evhttp_request_get_input_buffer(hc->req)) > 0) {
        http_reply_error(hc, 413, "body_not_allowed", "GET requests take no body");
        return 1;
    }
    if (strcmp(a->path, "/index.html") == 0 && dashboard_gate(hc))
        return 1;
    struct evkeyvalq *out = evhttp_request_get_output_headers(hc->req);
    asset_headers(out, a);
    struct evkeyvalq *in = evhttp_request_get_input_headers(hc->req);
    if (static_asset_etag_matches(evhttp_find_header(in, "If-None-Match"), a->etag)) {
        hc->status = 304;
        evhttp_send_reply(hc->req, 304, "Not Modified", NULL);
        return 1;
    }
    if (cmd == EVHTTP_REQ_HEAD) {
        /* libevent 2.1 would send a body after HEAD headers: send none,
         * and state the length a GET would have. */
        char len[32];
        snprintf(len, sizeof len, "%zu", a->len);
        evhttp_add_header(out, "Content-Length", len);
        hc->status = 200;
        evhttp_send_reply(hc->req, 200, "OK", NULL);
        return 1;
    }
    /* The bytes are static: referenced, never copied. */
    struct evbuffer *body = evhttp_request_get_output_buffer(hc->req);
    if (evbuffer_add_reference(body, a->data, a->len, NULL, NULL) != 0) {
        evhttp_clear_headers(out);
        http_reply_error(hc, 500, "out_of_memory", "out of memory");
        return 1;
    }
    hc->status = 200;
    evhttp_send_reply(hc->req, 200, "OK", NULL);
    return 1;
}
