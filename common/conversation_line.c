/* conversation_line.c - the conversation in one transcript line.  See
 * conversation_line.h. */
#include "chronicle/conversation_line.h"

#include <string.h>

#include "chronicle/buf.h"
#include "chronicle/json_scan.h"

#define KEY_DEPTH 8

/* Why so few levels: everything the conversation needs sits at most four
 * levels deep (line.message.content[i].field); deeper tokens only matter to
 * find where an input object or a content array ends. */
struct picker {
    const char *s;
    size_t len;
    struct conv_line *L;
    size_t key_start[KEY_DEPTH], key_len[KEY_DEPTH];
    struct conv_span type;       /* the line's "type" */
    struct conv_span btype[CONV_MAX_BLOCKS];
    int in_block;                /* inside message.content[i] (an object) */
    struct conv_span *open_value; /* input/content object or array being spanned */
    size_t last_key_depth;       /* the last token was a key at this depth (0: not a key) */
};

static int key_is(const struct picker *p, size_t depth, const char *name)
{
    size_t n = strlen(name);
    return depth < KEY_DEPTH && p->key_len[depth] == n &&
           memcmp(p->s + p->key_start[depth], name, n) == 0;
}

static int span_is(const char *s, const struct conv_span *sp, const char *word)
{
    size_t n = strlen(word);
    return sp->present && sp->len == n && memcmp(s + sp->start, word, n) == 0;
}

static void set(struct conv_span *sp, size_t start, size_t len, int is_string)
{
    sp->start = start;
    sp->len = len;
    sp->present = 1;
    sp->is_string = is_string;
    sp->cut = 0;
}

static struct conv_block *current(struct picker *p)
{
    return p->in_block && p->L->nblocks > 0 ? &p->L->b[p->L->nblocks - 1] : NULL;
}

/* A block member's value (depth 4): scalars and the spans of input/content. */
static void block_value(struct picker *p, struct conv_block *b, enum json_token tok, size_t start,
                        size_t len)
{
    size_t i = p->L->nblocks - 1;
    int str = tok == JSON_TOK_STRING;
    if (key_is(p, 4, "type") && str)
        set(&p->btype[i], start, len, 1);
    else if (key_is(p, 4, "text") && str)
        set(&b->text, start, len, 1);
    else if ((key_is(p, 4, "id") || key_is(p, 4, "tool_use_id")) && str)
        set(&b->id, start, len, 1);
    else if (key_is(p, 4, "name") && str)
        set(&b->name, start, len, 1);
    else if (key_is(p, 4, "is_error") && tok == JSON_TOK_LITERAL)
        b->is_error = len == 4 && memcmp(p->s + start, "true", 4) == 0;
    else if (key_is(p, 4, "input") || key_is(p, 4, "content")) {
        struct conv_span *sp = key_is(p, 4, "input") ? &b->input : &b->content;
        if (tok == JSON_TOK_OBJ_BEGIN || tok == JSON_TOK_ARR_BEGIN) {
            set(sp, start, 0, 0);
            p->open_value = sp; /* ends at the matching end token, depth 4 */
        } else {
            set(sp, start, len, str);
        }
    }
}

