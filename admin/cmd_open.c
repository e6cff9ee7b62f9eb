/* cmd_open.c - `chronicle open`: the dashboard's URL, once the server answers. */
#include <errno.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin.h"
#include "chronicle/endpoint.h"
#include "probe.h"

extern char **environ;

static void usage(FILE *out)
{
    fprintf(out,
        "usage: chronicle open [--no-browser | --browser] [--server HOST:PORT] [--timeout MS]\n"
        "\n"
        "Checks that chronicle-server answers GET /health, then prints the dashboard's\n"
        "URL on stdout.  When the server has a token (CHRONICLE_TOKEN, the config\n"
        "file's token, or the one it keeps in $CHRONICLE_HOME/server.token) the URL\n"
        "carries it as ?token=..., which the server exchanges for a cookie: treat the\n"
        "URL as a password.  The server's address is resolved as `chronicle endpoint`\n"
        "shows.\n"
        "\n"
        "  --no-browser        only print the URL (the default)\n"
        "  --browser           also open it with xdg-open, when xdg-open exists (the\n"
        "                      URL, token included, is then on xdg-open's and the\n"
        "                      browser's command line, which other local users can read)\n"
        "  --server HOST:PORT  another address than the configured one\n"
        "  --timeout MS        for the health check (default 1000)\n"
        "\n"
        "Exit status: 0 URL printed, 1 the server does not answer (nothing on stdout),\n"
        "2 usage.\n");
}

/* 1 when PATH holds an executable xdg-open. */
static int have_xdg_open(void)
{
    const char *path = getenv("PATH");
    char dir[PATH_MAX + 16];
    for (const char *p = path ? path : ""; *p;) {
        size_t n = strcspn(p, ":");
        if (n > 0 && n < PATH_MAX &&
            snprintf(dir, sizeof dir, "%.*s/xdg-open", (int)n, p) < (int)sizeof dir &&
            access(dir, X_OK) == 0)
            return 1;
        p += n + (p[n] == ':');
    }
    return 0;
}

/* xdg-open URL, waited for.  0 or -1 (reported). */
static int open_browser(const char *url)
{
    if (!have_xdg_open()) {
        fprintf(stderr, "chronicle: no xdg-open on PATH: open the URL above yourself\n");
        return 0;
    }
    char *args[] = {"xdg-open", (char *)url, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "xdg-open", NULL, NULL, args, environ), status;
    if (rc != 0) {
        fprintf(stderr, "chronicle: xdg-open: %s\n", strerror(rc));
        return -1;
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "chronicle: xdg-open failed: open the URL above yourself\n");
        return -1;
    }
    return 0;
}

int cmd_open(int argc, char **argv)
{
    static const struct option opts[] = {
        {"browser", no_argument, NULL, 'b'}, {"no-browser", no_argument, NULL, 'n'},
        {"server", required_argument, NULL, 'S'}, {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *server = NULL;
    int browser = 0, timeout_ms = 1000, opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end;
        switch (opt) {
        case 'b': browser = 1; break;
        case 'n': browser = 0; break;
        case 'S': server = optarg; break;
        case 't':
            timeout_ms = (int)strtol(optarg, &end, 10);
            if (*end || end == optarg || timeout_ms < 1 || timeout_ms > 60000) {
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
    struct endpoint ep;
    int rc = admin_endpoint_load(&ep, server);
    if (rc != 0)
        return rc;
    char err[256], url[1024], auth[96];
    if (probe_server(&ep, timeout_ms, err, sizeof err) != 0) {
        if (endpoint_authority(&ep, auth, sizeof auth) != 0)
            snprintf(auth, sizeof auth, "?");
        fprintf(stderr, "chronicle: the server does not answer on %s: %s\n", auth, err);
        return 1;
    }
    if (endpoint_dashboard_url(&ep, url, sizeof url) != 0) {
        fprintf(stderr, "chronicle: the dashboard URL is too long\n");
        return 1;
    }
    printf("%s\n", url);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "chronicle: writing the URL: %s\n", strerror(errno));
        return 1;
    }
    return browser && open_browser(url) != 0 ? 1 : 0;
}
