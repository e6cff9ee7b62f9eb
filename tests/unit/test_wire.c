/* Unit tests: wire format round trips and strict rejection of bad frames. */
#include <msgpack.h>

#include "check.h"
#include "chronicle/wire.h"

static int decode(const struct buf *b, struct wire_event *ev, char *err, msgpack_unpacked *up)
{
    size_t off = 0;
    msgpack_unpacked_init(up);
    if (msgpack_unpack_next(up, b->data, b->len, &off) != MSGPACK_UNPACK_SUCCESS)
        return -2;
    return wire_decode_event(&up->data, ev, err, 256);
}

static struct wire_event sample(void)
{
    struct wire_event ev = {.kind = WIRE_EVENT, .ts_ns = 1795755205198553336LL, .uid = 1000,
                            .pid = 42, .ppid = 41, .claude_pid = 40, .flags = 0,
                            .orig_size = 7};
    for (int i = 0; i < WIRE_ID_LEN; i++)
        ev.id[i] = (unsigned char)(i * 7);
    ev.host = (struct wire_str){"host", 4};
    ev.project_dir = (struct wire_str){"/p", 2};
    ev.arg = (struct wire_str){"Stop", 4};
    ev.payload = (struct wire_str){"{\"a\":1}", 7};
    return ev;
}

static void event_round_trip(struct check *c)
{
    struct wire_event in = sample(), out;
    struct buf b = BUF_INIT;
    char err[256];
    msgpack_unpacked up;
    CHECK_INT(c, wire_encode_event(&in, &b), 0);
    CHECK_INT(c, decode(&b, &out, err, &up), 0);
    CHECK_INT(c, out.kind, WIRE_EVENT);
    CHECK_INT(c, memcmp(out.id, in.id, WIRE_ID_LEN), 0);
    CHECK(c, out.ts_ns == in.ts_ns && out.uid == 1000 && out.pid == 42 && out.ppid == 41);
    CHECK(c, out.claude_pid == 40 && out.orig_size == 7 && out.flags == 0);
    CHECK(c, out.payload.len == 7 && memcmp(out.payload.ptr, "{\"a\":1}", 7) == 0);
    CHECK(c, out.arg.len == 4 && memcmp(out.arg.ptr, "Stop", 4) == 0);
    msgpack_unpacked_destroy(&up);
    buf_free(&b);
}

static void raw_payload_is_bin(struct check *c)
{
    struct wire_event in = sample(), out;
    in.flags = WIRE_FLAG_INVALID;
    in.payload = (struct wire_str){"\x00\xff\x01", 3};
    in.claude_pid = -1;
    in.project_dir = (struct wire_str){NULL, 0};
    struct buf b = BUF_INIT;
    char err[256];
    msgpack_unpacked up;
    CHECK_INT(c, wire_encode_event(&in, &b), 0);
    CHECK_INT(c, decode(&b, &out, err, &up), 0);
    CHECK(c, out.flags == WIRE_FLAG_INVALID && out.payload.len == 3);
    CHECK(c, out.claude_pid == -1 && out.project_dir.ptr == NULL);
    msgpack_unpacked_destroy(&up);
    buf_free(&b);
}

/* Packs a map from alternating key/value builders. */
static void pack_frame(struct buf *b, int version, int with_id, int flags, int payload_bin,
                       int ts)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, b, wire_buf_write);
    msgpack_pack_map(&pk, 4 + (with_id ? 1 : 0));
    msgpack_pack_str_with_body(&pk, "v", 1);
    msgpack_pack_int(&pk, version);
    if (with_id) {
        msgpack_pack_str_with_body(&pk, "id", 2);
        msgpack_pack_bin_with_body(&pk, "0123456789abcdef", 16);
    }
    msgpack_pack_str_with_body(&pk, "ts", 2);
    msgpack_pack_int(&pk, ts);
    msgpack_pack_str_with_body(&pk, "fl", 2);
    msgpack_pack_int(&pk, flags);
    msgpack_pack_str_with_body(&pk, "p", 1);
    if (payload_bin)
        msgpack_pack_bin_with_body(&pk, "{}", 2);
    else
        msgpack_pack_str_with_body(&pk, "{}", 2);
}

