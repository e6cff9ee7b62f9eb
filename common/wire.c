/* wire.c - msgpack encoding and strict decoding of protocol frames. */
#include "chronicle/wire.h"

#include <stdio.h>
#include <string.h>

int wire_buf_write(void *data, const char *p, size_t len)
{
    return buf_append(data, p, len);
}

static int pack_key(msgpack_packer *pk, const char *k)
{
    size_t n = strlen(k);
    return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, k, n);
}

static int pack_str(msgpack_packer *pk, struct wire_str s)
{
    if (s.ptr == NULL)
        return msgpack_pack_nil(pk);
    return msgpack_pack_str(pk, s.len) || msgpack_pack_str_body(pk, s.ptr, s.len);
}

int wire_encode_event(const struct wire_event *ev, struct buf *out)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, wire_buf_write);
    if (ev->kind == WIRE_PING) {
        return msgpack_pack_map(&pk, 2) || pack_key(&pk, "v") ||
               msgpack_pack_uint32(&pk, WIRE_VERSION) || pack_key(&pk, "t") ||
               pack_str(&pk, (struct wire_str){"ping", 4}) ? -1 : 0;
    }
    if (ev->kind == WIRE_ACK) {
        return msgpack_pack_map(&pk, 3) || pack_key(&pk, "v") ||
               msgpack_pack_uint32(&pk, WIRE_VERSION) || pack_key(&pk, "t") ||
               pack_str(&pk, (struct wire_str){"ack", 3}) || pack_key(&pk, "alert") ||
               msgpack_pack_int64(&pk, ev->alert_id) ? -1 : 0;
    }
    int raw = (ev->flags & WIRE_FLAG_INVALID) != 0;
    int rc = msgpack_pack_map(&pk, 14) ||
             pack_key(&pk, "v") || msgpack_pack_uint32(&pk, WIRE_VERSION) ||
             pack_key(&pk, "t") || pack_str(&pk, (struct wire_str){"event", 5}) ||
             pack_key(&pk, "id") || msgpack_pack_bin(&pk, WIRE_ID_LEN) ||
             msgpack_pack_bin_body(&pk, ev->id, WIRE_ID_LEN) ||
             pack_key(&pk, "ts") || msgpack_pack_int64(&pk, ev->ts_ns) ||
             pack_key(&pk, "host") || pack_str(&pk, ev->host) ||
             pack_key(&pk, "uid") || msgpack_pack_int64(&pk, ev->uid) ||
             pack_key(&pk, "pid") || msgpack_pack_int64(&pk, ev->pid) ||
             pack_key(&pk, "ppid") || msgpack_pack_int64(&pk, ev->ppid) ||
             pack_key(&pk, "cpid") ||
             (ev->claude_pid < 0 ? msgpack_pack_nil(&pk) : msgpack_pack_int64(&pk, ev->claude_pid)) ||
             pack_key(&pk, "pdir") || pack_str(&pk, ev->project_dir) ||
             pack_key(&pk, "arg") || pack_str(&pk, ev->arg) ||
             pack_key(&pk, "fl") || msgpack_pack_uint32(&pk, ev->flags) ||
             pack_key(&pk, "size") || msgpack_pack_uint64(&pk, ev->orig_size) ||
             pack_key(&pk, "p");
    if (rc)
        return -1;
    if (raw)
        return msgpack_pack_bin(&pk, ev->payload.len) ||
               msgpack_pack_bin_body(&pk, ev->payload.ptr, ev->payload.len) ? -1 : 0;
    return msgpack_pack_str(&pk, ev->payload.len) ||
           msgpack_pack_str_body(&pk, ev->payload.ptr, ev->payload.len) ? -1 : 0;
}

static int key_is(const msgpack_object *k, const char *name)
{
    size_t n = strlen(name);
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
           memcmp(k->via.str.ptr, name, n) == 0;
}

static int get_int(const msgpack_object *o, int64_t *out)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (o->via.u64 > INT64_MAX)
            return -1;
        *out = (int64_t)o->via.u64;
        return 0;
    }
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *out = o->via.i64;
        return 0;
    }
    return -1;
}

/* nil allowed: leaves s->ptr NULL. */
static int get_str(const msgpack_object *o, struct wire_str *s)
{
    if (o->type == MSGPACK_OBJECT_NIL) {
        s->ptr = NULL;
        s->len = 0;
        return 0;
    }
    if (o->type != MSGPACK_OBJECT_STR)
        return -1;
    s->ptr = o->via.str.size ? o->via.str.ptr : "";
    s->len = o->via.str.size;
    return 0;
}

