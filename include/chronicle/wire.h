/*
 * wire.h - the socket protocol between chronicle-send (or any client) and
 * chronicle-collector.  docs/PROTOCOL.md is the normative description; this
 * is its C binding.
 *
 * A connection carries a stream of msgpack maps, each one frame.  The client
 * sends a request frame ("event", "ping" or "ack"); the collector answers each with
 * one reply frame.  Keys are short strings; unknown keys are ignored so that
 * a newer client can add optional fields without a version bump.
 *
 * Decoded structs borrow their strings from the msgpack object they were
 * decoded from (pointer + length, NOT NUL-terminated): they are valid only
 * while that object's zone lives.
 */
#ifndef CHRONICLE_WIRE_H
#define CHRONICLE_WIRE_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#include "chronicle/buf.h"

#define WIRE_VERSION 1
#define WIRE_ID_LEN 16

enum wire_flag {
    WIRE_FLAG_TRUNCATED = 1, /* strings were cut to fit the payload limit */
    WIRE_FLAG_INVALID = 2,   /* payload is not JSON: raw bytes, capped */
    WIRE_FLAG_REDACTED = 4,  /* set by the collector, never on the wire */
};
#define WIRE_FLAGS_FROM_CLIENT (WIRE_FLAG_TRUNCATED | WIRE_FLAG_INVALID)

enum wire_kind { WIRE_EVENT, WIRE_PING, WIRE_ACK };

struct wire_str {
    const char *ptr; /* NULL when absent (nil on the wire) */
    size_t len;
};

struct wire_event {
    enum wire_kind kind;
    unsigned char id[WIRE_ID_LEN]; /* random, identifies the event for idempotence */
    int64_t ts_ns;                 /* when the sender read the payload, UTC ns */
    struct wire_str host;
    int64_t uid, pid, ppid;
    int64_t claude_pid;            /* -1 when CLAUDE_PID was not set */
    struct wire_str project_dir;   /* CLAUDE_PROJECT_DIR */
    struct wire_str arg;           /* EVENT argument of chronicle-send */
    uint32_t flags;                /* enum wire_flag */
    uint64_t orig_size;            /* payload bytes as read from stdin */
    struct wire_str payload;       /* JSON text, or raw bytes when INVALID */
    int64_t alert_id;              /* WIRE_ACK: the alert to acknowledge (> 0) */
};

struct wire_reply {
    int ok;
    unsigned char id[WIRE_ID_LEN]; /* event acks: the committed event's id */
    int has_id;
    struct wire_str err;           /* when !ok */
    int pong;                      /* reply to a ping */
    int64_t committed, queue;      /* ping: collector figures */
    int64_t oldest_ms;             /* ping: age of the oldest event not yet committed; 0 = none */
    int64_t failing_ms;            /* ping: how long commits have been failing; 0 = they work */
    int has_acked;                 /* reply to an ack: */
    int64_t acked_ns;              /* when the alert was (first) acknowledged, UTC ns */
};

/* Appends the msgpack encoding of ev (kind EVENT, PING or ACK) to out.  0 or -1 (ENOMEM). */
int wire_encode_event(const struct wire_event *ev, struct buf *out);

/*
 * Decodes and validates a request frame.  Returns 0, or -1 with a one-line
 * reason in err (errlen bytes) that is safe to send back to the client.
 */
int wire_decode_event(const msgpack_object *obj, struct wire_event *ev, char *err, size_t errlen);

int wire_encode_reply(const struct wire_reply *r, struct buf *out);
int wire_decode_reply(const msgpack_object *obj, struct wire_reply *r);

/*
 * Streaming shape check, run on every byte before msgpack-c sees it.
 *
 * msgpack-c allocates a container's elements as soon as it reads the
 * container's header, so five bytes announcing a map of 2^32 entries make
 * it ask for 128 GB.  Frames are flat maps (at most WIRE_MAX_KEYS keys, every
 * value a scalar, str or bin), so this scanner refuses any other shape, and
 * any frame whose size (announced or actual) exceeds the cap, before the
 * bytes reach the decoder.  It only reads headers and skips bodies: O(n).
 */
#define WIRE_MAX_KEYS 64

struct wire_scan {
    int state;              /* internal */
    uint64_t elems_left;    /* keys + values still to come in this frame */
    uint64_t skip;          /* body bytes still to skip */
    unsigned char hdr[9];   /* length bytes being collected */
    size_t hdr_len, hdr_need;
    unsigned char kind;     /* first byte of the header being collected */
    uint64_t frame_bytes;   /* bytes of the current frame so far */
    uint64_t frames;        /* complete frames seen */
};

/* Feeds n bytes.  Returns 0, or -1 with a reason (a static string) in *why. */
int wire_scan_feed(struct wire_scan *s, const unsigned char *p, size_t n, uint64_t max_frame,
                   const char **why);

/* 1 when the scanner sits between frames (nothing partial). */
int wire_scan_at_boundary(const struct wire_scan *s);

/* msgpack_packer write callback appending to a struct buf. */
int wire_buf_write(void *data, const char *p, size_t len);

#endif
