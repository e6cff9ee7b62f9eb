/* search_text.c - the searchable text of a payload.  See search_text.h. */
#include "chronicle/search_text.h"

#include <stdlib.h>
#include <string.h>

#include "chronicle/json_scan.h"

static const char *const field_names[SEARCH_FIELDS] = {
    "prompt", "command", "file_path", "tool_output", "error", "other"};

const char *search_field_name(int field)
{
    return field >= 0 && field < SEARCH_FIELDS ? field_names[field] : NULL;
}

enum top { TOP_NONE, TOP_PROMPT, TOP_ERROR, TOP_OTHER, TOP_FILE_PATH, TOP_TOOL_INPUT,
           TOP_TOOL_RESPONSE };

struct walk {
    struct search_text *st;
    const char *json;
    int skip_input;     /* a Post* event: its PreToolUse indexed tool_input */
    enum top top;       /* what the current top-level member is */
    int input_field;    /* field of the current tool_input member (depth 2) */
    int nomem;
};

static int span_is(const char *s, size_t n, const char *name)
{
    return strlen(name) == n && memcmp(s, name, n) == 0;
}

static enum top top_kind(const char *k, size_t n)
{
    if (span_is(k, n, "prompt"))
        return TOP_PROMPT;
    if (span_is(k, n, "error") || span_is(k, n, "error_details"))
        return TOP_ERROR;
    if (span_is(k, n, "message") || span_is(k, n, "title") ||
        span_is(k, n, "last_assistant_message") || span_is(k, n, "reason"))
        return TOP_OTHER;
    if (span_is(k, n, "file_path")) /* InstructionsLoaded */
        return TOP_FILE_PATH;
    if (span_is(k, n, "tool_input"))
        return TOP_TOOL_INPUT;
    if (span_is(k, n, "tool_response"))
        return TOP_TOOL_RESPONSE;
    return TOP_NONE;
}

static int input_kind(const char *k, size_t n)
{
    if (span_is(k, n, "command"))
        return SEARCH_COMMAND;
    if (span_is(k, n, "file_path") || span_is(k, n, "path") || span_is(k, n, "notebook_path") ||
        span_is(k, n, "pattern") || span_is(k, n, "glob"))
        return SEARCH_FILE_PATH;
    return SEARCH_OTHER;
}

/* Drops a UTF-8 sequence cut short at the end of b. */
static void trim_partial_utf8(struct buf *b)
{
    size_t i = b->len, back = 0;
    while (i > 0 && back < 4 && ((unsigned char)b->data[i - 1] & 0xC0) == 0x80) {
        i--;
        back++;
    }
    if (i == 0)
        return;
    unsigned char lead = (unsigned char)b->data[i - 1];
    size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (want > back + 1) { /* the last character is incomplete */
        b->len = i - 1;
        b->data[b->len] = '\0';
    }
}

/* Length of the escape at raw[0] == '\\' (valid JSON: the walk checked). */
static size_t escape_len(const char *raw, size_t left)
{
    if (left >= 2 && raw[1] != 'u')
        return 2;
    if (left >= 12 && raw[6] == '\\' && raw[7] == 'u') {
        /* a high surrogate followed by an escape: decode them together */
        unsigned hi = (unsigned)strtoul((char[5]){raw[2], raw[3], raw[4], raw[5], 0}, NULL, 16);
        if (hi >= 0xD800 && hi <= 0xDBFF)
            return 12;
    }
    return left >= 6 ? 6 : left;
}

/* Appends the decoded string span raw[0..len) to b, up to the cap; control
 * characters become spaces.  Decodes only what fits: a 1 MB tool output costs
 * the 16 KB it keeps. */
static int append_string(struct buf *b, const char *raw, size_t len)
{
    if (b->len >= SEARCH_FIELD_CAP)
        return 0;
    if (b->len > 0 && buf_append(b, "\n", 1) != 0)
        return -1;
    size_t room = SEARCH_FIELD_CAP - b->len;
    if (buf_reserve(b, room < len ? room : len) != 0)
        return -1;
    size_t i = 0;
    while (i < len && b->len < SEARCH_FIELD_CAP) {
        char tmp[12];
        size_t n, dn;
        if (raw[i] == '\\') {
            n = escape_len(raw + i, len - i);
            dn = json_unescape(raw + i, n, tmp);
        } else {
            n = 1;
            dn = 1;
            tmp[0] = raw[i];
        }
        if (b->len + dn > SEARCH_FIELD_CAP)
            break;
        for (size_t k = 0; k < dn; k++) {
            unsigned char ch = (unsigned char)tmp[k];
            if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7F)
                tmp[k] = ' ';
        }
        if (buf_append(b, tmp, dn) != 0)
            return -1;
        i += n;
    }
    trim_partial_utf8(b);
    return 0;
}

