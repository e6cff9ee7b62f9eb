/*
 * search_ingest - what maintaining the full-text index costs the
 * collector's commits: the collector's own batch writer commits the same
 * events into fresh databases, with their search text (as the collector
 * does) and with it cleared (no index rows written), in interleaved rounds;
 * medians of the rounds.  Separately, the extraction of the text
 * (search_text_extract, done on the loop thread before the queue) against
 * the whole of pending_event_new (copy, redaction, fields, extraction).
 *
 *   search_ingest DIR N ROUNDS [corpus|bench]
 *
 * corpus: search_corpus.h events (commands, outputs, prompts...); bench:
 * the ingest benchmark's rows (bench_payload.h: small, one command each).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch_writer.h"
#include "bench_payload.h"
#include "chronicle/search_text.h"
#include "chronicle/redact.h"
#include "search_corpus.h"

#define BATCH 1024

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
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

/* Commits ev[0..n) into a fresh database at path; events/s of the commits. */
static double run(const char *path, struct pending_event **ev, long n, int with_index)
{
    char err[256], side[4200];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    struct batch_writer *w = batch_writer_open(path, err, sizeof err);
    if (w == NULL) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    static struct stats st;
    stats_init(&st);
    const char *tune = getenv("SEARCH_INGEST_SQL"); /* experiments: FTS5 settings */
    if (tune != NULL && sqlite3_exec(batch_writer_db(w), tune, NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", tune, sqlite3_errmsg(batch_writer_db(w)));
        exit(1);
    }
    struct search_text saved[BATCH];
    double spent = 0;
    for (long i = 0; i < n; i += BATCH) {
        size_t k = (size_t)(n - i < BATCH ? n - i : BATCH);
        if (!with_index)
            for (size_t j = 0; j < k; j++) { /* hide the text: no index rows */
                saved[j] = ev[i + j]->search;
                memset(&ev[i + j]->search, 0, sizeof ev[i + j]->search);
            }
        double t0 = now();
        if (batch_writer_commit(w, ev + i, k, &st, err, sizeof err) != SQLITE_OK) {
            fprintf(stderr, "commit: %s\n", err);
            exit(1);
        }
        if (batch_writer_wal_pages(w) >= 4000)
            batch_writer_checkpoint(w, 0);
        spent += now() - t0;
        if (!with_index)
            for (size_t j = 0; j < k; j++)
                ev[i + j]->search = saved[j];
    }
    batch_writer_close(w);
    return n / spent;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: search_ingest DIR N ROUNDS [corpus|bench]\n");
        return 2;
    }
    long n = atol(argv[2]);
    int rounds = atoi(argv[3]);
    int bench = argc > 4 && strcmp(argv[4], "bench") == 0;
    if (n <= 0 || rounds <= 0 || rounds > 50)
        return 2;
    char path[4096];
    snprintf(path, sizeof path, "%s/search_ingest.db", argv[1]);
    struct pending_event **ev = calloc((size_t)n, sizeof *ev);
    static struct corpus c;
    corpus_init(&c);
    static struct corpus_event ce;
    struct bench_row br;
    long long t0 = bench_now_ns();
    struct redact_rules rules = {.on = 1};
    double make = 0, extract = 0, text = 0;
    struct search_text scratch = {0};
    for (long i = 0; i < n; i++) {
        const char *payload;
        size_t len;
        if (bench) {
            bench_row_make(&br, i);
            payload = br.payload;
            len = (size_t)br.payload_len;
        } else {
            corpus_event(&c, i, &ce);
            payload = ce.payload;
            len = (size_t)ce.len;
        }
        struct wire_event w = {.kind = WIRE_EVENT, .ts_ns = t0 + i, .uid = 1000, .pid = 4242,
                               .ppid = 4241, .claude_pid = 4000};
        for (int b = 0; b < 8; b++)
            w.id[b] = (unsigned char)(i >> (56 - 8 * b));
        memcpy(w.id + 8, "searchin", 8);
        w.host = (struct wire_str){"bench", 5};
        w.payload = (struct wire_str){payload, len};
        w.orig_size = len;
        double a = now();
        ev[i] = pending_event_new(&w, &rules);
        double b = now();
        if (ev[i] == NULL ||
            search_text_extract(&scratch, ev[i]->event_type, ev[i]->payload.data,
                                ev[i]->payload.len) != 0)
            return 1;
        extract += now() - b;
        make += b - a;
        for (int f = 0; f < SEARCH_FIELDS; f++)
            text += (double)ev[i]->search.text[f].len;
    }
    search_text_free(&scratch);
    double with[50], without[50];
    for (int r = 0; r < rounds; r++) {
        /* alternate which goes first: neither always gets the warm cache */
        if (r % 2) {
            without[r] = run(path, ev, n, 0);
            with[r] = run(path, ev, n, 1);
        } else {
            with[r] = run(path, ev, n, 1);
            without[r] = run(path, ev, n, 0);
        }
    }
    double mw = median(with, rounds), mo = median(without, rounds);
    printf("search ingest (%s events, %.0f bytes of text each): commits without the index %.0f "
           "events/s, with it %.0f events/s (medians of %d interleaved rounds of %ld): "
           "index maintenance +%.0f%% commit time (goal <= 25%%)\n",
           bench ? "bench_payload" : "corpus", text / n, mo, mw, rounds, n, 100.0 * (mo / mw - 1));
    printf("search text extraction: %.2f us/event, %.0f%% of pending_event_new (%.2f us/event; "
           "loop thread, outside the transaction)\n",
           1e6 * extract / n, 100.0 * extract / make, 1e6 * make / n);
    for (long i = 0; i < n; i++)
        pending_event_free(ev[i]);
    free(ev);
    unlink(path);
    return 0;
}
