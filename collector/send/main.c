/*
 * chronicle-send - the Claude Code hook command.
 *
 * Runs once per hook event on the agent's critical path.  Its contract with
 * the agent: exit 0, print nothing on stdout, never wait longer than its
 * deadlines, never lose the event.  Its contract with the collector is
 * docs/PROTOCOL.md.  Every failure below therefore degrades, in order, to:
 * acked by the collector -> written to the spool -> counted in the drop file.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chronicle/buf.h"
#include "chronicle/clock.h"
#include "chronicle/config.h"
#include "chronicle/json_scan.h"
#include "chronicle/log.h"
#include "chronicle/spool.h"
#include "chronicle/wire.h"
#include "delivery.h"
#include "payload_trim.h"
#include "stdin_reader.h"

#define TAG "chronicle-send"

struct send_ctx {
    struct chronicle_config cfg;
    int verbose;
    const char *event_arg; /* EVENT from argv, or NULL */
    struct buf input;      /* bytes read from stdin */
    struct buf trimmed;    /* input with long strings cut, when needed */
    struct buf frame;      /* the encoded request */
    char host[256];
    struct wire_event ev;
};

static void usage(FILE *out)
{
    fprintf(out,
        "usage: chronicle-send [--verbose] [EVENT] < payload.json\n"
        "       chronicle-send --check | --help | --version\n"
        "\n"
        "Claude Code hook command: reads one hook payload (JSON) on stdin and hands\n"
        "it to chronicle-collector over $CHRONICLE_HOME/collector.sock, waiting for\n"
        "the collector to confirm the event is committed.  If it does not answer in\n"
        "time the event is spooled to $CHRONICLE_HOME/spool/ for the collector to\n"
        "take later.  Always exits 0 and never writes to stdout.\n"
        "\n"
        "  EVENT        hook event name, used when the payload has no hook_event_name\n"
        "  -v, --verbose  explain what happened on stderr\n"
        "  --check      for humans: does the collector answer, where is the database,\n"
        "               how many events wait in the spool (exit 1 if not answering)\n"
        "  --help       this text\n"
        "  --version    print the version\n"
        "\n"
        "Environment: CHRONICLE_HOME (default ~/.claude/chronicle),\n"
        "CHRONICLE_SEND_TIMEOUT_MS (250), CHRONICLE_STDIN_TIMEOUT_MS (1000),\n"
        "CHRONICLE_MAX_PAYLOAD_BYTES (1m), CHRONICLE_MAX_STDIN_BYTES (64m),\n"
        "CHRONICLE_RAW_CAP_BYTES (64k).  See docs/PROTOCOL.md.\n");
}

/* A UUIDv7 (RFC 9562): 48-bit Unix ms timestamp, then random bits.  Ids
 * that sort by time keep the database's UNIQUE index append-only, which
 * measured faster than fully random ids (docs/PERFORMANCE.md); 74 random
 * bits still make a collision between two events practically impossible. */
static void fill_id(unsigned char id[WIRE_ID_LEN], int64_t now_ns)
{
    if (getrandom(id, WIRE_ID_LEN, GRND_NONBLOCK) != WIRE_ID_LEN) {
        /* Entropy pool not ready (early boot): monotonic time and pid still
         * make the id unique on this host, which is all idempotence needs. */
        int64_t m = clock_mono_ns();
        long pid = (long)getpid();
        memcpy(id + 6, &m, 6);
        memcpy(id + 12, &pid, 4);
    }
    uint64_t ms = (uint64_t)(now_ns / 1000000);
    for (int i = 0; i < 6; i++)
        id[i] = (unsigned char)(ms >> (40 - 8 * i));
    id[6] = (unsigned char)(0x70 | (id[6] & 0x0f)); /* version 7 */
    id[8] = (unsigned char)(0x80 | (id[8] & 0x3f)); /* RFC 9562 variant */
}

static int64_t env_pid(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0')
        return -1;
    char *end;
    long long n = strtoll(v, &end, 10);
    return (*end == '\0' && n > 0) ? n : -1;
}

static struct wire_str env_str(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL)
        return (struct wire_str){NULL, 0};
    return (struct wire_str){v, strlen(v)};
}

