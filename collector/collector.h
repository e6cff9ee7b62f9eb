/*
 * collector.h - the collector's context: everything the daemon's modules
 * share, owned by main() and passed explicitly (no globals).
 *
 * Data flow: listener.c accepts, conn.c decodes frames into pending events,
 * ingest.c queues them and runs batch_writer.c when the loop has drained its
 * I/O, then acknowledges.  spool_reader.c feeds the same queue from the
 * spool directory.  maintenance.c runs the periodic chores.
 */
#ifndef CHRONICLE_COLLECTOR_H
#define CHRONICLE_COLLECTOR_H

#include <event2/event.h>
#include <event2/listener.h>
#include <stddef.h>
#include <stdint.h>

#include "batch_writer.h"
#include "chronicle/config.h"
#include "pending_event.h"
#include "stats.h"

#define TAG "chronicle-collector"

/* Event priorities: I/O first, so that one loop turn reads every ready
 * socket before the batch writer runs (that is what makes commits group). */
enum { PRIO_IO = 0, PRIO_FLUSH = 1, PRIO_COUNT = 2 };

struct conn;
struct spool_file;

struct event_queue {
    struct pending_event *head, *tail;
    size_t count;
    size_t bytes;
};

struct collector {
    struct chronicle_config cfg;
    int verbose;

    struct event_base *base;
    struct evconnlistener *listener;
    int socket_activated;     /* the socket came from systemd: do not unlink it */
    int lock_fd;

    struct event *flush_ev;   /* runs the batch writer (PRIO_FLUSH) */
    struct event *retry_ev;   /* timer: retry after SQLITE_BUSY or an I/O error */
    struct event *tick_ev;    /* periodic maintenance */
    struct event *spool_ev;   /* rescan the spool (PRIO_FLUSH) */
    struct event *inotify_ev;
    struct event *sig_ev[2];
    int inotify_fd;

    struct batch_writer *writer;
    struct stats stats;
    struct event_queue queue;
    struct pending_event **batch; /* scratch: cfg.batch_max entries */
    int retry_ms;                 /* current back-off, 0 when not retrying */

    struct conn *conns;           /* every open connection */
    size_t nconns;
    int paused;                   /* reads suspended: queue over its cap */

    struct spool_file *spool_inflight; /* files whose events are queued */
    int spool_dirty;                   /* files may be waiting: rescan */

    struct {
        int64_t last_heartbeat, last_rescan, last_optimize; /* monotonic ns */
    } maint;

    int64_t started_ns;
    int64_t committed_since_start;
    int64_t last_commit_mono;
    int stopping;
    int exit_code;
};

/* ingest.c */
void ingest_enqueue(struct collector *c, struct pending_event *p);
void ingest_schedule(struct collector *c);
void ingest_flush_cb(evutil_socket_t fd, short what, void *arg);
int ingest_drain(struct collector *c, int64_t deadline_mono_ns);

/* conn.c */
void conn_accept(struct collector *c, evutil_socket_t fd);
void conn_ack(struct conn *k, const struct pending_event *p);
void conn_detach(struct conn *k); /* an event no longer waits on it */
void conn_set_reading(struct collector *c, int on);
void conn_read_buffered(struct collector *c);
void conn_flush_and_close_all(struct collector *c);

/* listener.c */
int listener_open(struct collector *c, char *err, size_t errlen);
void listener_close(struct collector *c);

/* spool_reader.c */
int spool_reader_start(struct collector *c, char *err, size_t errlen);
void spool_reader_scan_cb(evutil_socket_t fd, short what, void *arg);
void spool_file_done(struct collector *c, struct spool_file *f);
void spool_reader_stop(struct collector *c);

/* maintenance.c */
void maintenance_tick_cb(evutil_socket_t fd, short what, void *arg);
void maintenance_after_commit(struct collector *c);

/* notify.c: systemd readiness without libsystemd. */
void notify_systemd(const char *state);

#endif