#define BAD(...)                                                              \
    do {                                                                      \
        snprintf(err, errlen, __VA_ARGS__);                                   \
        return -1;                                                            \
    } while (0)

enum seen_bits { SEEN_V = 1, SEEN_ID = 2, SEEN_TS = 4, SEEN_FL = 8, SEEN_P = 16 };

int wire_decode_event(const msgpack_object *obj, struct wire_event *ev, char *err, size_t errlen)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = WIRE_EVENT;
    ev->claude_pid = -1;
    ev->uid = ev->pid = ev->ppid = -1;
    if (obj->type != MSGPACK_OBJECT_MAP)
        BAD("frame is not a map");
    unsigned seen = 0;
    int payload_bin = 0;
    const msgpack_object_kv *kv = obj->via.map.ptr;
    for (uint32_t i = 0; i < obj->via.map.size; i++) {
        const msgpack_object *k = &kv[i].key, *v = &kv[i].val;
        int64_t n;
        if (k->type != MSGPACK_OBJECT_STR)
            BAD("frame key %u is not a string", i);
        if (key_is(k, "v")) {
            if (get_int(v, &n) != 0)
                BAD("'v' must be an integer");
            if (n != WIRE_VERSION)
                BAD("unsupported protocol version %lld (this collector speaks %d)",
                    (long long)n, WIRE_VERSION);
            seen |= SEEN_V;
        } else if (key_is(k, "t")) {
            if (v->type != MSGPACK_OBJECT_STR)
                BAD("'t' must be a string");
            if (v->via.str.size == 4 && memcmp(v->via.str.ptr, "ping", 4) == 0)
                ev->kind = WIRE_PING;
            else if (v->via.str.size == 3 && memcmp(v->via.str.ptr, "ack", 3) == 0)
                ev->kind = WIRE_ACK;
            else if (!(v->via.str.size == 5 && memcmp(v->via.str.ptr, "event", 5) == 0))
                BAD("unknown frame type '%.*s'", (int)(v->via.str.size > 32 ? 32 : v->via.str.size),
                    v->via.str.ptr);
        } else if (key_is(k, "id")) {
            if (v->type != MSGPACK_OBJECT_BIN || v->via.bin.size != WIRE_ID_LEN)
                BAD("'id' must be %d bytes of bin", WIRE_ID_LEN);
            memcpy(ev->id, v->via.bin.ptr, WIRE_ID_LEN);
            seen |= SEEN_ID;
        } else if (key_is(k, "ts")) {
            if (get_int(v, &ev->ts_ns) != 0 || ev->ts_ns <= 0)
                BAD("'ts' must be a positive integer (ns since the epoch)");
            seen |= SEEN_TS;
        } else if (key_is(k, "host")) {
            if (get_str(v, &ev->host) != 0)
                BAD("'host' must be a string or nil");
        } else if (key_is(k, "uid") || key_is(k, "pid") || key_is(k, "ppid") || key_is(k, "cpid")) {
            int64_t *dst = key_is(k, "uid") ? &ev->uid : key_is(k, "pid") ? &ev->pid
                         : key_is(k, "ppid") ? &ev->ppid : &ev->claude_pid;
            if (v->type == MSGPACK_OBJECT_NIL)
                *dst = -1;
            else if (get_int(v, dst) != 0 || *dst < 0)
                BAD("'%.*s' must be a non-negative integer or nil", (int)k->via.str.size,
                    k->via.str.ptr);
        } else if (key_is(k, "pdir")) {
            if (get_str(v, &ev->project_dir) != 0)
                BAD("'pdir' must be a string or nil");
        } else if (key_is(k, "arg")) {
            if (get_str(v, &ev->arg) != 0)
                BAD("'arg' must be a string or nil");
        } else if (key_is(k, "fl")) {
            if (get_int(v, &n) != 0 || n < 0 || (n & ~(int64_t)WIRE_FLAGS_FROM_CLIENT) != 0)
                BAD("'fl' must be a combination of flags 1 and 2");
            ev->flags = (uint32_t)n;
            seen |= SEEN_FL;
        } else if (key_is(k, "size")) {
            if (get_int(v, &n) != 0 || n < 0)
                BAD("'size' must be a non-negative integer");
            ev->orig_size = (uint64_t)n;
        } else if (key_is(k, "alert")) {
            if (get_int(v, &ev->alert_id) != 0 || ev->alert_id <= 0)
                BAD("'alert' must be a positive integer (an alert id)");
        } else if (key_is(k, "p")) {
            if (v->type == MSGPACK_OBJECT_STR) {
                ev->payload.ptr = v->via.str.size ? v->via.str.ptr : "";
                ev->payload.len = v->via.str.size;
            } else if (v->type == MSGPACK_OBJECT_BIN) {
                ev->payload.ptr = v->via.bin.size ? v->via.bin.ptr : "";
                ev->payload.len = v->via.bin.size;
                payload_bin = 1;
            } else {
                BAD("'p' must be str (JSON text) or bin (raw bytes)");
            }
            seen |= SEEN_P;
        }
        /* Unknown keys are ignored: see PROTOCOL.md, "Compatibility". */
    }
    if (!(seen & SEEN_V))
        BAD("missing 'v' (protocol version)");
    if (ev->kind == WIRE_PING)
        return 0;
    if (ev->kind == WIRE_ACK) {
        if (ev->alert_id <= 0)
            BAD("missing 'alert' (the id of the alert to acknowledge)");
        return 0;
    }
    if (!(seen & SEEN_ID)) BAD("missing 'id'");
    if (!(seen & SEEN_TS)) BAD("missing 'ts'");
    if (!(seen & SEEN_FL)) BAD("missing 'fl'");
    if (!(seen & SEEN_P)) BAD("missing 'p'");
    if (payload_bin != ((ev->flags & WIRE_FLAG_INVALID) != 0))
        BAD("'p' must be bin exactly when flag 2 (invalid) is set");
    return 0;
}

