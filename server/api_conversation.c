/*
 * api_conversation.c - GET /api/sessions/{id}/conversation: a session's
 * turns, read from its transcript at request time.
 *
 * The collector indexed where each prompt, assistant text, tool call and
 * tool result lies (transcript_lines, schema 6); a page is one indexed
 * query (session, agent, seq > after), then one pread per line shown
 * (transcript_file.c), parsed by the same parser the collector used
 * (conversation_line.c).  So the cost of a page does not depend on the
 * transcript's size, and nothing of the file but the page's lines is ever
 * in memory.  The text served is redacted here with the collector's rules:
 * it was never stored, so it was never redacted on the way in.  Output is
 * JSON strings only; nothing here is markup.
 */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chronicle/conversation_line.h"
#include "row_json.h"
#include "http_query.h"
#include "transcript_file.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX 200
#define LINE_CAP (512 * 1024)   /* bytes of one transcript line read */
#define TEXT_CAP (16 * 1024)    /* decoded bytes of a prompt or reply served */
#define RESULT_CAP (8 * 1024)   /* ... of a tool result */
#define FINAL_CAP 2000          /* ... of a subagent's final message */
#define INPUT_STRING_CAP 2000   /* each string inside a tool input */
#define MAX_FILES 8             /* transcript files one page opens */
#define AGENT_ID_MAX 128
/* Bytes of transcript one page may read: 200 items of huge lines would be
 * hundreds of MB on the loop's thread; a page that reaches this ends early
 * and next_after continues from there. */
#define PAGE_READ_BUDGET (8 << 20)

static const char *const conversation_keys[] = {"after", "limit", "agent_id", NULL};

/* One index row of the page. */
struct item_row {
    int64_t seq, file_id, offset, length, ts_ns;
    int kind, block, has_ts;
    char *uuid, *tool_use_id, *prompt_id; /* owned */
};

struct open_file {
    int64_t id;
    int fd;                 /* -1 when not readable */
    enum tf_status status;
};

/* What one request holds while it builds its page. */
struct page {
    struct server *srv;
    sqlite3 *db;
    const char *sid;
    struct open_file files[MAX_FILES];
    size_t nfiles;
    enum tf_status worst;
    int any_file;
    size_t bytes_read;
    /* the last line read, parsed: rows of one line share it */
    int64_t line_file, line_offset;
    int line_state;         /* 0 whole, 1 cut, <0 unreadable */
    struct buf line, text, red;
    struct conv_line L;
};

static char *dup_col(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? strdup((const char *)t) : NULL;
}

static void set_time(json_t *o, const char *key, int64_t ns, int has)
{
    char ms_key[64];
    snprintf(ms_key, sizeof ms_key, "%s_ms", key);
    if (!has) {
        json_object_set_new(o, key, json_null());
        json_object_set_new(o, ms_key, json_null());
        return;
    }
    char iso[32];
    iso8601_ms(ns, iso);
    json_object_set_new(o, key, json_string(iso));
    json_object_set_new(o, ms_key, json_integer(ns / 1000000));
}

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

/* The file's descriptor, opened once per page under transcript_file.c's
 * rules; -1 when it cannot be read (its status counts into the page's). */
static int file_fd(struct page *pg, int64_t file_id)
{
    for (size_t i = 0; i < pg->nfiles; i++)
        if (pg->files[i].id == file_id)
            return pg->files[i].fd;
    if (pg->nfiles == MAX_FILES)
        return -1;
    struct open_file *f = &pg->files[pg->nfiles++];
    f->id = file_id;
    f->fd = -1;
    f->status = TF_MISSING;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(pg->db, "SELECT path, inode FROM transcript_files WHERE id = ?1", -1,
                           &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, file_id);
        if (sqlite3_step(st) == SQLITE_ROW)
            f->status = transcript_file_open((const char *)sqlite3_column_text(st, 0),
                                             sqlite3_column_int64(st, 1), &f->fd);
        sqlite3_finalize(st);
    }
    pg->any_file = 1;
    if (f->status > pg->worst)
        pg->worst = f->status;
    return f->fd;
}

