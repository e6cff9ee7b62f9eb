/*
 * chronicle-collector - receives hook events on a Unix socket and appends
 * them to SQLite.  The only writer of the database.
 *
 * Foreground, logs to stderr (systemd style).  SIGTERM/SIGINT: stop
 * accepting, handle what was already received, commit it, send the acks,
 * exit 0.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chronicle/clock.h"
#include "chronicle/event_type.h"
#include "chronicle/home.h"
#include "chronicle/log.h"
#include "chronicle/schema.h"
#include "chronicle/wire.h"
#include "collector.h"

static void usage(FILE *out)
{
    fprintf(out,
        "usage: chronicle-collector [--verbose] [--print-config]\n"
        "       chronicle-collector --help | --version\n"
        "\n"
        "Receives Claude Code hook events from chronicle-send on\n"
        "$CHRONICLE_HOME/collector.sock and commits them to $CHRONICLE_HOME/chronicle.db\n"
        "(SQLite, WAL) in batched transactions; takes events spooled in\n"
        "$CHRONICLE_HOME/spool/ while it was down.  Runs in the foreground and logs to\n"
        "stderr.  Accepts a listening socket from systemd (LISTEN_FDS) and reports\n"
        "readiness over NOTIFY_SOCKET.\n"
        "\n"
        "  --print-config  show the effective settings and where each came from\n"
        "  --verbose       also log each client connection (pid, frames, events\n"
        "                  still waiting for their commit when it closed)\n"
        "\n"
        "Settings come from ~/.config/chronicle/config (or $CHRONICLE_CONFIG), then the\n"
        "environment: CHRONICLE_HOME (default ~/.claude/chronicle) and the tunables\n"
        "that --print-config lists.  See docs/ARCHITECTURE.md.\n");
}

/* One collector per home: two writers would both pass the socket check in
 * a race, so an exclusive lock on a file decides. */
static int take_lock(struct collector *c, char *err, size_t errlen)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/collector.lock", c->cfg.home);
    c->lock_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (c->lock_fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(c->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, errlen, "another chronicle-collector is running on %s", c->cfg.home);
        return -1;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(c->lock_fd, 0) != 0 || write(c->lock_fd, pid, (size_t)n) != n)
        log_msg(TAG, LOG_LEVEL_WARN, "cannot write the pid into %s", path);
    return 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    struct collector *c = arg;
    log_msg(TAG, LOG_LEVEL_INFO, "signal %d: finishing", (int)sig);
    event_base_loopbreak(c->base);
}

static int setup_events(struct collector *c, char *err, size_t errlen)
{
    struct event_config *ec = event_config_new();
    if (ec == NULL)
        return -1;
    /* Single-threaded by design: no locking inside libevent. */
    event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK);
    c->base = event_base_new_with_config(ec);
    event_config_free(ec);
    if (c->base == NULL || event_base_priority_init(c->base, PRIO_COUNT) != 0) {
        snprintf(err, errlen, "cannot create the event loop");
        return -1;
    }
    c->spool_ev = event_new(c->base, -1, 0, spool_reader_scan_cb, c);
    c->tick_ev = event_new(c->base, -1, EV_PERSIST, maintenance_tick_cb, c);
    c->sig_ev[0] = evsignal_new(c->base, SIGTERM, on_signal, c);
    c->sig_ev[1] = evsignal_new(c->base, SIGINT, on_signal, c);
    if (!c->spool_ev || !c->tick_ev || !c->sig_ev[0] || !c->sig_ev[1]) {
        snprintf(err, errlen, "cannot create events");
        return -1;
    }
    event_priority_set(c->spool_ev, PRIO_FLUSH);
    event_priority_set(c->tick_ev, PRIO_FLUSH);
    struct timeval second = {1, 0};
    if (event_add(c->tick_ev, &second) != 0 || event_add(c->sig_ev[0], NULL) != 0 ||
        event_add(c->sig_ev[1], NULL) != 0) {
        snprintf(err, errlen, "cannot arm events");
        return -1;
    }
    return 0;
}

/* Back-pressure (an ingest hook): above the queue cap the collector stops
 * reading its clients, whose senders time out and spool; it reads again at
 * half of it, and resumes loading the spool. */