int wire_encode_reply(const struct wire_reply *r, struct buf *out)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, wire_buf_write);
    size_t n = 2 + (r->has_id ? 1 : 0) + (!r->ok ? 1 : 0) + (r->pong ? 5 : 0) +
               (r->has_acked ? 1 : 0);
    if (msgpack_pack_map(&pk, n) || pack_key(&pk, "v") || msgpack_pack_uint32(&pk, WIRE_VERSION) ||
        pack_key(&pk, "ok") || (r->ok ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk)))
        return -1;
    if (r->has_id && (pack_key(&pk, "id") || msgpack_pack_bin(&pk, WIRE_ID_LEN) ||
                      msgpack_pack_bin_body(&pk, r->id, WIRE_ID_LEN)))
        return -1;
    if (!r->ok && (pack_key(&pk, "err") || pack_str(&pk, r->err)))
        return -1;
    if (r->pong && (pack_key(&pk, "pong") || msgpack_pack_true(&pk) ||
                    pack_key(&pk, "committed") || msgpack_pack_int64(&pk, r->committed) ||
                    pack_key(&pk, "queue") || msgpack_pack_int64(&pk, r->queue) ||
                    pack_key(&pk, "oldest_ms") || msgpack_pack_int64(&pk, r->oldest_ms) ||
                    pack_key(&pk, "failing_ms") || msgpack_pack_int64(&pk, r->failing_ms)))
        return -1;
    if (r->has_acked && (pack_key(&pk, "acked") || msgpack_pack_int64(&pk, r->acked_ns)))
        return -1;
    return 0;
}

int wire_decode_reply(const msgpack_object *obj, struct wire_reply *r)
{
    memset(r, 0, sizeof *r);
    if (obj->type != MSGPACK_OBJECT_MAP)
        return -1;
    int have_ok = 0;
    const msgpack_object_kv *kv = obj->via.map.ptr;
    for (uint32_t i = 0; i < obj->via.map.size; i++) {
        const msgpack_object *k = &kv[i].key, *v = &kv[i].val;
        if (key_is(k, "ok")) {
            if (v->type != MSGPACK_OBJECT_BOOLEAN)
                return -1;
            r->ok = v->via.boolean;
            have_ok = 1;
        } else if (key_is(k, "id")) {
            if (v->type != MSGPACK_OBJECT_BIN || v->via.bin.size != WIRE_ID_LEN)
                return -1;
            memcpy(r->id, v->via.bin.ptr, WIRE_ID_LEN);
            r->has_id = 1;
        } else if (key_is(k, "err")) {
            if (get_str(v, &r->err) != 0)
                return -1;
        } else if (key_is(k, "pong")) {
            r->pong = v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean;
        } else if (key_is(k, "committed")) {
            if (get_int(v, &r->committed) != 0)
                return -1;
        } else if (key_is(k, "queue")) {
            if (get_int(v, &r->queue) != 0)
                return -1;
        } else if (key_is(k, "oldest_ms")) {
            if (get_int(v, &r->oldest_ms) != 0)
                return -1;
        } else if (key_is(k, "acked")) {
            if (get_int(v, &r->acked_ns) != 0)
                return -1;
            r->has_acked = 1;
        } else if (key_is(k, "failing_ms")) {
            if (get_int(v, &r->failing_ms) != 0)
                return -1;
        }
    }
    return have_ok ? 0 : -1;
}