/* Reads and parses the line of (file_id, offset) unless it is the last one
 * read.  Returns the conv_block the row names, or NULL when unreadable. */
static const struct conv_block *load_block(struct page *pg, int64_t file_id, int64_t offset,
                                           int64_t length, int block, int kind)
{
    if (pg->line_file != file_id || pg->line_offset != offset) {
        pg->line_file = file_id;
        pg->line_offset = offset;
        pg->line_state = -1;
        int fd = file_fd(pg, file_id);
        if (fd >= 0) {
            int r = transcript_file_read_line(fd, offset, length, LINE_CAP, &pg->line);
            pg->bytes_read += pg->line.len;
            if (r == -1 && pg->worst < TF_REPLACED)
                pg->worst = TF_REPLACED;
            if (r >= 0 && conv_line_parse(pg->line.data, pg->line.len, &pg->L) == 0)
                pg->line_state = r;
        }
    }
    if (pg->line_state < 0 || block < 0 || (size_t)block >= pg->L.nblocks ||
        (int)pg->L.b[block].kind != kind) {
        /* A whole line that is not the one indexed: the file changed under
         * the same inode (rewritten in place).  Counted as replaced.  (A line
         * cut at the read cap may just end before the block.) */
        if (pg->line_state == 0 && pg->worst < TF_REPLACED)
            pg->worst = TF_REPLACED;
        return NULL;
    }
    return &pg->L.b[block];
}

/* Redacts pg->text into pg->red, cuts it to cap on a character boundary and
 * sets key (a string), "size" and "truncated" on o.  size: decoded bytes;
 * for a line cut by the read cap, the line's length (an upper bound). */
static int put_text(struct page *pg, json_t *o, const char *key, size_t cap, int cut,
                    int64_t line_len)
{
    const char *s = pg->text.data ? pg->text.data : "";
    size_t n = pg->text.len;
    buf_reset(&pg->red);
    if (pg->srv->redact.on) {
        /* As the collector does with a string holding JSON (tool output):
         * redacted as JSON, so secret-named keys lose their values. */
        size_t k = 0;
        while (k < n && (s[k] == ' ' || s[k] == '\n' || s[k] == '\t' || s[k] == '\r'))
            k++;
        int r = -2;
        if (k < n && (s[k] == '{' || s[k] == '['))
            r = redact_json(s, n, &pg->srv->redact, &pg->red, NULL, NULL);
        if (r == -2) {
            buf_reset(&pg->red);
            r = redact_text(s, n, &pg->srv->redact, &pg->red);
        }
        if (r < 0)
            return -1;
        if (r > 0) {
            s = pg->red.data;
            n = pg->red.len;
        }
    }
    size_t size = n;
    int truncated = cut;
    if (cut && (size_t)line_len > size)
        size = (size_t)line_len;
    if (n > cap) {
        n = cap;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        truncated = 1;
    }
    return json_object_set_new(o, key, json_stringn(s, n)) |
           json_object_set_new(o, "size", json_integer((json_int_t)size)) |
           json_object_set_new(o, "truncated", json_boolean(truncated));
}

/* Long strings inside a tool input are cut (depth-bounded walk). */
static void cut_strings(json_t *v, int depth)
{
    if (depth > 32)
        return;
    if (json_is_string(v)) {
        size_t n = json_string_length(v);
        if (n > INPUT_STRING_CAP) {
            const char *s = json_string_value(v);
            size_t k = INPUT_STRING_CAP;
            while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
                k--;
            char note[64];
            int m = snprintf(note, sizeof note, " [chronicle: cut from %zu bytes]", n);
            char *t = malloc(k + (size_t)m + 1);
            if (t != NULL) {
                memcpy(t, s, k);
                memcpy(t + k, note, (size_t)m + 1);
                json_string_setn(v, t, k + (size_t)m);
                free(t);
            }
        }
    } else if (json_is_object(v)) {
        const char *key;
        json_t *x;
        json_object_foreach(v, key, x) cut_strings(x, depth + 1);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) cut_strings(x, depth + 1);
    }
}