static void rejects_bad_frames(struct check *c)
{
    struct { int v, id, fl, bin, ts; const char *why; } cases[] = {
        {1, 1, 0, 0, 5, NULL},
        {2, 1, 0, 0, 5, "unsupported protocol version"},
        {1, 0, 0, 0, 5, "missing 'id'"},
        {1, 1, 8, 0, 5, "'fl'"},
        {1, 1, 0, 1, 5, "bin exactly when"},
        {1, 1, 2, 0, 5, "bin exactly when"},
        {1, 1, 0, 0, -5, "'ts'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf b = BUF_INIT;
        struct wire_event ev;
        char err[256] = "";
        msgpack_unpacked up;
        pack_frame(&b, cases[i].v, cases[i].id, cases[i].fl, cases[i].bin, cases[i].ts);
        int rc = decode(&b, &ev, err, &up);
        if (cases[i].why == NULL)
            CHECK_INT(c, rc, 0);
        else {
            CHECK_INT(c, rc, -1);
            CHECK(c, strstr(err, cases[i].why) != NULL);
        }
        msgpack_unpacked_destroy(&up);
        buf_free(&b);
    }
}

static void non_map_and_ping(struct check *c)
{
    struct buf b = BUF_INIT;
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, wire_buf_write);
    msgpack_pack_array(&pk, 0);
    struct wire_event ev;
    char err[256];
    msgpack_unpacked up;
    CHECK_INT(c, decode(&b, &ev, err, &up), -1);
    msgpack_unpacked_destroy(&up);
    buf_reset(&b);
    struct wire_event ping = {.kind = WIRE_PING};
    CHECK_INT(c, wire_encode_event(&ping, &b), 0);
    CHECK_INT(c, decode(&b, &ev, err, &up), 0);
    CHECK_INT(c, ev.kind, WIRE_PING);
    msgpack_unpacked_destroy(&up);
    buf_free(&b);
}

static void reply_round_trip(struct check *c)
{
    struct wire_reply in = {.ok = 1, .has_id = 1, .pong = 1, .committed = 5, .queue = 2}, out;
    memcpy(in.id, "0123456789abcdef", 16);
    struct buf b = BUF_INIT;
    CHECK_INT(c, wire_encode_reply(&in, &b), 0);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    CHECK_INT(c, msgpack_unpack_next(&up, b.data, b.len, &off), MSGPACK_UNPACK_SUCCESS);
    CHECK_INT(c, wire_decode_reply(&up.data, &out), 0);
    CHECK(c, out.ok && out.has_id && out.pong && out.committed == 5 && out.queue == 2);
    CHECK_INT(c, memcmp(out.id, in.id, 16), 0);
    msgpack_unpacked_destroy(&up);
    buf_reset(&b);
    struct wire_reply bad = {.ok = 0, .err = {"nope", 4}};
    CHECK_INT(c, wire_encode_reply(&bad, &b), 0);
    msgpack_unpacked_init(&up);
    off = 0;
    CHECK_INT(c, msgpack_unpack_next(&up, b.data, b.len, &off), MSGPACK_UNPACK_SUCCESS);
    CHECK_INT(c, wire_decode_reply(&up.data, &out), 0);
    CHECK(c, !out.ok && out.err.len == 4);
    msgpack_unpacked_destroy(&up);
    buf_free(&b);
}

static int scan(const char *bytes, size_t n, uint64_t max, const char **why, uint64_t *frames)
{
    struct wire_scan s = {0};
    /* Byte by byte: the scanner must not care how the stream is cut. */
    for (size_t i = 0; i < n; i++)
        if (wire_scan_feed(&s, (const unsigned char *)bytes + i, 1, max, why) != 0)
            return -1;
    *frames = s.frames;
    return wire_scan_at_boundary(&s) ? 0 : 1;
}

