/* http_reply.c - JSON, text and error answers with the headers every answer
 * carries. */
#include "server.h"
#include "team.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "http_query.h"
#include "chronicle/log.h"
#include "ws_message.h"

static const char *reason(int status)
{
    switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 204: return "No Content";
    case 303: return "See Other";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 426: return "Upgrade Required";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

static void common_headers(struct http_ctx *hc, const char *ctype)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(hc->req);
    /* evhttp_add_header fails only on a header with CR/LF, which these
     * constants cannot contain. */
    evhttp_add_header(h, "Content-Type", ctype);
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    const char *origin = evhttp_find_header(evhttp_request_get_input_headers(hc->req), "Origin");
    const char *cors = hc->srv->cfg.cors_origin;
    /* CORS only for the one configured origin, echoed exactly: never '*'. */
    if (cors[0] != '\0' && origin != NULL && strcmp(origin, cors) == 0) {
        evhttp_add_header(h, "Access-Control-Allow-Origin", cors);
        evhttp_add_header(h, "Vary", "Origin");
    }
}

static void free_cb(const void *data, size_t len, void *arg)
{
    (void)len;
    (void)arg;
    free((void *)data);
}

static void send_owned(struct http_ctx *hc, int status, const char *ctype, char *data, size_t len)
{
    struct evbuffer *out = evhttp_request_get_output_buffer(hc->req);
    common_headers(hc, ctype);
    if (evhttp_request_get_command(hc->req) == EVHTTP_REQ_HEAD) {
        /* The headers of the GET answer, no body: a body here would be read
         * as the start of the next response on a kept-alive connection. */
        char n[32];
        snprintf(n, sizeof n, "%zu", len);
        evhttp_add_header(evhttp_request_get_output_headers(hc->req), "Content-Length", n);
        free(data);
        hc->status = status;
        evhttp_send_reply(hc->req, status, reason(status), NULL);
        return;
    }
    /* Hand the buffer over without a copy; libevent frees it once sent. */
    if (evbuffer_add_reference(out, data, len, free_cb, NULL) != 0) {
        free(data);
        status = 500;
    }
    hc->status = status;
    evhttp_send_reply(hc->req, status, reason(status), NULL);
}

void http_reply_json(struct http_ctx *hc, int status, json_t *body)
{
    /* 12 significant digits: dollars and rates print as 0.00307, not as
     * the nearest double's 0.0030699999999999998. */
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
    json_decref(body);
    if (text == NULL) {
        static const char oom[] =
            "{\"error\":{\"code\":\"out_of_memory\",\"message\":\"out of memory\"}}";
        char *copy = strdup(oom);
        if (copy == NULL) {
            hc->status = 500;
            evhttp_send_error(hc->req, 500, NULL);
            return;
        }
        send_owned(hc, 500, "application/json", copy, strlen(copy));
        return;
    }
    send_owned(hc, status, "application/json", text, strlen(text));
}

void http_reply_json_text(struct http_ctx *hc, int status, struct buf *body)
{
    char *data = body->data;
    size_t len = body->len;
    *body = (struct buf)BUF_INIT;
    if (data == NULL) {
        http_reply_error(hc, 500, "out_of_memory", "out of memory");
        return;
    }
    send_owned(hc, status, "application/json", data, len);
}

/* Replaces each byte that does not start a well-formed UTF-8 sequence with
 * '?'.  Error messages quote what the client sent (a path, a header) and cut
 * it to a length, maybe inside a character: jansson refuses such a string,
 * and the answer would turn into a 500. */
static void utf8_scrub(char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (n <= len - i && utf8_valid((const uint8_t *)s + i, n)) {
            i += n;
        } else {
            s[i++] = '?';
        }
    }
}

void http_reply_error(struct http_ctx *hc, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    utf8_scrub(msg);
    json_t *body = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
    http_reply_json(hc, status, body);
}

void http_reply_text(struct http_ctx *hc, int status, const char *ctype, const char *text,
                     size_t len)
{
    char *copy = malloc(len ? len : 1);
    if (copy == NULL) {
        http_reply_error(hc, 500, "out_of_memory", "out of memory");
        return;
    }
    memcpy(copy, text, len);
    send_owned(hc, status, ctype, copy, len);
}

int http_reply_if_no_db(struct http_ctx *hc)
{
    if (hc->srv->team != NULL)
        return team_reply_if_down(hc);
    if (hc->srv->db.h != NULL)
        return 0;
    http_reply_error(hc, 503, "database_unavailable",
                     "the database %s does not exist yet or is not migrated; is "
                     "chronicle-collector running?", hc->srv->db.path);
    return 1;
}

void http_reply_db_error(struct http_ctx *hc, int rc)
{
    log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "%s: database error: %s (%s)", route_name(hc->route),
            sqlite3_errstr(rc), hc->srv->db.h ? sqlite3_errmsg(hc->srv->db.h) : "-");
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        http_reply_error(hc, 503, "database_busy", "the database is busy; retry");
    else
        http_reply_error(hc, 500, "database_error", "database error: %s", sqlite3_errstr(rc));
}

int http_reply_if_params(struct http_ctx *hc)
{
    static const char *const none[] = {NULL};
    char err[256];
    struct query q;
    int bad = query_parse(&q, hc->query, err, sizeof err) != 0 ||
              query_check_keys(&q, none, err, sizeof err) != 0;
    query_free(&q);
    if (bad)
        http_reply_error(hc, 400, "bad_parameter", "%s", err);
    return bad;
}
