/* cmd_endpoint.c - `chronicle endpoint`: the resolved home, address, port and token source. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "chronicle/endpoint.h"

static void usage(FILE *out)
{
    fprintf(out,
        "usage: chronicle endpoint [--server HOST:PORT] [FIELD]\n"
        "\n"
        "Prints where chronicle-server is, resolved as the daemons resolve it: the\n"
        "config file (~/.config/chronicle/config, or $CHRONICLE_CONFIG), then the\n"
        "environment (CHRONICLE_HOME, CHRONICLE_BIND, CHRONICLE_PORT, CHRONICLE_TOKEN),\n"
        "then flags.  One FIELD=VALUE line each:\n"
        "\n"
        "  home     the data directory\n"
        "  host     the address clients connect to (loopback when the server binds all)\n"
        "  port     the TCP port\n"
        "  server   HOST:PORT ([IPV6]:PORT)\n"
        "  token    where the token comes from: none, CHRONICLE_TOKEN or the config\n"
        "           file, or the token file's path (never the token itself)\n"
        "\n"
        "With FIELD, only that value.  Nothing is probed: `chronicle status` does.\n"
        "\n"
        "Exit status: 0, 1 configuration error, 2 usage.\n");
}

static int print_field(const struct endpoint *ep, const char *field, int with_name)
{
    char value[PATH_MAX + 32];
    if (strcmp(field, "home") == 0)
        snprintf(value, sizeof value, "%s", ep->home);
    else if (strcmp(field, "host") == 0)
        snprintf(value, sizeof value, "%s", ep->host);
    else if (strcmp(field, "port") == 0)
        snprintf(value, sizeof value, "%d", ep->port);
    else if (strcmp(field, "server") == 0) {
        if (endpoint_authority(ep, value, sizeof value) != 0)
            return -1;
    } else if (strcmp(field, "token") == 0)
        snprintf(value, sizeof value, "%s", endpoint_token_origin(ep));
    else
        return -1;
    printf(with_name ? "%s=%s\n" : "%.0s%s\n", field, value);
    return 0;
}

int cmd_endpoint(int argc, char **argv)
{
    static const struct option opts[] = {
        {"server", required_argument, NULL, 'S'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *server = NULL;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'S': server = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr, "chronicle: endpoint takes at most one FIELD\n");
        return 2;
    }
    struct endpoint ep;
    int rc = admin_endpoint_load(&ep, server);
    if (rc != 0)
        return rc;
    if (optind < argc) {
        if (print_field(&ep, argv[optind], 0) != 0) {
            fprintf(stderr, "chronicle: endpoint: unknown field '%s' (home, host, port, server, "
                    "token)\n", argv[optind]);
            return 2;
        }
        return 0;
    }
    static const char *fields[] = {"home", "host", "port", "server", "token"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (print_field(&ep, fields[i], 1) != 0)
            return 1;
    return 0;
}
