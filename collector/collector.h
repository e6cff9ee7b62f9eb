/*
 * collector.h - the collector's context: everything the daemon's modules
 * share, owned by main() and passed explicitly (no globals).
 *
 * Data flow, one way: listener.c accepts, conn.c decodes frames into
 * pending events, ingest.c queues them for the writer thread, which commits
 * them with batch_writer.c while the loop goes on receiving; each event's
 * completion callback (set by conn.c or spool_reader.c) then acknowledges
 * it.  spool_reader.c feeds the same queue from the spool directory.  main.c
 * wires the pipeline: back-pressure (pause reading above the queue cap) and
 * the transcript reader's trigger are its hooks on the ingest.
 * maintenance.c runs the periodic chores.
 */
#ifndef CHRONICLE_COLLECTOR_H
#define CHRONICLE_COLLECTOR_H

#include <event2/event.h>
#include <event2/listener.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "alert_engine.h"
#include "batch_writer.h"
#include "ingest.h"
#include "chronicle/config.h"
#include "pending_event.h"
#include "chronicle/redact.h"
#include "retention.h"
#include "stats.h"
#include "transcript_reader.h"

#define TAG "chronicle-collector"

/* Event priorities: I/O first, so that one loop turn reads every ready
 * socket before housekeeping runs. */
enum { PRIO_IO = 0, PRIO_FLUSH = 1, PRIO_COUNT = 2 };

struct conn;
struct spool_file;

struct collector {
    struct chronicle_config cfg;
    int verbose;

    struct event_base *base;
    struct evconnlistener *listener;
    int socket_activated;     /* the socket came from systemd: do not unlink it */
    int lock_fd;
    int state_fd;             /* collector.state, rewritten in place every second */
    int state_warned;

    struct event *tick_ev;    /* periodic maintenance (loop side) */
    struct event *spool_ev;   /* rescan the spool (PRIO_FLUSH) */
    struct event *inotify_ev;
    struct event *sig_ev[2];
    int inotify_fd;

    struct batch_writer *writer; /* used only by the writer thread once started */
    struct stats stats;
    struct ingest *ingest;        /* owned: the queue and the writer thread (ingest.h) */
    struct alert_engine *alerts;  /* owned: rules, deliveries (alert_engine.h) */
    struct transcript_reader transcripts;
    struct redact_rules redact_rules;

    struct conn *conns;           /* every open connection */
    size_t nconns;
    int paused;                   /* reads suspended: queue over its cap (main.c) */

    int spool_fd, spool_bad_fd;        /* spool/ and spool/corrupt/, checked (home.h) */
    struct spool_file *spool_inflight; /* files whose events are queued */
    int spool_dirty;                   /* files may be waiting: rescan */

    struct {
        int64_t last_heartbeat, last_rescan, last_optimize; /* monotonic ns */
        int64_t last_retention;
        int64_t last_gone_check;      /* monotonic ns: sessions whose process is gone */
        struct retention retention;   /* writer thread */
    } maint;

    int64_t started_ns;
    int stopping;
    int exit_code;
};

/* conn.c */
void conn_accept(struct collector *c, evutil_socket_t fd);
void conn_set_reading(struct collector *c, int on);
void conn_read_buffered(struct collector *c);
void conn_flush_and_close_all(struct collector *c);

/* listener.c */
int listener_open(struct collector *c, char *err, size_t errlen);
void listener_close(struct collector *c);

/* spool_reader.c */
int spool_reader_start(struct collector *c, char *err, size_t errlen);
void spool_reader_scan_cb(evutil_socket_t fd, short what, void *arg);
void spool_reader_stop(struct collector *c);

/* maintenance.c */
#define STATE_FILE_BYTES 4096
int maintenance_open_state(struct collector *c, char *err, size_t errlen); /* collector.state */
void maintenance_tick_cb(evutil_socket_t fd, short what, void *arg); /* loop */
void maintenance_after_commit(struct collector *c, int queue_empty); /* writer */
void maintenance_idle(struct collector *c);                           /* writer */
void maintenance_reopen_db(struct collector *c);                      /* writer */

/* notify.c: systemd readiness without libsystemd. */
void notify_systemd(const char *state);

#endif