static int visit(void *ctx, enum json_token tok, size_t depth, size_t start, size_t len)
{
    struct walk *w = ctx;
    const char *s = w->json + start;
    if (depth == 0)
        return 0;
    if (depth == 1 && tok == JSON_TOK_KEY) {
        w->top = top_kind(s, len);
        w->input_field = SEARCH_OTHER;
        return 0;
    }
    if (tok == JSON_TOK_KEY) {
        if (depth == 2 && w->top == TOP_TOOL_INPUT)
            w->input_field = input_kind(s, len);
        return 0;
    }
    if (tok != JSON_TOK_STRING)
        return 0;
    int field = -1;
    switch (w->top) {
    case TOP_PROMPT: field = depth == 1 ? SEARCH_PROMPT : -1; break;
    case TOP_ERROR: field = depth == 1 ? SEARCH_ERROR : -1; break;
    case TOP_OTHER: field = depth == 1 ? SEARCH_OTHER : -1; break;
    case TOP_FILE_PATH: field = depth == 1 ? SEARCH_FILE_PATH : -1; break;
    case TOP_TOOL_RESPONSE: field = SEARCH_TOOL_OUTPUT; break;
    case TOP_TOOL_INPUT:
        if (!w->skip_input)
            field = depth == 2 ? w->input_field : SEARCH_OTHER;
        break;
    case TOP_NONE: break;
    }
    if (field >= 0 && append_string(&w->st->text[field], s, len) != 0) {
        w->nomem = 1;
        return 1;
    }
    return 0;
}

int search_text_extract(struct search_text *st, const char *event_type, const char *json,
                        size_t len)
{
    for (int i = 0; i < SEARCH_FIELDS; i++)
        buf_reset(&st->text[i]);
    if (json == NULL || len == 0)
        return 0;
    struct walk w = {.st = st, .json = json};
    w.skip_input = event_type != NULL && (strcmp(event_type, "PostToolUse") == 0 ||
                                          strcmp(event_type, "PostToolUseFailure") == 0);
    enum json_status rc = json_walk(json, len, visit, &w, NULL);
    if (w.nomem || rc == JSON_NOMEM)
        return -1;
    if (rc != JSON_OK) /* not JSON (cannot be: stored payloads are): nothing */
        for (int i = 0; i < SEARCH_FIELDS; i++)
            buf_reset(&st->text[i]);
    return 0;
}

int search_text_empty(const struct search_text *st)
{
    for (int i = 0; i < SEARCH_FIELDS; i++)
        if (st->text[i].len > 0)
            return 0;
    return 1;
}

void search_text_free(struct search_text *st)
{
    for (int i = 0; i < SEARCH_FIELDS; i++)
        buf_free(&st->text[i]);
}

/* Per connection: the last payload parsed and its fields. */
struct field_cache {
    struct buf key; /* event_type NUL payload */
    int valid;
    struct search_text st;
};

static void cache_free(void *p)
{
    struct field_cache *c = p;
    if (c == NULL)
        return;
    buf_free(&c->key);
    search_text_free(&c->st);
    free(c);
}

static void sql_search_field(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    struct field_cache *c = sqlite3_user_data(ctx);
    int field = sqlite3_value_int(argv[2]);
    if (field < 0 || field >= SEARCH_FIELDS || sqlite3_value_type(argv[1]) != SQLITE_TEXT) {
        sqlite3_result_null(ctx);
        return;
    }
    const char *type = (const char *)sqlite3_value_text(argv[0]);
    size_t tlen = type ? (size_t)sqlite3_value_bytes(argv[0]) : 0;
    const char *json = (const char *)sqlite3_value_text(argv[1]);
    size_t jlen = (size_t)sqlite3_value_bytes(argv[1]);
    if (json == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    int hit = c->valid && c->key.len == tlen + 1 + jlen &&
              memcmp(c->key.data, type ? type : "", tlen) == 0 &&
              memcmp(c->key.data + tlen + 1, json, jlen) == 0;
    if (!hit) {
        c->valid = 0;
        buf_reset(&c->key);
        if (buf_append(&c->key, type ? type : "", tlen) != 0 || buf_append(&c->key, "", 1) != 0 ||
            buf_append(&c->key, json, jlen) != 0 ||
            search_text_extract(&c->st, type, json, jlen) != 0) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
        c->valid = 1;
        /* A big payload is not kept for the connection's life. */
        if (c->key.cap > (4 << 20)) {
            buf_free(&c->key);
            c->valid = 0;
        }
    }
    const struct buf *t = &c->st.text[field];
    if (t->len == 0)
        sqlite3_result_null(ctx);
    else
        sqlite3_result_text(ctx, t->data, (int)t->len, SQLITE_TRANSIENT);
}

int search_text_register(sqlite3 *db)
{
    struct field_cache *c = calloc(1, sizeof *c);
    if (c == NULL)
        return SQLITE_NOMEM;
    /* INNOCUOUS: pure, so it may run inside the schema's view and trigger
     * even with trusted_schema off. */
    return sqlite3_create_function_v2(db, "chronicle_search_field", 3,
                                      SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, c,
                                      sql_search_field, NULL, NULL, cache_free);
}