/* The tool input as JSON: redacted as the collector redacts payloads, then
 * its long strings cut.  null when the line was cut inside it. */
static json_t *tool_input(struct page *pg, const struct conv_block *b)
{
    if (!b->input.present || b->input.cut)
        return json_null();
    const char *s = pg->line.data + b->input.start;
    size_t n = b->input.len;
    buf_reset(&pg->red);
    if (pg->srv->redact.on && redact_json(s, n, &pg->srv->redact, &pg->red, NULL, NULL) == 1) {
        s = pg->red.data;
        n = pg->red.len;
    }
    json_error_t err;
    json_t *v = json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (v == NULL)
        return json_null();
    cut_strings(v, 0);
    return v;
}

static int64_t lookup_int(sqlite3 *db, const char *sql, const char *a, const char *b, int col,
                          int *found)
{
    sqlite3_stmt *st;
    int64_t v = 0;
    *found = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    if (b != NULL)
        sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, col) != SQLITE_NULL) {
        v = sqlite3_column_int64(st, col);
        *found = 1;
    }
    sqlite3_finalize(st);
    return v;
}

static json_t *id_or_null(int64_t v, int found) { return found ? json_integer(v) : json_null(); }

/* The tool's result: its tool_result row, read like any other line. */
static json_t *tool_result(struct page *pg, const char *tool_use_id)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(pg->db,
                           "SELECT file_id, offset, length, block FROM transcript_lines"
                           " WHERE tool_use_id = ?1 AND kind = 4 AND session_id = ?2"
                           " ORDER BY seq DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK)
        return json_null();
    sqlite3_bind_text(st, 1, tool_use_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, pg->sid, -1, SQLITE_STATIC);
    json_t *out = json_null();
    if (sqlite3_step(st) == SQLITE_ROW) {
        int64_t len = sqlite3_column_int64(st, 2);
        const struct conv_block *b = load_block(pg, sqlite3_column_int64(st, 0),
                                                sqlite3_column_int64(st, 1), len,
                                                sqlite3_column_int(st, 3), CONV_TOOL_RESULT);
        json_decref(out);
        out = json_object();
        if (b == NULL) {
            json_object_set_new(out, "text", json_null());
            json_object_set_new(out, "size", json_null());
            json_object_set_new(out, "truncated", json_false());
            json_object_set_new(out, "is_error", json_false());
            json_object_set_new(out, "unavailable", json_true());
        } else {
            int cut = 0;
            buf_reset(&pg->text);
            if (conv_result_text(pg->line.data, &b->content, &pg->text, &cut) < 0 ||
                put_text(pg, out, "text", RESULT_CAP, cut || pg->line_state == 1, len) != 0) {
                json_decref(out);
                out = NULL;
            } else {
                json_object_set_new(out, "is_error", json_boolean(b->is_error));
            }
        }
    }
    sqlite3_finalize(st);
    return out;
}

/* For an Agent/Task call: the subagent it spawned (from its meta.json, as
 * the collector recorded it) and that agent's last reply. */
static json_t *subagent(struct page *pg, const char *tool_use_id)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(pg->db,
                           "SELECT agent_id, agent_type, description FROM transcript_files"
                           " WHERE parent_tool_use_id = ?1 AND session_id = ?2"
                           " AND agent_id IS NOT NULL LIMIT 1", -1, &st, NULL) != SQLITE_OK)
        return json_null();
    sqlite3_bind_text(st, 1, tool_use_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, pg->sid, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return json_null();
    }
    char *agent = dup_col(st, 0);
    json_t *o = json_pack("{s:s?,s:o,s:o}", "agent_id", agent, "agent_type",
                          str_or_null((const char *)sqlite3_column_text(st, 1)), "description",
                          str_or_null((const char *)sqlite3_column_text(st, 2)));
    sqlite3_finalize(st);
    if (o == NULL || agent == NULL) {
        free(agent);
        return o ? o : json_null();
    }
    json_object_set_new(o, "final_text", json_null());
    if (sqlite3_prepare_v2(pg->db,
                           "SELECT file_id, offset, length, block FROM transcript_lines"
                           " WHERE session_id = ?1 AND agent_id = ?2 AND kind = 2"
                           " ORDER BY seq DESC LIMIT 1", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, pg->sid, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, agent, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            int64_t len = sqlite3_column_int64(st, 2);
            const struct conv_block *b = load_block(pg, sqlite3_column_int64(st, 0),
                                                    sqlite3_column_int64(st, 1), len,
                                                    sqlite3_column_int(st, 3), CONV_TEXT);
            buf_reset(&pg->text);
            if (b != NULL && conv_span_decode(pg->line.data, &b->text, &pg->text) >= 0) {
                json_t *tmp = json_object();
                if (tmp != NULL &&
                    put_text(pg, tmp, "text", FINAL_CAP, b->text.cut || pg->line_state == 1,
                             len) == 0)
                    json_object_set(o, "final_text", json_object_get(tmp, "text"));
                json_decref(tmp);
            }
        }
        sqlite3_finalize(st);
    }
    free(agent);
    return o;
}

