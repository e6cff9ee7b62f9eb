/* admin_endpoint.c - the server's endpoint for `chronicle open` and `chronicle endpoint`. */
#include "admin.h"

#include <stdio.h>

#include "chronicle/config.h"
#include "chronicle/endpoint.h"

int admin_endpoint_load(struct endpoint *ep, const char *server_flag)
{
    struct chronicle_config cfg;
    char err[PATH_MAX + 256];
    if (config_load(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, "chronicle: %s\n", err);
        return 1;
    }
    /* An unusable token file leaves a usable endpoint without a token. */
    if (endpoint_resolve(ep, &cfg, err, sizeof err) != 0)
        fprintf(stderr, "chronicle: warning: %s\n", err);
    if (server_flag && endpoint_set_server(ep, server_flag, err, sizeof err) != 0) {
        fprintf(stderr, "chronicle: --server: %s\n", err);
        return 2;
    }
    return 0;
}
