/* endpoint.c - the server's address, port, home and token, resolved once for every client. */
#include "chronicle/endpoint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A wildcard bind accepts connections on loopback too: connect there. */
static void connect_host(const char *bind, char *out, size_t outlen)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, bind, &a4) == 1 && a4.s_addr == htonl(INADDR_ANY))
        snprintf(out, outlen, "127.0.0.1");
    else if (inet_pton(AF_INET6, bind, &a6) == 1 && memcmp(&a6, &in6addr_any, sizeof a6) == 0)
        snprintf(out, outlen, "::1");
    else
        snprintf(out, outlen, "%s", bind);
}

/* A token is visible ASCII: it travels in a header and a query string. */
static int token_valid(const char *t)
{
    if (*t == '\0')
        return 0;
    for (; *t; t++)
        if ((unsigned char)*t <= 0x20 || (unsigned char)*t >= 0x7f)
            return 0;
    return 1;
}

/* Checks the opened file and reads the token into ep.  0 or -1 with err. */
static int read_token_fd(struct endpoint *ep, int fd, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", ep->token_file, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s is not a regular file; not used", ep->token_file);
        return -1;
    }
    if (st.st_uid != geteuid()) {
        snprintf(err, errlen, "%s belongs to uid %ld, not to us; not used", ep->token_file,
                 (long)st.st_uid);
        return -1;
    }
    /* One byte more than a token can hold tells "too long" from "fits". */
    char text[sizeof ep->token + 2];
    ssize_t n;
    do
        n = read(fd, text, sizeof text - 1);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        snprintf(err, errlen, "%s: %s", ep->token_file, strerror(errno));
        return -1;
    }
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        n--;
    text[n] = '\0';
    if ((size_t)n >= sizeof ep->token || !token_valid(text)) {
        snprintf(err, errlen, "%s does not hold a token (1 to %zu visible ASCII characters)",
                 ep->token_file, sizeof ep->token - 1);
        return -1;
    }
    memcpy(ep->token, text, (size_t)n + 1);
    ep->token_source = ENDPOINT_TOKEN_FROM_FILE;
    return 0;
}

/* HOME/server.token: a missing file means no token. */
static int read_token_file(struct endpoint *ep, char *err, size_t errlen)
{
    /* O_NONBLOCK: a FIFO planted there cannot make us hang. */
    int fd = open(ep->token_file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        if (errno == ELOOP)
            snprintf(err, errlen, "%s is a symbolic link; not used", ep->token_file);
        else
            snprintf(err, errlen, "%s: %s", ep->token_file, strerror(errno));
        return -1;
    }
    int rc = read_token_fd(ep, fd, err, errlen);
    close(fd);
    return rc;
}

int endpoint_resolve(struct endpoint *ep, const struct chronicle_config *cfg, char *err,
                     size_t errlen)
{
    err[0] = '\0';
    snprintf(ep->home, sizeof ep->home, "%s", cfg->home);
    connect_host(cfg->bind, ep->host, sizeof ep->host);
    ep->port = (int)cfg->port;
    ep->port_source = CONFIG_DEFAULT;
    size_t n;
    const struct config_setting *s = config_settings(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(s[i].env, "CHRONICLE_PORT") == 0)
            ep->port_source = (enum config_source)cfg->origin[i].kind;
    ep->token[0] = '\0';
    ep->token_source = ENDPOINT_TOKEN_NONE;
    if (snprintf(ep->token_file, sizeof ep->token_file, "%s/%s", cfg->home, ENDPOINT_TOKEN_FILE) >=
        (int)sizeof ep->token_file) {
        snprintf(err, errlen, "CHRONICLE_HOME is too long");
        return -1;
    }
    if (cfg->token[0] != '\0') {
        if (!token_valid(cfg->token)) {
            snprintf(err, errlen, "CHRONICLE_TOKEN (or the config file's token) is not a token: "
                     "visible ASCII characters only");
            return -1;
        }
        snprintf(ep->token, sizeof ep->token, "%s", cfg->token);
        ep->token_source = ENDPOINT_TOKEN_FROM_CONFIG;
        return 0;
    }
    return read_token_file(ep, err, errlen);
}

int endpoint_set_server(struct endpoint *ep, const char *host_port, char *err, size_t errlen)
{
    const char *colon = strrchr(host_port, ':');
    const char *host = host_port, *host_end = colon;
    if (host_port[0] == '[') {
        host++;
        host_end = strchr(host_port, ']');
        if (host_end == NULL || host_end[1] != ':')
            host_end = NULL;
    }
    char name[sizeof ep->host], *end;
    if (colon == NULL || host_end == NULL || host_end == host ||
        (size_t)(host_end - host) >= sizeof name) {
        snprintf(err, errlen, "expected HOST:PORT or [IPV6]:PORT, got '%s'", host_port);
        return -1;
    }
    memcpy(name, host, (size_t)(host_end - host));
    name[host_end - host] = '\0';
    unsigned char addr[sizeof(struct in6_addr)];
    if (inet_pton(host_port[0] == '[' ? AF_INET6 : AF_INET, name, addr) != 1) {
        snprintf(err, errlen, "'%s' is not a numeric IPv4 address or [IPv6] address", name);
        return -1;
    }
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || port < 1 || port > 65535) {
        snprintf(err, errlen, "port '%s': expected 1..65535", colon + 1);
        return -1;
    }
    memcpy(ep->host, name, strlen(name) + 1);
    ep->port = (int)port;
    ep->port_source = CONFIG_FLAG;
    return 0;
}

int endpoint_authority(const struct endpoint *ep, char *out, size_t outlen)
{
    int v6 = strchr(ep->host, ':') != NULL;
    int n = snprintf(out, outlen, v6 ? "[%s]:%d" : "%s:%d", ep->host, ep->port);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int endpoint_dashboard_url(const struct endpoint *ep, char *out, size_t outlen)
{
    char auth[sizeof ep->host + 16];
    if (endpoint_authority(ep, auth, sizeof auth) != 0)
        return -1;
    int n = snprintf(out, outlen, "http://%s/%s", auth,
                     ep->token_source != ENDPOINT_TOKEN_NONE ? "?token=" : "");
    if (n < 0 || (size_t)n >= outlen)
        return -1;
    size_t len = (size_t)n;
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *t = (const unsigned char *)ep->token; *t; t++) {
        int plain = (*t >= 'A' && *t <= 'Z') || (*t >= 'a' && *t <= 'z') ||
                    (*t >= '0' && *t <= '9') || strchr("-._~", *t) != NULL;
        if (len + (plain ? 1 : 3) >= outlen)
            return -1;
        if (plain) {
            out[len++] = (char)*t;
        } else {
            out[len++] = '%';
            out[len++] = hex[*t >> 4];
            out[len++] = hex[*t & 15];
        }
    }
    out[len] = '\0';
    return 0;
}

const char *endpoint_token_origin(const struct endpoint *ep)
{
    switch (ep->token_source) {
    case ENDPOINT_TOKEN_FROM_CONFIG: return "CHRONICLE_TOKEN or the config file";
    case ENDPOINT_TOKEN_FROM_FILE: return ep->token_file;
    default: return "none";
    }
}
