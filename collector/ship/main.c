/*
 * chronicle-ship - ships this machine's Chronicle events into a shared
 * PostgreSQL (team mode, docs/TEAM.md).
 *
 * A program of its own, beside the collector rather than inside it: libpq's
 * blocking calls and whatever PostgreSQL or the network do stay outside the
 * collector's process, so local ingest can be neither slowed nor crashed by
 * them; the collector links no libpq; and each restarts on its own.  It
 * reads chronicle.db read-only (WAL: the collector keeps writing) and
 * writes only ship.cursor and ship.state in CHRONICLE_HOME.
 *
 * The loop: connect (with backoff on failure), ship batches until nothing
 * is left, then sleep until the collector's WAL changes (inotify) or a
 * second passes.  SIGTERM/SIGINT end it at the next step, or at once
 * during a wait (a statement in flight may or may not commit: the cursor
 * in PostgreSQL says which on the next start).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chronicle/clock.h"
#include "chronicle/config.h"
#include "chronicle/home.h"
#include "chronicle/log.h"
#include "shipper.h"

#define TAG "chronicle-ship"
#define EXIT_CONFIG 78 /* EX_CONFIG: systemd does not restart on it */
#define BACKOFF_MIN_NS (500 * NS_PER_MS)
#define BACKOFF_MAX_NS (30 * NS_PER_S)

struct ship_main {
    struct chronicle_config cfg;
    struct shipper ship;
    int signal_fd, inotify_fd, lock_fd;
    int once, stop;
    int attempts;              /* failures in a row, for the backoff */
    int64_t next_attempt_mono;
    int64_t reported_mono;
};

static void usage(FILE *out)
{
    fprintf(out,
        "usage: chronicle-ship [--once] [--batch N] [--print-config]\n"
        "\n"
        "Ships this machine's Chronicle events (and token usage) from\n"
        "$CHRONICLE_HOME/chronicle.db into the PostgreSQL that ship_to names\n"
        "(CHRONICLE_SHIP_TO or ship_to in the config file: a libpq URI or\n"
        "conninfo; the password belongs in ~/.pgpass).  Creates or migrates the\n"
        "team schema when its role may.  docs/TEAM.md.\n"
        "\n"
        "  --once          ship what there is, then exit (0 when caught up)\n"
        "  --batch N       events per PostgreSQL transaction at most (default 4096)\n"
        "  --print-config  show every setting and where it came from, then exit\n"
        "\n"
        "Exit status: 0 stopped, 1 failure, 78 configuration (ship_to unset or holds\n"
        "a password).\n");
}

static int open_signals(struct ship_main *m)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
        return -1;
    signal(SIGPIPE, SIG_IGN);
    m->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    return m->signal_fd < 0 ? -1 : 0;
}

/* One chronicle-ship per CHRONICLE_HOME: two would ship the same events
 * (harmless) and fight over ship.cursor. */
static int take_lock(struct ship_main *m)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/ship.lock", m->cfg.home);
    m->lock_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (m->lock_fd < 0 || flock(m->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        log_msg(TAG, LOG_LEVEL_ERROR, "%s: %s", path, errno == EWOULDBLOCK
                ? "another chronicle-ship is running for this CHRONICLE_HOME" : strerror(errno));
        return -1;
    }
    return 0;
}

/* The collector writes chronicle.db-wal on every commit: a modification
 * there (or a new database) wakes the shipper without polling. */
static void watch_home(struct ship_main *m)
{
    m->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (m->inotify_fd >= 0 &&
        inotify_add_watch(m->inotify_fd, m->cfg.home, IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
        close(m->inotify_fd);
        m->inotify_fd = -1;
    }
    if (m->inotify_fd < 0)
        log_msg(TAG, LOG_LEVEL_WARN, "inotify on %s: %s; polling every second", m->cfg.home,
                strerror(errno));
}

/* 1 when an inotify event concerns the database, draining them all. */
static int drain_inotify(int fd)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    int relevant = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            if (ev->len && strncmp(ev->name, "chronicle.db", 12) == 0)
                relevant = 1;
            p += sizeof *ev + ev->len;
        }
    }
    return relevant;
}

/* Waits until a stop signal or deadline, and with watch_db until the
 * database changes.  (Backing off, it does not watch: waking on each of
 * the collector's commits while PostgreSQL is away would take CPU from the
 * collector for nothing.) */
static void wait_until(struct ship_main *m, int64_t deadline_mono, int watch_db)
{
    for (;;) {
        int64_t left = deadline_mono - clock_mono_ns();
        if (left <= 0 || m->stop)
            return;
        struct pollfd p[2] = {{m->signal_fd, POLLIN, 0}, {m->inotify_fd, POLLIN, 0}};
        int n = poll(p, watch_db && m->inotify_fd >= 0 ? 2 : 1, (int)(left / NS_PER_MS) + 1);
        if (n > 0 && (p[0].revents & POLLIN)) {
            m->stop = 1;
            return;
        }
        if (n > 0 && (p[1].revents & POLLIN) && drain_inotify(m->inotify_fd))
            return;
    }
}

