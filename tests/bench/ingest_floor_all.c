/*
 * ingest_floor_all - a second ceiling: every row the collector writes for
 * these events (events, tool_calls pairs, session upserts, counters), written
 * by the collector's own batch writer in batches of B, timing only the
 * commits.  What the collector adds on top of this is its own cost: sockets,
 * decoding, redaction, acks.
 *
 *   ingest_floor_all DBPATH N BATCH
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch_writer.h"
#include "bench_payload.h"
#include "chronicle/redact.h"

static long long bench_t0; /* first event time */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    bench_t0 = bench_now_ns();
    if (argc < 4) {
        fprintf(stderr, "usage: ingest_floor_all DBPATH N BATCH\n");
        return 2;
    }
    long n = atol(argv[2]), batch = atol(argv[3]);
    char err[256];
    struct batch_writer *w = batch_writer_open(argv[1], err, sizeof err);
    if (w == NULL) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    static struct stats st;
    stats_init(&st);
    struct pending_event **v = calloc((size_t)batch, sizeof *v);
    struct bench_row r;
    double spent = 0;
    for (long i = 0; i < n;) {
        long k = 0;
        for (; k < batch && i < n; k++, i++) {
            bench_row_make(&r, i);
            struct wire_event ev = {.kind = WIRE_EVENT, .ts_ns = bench_t0 + i,
                                    .uid = 1000, .pid = 4242, .ppid = 4241, .claude_pid = 4000};
            memset(ev.id, 0, sizeof ev.id);
            for (int b = 0; b < 8; b++)
                ev.id[b] = (unsigned char)(i >> (56 - 8 * b));
            memcpy(ev.id + 8, "ingestld", 8);
            ev.host = (struct wire_str){"bench", 5};
            ev.payload = (struct wire_str){r.payload, (size_t)r.payload_len};
            ev.orig_size = (uint64_t)r.payload_len;
            v[k] = pending_event_new(&ev, &(struct redact_rules){.on = 1});
        }
        double t0 = now();
        if (batch_writer_commit(w, v, (size_t)k, &st, err, sizeof err) != SQLITE_OK) {
            fprintf(stderr, "commit: %s\n", err);
            return 1;
        }
        if (batch_writer_wal_pages(w) >= 4000)
            batch_writer_checkpoint(w, 0);
        spent += now() - t0;
        for (long j = 0; j < k; j++)
            pending_event_free(v[j]);
    }
    printf("batch writer floor (all rows the collector writes): %ld events in %.2f s = %.0f events/s (batches of %ld)\n",
           n, spent, n / spent, batch);
    free(v);
    batch_writer_close(w);
    return 0;
}