static void on_backlog(int over, void *arg)
{
    struct collector *c = arg;
    if (over && !c->paused) {
        c->paused = 1;
        conn_set_reading(c, 0);
        log_msg(TAG, LOG_LEVEL_WARN, "queue over %ld bytes: pausing reads until it drains",
                c->cfg.queue_max_bytes);
    } else if (!over && c->paused) {
        c->paused = 0;
        conn_set_reading(c, 1);
        log_msg(TAG, LOG_LEVEL_INFO, "queue drained: reading again");
    }
    if (!over && c->spool_dirty && !c->stopping)
        event_active(c->spool_ev, EV_WRITE, 0);
}

/* An ingest hook: events after which the transcript has new model output
 * (EVF_TRANSCRIPT) send the transcript reader to read it. */
static void on_committed(const struct pending_event *p, void *arg)
{
    struct collector *c = arg;
    if (!(p->type_flags & EVF_TRANSCRIPT))
        return;
    const char *const *f = p->fields.v;
    transcript_reader_want(c, f[F_TRANSCRIPT_PATH], f[F_SESSION_ID], NULL);
    if (f[F_AGENT_TRANSCRIPT_PATH])
        transcript_reader_want(c, f[F_AGENT_TRANSCRIPT_PATH], f[F_SESSION_ID], f[F_AGENT_ID]);
}

static void on_after_commit(int queue_empty, void *arg) { maintenance_after_commit(arg, queue_empty); }
static void on_idle(void *arg) { maintenance_idle(arg); }
static void on_reopen_db(void *arg) { maintenance_reopen_db(arg); }

/* Any thread: the alert engine has work for the writer (an
 * acknowledgement, a webhook's result). */
static void kick_writer(void *arg)
{
    struct collector *c = arg;
    if (c->ingest)
        ingest_kick(c->ingest);
}

static int start_alerts(struct collector *c, char *err, size_t errlen)
{
    const char *desktop = getenv("DBUS_SESSION_BUS_ADDRESS");
    if (desktop == NULL || *desktop == '\0')
        desktop = getenv("WAYLAND_DISPLAY");
    if (desktop == NULL || *desktop == '\0')
        desktop = getenv("DISPLAY");
    struct alert_engine_opts o = {&c->cfg, c->base, &c->stats, kick_writer, c,
                                  desktop && *desktop ? desktop : NULL};
    c->alerts = alert_engine_new(&o, err, errlen);
    return c->alerts ? 0 : -1;
}

static int start_ingest(struct collector *c, char *err, size_t errlen)
{
    struct ingest_limits lim = {(size_t)c->cfg.batch_max, (size_t)c->cfg.queue_max_bytes,
                                USAGE_BATCHES_MAX};
    struct ingest_hooks hooks = {on_backlog, on_committed, on_after_commit, on_idle, on_reopen_db,
                                 c};
    c->ingest = ingest_new(c->base, c->writer, &c->stats, &lim, &hooks, err, errlen);
    return c->ingest != NULL ? ingest_start(c->ingest, err, errlen) : -1;
}

static int start(struct collector *c, char *err, size_t errlen)
{
    struct home_report tightened = {0};
    if (home_secure(&c->cfg, &tightened, err, errlen) != 0 || take_lock(c, err, errlen) != 0)
        return -1;
    for (int i = 0; i < tightened.n; i++)
        log_msg(TAG, LOG_LEVEL_WARN, "%s was open to other users: made private", tightened.tightened[i]);
    if (redact_rules_init(&c->redact_rules, c->cfg.redact, c->cfg.redact_pattern, err, errlen) != 0 ||
        maintenance_open_state(c, err, errlen) != 0)
        return -1;
    c->writer = batch_writer_open(c->cfg.db_path, err, errlen);
    if (c->writer == NULL)
        return -1;
    stats_init(&c->stats);
    if (stats_load(&c->stats, batch_writer_db(c->writer)) != SQLITE_OK)
        log_msg(TAG, LOG_LEVEL_WARN, "could not load counters; starting them from zero");
    c->started_ns = clock_wall_ns();
    stats_set(&c->stats, "started_ns", "", c->started_ns);
    stats_set(&c->stats, "collector_pid", "", (int64_t)getpid());
    char e2[256];
    if (batch_writer_flush_stats(c->writer, &c->stats, e2, sizeof e2) != SQLITE_OK)
        log_msg(TAG, LOG_LEVEL_WARN, "initial heartbeat not written: %s", e2);
    /* From here on only the writer thread touches the database. */
    if (setup_events(c, err, errlen) != 0 || start_alerts(c, err, errlen) != 0 ||
        start_ingest(c, err, errlen) != 0 ||
        transcript_reader_start(c, err, errlen) != 0 || listener_open(c, err, errlen) != 0 ||
        spool_reader_start(c, err, errlen) != 0)
        return -1;
    return 0;
}