/* Classifies the input and points ev.payload at what will be sent. */
static void prepare_payload(struct send_ctx *c, enum read_end how)
{
    struct wire_event *ev = &c->ev;
    ev->orig_size = c->input.len;
    enum json_status st = json_walk(c->input.data ? c->input.data : "", c->input.len,
                                    NULL, NULL, NULL);
    if (st == JSON_OK && how != READ_CAPPED) {
        ev->payload = (struct wire_str){c->input.data, c->input.len};
        if ((long)c->input.len <= c->cfg.max_payload)
            return;
        int r = payload_trim(c->input.data, c->input.len, (size_t)c->cfg.max_payload,
                             &c->trimmed);
        if (r >= 0 && (r == 0 || (long)c->trimmed.len <= c->cfg.max_frame - 4096)) {
            ev->payload = (struct wire_str){c->trimmed.data, c->trimmed.len};
            ev->flags |= WIRE_FLAG_TRUNCATED;
            if (c->verbose)
                log_msg(TAG, LOG_LEVEL_INFO, "payload of %zu bytes trimmed to %zu", c->input.len,
                        c->trimmed.len);
            return;
        }
        /* Could not trim (no memory, or structure alone exceeds the frame
         * cap): fall through and keep the raw head, flagged. */
    }
    if (c->verbose)
        log_msg(TAG, LOG_LEVEL_WARN, "payload is not valid JSON (%s, read ended by %s); sending raw bytes",
                how == READ_CAPPED ? "cut at the stdin cap" : json_status_name(st),
                read_end_name(how));
    ev->flags |= WIRE_FLAG_INVALID;
    size_t keep = c->input.len;
    if ((long)keep > c->cfg.raw_cap) {
        keep = (size_t)c->cfg.raw_cap;
        ev->flags |= WIRE_FLAG_TRUNCATED;
    }
    if (how == READ_CAPPED)
        ev->flags |= WIRE_FLAG_TRUNCATED;
    ev->payload = (struct wire_str){keep ? c->input.data : "", keep};
}

static void fill_envelope(struct send_ctx *c)
{
    struct wire_event *ev = &c->ev;
    ev->kind = WIRE_EVENT;
    ev->ts_ns = clock_wall_ns();
    fill_id(ev->id, ev->ts_ns);
    if (gethostname(c->host, sizeof c->host) != 0)
        c->host[0] = '\0';
    c->host[sizeof c->host - 1] = '\0';
    ev->host = (struct wire_str){c->host, strlen(c->host)};
    ev->uid = (int64_t)getuid();
    ev->pid = (int64_t)getpid();
    ev->ppid = (int64_t)getppid();
    ev->claude_pid = env_pid("CLAUDE_PID");
    ev->project_dir = env_str("CLAUDE_PROJECT_DIR");
    if (c->event_arg != NULL)
        ev->arg = (struct wire_str){c->event_arg, strlen(c->event_arg)};
}

static void deliver(struct send_ctx *c)
{
    char why[256];
    struct wire_reply reply;
    enum delivery_result r = delivery_send(c->cfg.socket_path, c->frame.data, c->frame.len,
                                           c->ev.id, c->cfg.send_timeout_ms, &reply, why,
                                           sizeof why);
    if (r == DELIVERY_ACKED) {
        if (c->verbose)
            log_msg(TAG, LOG_LEVEL_INFO, "committed by the collector");
        return;
    }
    if (c->verbose)
        log_msg(TAG, LOG_LEVEL_WARN, "not acknowledged (%s); spooling", why);
    if (spool_write(&c->cfg, c->frame.data, c->frame.len, c->ev.ts_ns, c->ev.id) == 0) {
        if (c->verbose)
            log_msg(TAG, LOG_LEVEL_INFO, "spooled in %s", c->cfg.spool_dir);
        return;
    }
    int e = errno;
    if (c->verbose)
        log_msg(TAG, LOG_LEVEL_ERROR, "cannot spool (%s); recording the loss", strerror(e));
    if (spool_record_drop(&c->cfg, c->ev.ts_ns, c->ev.id, c->event_arg, e) != 0 && c->verbose)
        log_msg(TAG, LOG_LEVEL_ERROR, "cannot record the loss in %s: %s", c->cfg.drop_file,
                strerror(errno));
}

