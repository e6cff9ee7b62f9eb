/*
 * probe.h - is a Chronicle daemon answering?  Used by `chronicle status`.
 * Both probes are bounded by timeout_ms and hold nothing after returning.
 */
#ifndef CHRONICLE_ADMIN_PROBE_H
#define CHRONICLE_ADMIN_PROBE_H

#include <stddef.h>
#include <stdint.h>

struct collector_pong {
    int64_t committed;  /* events the collector committed since it started */
    int64_t queue;      /* events waiting for a transaction */
};

/* Sends a ping frame (docs/PROTOCOL.md) on the collector's Unix socket and
 * waits for the reply.  0 with pong filled, or -1 with a reason in err. */
int probe_collector(const char *socket_path, int timeout_ms, struct collector_pong *pong, char *err,
                    size_t errlen);

struct endpoint;

/* GET /health on the endpoint's host and port (IPv4 or IPv6 literal), with
 * "Authorization: Bearer" when it has a token.  0 when the server answers
 * 200, else -1 with a reason in err (refused, timeout, HTTP status). */
int probe_server(const struct endpoint *ep, int timeout_ms, char *err, size_t errlen);

#endif