static void backoff(struct ship_main *m)
{
    int64_t d = BACKOFF_MIN_NS << (m->attempts < 6 ? m->attempts : 6);
    if (d > BACKOFF_MAX_NS)
        d = BACKOFF_MAX_NS;
    unsigned r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != sizeof r)
        r = 0;
    d = d * 4 / 5 + (int64_t)(r % 1000) * d * 2 / 5 / 1000; /* +-20%: machines do not stampede */
    m->attempts++;
    m->next_attempt_mono = clock_mono_ns() + d;
    snprintf(m->ship.state.phase, sizeof m->ship.state.phase, "backoff");
}

static void report(struct ship_main *m, int force)
{
    int64_t now = clock_mono_ns();
    if (force || now - m->reported_mono >= NS_PER_S) {
        shipper_report(&m->ship, force);
        m->reported_mono = now;
    }
}

/* 0 when caught up under --once, 1 to go on, -1 to give up (--once and
 * PostgreSQL unreachable). */
static int turn(struct ship_main *m)
{
    struct shipper *s = &m->ship;
    if (shipper_open_local(s) != 0) {
        report(m, 0);
        wait_until(m, clock_mono_ns() + 2 * NS_PER_S, 1);
        return 1;
    }
    if (s->pg == NULL) {
        if (clock_mono_ns() < m->next_attempt_mono) {
            wait_until(m, m->next_attempt_mono, 0);
            return 1;
        }
        if (shipper_connect(s) != 0) {
            backoff(m);
            report(m, 1);
            return m->once ? -1 : 1;
        }
    }
    enum ship_step step = shipper_step(s);
    if (step == STEP_FAILED) {
        backoff(m);
        report(m, 1);
        return m->once ? -1 : 1;
    }
    m->attempts = 0;
    if (step == STEP_IDLE) {
        snprintf(s->state.phase, sizeof s->state.phase, "idle");
        report(m, 1);
        if (m->once)
            return 0;
        wait_until(m, clock_mono_ns() + NS_PER_S, 1);
    } else {
        snprintf(s->state.phase, sizeof s->state.phase, "shipping");
        report(m, 0);
    }
    return 1;
}

static int parse_args(struct ship_main *m, int argc, char **argv, int *print)
{
    static const struct option opts[] = {
        {"once", no_argument, NULL, 'o'}, {"batch", required_argument, NULL, 'b'},
        {"print-config", no_argument, NULL, 'p'}, {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end;
        switch (opt) {
        case 'o': m->once = 1; break;
        case 'p': *print = 1; break;
        case 'b':
            m->ship.batch_max = strtol(optarg, &end, 10);
            if (*end || m->ship.batch_max < 1 || m->ship.batch_max > 100000) {
                fprintf(stderr, "chronicle-ship: --batch: expected 1..100000\n");
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("chronicle-ship %s\n", CHRONICLE_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    return optind < argc ? (usage(stderr), 2) : -1;
}

int main(int argc, char **argv)
{
    static struct ship_main m; /* large (config, batch state): not on the stack */
    m.signal_fd = m.inotify_fd = m.lock_fd = -1;
    int print = 0, rc = parse_args(&m, argc, argv, &print);
    long batch = m.ship.batch_max;
    if (rc >= 0)
        return rc;
    char err[1024];
    if (config_load(&m.cfg, err, sizeof err) != 0) {
        log_msg(TAG, LOG_LEVEL_ERROR, "%s", err);
        return EXIT_CONFIG;
    }
    if (print) {
        config_print(&m.cfg, stdout);
        return 0;
    }
    if (m.cfg.ship_to[0] == '\0') {
        log_msg(TAG, LOG_LEVEL_ERROR, "ship_to is not set (CHRONICLE_SHIP_TO, or ship_to in %s): "
                "nothing to ship to; see docs/TEAM.md", m.cfg.config_file[0] ? m.cfg.config_file
                : "~/.config/chronicle/config");
        return EXIT_CONFIG;
    }
    umask(077);
    /* The same rule as the collector's (home.h): a home of ours, not open
     * to others; the collector tightens one that is merely too open. */
    int home_fd = home_open_dir(m.cfg.home, 1, NULL, err, sizeof err);
    if (home_fd < 0) {
        log_msg(TAG, LOG_LEVEL_ERROR, "%s", err);
        return 1;
    }
    close(home_fd);
    if (open_signals(&m) != 0 || take_lock(&m) != 0)
        return 1;
    if (shipper_init(&m.ship, &m.cfg, m.signal_fd, err, sizeof err) != 0) {
        log_msg(TAG, LOG_LEVEL_ERROR, "%s", err);
        return strstr(err, "ship_to") ? EXIT_CONFIG : 1;
    }
    if (batch > 0)
        m.ship.batch_max = m.ship.limit = batch;
    watch_home(&m);
    log_msg(TAG, LOG_LEVEL_INFO, "machine %s (%s, %s) ships %s to %s", m.ship.machine_id, m.ship.host,
            m.ship.user, m.cfg.db_path, m.ship.target);
    int caught_up = 0;
    while (!m.stop) {
        int t = turn(&m);
        if (t <= 0) {
            caught_up = t == 0;
            break;
        }
        struct signalfd_siginfo si;
        if (read(m.signal_fd, &si, sizeof si) == (ssize_t)sizeof si)
            m.stop = 1;
    }
    snprintf(m.ship.state.phase, sizeof m.ship.state.phase, "stopped");
    report(&m, 1);
    shipper_close(&m.ship);
    if (m.inotify_fd >= 0)
        close(m.inotify_fd);
    close(m.signal_fd);
    close(m.lock_fd);
    return m.once && !caught_up ? 1 : 0;
}
