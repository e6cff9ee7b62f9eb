/*
 * alert_sender.h - delivers notifications off every hot path: webhook POSTs
 * (libcurl) and desktop notifications (notify-send).
 *
 * Like redis's bio.c (and ingest.h), this module alone owns its queue, its
 * lock and its worker threads.  The alert engine (on the collector's writer
 * thread) pushes jobs; a worker performs one, bounded by a timeout, and puts
 * it on the done list; the engine collects finished jobs with
 * alert_sender_collect(), whose callback runs on the engine's thread and
 * records the outcome in the database.  So a dead or slow webhook costs a
 * worker its timeout and nothing else: ingestion never waits for it, and a
 * full queue refuses the push (the delivery row stays due in the database,
 * which is the persistent queue).
 *
 * Threads: push, collect, busy and stop from one thread (the engine's);
 * the wake callback is called on a worker thread.  Owner: the engine;
 * alert_sender_free() releases everything.
 */
#ifndef CHRONICLE_ALERT_SENDER_H
#define CHRONICLE_ALERT_SENDER_H

#include <stddef.h>
#include <stdint.h>

#define ALERT_SENDER_QUEUE_MAX 64 /* jobs queued or running at most */
/* The error of a job cut short by alert_sender_stop(): not a failed attempt. */
#define ALERT_SENDER_STOPPED "stopped (shutting down)"

struct alert_job {
    int64_t delivery_id;      /* alert_deliveries.id */
    char *url;                /* owned; NULL for a desktop notification */
    char *body;               /* owned: the POST body, or the desktop text */
    char content_type[48];
    char header[3][320];      /* extra request headers, "" when unused */
    char summary[128];        /* desktop: the notification's title */
    char target[256];         /* scheme://host, for logs */
    /* Set by the worker. */
    int ok;
    long http_status;         /* 0 when no answer */
    char error[160];          /* why not ok; never holds the URL */
    struct alert_job *next;
};

struct alert_sender_opts {
    long timeout_ms;          /* one attempt at most (connect included) */
    int workers;              /* threads, >= 1 */
    void (*wake)(void *arg);  /* worker thread: a job finished */
    void *wake_arg;
};

struct alert_sender;

/* Starts the workers.  NULL with err on failure. */
struct alert_sender *alert_sender_new(const struct alert_sender_opts *o, char *err, size_t errlen);

/* Queues j (ownership moves to the sender until collected).  -1 when the
 * queue is full or stopping: j stays the caller's. */
int alert_sender_push(struct alert_sender *s, struct alert_job *j);

/* 1 when delivery_id is queued, running or finished and not yet collected. */
int alert_sender_busy(struct alert_sender *s, int64_t delivery_id);

/* Runs done(job, arg) for every finished job on the caller's thread, then
 * frees them.  Returns how many. */
size_t alert_sender_collect(struct alert_sender *s,
                            void (*done)(const struct alert_job *j, void *arg), void *arg);

/* Aborts running transfers (they finish as failed: "stopped"), drops jobs
 * not started, joins the workers.  Finished jobs stay for a last collect. */
void alert_sender_stop(struct alert_sender *s);
void alert_sender_free(struct alert_sender *s);

/* Frees a job that was never pushed (or refused). */
void alert_job_free(struct alert_job *j);

#endif