static void shape_scanner(struct check *c)
{
    struct wire_event in = sample();
    struct buf b = BUF_INIT;
    CHECK_INT(c, wire_encode_event(&in, &b), 0);
    CHECK_INT(c, wire_encode_event(&in, &b), 0);
    const char *why = "";
    uint64_t frames = 0;
    CHECK(c, scan(b.data, b.len, 1 << 20, &why, &frames) == 0);
    CHECK_INT(c, frames, 2);
    CHECK(c, scan(b.data, b.len - 1, 1 << 20, &why, &frames) == 1); /* partial */
    CHECK_INT(c, scan(b.data, b.len, 40, &why, &frames), -1);         /* over the cap */
    CHECK(c, strstr(why, "larger") != NULL);
    CHECK(c, scan("\xdf\xff\xff\xff\xff", 5, 1 << 20, &why, &frames) == -1);
    CHECK(c, strstr(why, "too many keys") != NULL);
    CHECK(c, scan("\x81\xa1p\x91\x01", 5, 1 << 20, &why, &frames) == -1);
    CHECK(c, strstr(why, "scalars") != NULL);
    CHECK(c, scan("\x93\x01", 2, 1 << 20, &why, &frames) == -1);
    CHECK(c, scan("\x81\xa1p\xc1", 4, 1 << 20, &why, &frames) == -1);
    /* Announced sizes are checked before the body arrives. */
    CHECK(c, scan("\x81\xa1p\xc6\x7f\xff\xff\xff", 8, 1 << 20, &why, &frames) == -1);
    /* ext and fixext values are scalars too. */
    CHECK(c, scan("\x82\xa1" "a\xd4\x01\x02\xa1" "b\xc7\x02\x05" "ab", 13, 1 << 20, &why, &frames) == 0);
    CHECK_INT(c, frames, 1);
    buf_free(&b);
}

/* The server's acknowledgement of an alert, and its answer. */
static void ack_round_trip(struct check *c)
{
    struct wire_event in = {.kind = WIRE_ACK, .alert_id = 42}, out;
    struct buf b = BUF_INIT;
    char err[256];
    msgpack_unpacked up;
    CHECK_INT(c, wire_encode_event(&in, &b), 0);
    CHECK_INT(c, decode(&b, &out, err, &up), 0);
    CHECK_INT(c, out.kind, WIRE_ACK);
    CHECK_INT(c, out.alert_id, 42);
    msgpack_unpacked_destroy(&up);
    buf_free(&b);
    /* No id, or one that is not a positive integer: refused, with a reason. */
    static const unsigned char no_id[] = {0x82, 0xa1, 'v', 0x01, 0xa1, 't', 0xa3, 'a', 'c', 'k'};
    static const unsigned char neg[] = {0x83, 0xa1, 'v', 0x01, 0xa1, 't', 0xa3, 'a', 'c', 'k',
                                        0xa5, 'a', 'l', 'e', 'r', 't', 0xff};
    static const unsigned char str[] = {0x83, 0xa1, 'v', 0x01, 0xa1, 't', 0xa3, 'a', 'c', 'k',
                                        0xa5, 'a', 'l', 'e', 'r', 't', 0xa1, '5'};
    const unsigned char *bad[] = {no_id, neg, str};
    size_t lens[] = {sizeof no_id, sizeof neg, sizeof str};
    for (int i = 0; i < 3; i++) {
        struct buf r = BUF_INIT;
        CHECK_INT(c, buf_append(&r, bad[i], lens[i]), 0);
        CHECK_INT(c, decode(&r, &out, err, &up), -1);
        CHECK(c, strstr(err, "alert") != NULL);
        msgpack_unpacked_destroy(&up);
        buf_free(&r);
    }
    struct wire_reply rep = {.ok = 1, .has_acked = 1, .acked_ns = 1796187400067000000LL}, back;
    CHECK_INT(c, wire_encode_reply(&rep, &b), 0);
    size_t off = 0;
    msgpack_unpacked_init(&up);
    CHECK_INT(c, msgpack_unpack_next(&up, b.data, b.len, &off), MSGPACK_UNPACK_SUCCESS);
    CHECK_INT(c, wire_decode_reply(&up.data, &back), 0);
    CHECK(c, back.ok && back.has_acked && back.acked_ns == rep.acked_ns);
    msgpack_unpacked_destroy(&up);
    buf_free(&b);
}

CHECK_MAIN(CASE(shape_scanner), CASE(ack_round_trip), CASE(event_round_trip), CASE(raw_payload_is_bin), CASE(rejects_bad_frames),
           CASE(non_map_and_ping), CASE(reply_round_trip))
