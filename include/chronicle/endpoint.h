/*
 * endpoint.h - where chronicle-server is and how a client reaches it: its
 * home, the address to connect to, the port, the bearer token and the
 * dashboard URL built from them.
 *
 * One place for every program that talks to the server (`chronicle status`,
 * `chronicle open`, `chronicle endpoint`, which scripts/run.sh and
 * `make install-units` read), with the daemons' precedence: defaults, the
 * config file, the environment (config_load), then flags
 * (endpoint_set_server).
 *
 * The token: CHRONICLE_TOKEN or the config file's `token` when set, else the
 * contents of HOME/server.token (the token chronicle-server creates on its
 * first start), opened without following a symlink and used only when it is
 * a regular file owned by the caller; else none.
 *
 * struct endpoint is plain data owned by the caller; nothing to free.
 */
#ifndef CHRONICLE_ENDPOINT_H
#define CHRONICLE_ENDPOINT_H

#include <limits.h>
#include <stddef.h>

#include "chronicle/config.h"

#define ENDPOINT_TOKEN_FILE "server.token"

enum endpoint_token_source {
    ENDPOINT_TOKEN_NONE,        /* no token resolved */
    ENDPOINT_TOKEN_FROM_CONFIG, /* CHRONICLE_TOKEN or the config file's token */
    ENDPOINT_TOKEN_FROM_FILE,   /* HOME/server.token */
};

struct endpoint {
    char home[PATH_MAX];       /* CHRONICLE_HOME as resolved by config_load */
    char host[64];             /* numeric address to connect to (IPv4 or IPv6, no brackets) */
    int port;                  /* TCP port */
    enum config_source port_source;
    char token[256];           /* "" when token_source is NONE */
    enum endpoint_token_source token_source;
    char token_file[PATH_MAX]; /* HOME/server.token, looked at when no token is configured */
};

/*
 * Fills ep from cfg (loaded by config_load).  The host is cfg->bind, or the
 * loopback address of the same family when the server binds a wildcard
 * (0.0.0.0, ::).  0, or -1 with a reason in err when the token file exists
 * but cannot be used (a symlink, not a regular file, not ours, unreadable,
 * empty or not a token); ep is still usable then, without a token.
 */
int endpoint_resolve(struct endpoint *ep, const struct chronicle_config *cfg, char *err,
                     size_t errlen);

/* A --server HOST:PORT flag ("127.0.0.1:8510", "[::1]:8510"): overrides
 * host and port.  0, or -1 with err (ep unchanged). */
int endpoint_set_server(struct endpoint *ep, const char *host_port, char *err, size_t errlen);

/* "HOST:PORT", with brackets around an IPv6 host (for Host headers and
 * messages).  0, or -1 when out is too small. */
int endpoint_authority(const struct endpoint *ep, char *out, size_t outlen);

/* The dashboard's URL: http://HOST:PORT/, followed by ?token=TOKEN
 * (percent-encoded) when a token was resolved.  0, or -1 when out is too
 * small. */
int endpoint_dashboard_url(const struct endpoint *ep, char *out, size_t outlen);

/* The token's origin for humans: "none", "CHRONICLE_TOKEN or the config
 * file", or the token file's path.  Never the token itself. */
const char *endpoint_token_origin(const struct endpoint *ep);

#endif
