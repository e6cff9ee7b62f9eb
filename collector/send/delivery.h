/*
 * delivery.h - one request frame to the collector and its reply, within a
 * deadline.
 *
 * The whole exchange (connect, write, wait for the commit ack) shares one
 * deadline: whatever goes wrong, the caller gets an answer in time to spool
 * the event and let the agent go on.
 */
#ifndef CHRONICLE_DELIVERY_H
#define CHRONICLE_DELIVERY_H

#include <stddef.h>

#include "chronicle/wire.h"

enum delivery_result {
    DELIVERY_ACKED,       /* reply ok (and, for events, the id matched) */
    DELIVERY_REJECTED,    /* the collector answered with an error */
    DELIVERY_UNREACHABLE, /* no socket, or nobody listening */
    DELIVERY_TIMEOUT,     /* no reply before the deadline */
    DELIVERY_FAILED,      /* I/O error or a reply that makes no sense */
};

/*
 * Sends frame (len bytes) to the socket at path and reads one reply into
 * *reply (its err string is copied into why).  expect_id, when not NULL, must
 * match the ack's id.  why receives a one-line explanation on failure.
 */
enum delivery_result delivery_send(const char *path, const void *frame, size_t len,
                                   const unsigned char *expect_id, long timeout_ms,
                                   struct wire_reply *reply, char *why, size_t whylen);

#endif