/* --check: the one mode that talks to a human, so it prints on stdout. */
static int run_check(struct send_ctx *c)
{
    struct wire_event ping = {.kind = WIRE_PING};
    struct wire_reply reply;
    char why[256];
    int up = 0;
    printf("home:      %s\n", c->cfg.home);
    printf("socket:    %s\n", c->cfg.socket_path);
    if (wire_encode_event(&ping, &c->frame) == 0 &&
        delivery_send(c->cfg.socket_path, c->frame.data, c->frame.len, NULL,
                      c->cfg.send_timeout_ms > 1000 ? c->cfg.send_timeout_ms : 1000, &reply, why,
                      sizeof why) == DELIVERY_ACKED && reply.pong) {
        up = 1;
        printf("collector: answering (%lld events committed since start, %lld queued)\n",
               (long long)reply.committed, (long long)reply.queue);
        if (reply.failing_ms > 0)
            printf("commits:   FAILING for %lld s; the oldest waiting event is %lld s old "
                   "(disk full? see the collector's log)\n", (long long)reply.failing_ms / 1000,
                   (long long)reply.oldest_ms / 1000);
        else if (reply.oldest_ms > 0)
            printf("commits:   working; the oldest waiting event is %lld ms old\n",
                   (long long)reply.oldest_ms);
    } else {
        printf("collector: NOT answering: %s\n", why);
    }
    struct stat st;
    if (stat(c->cfg.db_path, &st) == 0)
        printf("database:  %s (%lld bytes)\n", c->cfg.db_path, (long long)st.st_size);
    else
        printf("database:  %s (missing: %s)\n", c->cfg.db_path, strerror(errno));
    long spooled = spool_count_files(c->cfg.spool_dir);
    if (spooled < 0)
        printf("spool:     %s (missing)\n", c->cfg.spool_dir);
    else
        printf("spool:     %ld event file(s) waiting in %s\n", spooled, c->cfg.spool_dir);
    printf("dropped:   %ld event(s) recorded in %s\n", spool_count_drops(c->cfg.drop_file),
           c->cfg.drop_file);
    return up ? 0 : 1;
}

int main(int argc, char **argv)
{
    static struct send_ctx ctx; /* static only for its size: main's context */
    struct send_ctx *c = &ctx;
    int check = 0;

    signal(SIGPIPE, SIG_IGN);
    /* Everything it creates (spool files, the drop file, directories) is
     * the user's alone. */
    umask(077);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("chronicle-send %s (protocol %d)\n", CHRONICLE_VERSION, WIRE_VERSION);
            return 0;
        } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            c->verbose = 1;
        } else if (strcmp(a, "--check") == 0) {
            check = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            /* A hook must never fail on a bad flag: say so only when asked. */
            if (c->verbose)
                log_msg(TAG, LOG_LEVEL_WARN, "ignoring unknown option %s", a);
        } else if (c->event_arg == NULL) {
            c->event_arg = a;
        }
    }

    char err[256];
    if (config_load(&c->cfg, err, sizeof err) != 0) {
        /* Tunables that failed to parse keep their defaults; only missing
         * paths make delivery impossible. */
        if (c->verbose || check)
            log_msg(TAG, LOG_LEVEL_WARN, "%s", err);
        if (c->cfg.socket_path[0] == '\0')
            return check ? 1 : 0;
    }
    if (check)
        return run_check(c);

    enum read_end how = stdin_read(STDIN_FILENO, &c->input, c->cfg.stdin_timeout_ms,
                                   c->cfg.max_stdin);
    if (c->verbose)
        log_msg(TAG, LOG_LEVEL_DEBUG, "read %zu bytes from stdin (ended by %s)", c->input.len,
                read_end_name(how));
    fill_envelope(c);
    prepare_payload(c, how);
    if (wire_encode_event(&c->ev, &c->frame) != 0) {
        if (c->verbose)
            log_msg(TAG, LOG_LEVEL_ERROR, "out of memory encoding the event");
        spool_record_drop(&c->cfg, c->ev.ts_ns, c->ev.id, c->event_arg, ENOMEM);
        return 0;
    }
    deliver(c);
    /* No frees: the process ends here and the kernel reclaims everything
     * faster than free() would, on the hot path. */
    return 0;
}