static json_t *item_json(struct page *pg, const struct item_row *r)
{
    const struct conv_block *b = load_block(pg, r->file_id, r->offset, r->length, r->block,
                                            r->kind);
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    static const char *const types[] = {"", "user", "assistant", "tool"};
    json_object_set_new(o, "type", json_string(types[r->kind]));
    set_time(o, "ts", r->ts_ns, r->has_ts);
    json_object_set_new(o, "seq", json_integer(r->seq));
    int cut = pg->line_state == 1;
    int bad = 0;
    int found;
    if (r->kind == CONV_PROMPT || r->kind == CONV_TEXT) {
        if (b == NULL) {
            bad |= json_object_set_new(o, "text", json_null());
            json_object_set_new(o, "unavailable", json_true());
        } else {
            buf_reset(&pg->text);
            bad |= conv_span_decode(pg->line.data, &b->text, &pg->text) < 0 ||
                   put_text(pg, o, "text", TEXT_CAP, cut || b->text.cut, r->length) != 0;
        }
        if (r->kind == CONV_PROMPT) {
            json_object_set_new(o, "prompt_id", str_or_null(r->prompt_id));
            int64_t ev = r->prompt_id == NULL ? 0 : lookup_int(
                pg->db, "SELECT min(id) FROM events WHERE session_id = ?1 AND prompt_id = ?2"
                " AND event_type = 'UserPromptSubmit' AND prompt_id IS NOT NULL", pg->sid, r->prompt_id, 0, &found);
            json_object_set_new(o, "event_id", id_or_null(ev, r->prompt_id && found));
        } else {
            json_t *model = json_null();
            if (b != NULL && pg->L.model.present)
                model = json_stringn(pg->line.data + pg->L.model.start, pg->L.model.len);
            json_object_set_new(o, "model", model ? model : json_null());
        }
    } else { /* CONV_TOOL_USE */
        json_object_set_new(o, "tool_use_id", str_or_null(r->tool_use_id));
        json_t *name = json_null();
        if (b != NULL && b->name.present)
            name = json_stringn(pg->line.data + b->name.start, b->name.len);
        int is_agent = b != NULL && b->name.present &&
                       ((b->name.len == 5 && memcmp(pg->line.data + b->name.start, "Agent", 5) == 0) ||
                        (b->name.len == 4 && memcmp(pg->line.data + b->name.start, "Task", 4) == 0));
        json_object_set_new(o, "name", name ? name : json_null());
        if (b == NULL) {
            json_object_set_new(o, "input", json_null());
            json_object_set_new(o, "input_size", json_null());
            json_object_set_new(o, "unavailable", json_true());
        } else {
            json_object_set_new(o, "input", tool_input(pg, b));
            json_object_set_new(o, "input_size", json_integer((json_int_t)(
                b->input.cut ? (size_t)r->length : b->input.len)));
            if (b->input.cut)
                json_object_set_new(o, "input_truncated", json_true());
        }
        if (r->tool_use_id != NULL) {
            /* The result's line may be another one: read after the input. */
            json_t *res = tool_result(pg, r->tool_use_id);
            bad |= res == NULL;
            json_object_set_new(o, "result", res ? res : json_null());
            int64_t pre = lookup_int(pg->db, "SELECT pre_event_id FROM tool_calls"
                                     " WHERE tool_use_id = ?1", r->tool_use_id, NULL, 0, &found);
            json_object_set_new(o, "pre_event_id", id_or_null(pre, found));
            int64_t post = lookup_int(pg->db, "SELECT post_event_id FROM tool_calls"
                                      " WHERE tool_use_id = ?1", r->tool_use_id, NULL, 0, &found);
            json_object_set_new(o, "post_event_id", id_or_null(post, found));
            json_object_set_new(o, "subagent", is_agent ? subagent(pg, r->tool_use_id)
                                                        : json_null());
        } else {
            json_object_set_new(o, "result", json_null());
            json_object_set_new(o, "pre_event_id", json_null());
            json_object_set_new(o, "post_event_id", json_null());
            json_object_set_new(o, "subagent", json_null());
        }
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ?after= is a seq from next_after: digits only. */
static int parse_after(const char *s, int64_t *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 18 || strspn(s, "0123456789") != n)
        return -1;
    *out = strtoll(s, NULL, 10);
    return 0;
}

static int agent_id_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= AGENT_ID_MAX &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") == n;
}