static int visit(void *ctx, enum json_token tok, size_t depth, size_t start, size_t len)
{
    struct picker *p = ctx;
    struct conv_line *L = p->L;
    p->last_key_depth = 0;
    if (tok == JSON_TOK_KEY) {
        if (depth < KEY_DEPTH) {
            p->key_start[depth] = start;
            p->key_len[depth] = len;
        }
        p->last_key_depth = depth;
        return 0;
    }
    if (depth == 0)
        return 0;
    int str = tok == JSON_TOK_STRING;
    if (depth == 1) {
        if (!str) {
            if (tok == JSON_TOK_LITERAL && key_is(p, 1, "isSidechain"))
                L->sidechain = len == 4 && memcmp(p->s + start, "true", 4) == 0;
            return 0;
        }
        if (key_is(p, 1, "type"))
            set(&p->type, start, len, 1);
        else if (key_is(p, 1, "uuid"))
            set(&L->uuid, start, len, 1);
        else if (key_is(p, 1, "promptId"))
            set(&L->prompt_id, start, len, 1);
        else if (key_is(p, 1, "sessionId"))
            set(&L->session_id, start, len, 1);
        else if (key_is(p, 1, "agentId"))
            set(&L->agent_id, start, len, 1);
        else if (key_is(p, 1, "timestamp"))
            set(&L->timestamp, start, len, 1);
        return 0;
    }
    if (!key_is(p, 1, "message"))
        return 0;
    if (depth == 2) {
        if (str && key_is(p, 2, "model")) {
            set(&L->model, start, len, 1);
        } else if (str && key_is(p, 2, "content")) {
            /* A prompt as a plain string: one text block. */
            if (L->nblocks < CONV_MAX_BLOCKS) {
                struct conv_block *b = &L->b[L->nblocks];
                memset(b, 0, sizeof *b);
                set(&b->text, start, len, 1);
                set(&p->btype[L->nblocks], 0, 0, 1);
                p->btype[L->nblocks].present = 2; /* "a string content" */
                L->nblocks++;
            }
        }
        return 0;
    }
    if (!key_is(p, 2, "content"))
        return 0;
    if (depth == 3) {
        if (tok == JSON_TOK_OBJ_BEGIN) {
            if (L->nblocks < CONV_MAX_BLOCKS) {
                memset(&L->b[L->nblocks], 0, sizeof L->b[0]);
                memset(&p->btype[L->nblocks], 0, sizeof p->btype[0]);
                L->nblocks++;
                p->in_block = 1;
            } else {
                L->dropped++;
            }
        } else if (tok == JSON_TOK_OBJ_END) {
            p->in_block = 0;
        }
        return 0;
    }
    struct conv_block *b = current(p);
    if (b == NULL)
        return 0;
    if (depth == 4) {
        if ((tok == JSON_TOK_OBJ_END || tok == JSON_TOK_ARR_END) && p->open_value != NULL) {
            p->open_value->len = start + 1 - p->open_value->start;
            p->open_value = NULL;
            return 0;
        }
        block_value(p, b, tok, start, len);
    }
    return 0;
}

/* Where a string cut by the end of the buffer can be decoded up to: before
 * an escape or a UTF-8 sequence the cut split. */
static size_t whole_prefix(const char *s, size_t start, size_t end)
{
    size_t i = start;
    while (i < end) {
        unsigned char c = (unsigned char)s[i];
        size_t n = 1;
        if (c == '\\')
            n = i + 1 < end && s[i + 1] == 'u' ? 6 : 2;
        else if (c >= 0xF0)
            n = 4;
        else if (c >= 0xE0)
            n = 3;
        else if (c >= 0xC0)
            n = 2;
        if (i + n > end)
            break;
        i += n;
    }
    return i - start;
}

/* The line ended inside a value whose key was the last token: hand the
 * visitor the string up to the cut, marked cut. */
static void finish_cut_string(struct picker *p, size_t depth)
{
    if (depth >= KEY_DEPTH)
        return;
    size_t i = p->key_start[depth] + p->key_len[depth] + 1; /* past the closing quote */
    while (i < p->len && (p->s[i] == ' ' || p->s[i] == '\t' || p->s[i] == ':' ||
                          p->s[i] == '\r' || p->s[i] == '\n'))
        i++;
    if (i >= p->len || p->s[i] != '"')
        return;
    size_t start = i + 1;
    size_t n = whole_prefix(p->s, start, p->len);
    struct conv_line *L = p->L;
    size_t before = L->nblocks;
    struct conv_block *b = current(p);
    struct conv_span *target = NULL;
    if (depth == 4 && b != NULL && (key_is(p, 4, "text") || key_is(p, 4, "content")))
        target = key_is(p, 4, "text") ? &b->text : &b->content;
    visit(p, JSON_TOK_STRING, depth, start, n);
    if (target == NULL && depth == 2 && L->nblocks > before)
        target = &L->b[L->nblocks - 1].text;
    if (target != NULL && target->present)
        target->cut = 1;
}

/* Kinds are decided once the whole line is seen: the line's type may come
 * after its message, a block's type after its fields. */
