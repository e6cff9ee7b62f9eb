/*
 * redact_bench - the collector's receive-time work per event
 * (pending_event_new: copy, redaction, column fields) with redaction off and
 * on, over three payload sets, interleaved rounds, medians.  The same source
 * builds against an older tree, so two builds' outputs compare.
 *
 *   redact_bench ROUNDS FIXTURE.json...
 *   redact_bench --once off|on FIXTURE.json...   one untimed pass over the
 *       "ingest" set, for callgrind: the difference of the two runs'
 *       instruction counts is what redaction costs for its 1000 payloads
 *
 * Sets: "ingest" the ingest benchmark's payloads (bench_payload.h);
 * "hooks" the given fixture payloads; "read64k" a Read tool result of 64 KB
 * of source text (JSON-escaped: newlines, quotes, so the decode path runs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_payload.h"
#include "chronicle/json_scan.h"
#include "pending_event.h"
#include "chronicle/redact.h"

struct set {
    const char *name;
    struct buf *p;
    size_t n, bytes;
    long reps; /* passes over the set per measurement */
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void add(struct set *s, const char *data, size_t len)
{
    s->p = realloc(s->p, (s->n + 1) * sizeof *s->p);
    if (s->p == NULL)
        exit(1);
    s->p[s->n] = (struct buf)BUF_INIT;
    if (buf_append(&s->p[s->n], data, len) != 0)
        exit(1);
    s->bytes += len;
    s->n++;
}

static void load_file(struct set *s, const char *path)
{
    FILE *f = fopen(path, "rb");
    char tmp[1 << 16];
    size_t n = f ? fread(tmp, 1, sizeof tmp, f) : 0;
    if (f == NULL || n == 0) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
    add(s, tmp, n);
}

static void make_read64k(struct set *s)
{
    static const char *lines[] = {
        "static int parse_config(const char *path, struct config *cfg)\n", "{\n",
        "    if (cfg->timeout_ms <= 0) cfg->timeout_ms = 5000; /* \"default\" */\n",
        "    url = \"https://example.com/api/v1/items?page=2&limit=50\";\n",
        "    log_msg(TAG, LOG_LEVEL_INFO, \"ready: %s (%d items)\", path, n);\n", "}\n",
        "# Settings: retries=3, backoff: exponential, mode = fast\n",
    };
    struct buf text = BUF_INIT, json = BUF_INIT;
    int rc = 0;
    for (size_t i = 0; rc == 0 && text.len < 65536; i++)
        rc = buf_append_str(&text, lines[i % (sizeof lines / sizeof lines[0])]);
    if (rc != 0 ||
        buf_append_str(&json, "{\"session_id\":\"s\",\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"Read\","
                              "\"tool_input\":{\"file_path\":\"/w/src/config.c\"},\"tool_response\":{\"content\":\"") != 0 ||
        json_escape_append(&json, text.data, text.len) != 0 || buf_append_str(&json, "\"}}") != 0)
        exit(1);
    add(s, json.data, json.len);
    buf_free(&text);
    buf_free(&json);
}

/* Nanoseconds per event for one pass of s->reps over the set. */
static double measure(const struct set *s, const struct redact_rules *rules)
{
    double t0 = now();
    for (long r = 0; r < s->reps; r++) {
        for (size_t i = 0; i < s->n; i++) {
            struct wire_event ev = {.kind = WIRE_EVENT, .ts_ns = 1, .uid = -1, .pid = -1,
                                    .ppid = -1, .claude_pid = -1, .orig_size = s->p[i].len};
            ev.payload = (struct wire_str){s->p[i].data, s->p[i].len};
            struct pending_event *p = pending_event_new(&ev, rules);
            if (p == NULL)
                exit(1);
            pending_event_free(p);
        }
    }
    return (now() - t0) * 1e9 / ((double)s->reps * (double)s->n);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    const char *once = NULL; /* "off" or "on": one untimed pass */
    int rounds = 5, first = 2;
    if (argc > 2 && strcmp(argv[1], "--once") == 0) {
        once = argv[2];
        first = 3;
    } else if (argc > 1) {
        rounds = atoi(argv[1]);
    }
    if (rounds < 1 || rounds > 99 || argc <= first) {
        fprintf(stderr, "usage: redact_bench ROUNDS|--once off|on FIXTURE.json...\n");
        return 2;
    }
    struct set sets[3] = {{"ingest", NULL, 0, 0, 200}, {"hooks", NULL, 0, 0, 2000}, {"read64k", NULL, 0, 0, 300}};
    for (long i = 0; i < 1000; i++) {
        struct bench_row row;
        bench_row_make(&row, i);
        add(&sets[0], row.payload, (size_t)row.payload_len);
    }
    for (int i = first; i < argc; i++)
        load_file(&sets[1], argv[i]);
    make_read64k(&sets[2]);
    struct redact_rules off, on;
    char err[128];
    if (redact_rules_init(&off, 0, NULL, err, sizeof err) != 0 || redact_rules_init(&on, 1, NULL, err, sizeof err) != 0)
        return 1;
    if (once != NULL) {
        sets[0].reps = 1;
        measure(&sets[0], strcmp(once, "on") == 0 ? &on : &off);
        return 0;
    }
    for (int k = 0; k < 3; k++) {
        double t_off[99], t_on[99];
        for (int r = 0; r < rounds; r++) { /* interleaved: drift hits both alike */
            t_off[r] = measure(&sets[k], &off);
            t_on[r] = measure(&sets[k], &on);
        }
        double a = median(t_off, rounds), b = median(t_on, rounds);
        printf("redact %-8s %4zu payloads, %6.0f B avg: off %8.0f ns/event, on %8.0f ns/event, on/off %.2f, "
               "redaction %.0f MB/s\n", sets[k].name, sets[k].n, (double)sets[k].bytes / (double)sets[k].n, a, b,
               b / a, b > a ? (double)sets[k].bytes / (double)sets[k].n / (b - a) * 1e3 : 0.0);
    }
    return 0;
}
