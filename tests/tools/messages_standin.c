/*
 * messages_standin - a small local stand-in for the Anthropic Messages API,
 * enough for the real Claude Code CLI to run a scripted session offline
 * (tests/e2e/run.sh).
 *
 *   messages_standin PORT_FILE LOG_FILE
 *
 * Listens on 127.0.0.1 (a free port, written to PORT_FILE) and answers, one
 * connection at a time, POST /v1/messages (streaming SSE or plain JSON) and
 * /v1/messages/count_tokens; anything else gets a 404 error object.  The
 * agent's turns (requests that offer the Bash tool) follow a script keyed on
 * how many tool results the conversation already holds:
 *   0 -> tool_use Bash "echo chronicle-e2e-ok"   (PreToolUse, PostToolUse)
 *   1 -> tool_use Read of a missing file          (PostToolUseFailure)
 *   2 -> text, end_turn                           (Stop)
 * With STANDIN_BASH_CALLS=N in the environment the script is instead N
 * Bash calls ("echo step-K") then the text: a session of N tool calls for
 * the hooks overhead benchmark (tests/e2e/bench_claude_hooks.sh).
 * Other requests (titles, summaries) get a short text.  One line per request
 * goes to LOG_FILE.  Runs until killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chronicle/buf.h"

#define MAX_REQUEST (32 << 20)

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads one request: headers into req (NUL-terminated), body into body.
 * Handles Content-Length and chunked bodies.  0 or -1. */
static int read_request(int fd, struct buf *req, struct buf *body)
{
    char *end = NULL;
    while (end == NULL) {
        if (req->len > 65536 || buf_reserve(req, 4097) != 0)
            return -1;
        ssize_t n = read(fd, req->data + req->len, 4096);
        if (n <= 0)
            return -1;
        req->len += (size_t)n;
        req->data[req->len] = '\0';
        end = strstr(req->data, "\r\n\r\n");
    }
    size_t head = (size_t)(end - req->data) + 4;
    if (buf_append(body, req->data + head, req->len - head) != 0)
        return -1;
    req->len = head;
    req->data[head] = '\0';
    long clen = -1;
    int chunked = 0;
    for (char *line = strstr(req->data, "\r\n"); line && line < end; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, "content-length:", 15) == 0)
            clen = strtol(line + 17, NULL, 10);
        else if (strncasecmp(line + 2, "transfer-encoding:", 18) == 0 && strstr(line, "chunked"))
            chunked = 1;
    }
    for (;;) {
        if (!chunked && clen >= 0 && body->len >= (size_t)clen)
            break;
        if (chunked && body->len >= 5 && memcmp(body->data + body->len - 5, "0\r\n\r\n", 5) == 0)
            break;
        if (!chunked && clen < 0)
            break;
        if (body->len > MAX_REQUEST || buf_reserve(body, 65536) != 0)
            return -1;
        ssize_t n = read(fd, body->data + body->len, 65536);
        if (n <= 0)
            return -1;
        body->len += (size_t)n;
    }
    if (chunked) {
        /* De-chunk in place: size line, data, CRLF. */
        size_t in = 0, out = 0;
        while (in < body->len) {
            char *eol = memmem(body->data + in, body->len - in, "\r\n", 2);
            if (eol == NULL)
                return -1;
            size_t sz = strtoul(body->data + in, NULL, 16);
            in = (size_t)(eol - body->data) + 2;
            if (sz == 0)
                break;
            if (in + sz > body->len)
                return -1;
            memmove(body->data + out, body->data + in, sz);
            out += sz;
            in += sz + 2;
        }
        body->len = out;
    }
    return buf_append(body, "", 1) == 0 ? (body->len--, 0) : -1;
}

static int count_tool_results(json_t *messages)
{
    int n = 0;
    size_t i, j;
    json_t *m, *block;
    json_array_foreach(messages, i, m) {
        json_array_foreach(json_object_get(m, "content"), j, block) {
            const char *t = json_string_value(json_object_get(block, "type"));
            n += t != NULL && strcmp(t, "tool_result") == 0;
        }
    }
    return n;
}