static void assign_kinds(struct picker *p)
{
    struct conv_line *L = p->L;
    if (span_is(p->s, &p->type, "user"))
        L->type = CONV_LINE_USER;
    else if (span_is(p->s, &p->type, "assistant"))
        L->type = CONV_LINE_ASSISTANT;
    else
        L->type = CONV_LINE_OTHER;
    size_t out = 0;
    for (size_t i = 0; i < L->nblocks; i++) {
        struct conv_block *b = &L->b[i];
        const struct conv_span *t = &p->btype[i];
        enum conv_kind k = CONV_NONE;
        int is_text = t->present == 2 || span_is(p->s, t, "text");
        if (L->type == CONV_LINE_USER && is_text && b->text.present)
            k = CONV_PROMPT;
        else if (L->type == CONV_LINE_ASSISTANT && is_text && b->text.present)
            k = CONV_TEXT;
        else if (L->type == CONV_LINE_ASSISTANT && span_is(p->s, t, "tool_use") && b->id.present)
            k = CONV_TOOL_USE;
        else if (L->type == CONV_LINE_USER && span_is(p->s, t, "tool_result") && b->id.present)
            k = CONV_TOOL_RESULT;
        if (k == CONV_NONE)
            continue;
        b->kind = k;
        L->b[out++] = *b;
    }
    L->nblocks = out;
}

int conv_line_parse(const char *line, size_t len, struct conv_line *out)
{
    memset(out, 0, sizeof *out);
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
        i++;
    if (i >= len || line[i] != '{')
        return -1;
    struct picker p;
    memset(&p, 0, sizeof p);
    p.s = line;
    p.len = len;
    p.L = out;
    enum json_status st = json_walk(line, len, visit, &p, NULL);
    if (st == JSON_INCOMPLETE) {
        if (p.last_key_depth > 0)
            finish_cut_string(&p, p.last_key_depth);
        if (p.open_value != NULL) { /* an input or content cut short */
            p.open_value->len = len - p.open_value->start;
            p.open_value->cut = 1;
        }
    } else if (st != JSON_OK) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    out->complete = st == JSON_OK;
    assign_kinds(&p);
    return 0;
}

long conv_span_decode(const char *line, const struct conv_span *s, struct buf *out)
{
    if (!s->present || s->len == 0)
        return 0;
    if (buf_reserve(out, s->len) != 0)
        return -1;
    size_t n = json_unescape(line + s->start, s->len, out->data + out->len);
    out->len += n;
    return (long)n;
}

/* Text blocks of a tool_result's content array. */
struct result_picker {
    const char *s;
    size_t len;
    struct buf *out;
    long n;
    int failed, any;
    size_t key_start, key_len, last_key; /* key of depth 2 (members of an element) */
};

static int result_visit(void *ctx, enum json_token tok, size_t depth, size_t start, size_t len)
{
    struct result_picker *r = ctx;
    r->last_key = 0;
    if (tok == JSON_TOK_KEY) {
        if (depth == 2) {
            r->key_start = start;
            r->key_len = len;
            r->last_key = 1;
        }
        return 0;
    }
    int bare = depth == 1 && tok == JSON_TOK_STRING; /* a bare string element */
    int text = depth == 2 && tok == JSON_TOK_STRING && r->key_len == 4 &&
               memcmp(r->s + r->key_start, "text", 4) == 0;
    if (!bare && !text)
        return 0;
    struct conv_span sp = {start, len, 1, 0, 1};
    if ((r->any && buf_append(r->out, "\n", 1) != 0) ||
        conv_span_decode(r->s, &sp, r->out) < 0) {
        r->failed = 1;
        return 1;
    }
    r->any = 1;
    return 0;
}

long conv_result_text(const char *line, const struct conv_span *content, struct buf *out, int *cut)
{
    *cut = content->cut;
    if (!content->present)
        return 0;
    if (content->is_string)
        return conv_span_decode(line, content, out);
    size_t before = out->len;
    const char *s = line + content->start;
    struct result_picker r = {.s = s, .len = content->len, .out = out};
    enum json_status st = json_walk(s, content->len, result_visit, &r, NULL);
    if (r.failed)
        return -1;
    if (st == JSON_INCOMPLETE && r.last_key &&
        r.key_len == 4 && memcmp(s + r.key_start, "text", 4) == 0) {
        size_t i = r.key_start + 5;
        while (i < content->len && (s[i] == ' ' || s[i] == ':'))
            i++;
        if (i < content->len && s[i] == '"') {
            struct conv_span sp = {i + 1, whole_prefix(s, i + 1, content->len), 1, 1, 1};
            if ((r.any && buf_append(out, "\n", 1) != 0) || conv_span_decode(s, &sp, out) < 0)
                return -1;
        }
        *cut = 1;
    } else if (st == JSON_INCOMPLETE) {
        *cut = 1;
    }
    return (long)(out->len - before);
}
