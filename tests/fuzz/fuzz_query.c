/* fuzz_query.c - libFuzzer target: the REST query-string parser, its typed
 * readers (names and values always UTF-8), and the header checks (Host,
 * Origin, bearer, WebSocket key) that read outside bytes before any route
 * runs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_guard.h"
#include "http_query.h"
#include "ws_handshake.h"
#include "ws_message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    struct query q;
    char err[256];
    if (query_parse(&q, s, err, sizeof err) == 0) {
        static const char *const keys[] = {"a", "limit", "since", "window", "l", NULL};
        long v;
        int64_t ns;
        const char *vals[QUERY_MAX_LIST];
        size_t n;
        char *store = NULL;
        (void)query_check_keys(&q, keys, err, sizeof err);
        (void)query_long(&q, "limit", 1, 1000, &v, err, sizeof err);
        (void)query_time(&q, "since", &ns, err, sizeof err);
        (void)query_duration(&q, "window", 60, 86400, &v, err, sizeof err);
        if (query_list(&q, "l", vals, &n, &store, err, sizeof err) == QUERY_OK) {
            for (size_t i = 0; i < n; i++)
                if (strlen(vals[i]) == 0)
                    abort(); /* the reader promised no empty items */
            free(store);
        }
        for (size_t i = 0; i < q.n; i++) {
            /* The parser promised UTF-8 names and values. */
            if (!utf8_valid((const uint8_t *)q.p[i].key, strlen(q.p[i].key)) ||
                !utf8_valid((const uint8_t *)q.p[i].val, strlen(q.p[i].val)))
                abort();
            (void)query_parse_time(q.p[i].val, &ns);
        }
    }
    query_free(&q);
    (void)guard_host_allowed(s, "127.0.0.1", "a.example,b.example");
    (void)guard_origin_allowed(s, "127.0.0.1", "a.example", "http://dash.example");
    (void)guard_bearer_ok(s, "token");
    char accept[29];
    (void)ws_accept_key(s, accept);
    (void)ws_header_has_token(s, "upgrade");
    free(s);
    return 0;
}