static void free_rows(struct item_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].uuid);
        free(rows[i].tool_use_id);
        free(rows[i].prompt_id);
    }
    free(rows);
}

/* Reads the page's index rows (limit + 1: the extra one says whether
 * there is more). */
static int load_rows(sqlite3 *db, const char *sid, const char *agent, int64_t after, long limit,
                     struct item_row **out, size_t *n)
{
    sqlite3_stmt *st;
    *out = NULL;
    *n = 0;
    int rc = sqlite3_prepare_v2(
        db, "SELECT seq, file_id, offset, length, kind, block, uuid, tool_use_id, prompt_id, ts_ns"
        " FROM transcript_lines WHERE session_id = ?1 AND agent_id = ?2 AND seq > ?3"
        " AND kind IN (1, 2, 3) ORDER BY seq LIMIT ?4", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    struct item_row *rows = calloc((size_t)limit + 1, sizeof *rows);
    if (rows == NULL) {
        sqlite3_finalize(st);
        return SQLITE_NOMEM;
    }
    sqlite3_bind_text(st, 1, sid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, agent, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, after);
    sqlite3_bind_int64(st, 4, limit + 1);
    size_t k = 0;
    while (k < (size_t)limit + 1 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct item_row *r = &rows[k++];
        r->seq = sqlite3_column_int64(st, 0);
        r->file_id = sqlite3_column_int64(st, 1);
        r->offset = sqlite3_column_int64(st, 2);
        r->length = sqlite3_column_int64(st, 3);
        r->kind = sqlite3_column_int(st, 4);
        r->block = sqlite3_column_int(st, 5);
        r->uuid = dup_col(st, 6);
        r->tool_use_id = dup_col(st, 7);
        r->prompt_id = dup_col(st, 8);
        r->has_ts = sqlite3_column_type(st, 9) != SQLITE_NULL;
        r->ts_ns = sqlite3_column_int64(st, 9);
        if (r->kind < 1 || r->kind > 3)
            r->kind = 2;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        free_rows(rows, k);
        return rc;
    }
    *out = rows;
    *n = k;
    return SQLITE_OK;
}

/* A database the collector has not migrated to schema 6 yet has no index:
 * its sessions have no conversation to show, which is not an error. */
static int have_index(sqlite3 *db)
{
    int found;
    lookup_int(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
               "transcript_lines", NULL, 0, &found);
    return found;
}

static int session_known(sqlite3 *db, const char *sid)
{
    int found;
    lookup_int(db, "SELECT 1 FROM sessions WHERE session_id = ?1", sid, NULL, 0, &found);
    if (!found)
        lookup_int(db, "SELECT 1 FROM transcript_lines WHERE session_id = ?1 LIMIT 1", sid,
                   NULL, 0, &found);
    return found;
}

void api_conversation(struct http_ctx *hc)
{
    if (http_reply_if_no_db(hc))
        return;
    char err[256];
    struct query q;
    long limit = PAGE_DEFAULT;
    int64_t after = 0;
    if (query_parse(&q, hc->query, err, sizeof err) != 0 ||
        query_check_keys(&q, conversation_keys, err, sizeof err) != 0 ||
        query_long(&q, "limit", 1, PAGE_MAX, &limit, err, sizeof err) == QUERY_BAD) {
        http_reply_error(hc, 400, "bad_parameter", "%s", err);
        query_free(&q);
        return;
    }
    const char *a = query_get(&q, "after");
    if (a != NULL && parse_after(a, &after) != 0) {
        http_reply_error(hc, 400, "bad_parameter",
                         "parameter 'after' must be a cursor from next_after (digits)");
        query_free(&q);
        return;
    }
    const char *agent = query_get(&q, "agent_id");
    if (agent != NULL && !agent_id_ok(agent)) {
        http_reply_error(hc, 400, "bad_parameter",
                         "parameter 'agent_id' must be 1 to %d letters, digits, '_', '-' or '.'",
                         AGENT_ID_MAX);
        query_free(&q);
        return;
    }
    struct page pg;
    memset(&pg, 0, sizeof pg);
    pg.srv = hc->srv;
    pg.db = hc->srv->db.h;
    pg.sid = hc->path_arg;
    pg.line_file = -1;
    pg.line = (struct buf)BUF_INIT;
    pg.text = (struct buf)BUF_INIT;
    pg.red = (struct buf)BUF_INIT;
    struct item_row *rows = NULL;
    size_t n = 0;
    json_t *items = NULL;
    /* One read transaction: the page, its results and links agree. */
    int rc = sqlite3_exec(pg.db, "BEGIN", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        http_reply_db_error(hc, rc);
        goto out;
    }
    if (!session_known(pg.db, pg.sid)) {
        sqlite3_exec(pg.db, "COMMIT", NULL, NULL, NULL);
        http_reply_error(hc, 404, "not_found", "no session '%.200s'", pg.sid);
        goto out;
    }
    if (have_index(pg.db))
        rc = load_rows(pg.db, pg.sid, agent ? agent : "", after, limit, &rows, &n);
    items = json_array();
    size_t shown = n > (size_t)limit ? (size_t)limit : n;
    int more = n > (size_t)limit;
    for (size_t i = 0; rc == SQLITE_OK && items != NULL && rows != NULL && i < shown; i++) {
        json_t *it = item_json(&pg, &rows[i]);
        if (it == NULL || json_array_append_new(items, it) != 0)
            rc = SQLITE_NOMEM;
        if (pg.bytes_read > PAGE_READ_BUDGET && i + 1 < shown) {
            shown = i + 1;
            more = 1;
        }
    }
    sqlite3_exec(pg.db, "COMMIT", NULL, NULL, NULL); /* read-only */
    if (rc != SQLITE_OK || items == NULL) {
        http_reply_db_error(hc, items == NULL ? SQLITE_NOMEM : rc);
        goto out;
    }
    const char *transcript = "ok";
    if (pg.any_file)
        transcript = tf_status_name(pg.worst);
    else if (shown == 0 && after == 0)
        transcript = "none"; /* nothing indexed (yet) for this session or agent */
    char next[24] = "";
    if (more && rows != NULL && shown > 0)
        snprintf(next, sizeof next, "%lld", (long long)rows[shown - 1].seq);
    json_t *body = json_pack("{s:s,s:o,s:s,s:O,s:o}", "session_id", pg.sid, "agent_id",
                             agent ? json_string(agent) : json_null(), "transcript", transcript,
                             "items", items, "next_after",
                             more && next[0] ? json_string(next) : json_null());
    http_reply_json(hc, 200, body);
out:
    json_decref(items);
    free_rows(rows, n);
    for (size_t i = 0; i < pg.nfiles; i++)
        if (pg.files[i].fd >= 0)
            close(pg.files[i].fd);
    buf_free(&pg.line);
    buf_free(&pg.text);
    buf_free(&pg.red);
    query_free(&q);
}