static int offers_bash(json_t *tools)
{
    size_t i;
    json_t *t;
    json_array_foreach(tools, i, t) {
        const char *name = json_string_value(json_object_get(t, "name"));
        if (name && strcmp(name, "Bash") == 0)
            return 1;
    }
    return 0;
}

/* The content block this turn answers with (new reference). */
static json_t *scripted_block(int step, int agent, long bash_calls, const char **stop_reason)
{
    *stop_reason = "end_turn";
    if (!agent)
        return json_pack("{s:s, s:s}", "type", "text", "text", "Chronicle end-to-end");
    if (bash_calls > 0) {
        if (step >= bash_calls)
            return json_pack("{s:s, s:s}", "type", "text", "text", "All done.");
        char id[64], cmd[64];
        snprintf(id, sizeof id, "toolu_chronicle_bench_%d", step);
        snprintf(cmd, sizeof cmd, "echo step-%d", step);
        *stop_reason = "tool_use";
        return json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "type", "tool_use", "id", id, "name",
                         "Bash", "input", "command", cmd, "description", "Print a step");
    }
    if (step == 0) {
        *stop_reason = "tool_use";
        return json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "type", "tool_use", "id",
                         "toolu_chronicle_e2e_1", "name", "Bash", "input", "command",
                         "echo chronicle-e2e-ok", "description", "Print a marker");
    }
    if (step == 1) {
        *stop_reason = "tool_use";
        return json_pack("{s:s, s:s, s:s, s:{s:s}}", "type", "tool_use", "id",
                         "toolu_chronicle_e2e_2", "name", "Read", "input", "file_path",
                         "/nonexistent/chronicle-e2e/missing.txt");
    }
    return json_pack("{s:s, s:s}", "type", "text", "text", "All done.");
}

static int sse(struct buf *out, const char *event, json_t *data)
{
    char *s = json_dumps(data, JSON_COMPACT);
    int rc = s == NULL || buf_printf(out, "event: %s\ndata: %s\n\n", event, s) != 0;
    free(s);
    json_decref(data);
    return rc ? -1 : 0;
}

static int stream_reply(struct buf *out, const char *model, json_t *block, const char *stop)
{
    const char *type = json_string_value(json_object_get(block, "type"));
    int tool = strcmp(type, "tool_use") == 0;
    json_t *start_block = tool ? json_pack("{s:s, s:O, s:O, s:{}}", "type", "tool_use", "id",
                                           json_object_get(block, "id"), "name",
                                           json_object_get(block, "name"), "input")
                               : json_pack("{s:s, s:s}", "type", "text", "text", "");
    char *input = tool ? json_dumps(json_object_get(block, "input"), JSON_COMPACT) : NULL;
    json_t *delta = tool ? json_pack("{s:s, s:s}", "type", "input_json_delta", "partial_json", input)
                         : json_pack("{s:s, s:O}", "type", "text_delta", "text",
                                     json_object_get(block, "text"));
    free(input);
    int rc = sse(out, "message_start",
                 json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:[], s:n, s:n, s:{s:i, s:i}}}",
                           "type", "message_start", "message", "id", "msg_chronicle_e2e",
                           "type", "message", "role", "assistant", "model", model, "content",
                           "stop_reason", "stop_sequence", "usage", "input_tokens", 12,
                           "output_tokens", 1)) ||
             sse(out, "content_block_start", json_pack("{s:s, s:i, s:o}", "type",
                 "content_block_start", "index", 0, "content_block", start_block)) ||
             sse(out, "content_block_delta", json_pack("{s:s, s:i, s:o}", "type",
                 "content_block_delta", "index", 0, "delta", delta)) ||
             sse(out, "content_block_stop", json_pack("{s:s, s:i}", "type", "content_block_stop",
                 "index", 0)) ||
             sse(out, "message_delta", json_pack("{s:s, s:{s:s, s:n}, s:{s:i}}", "type",
                 "message_delta", "delta", "stop_reason", stop, "stop_sequence", "usage",
                 "output_tokens", 7)) ||
             sse(out, "message_stop", json_pack("{s:s}", "type", "message_stop"));
    return rc;
}