enum { SCAN_MAP = 0, SCAN_ELEM, SCAN_HDR, SCAN_BODY };

/* Bytes of body that follow a fixed-size header byte c, or -1 if c needs
 * length bytes (str/bin/ext 8/16/32, map16/32) or is a container. */
static int fixed_body(unsigned char c)
{
    if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3)
        return 0;
    if (c >= 0xa0 && c <= 0xbf)
        return c & 0x1f;
    switch (c) {
    case 0xcc: case 0xd0: return 1;
    case 0xcd: case 0xd1: return 2;
    case 0xca: case 0xce: case 0xd2: return 4;
    case 0xcb: case 0xcf: case 0xd3: return 8;
    case 0xd4: return 2;
    case 0xd5: return 3;
    case 0xd6: return 5;
    case 0xd7: return 9;
    case 0xd8: return 17;
    }
    return -1;
}

/* Length bytes after c for str/bin/ext/map headers; 0 otherwise. */
static size_t length_bytes(unsigned char c)
{
    switch (c) {
    case 0xc4: case 0xc7: case 0xd9: return 1;
    case 0xc5: case 0xc8: case 0xda: case 0xde: return 2;
    case 0xc6: case 0xc9: case 0xdb: case 0xdf: return 4;
    }
    return 0;
}

static uint64_t be(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static void element_done(struct wire_scan *s)
{
    if (--s->elems_left == 0) {
        s->state = SCAN_MAP;
        s->frames++;
        s->frame_bytes = 0;
    } else {
        s->state = SCAN_ELEM;
    }
}

static int start_map(struct wire_scan *s, uint64_t pairs, const char **why)
{
    if (pairs > WIRE_MAX_KEYS) {
        *why = "frame map has too many keys";
        return -1;
    }
    s->elems_left = pairs * 2;
    if (pairs == 0) {
        s->state = SCAN_MAP;
        s->frames++;
        s->frame_bytes = 0;
    } else {
        s->state = SCAN_ELEM;
    }
    return 0;
}

int wire_scan_feed(struct wire_scan *s, const unsigned char *p, size_t n, uint64_t max_frame,
                   const char **why)
{
    size_t i = 0;
    while (i < n) {
        if (s->state == SCAN_BODY) {
            uint64_t take = s->skip < n - i ? s->skip : n - i;
            s->skip -= take;
            s->frame_bytes += take;
            i += (size_t)take;
            if (s->skip == 0)
                element_done(s);
            continue;
        }
        unsigned char c = p[i++];
        s->frame_bytes++;
        if (s->frame_bytes > max_frame) {
            *why = "frame larger than the collector's limit";
            return -1;
        }
        if (s->state == SCAN_HDR) {
            s->hdr[s->hdr_len++] = c;
            if (s->hdr_len < s->hdr_need)
                continue;
            uint64_t len = be(s->hdr, length_bytes(s->kind));
            if (s->kind == 0xde || s->kind == 0xdf) {
                if (start_map(s, len, why) != 0)
                    return -1;
                continue;
            }
            /* ext headers collected their type byte too; it is not length. */
            if (s->frame_bytes + len > max_frame) {
                *why = "frame larger than the collector's limit";
                return -1;
            }
            s->skip = len;
            if (len == 0)
                element_done(s);
            else
                s->state = SCAN_BODY;
            continue;
        }
        if (s->state == SCAN_MAP) {
            if (c >= 0x80 && c <= 0x8f) {
                if (start_map(s, c & 0x0f, why) != 0)
                    return -1;
            } else if (c == 0xde || c == 0xdf) {
                s->kind = c;
                s->hdr_len = 0;
                s->hdr_need = length_bytes(c);
                s->state = SCAN_HDR;
            } else {
                *why = "frame is not a map";
                return -1;
            }
            continue;
        }
        /* SCAN_ELEM */
        int body = fixed_body(c);
        if (body >= 0) {
            s->skip = (uint64_t)body;
            if (body == 0)
                element_done(s);
            else
                s->state = SCAN_BODY;
            continue;
        }
        size_t lb = length_bytes(c);
        if (lb == 0 || c == 0xde || c == 0xdf) {
            *why = c == 0xc1 ? "bytes are not a msgpack frame"
                             : "frame values must be scalars, not arrays or maps";
            return -1;
        }
        s->kind = c;
        s->hdr_len = 0;
        s->hdr_need = lb + ((c == 0xc7 || c == 0xc8 || c == 0xc9) ? 1 : 0);
        s->state = SCAN_HDR;
    }
    return 0;
}

int wire_scan_at_boundary(const struct wire_scan *s)
{
    return s->state == SCAN_MAP && s->frame_bytes == 0;
}
