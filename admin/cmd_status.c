/* cmd_status.c - `chronicle status`: is Chronicle capturing, for humans. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "chronicle/clock.h"
#include "chronicle/config.h"
#include "chronicle/endpoint.h"
#include "chronicle/spool.h"
#include "db_reader.h"
#include "hooks_settings.h"
#include "probe.h"
#include "settings_file.h"

struct status_cmd {
    struct chronicle_config cfg;
    struct endpoint ep;
    char ep_err[PATH_MAX + 128]; /* why the token file was not used, "" when it was fine */
    const char *settings;
    const char *server_flag; /* --server HOST:PORT, NULL for the configured one */
    int timeout_ms;
};

static void usage(FILE *out)
{
    fprintf(out,
        "usage: chronicle status [--settings FILE] [--server HOST:PORT] [--timeout MS]\n"
        "\n"
        "Shows whether Chronicle is capturing: does the collector answer a ping on\n"
        "$CHRONICLE_HOME/collector.sock, does the server answer GET /health, the\n"
        "database and its size, events stored today (local time), the spool backlog\n"
        "(events waiting in $CHRONICLE_HOME/spool), events senders had to drop, and\n"
        "team shipping (target, lag, last error; docs/TEAM.md), which hook events\n"
        "the settings files register chronicle-send for (the\n"
        "user's, and .claude/settings.json and settings.local.json of the current\n"
        "directory when they exist).  The server is asked with the token that\n"
        "`chronicle open` puts in the dashboard URL, when there is one.\n"
        "\n"
        "  --settings FILE     settings file to inspect (default ~/.claude/settings.json)\n"
        "  --server HOST:PORT  server address (default: CHRONICLE_BIND and CHRONICLE_PORT\n"
        "                      from the environment or the config file, else 127.0.0.1:8510)\n"
        "  --timeout MS        per probe (default 1000)\n"
        "\n"
        "Exit status: 0 when the collector answers, 1 when it does not, 2 usage.\n");
}

static const char *human_size(long long n, char *out, size_t cap)
{
    if (n < 1024)
        snprintf(out, cap, "%lld B", n);
    else if (n < 1024 * 1024)
        snprintf(out, cap, "%.1f KiB", (double)n / 1024);
    else if (n < 1024LL * 1024 * 1024)
        snprintf(out, cap, "%.1f MiB", (double)n / (1024 * 1024));
    else
        snprintf(out, cap, "%.2f GiB", (double)n / (1024.0 * 1024 * 1024));
    return out;
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}


static int show_collector(const struct status_cmd *c)
{
    struct collector_pong pong;
    char err[256];
    if (probe_collector(c->cfg.socket_path, c->timeout_ms, &pong, err, sizeof err) == 0) {
        printf("collector  up      %s (committed %lld since start, queue %lld)\n",
               c->cfg.socket_path, (long long)pong.committed, (long long)pong.queue);
        if (pong.failing_ms > 0)
            printf("           COMMITS FAILING for %lld s: %lld event(s) wait in memory, the "
                   "oldest %lld s old (disk full? see its log)\n",
                   (long long)pong.failing_ms / 1000, (long long)pong.queue,
                   (long long)pong.oldest_ms / 1000);
        return 0;
    }
    printf("collector  DOWN    %s: %s\n", c->cfg.socket_path, err);
    printf("           start it: systemctl --user start chronicle-collector.socket "
           "(or run chronicle-collector)\n");
    return -1;
}

static void show_server(const struct status_cmd *c)
{
    char err[256], auth[96];
    if (endpoint_authority(&c->ep, auth, sizeof auth) != 0)
        snprintf(auth, sizeof auth, "?");
    if (probe_server(&c->ep, c->timeout_ms, err, sizeof err) == 0)
        printf("server     up      http://%s/ (token: %s)\n", auth, endpoint_token_origin(&c->ep));
    else
        printf("server     DOWN    %s: %s\n", auth, err);
    if (c->ep_err[0])
        printf("           WARNING: %s\n", c->ep_err);
}

static void show_database(const struct status_cmd *c)
{
    char a[32], b[32], err[512], wal[PATH_MAX + 8];
    snprintf(wal, sizeof wal, "%s-wal", c->cfg.db_path);
    long long size = file_size(c->cfg.db_path), wsize = file_size(wal);
    if (size < 0) {
        printf("database   none    %s (created by the collector on its first start)\n",
               c->cfg.db_path);
        return;
    }
    printf("database   %s (%s, WAL %s)\n", c->cfg.db_path, human_size(size, a, sizeof a),
           human_size(wsize < 0 ? 0 : wsize, b, sizeof b));
    sqlite3 *db;
    if (db_reader_open(c->cfg.db_path, &db, err, sizeof err) != 0) {
        printf("           cannot read it: %s\n", err);
        return;
    }
    /* "Today" for a human is since local midnight. */
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    long long midnight_ns = (long long)mktime(&tm) * NS_PER_S;
    long long today = 0, total = 0, sessions = 0, last = 0;
    if (db_reader_int(db, "SELECT count(*) FROM events WHERE ts_ns >= ?1", midnight_ns, &today) != 0 ||
        db_reader_int(db, "SELECT count(*) FROM events", 0, &total) != 0 ||
        db_reader_int(db, "SELECT count(*) FROM sessions", 0, &sessions) != 0 ||
        db_reader_int(db, "SELECT coalesce(max(ts_ns), 0) FROM events", 0, &last) != 0) {
        printf("           cannot read it: %s\n", sqlite3_errmsg(db));
    } else {
        char when[64] = "never";
        if (last > 0) {
            time_t t = (time_t)(last / NS_PER_S);
            struct tm lt;
            localtime_r(&t, &lt);
            strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %Z", &lt);
        }
        printf("events     %lld today (since local midnight), %lld in all, %lld sessions; "
               "last %s\n", today, total, sessions, when);
    }
    sqlite3_close(db);
}