static void respond(int fd, int status, const char *ctype, const struct buf *payload)
{
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "request-id: req_chronicle_e2e\r\nConnection: close\r\n\r\n",
                     status, status == 200 ? "OK" : "Not Found", ctype, payload->len);
    if (write_all(fd, head, (size_t)n) == 0 && payload->len)
        write_all(fd, payload->data, payload->len);
}

static void serve(int fd, FILE *log, long bash_calls)
{
    struct buf req = BUF_INIT, body = BUF_INIT, out = BUF_INIT;
    char method[16] = "", path[512] = "";
    if (read_request(fd, &req, &body) != 0 || sscanf(req.data, "%15s %511s", method, path) != 2)
        goto done;
    json_t *j = json_loadb(body.data ? body.data : "", body.len, 0, NULL);
    if (strncmp(path, "/v1/messages/count_tokens", 25) == 0) {
        if (buf_append_str(&out, "{\"input_tokens\": 12}") != 0)
            goto done;
        respond(fd, 200, "application/json", &out);
        fprintf(log, "%s %s count_tokens\n", method, path);
    } else if (strncmp(path, "/v1/messages", 12) == 0 && j != NULL) {
        const char *model = json_string_value(json_object_get(j, "model"));
        int agent = offers_bash(json_object_get(j, "tools"));
        int step = count_tool_results(json_object_get(j, "messages"));
        const char *stop;
        json_t *block = scripted_block(step, agent, bash_calls, &stop);
        if (json_is_true(json_object_get(j, "stream"))) {
            stream_reply(&out, model ? model : "claude-standin", block, stop);
            respond(fd, 200, "text/event-stream", &out);
        } else {
            json_t *msg = json_pack("{s:s, s:s, s:s, s:s, s:[O], s:s, s:n, s:{s:i, s:i}}", "id",
                                    "msg_chronicle_e2e", "type", "message", "role", "assistant",
                                    "model", model ? model : "claude-standin", "content", block,
                                    "stop_reason", stop, "stop_sequence", "usage",
                                    "input_tokens", 12, "output_tokens", 7);
            char *s = json_dumps(msg, JSON_COMPACT);
            int oom = buf_append_str(&out, s ? s : "{}") != 0;
            free(s);
            json_decref(msg);
            if (oom)
                goto done;
            respond(fd, 200, "application/json", &out);
        }
        fprintf(log, "%s %s agent=%d step=%d stop=%s\n", method, path, agent, step, stop);
        json_decref(block);
    } else {
        if (buf_append_str(&out, "{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\","
                                 "\"message\":\"not served by the stand-in\"}}") != 0)
            goto done;
        respond(fd, 404, "application/json", &out);
        fprintf(log, "%s %s 404\n", method, path);
    }
    fflush(log);
    json_decref(j);
done:
    buf_free(&req);
    buf_free(&body);
    buf_free(&out);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: messages_standin PORT_FILE LOG_FILE\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    const char *calls = getenv("STANDIN_BASH_CALLS");
    long bash_calls = calls ? strtol(calls, NULL, 10) : 0;
    FILE *log = fopen(argv[2], "a");
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    if (log == NULL || ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(ls, 64) != 0 || getsockname(ls, (struct sockaddr *)&sa, &sl) != 0) {
        perror("messages_standin");
        return 1;
    }
    FILE *pf = fopen(argv[1], "w");
    if (pf == NULL || fprintf(pf, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(pf) != 0) {
        perror(argv[1]);
        return 1;
    }
    for (;;) {
        int fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            perror("accept");
            return 1;
        }
        serve(fd, log, bash_calls);
        close(fd);
    }
}