/* Everything received gets committed and acknowledged before exit. */
static int finish(struct collector *c)
{
    c->stopping = 1;
    notify_systemd("STOPPING=1");
    listener_close(c);
    conn_read_buffered(c);
    transcript_reader_stop(c); /* before the writer: it may wait for the writer's queue */
    int rc = 0;
    if (ingest_stop(c->ingest) != 0) {
        log_msg(TAG, LOG_LEVEL_ERROR, "%zu event(s) could not be committed before exit; their senders "
                "were not acknowledged and have spooled them", ingest_queued(c->ingest));
        rc = 1;
    }
    /* The writer thread is gone: the engine records what the sender
     * finished and answers pending acknowledgements before the clients go. */
    alert_engine_finish(c->alerts, c->writer ? batch_writer_db(c->writer) : NULL);
    conn_flush_and_close_all(c);
    if (c->writer != NULL) {
        char err[256];
        batch_writer_flush_stats(c->writer, &c->stats, err, sizeof err);
        batch_writer_checkpoint(c->writer, 1);
    }
    log_msg(TAG, LOG_LEVEL_INFO, "stopped: %lld event(s) committed since start",
            (long long)ingest_committed(c->ingest));
    return rc;
}

static void teardown(struct collector *c)
{
    transcript_reader_stop(c);
    ingest_free(c->ingest); /* commits first if start() failed after the thread began */
    c->ingest = NULL;
    alert_engine_free(c->alerts);
    c->alerts = NULL;
    spool_reader_stop(c);
    struct event *evs[] = {c->spool_ev, c->tick_ev, c->sig_ev[0], c->sig_ev[1]};
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
        if (evs[i])
            event_free(evs[i]);
    listener_close(c);
    retention_close(&c->maint.retention);
    redact_rules_free(&c->redact_rules);
    batch_writer_close(c->writer);
    if (c->base)
        event_base_free(c->base);
    if (c->lock_fd >= 0)
        close(c->lock_fd);
    if (c->state_fd >= 0)
        close(c->state_fd);
}

/* The soft RLIMIT_NOFILE up to the hard one: every client holds a
 * descriptor, and the soft default (1024) is below what the caps allow. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            log_msg(TAG, LOG_LEVEL_WARN, "raising RLIMIT_NOFILE: %s", strerror(errno));
    }
}

int main(int argc, char **argv)
{
    static struct collector ctx; /* static only for its size: main's context */
    struct collector *c = &ctx;
    c->lock_fd = -1;
    c->inotify_fd = -1;
    c->spool_fd = c->spool_bad_fd = -1;
    c->state_fd = -1;
    int show_config = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("chronicle-collector %s (protocol %d, schema %d)\n", CHRONICLE_VERSION,
                   WIRE_VERSION, schema_latest_version());
            return 0;
        } else if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0) {
            c->verbose = 1;
        } else if (strcmp(argv[i], "--print-config") == 0) {
            show_config = 1;
        } else {
            fprintf(stderr, "chronicle-collector: unknown option '%s' (see --help)\n", argv[i]);
            return 2;
        }
    }
    char err[512];
    if (config_load(&c->cfg, err, sizeof err) != 0) {
        log_msg(TAG, LOG_LEVEL_ERROR, "configuration: %s", err);
        return 2;
    }
    if (show_config) {
        config_print(&c->cfg, stdout);
        return 0;
    }
    signal(SIGPIPE, SIG_IGN);
    /* The database, its -wal/-shm, the spool: the user's alone. */
    umask(077);
    raise_fd_limit();
    int rc = 0;
    if (start(c, err, sizeof err) != 0) {
        log_msg(TAG, LOG_LEVEL_ERROR, "%s", err);
        rc = 1;
    } else {
        log_msg(TAG, LOG_LEVEL_INFO, "ready: database %s, redaction %s", c->cfg.db_path,
                c->cfg.redact ? "on" : "off");
        notify_systemd("READY=1");
        if (event_base_dispatch(c->base) < 0) {
            log_msg(TAG, LOG_LEVEL_ERROR, "event loop failed");
            rc = 1;
        }
        rc |= finish(c);
    }
    teardown(c);
    return rc;
}