static void show_spool(const struct status_cmd *c)
{
    long waiting = spool_count_files(c->cfg.spool_dir), bad = spool_count_files(c->cfg.spool_bad);
    long dropped = spool_count_drops(c->cfg.drop_file);
    printf("spool      %ld file(s) waiting for the collector in %s", waiting, c->cfg.spool_dir);
    if (bad > 0)
        printf(", %ld refused in %s", bad, c->cfg.spool_bad);
    printf("\n");
    if (dropped > 0)
        printf("dropped    %ld event(s) lost by senders (see %s)\n", dropped, c->cfg.drop_file);
    else
        printf("dropped    0\n");
}

/* One settings file's registrations.  quiet_missing: a project file that
 * does not exist is simply not shown. */
static void show_hooks_file(const char *path, int quiet_missing)
{
    char err[PATH_MAX + 256];
    struct settings_file f;
    if (settings_file_read(&f, path, err, sizeof err) != 0) {
        printf("hooks      ?       %s\n", err);
        return;
    }
    if (!f.exists && quiet_missing) {
        settings_file_free(&f);
        return;
    }
    struct hooks_registration regs[HOOKS_MAX_EVENTS];
    int n = f.exists ? hooks_settings_registered(f.text.data, f.text.len, regs, HOOKS_MAX_EVENTS,
                                                  err, sizeof err) : 0;
    if (n < 0)
        printf("hooks      ?       %s: %s\n", path, err);
    else if (n == 0)
        printf("hooks      NONE    %s registers no Chronicle hook%s\n", path,
               quiet_missing ? "" : " (chronicle install-hooks)");
    else {
        printf("hooks      %d event(s) in %s -> %s (%s form)\n          ", n, path,
               regs[0].program, regs[0].exec_form ? "exec" : "shell");
        for (int i = 0; i < n; i++)
            printf(" %s", regs[i].event);
        printf("\n");
        if (regs[0].program[0] == '/' && access(regs[0].program, X_OK) != 0)
            printf("           WARNING: %s is not executable: every hook fails\n", regs[0].program);
    }
    settings_file_free(&f);
}

/* The user's settings, and this directory's project files when present. */
static void show_hooks(const struct status_cmd *c)
{
    char path[PATH_MAX];
    if (c->settings) {
        show_hooks_file(c->settings, 0);
        return;
    }
    char user_real[PATH_MAX] = "", proj_real[PATH_MAX];
    if (admin_user_settings_path(path) != 0) {
        printf("hooks      ?       HOME is not set\n");
    } else {
        show_hooks_file(path, 0);
        if (realpath(path, user_real) == NULL)
            user_real[0] = '\0';
    }
    /* In the home directory the project file is the user's: once is enough. */
    if (realpath(".claude/settings.json", proj_real) == NULL || strcmp(proj_real, user_real) != 0)
        show_hooks_file(".claude/settings.json", 1);
    show_hooks_file(".claude/settings.local.json", 1);
}

int cmd_status(int argc, char **argv)
{
    struct status_cmd c = {.timeout_ms = 1000};
    static const struct option opts[] = {
        {"settings", required_argument, NULL, 's'}, {"server", required_argument, NULL, 'S'},
        {"timeout", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end;
        switch (opt) {
        case 's': c.settings = optarg; break;
        case 'S': c.server_flag = optarg; break;
        case 't':
            c.timeout_ms = (int)strtol(optarg, &end, 10);
            if (*end || end == optarg || c.timeout_ms < 1 || c.timeout_ms > 60000) {
                fprintf(stderr, "chronicle: --timeout: expected 1..60000 ms, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "chronicle: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    char err[512];
    if (config_load(&c.cfg, err, sizeof err) != 0) {
        fprintf(stderr, "chronicle: %s\n", err);
        return 1;
    }
    /* A token file that cannot be used is a warning under "server". */
    if (endpoint_resolve(&c.ep, &c.cfg, c.ep_err, sizeof c.ep_err) == 0)
        c.ep_err[0] = '\0';
    if (c.server_flag && endpoint_set_server(&c.ep, c.server_flag, err, sizeof err) != 0) {
        fprintf(stderr, "chronicle: --server: %s\n", err);
        return 2;
    }
    printf("chronicle  %s, home %s%s\n", CHRONICLE_VERSION, c.cfg.home,
           c.cfg.home_source == CONFIG_ENV ? " (from CHRONICLE_HOME)" : "");
    int rc = show_collector(&c);
    show_server(&c);
    show_database(&c);
    show_spool(&c);
    admin_show_shipping(&c.cfg);
    show_hooks(&c);
    return rc == 0 ? 0 : 1;
}
