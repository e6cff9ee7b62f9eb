/* transcript_row.c - pick usage fields out of a transcript line.  See transcript_row.h. */
#include "transcript_row.h"
#include "chronicle/clock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chronicle/json_scan.h"
#include "session_state.h"

#define MAX_DEPTH 4

struct picker {
    const char *s;
    struct transcript_row *r;
    size_t key_start[MAX_DEPTH + 1], key_len[MAX_DEPTH + 1];
    int is_user, is_assistant, content_string;
    int block_is_text;             /* the current message.content[i] has type "text" */
    size_t block_text_start, block_text_len;
    int block_has_text;
    size_t title_start, title_len;    /* summary / customTitle string span */
    int title_key_custom;
    char type[16];
};

static int key_is(const struct picker *p, size_t depth, const char *name)
{
    size_t n = strlen(name);
    return p->key_len[depth] == n && memcmp(p->s + p->key_start[depth], name, n) == 0;
}

static void copy_str(char *dst, size_t cap, const char *raw, size_t len)
{
    /* Ids, models and times hold no escapes worth decoding; a value that
     * does not fit is cut (it is only a label). */
    size_t n = len < cap - 1 ? len : cap - 1;
    memcpy(dst, raw, n);
    dst[n] = '\0';
}

static int64_t to_int(const char *s, size_t n)
{
    int64_t v = 0;
    for (size_t i = 0; i < n && i < 18; i++) {
        if (s[i] < '0' || s[i] > '9')
            return v;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int visit(void *ctx, enum json_token tok, size_t depth, size_t start, size_t len)
{
    struct picker *p = ctx;
    struct transcript_row *r = p->r;
    if (depth == 0 || depth > MAX_DEPTH)
        return 0;
    if (tok == JSON_TOK_KEY) {
        p->key_start[depth] = start;
        p->key_len[depth] = len;
        return 0;
    }
    const char *v = p->s + start;
    if (depth == 1) {
        if (tok == JSON_TOK_STRING) {
            if (key_is(p, 1, "type"))
                copy_str(p->type, sizeof p->type, v, len);
            else if (key_is(p, 1, "requestId"))
                copy_str(r->request_id, sizeof r->request_id, v, len);
            else if (key_is(p, 1, "sessionId"))
                copy_str(r->session_id, sizeof r->session_id, v, len);
            else if (key_is(p, 1, "agentId"))
                copy_str(r->agent_id, sizeof r->agent_id, v, len);
            else if (key_is(p, 1, "promptId"))
                copy_str(r->prompt_id, sizeof r->prompt_id, v, len);
            else if (key_is(p, 1, "summary") || key_is(p, 1, "customTitle")) {
                p->title_start = start;
                p->title_len = len;
                p->title_key_custom = key_is(p, 1, "customTitle");
            } else if (key_is(p, 1, "uuid"))
                copy_str(r->uuid, sizeof r->uuid, v, len);
            else if (key_is(p, 1, "timestamp")) {
                char t[40];
                copy_str(t, sizeof t, v, len);
                r->ts_ns = transcript_parse_time(t);
            }
        } else if (tok == JSON_TOK_LITERAL && key_is(p, 1, "isSidechain")) {
            r->sidechain = len == 4 && memcmp(v, "true", 4) == 0;
        }
        return 0;
    }
    if (!key_is(p, 1, "message"))
        return 0;
    if (depth == 2) {
        if (tok == JSON_TOK_STRING && key_is(p, 2, "id"))
            copy_str(r->message_id, sizeof r->message_id, v, len);
        else if (tok == JSON_TOK_STRING && key_is(p, 2, "model"))
            copy_str(r->model, sizeof r->model, v, len);
        else if (tok == JSON_TOK_STRING && key_is(p, 2, "content"))
            p->content_string = 1;
        return 0;
    }
    if (key_is(p, 2, "content")) {
        /* Text blocks: type and text may come in either order, so the block
         * is taken at its end. */
        if (depth == 3 && tok == JSON_TOK_OBJ_BEGIN) {
            p->block_is_text = p->block_has_text = 0;
        } else if (depth == 4 && tok == JSON_TOK_STRING && key_is(p, 4, "type")) {
            p->block_is_text = len == 4 && memcmp(v, "text", 4) == 0;
        } else if (depth == 4 && tok == JSON_TOK_STRING && key_is(p, 4, "text")) {
            p->block_text_start = start;
            p->block_text_len = len;
            p->block_has_text = 1;
        } else if (depth == 3 && tok == JSON_TOK_OBJ_END && p->block_is_text &&
                   p->block_has_text && r->ntext < ROW_TEXT_SPANS) {
            r->text_start[r->ntext] = p->block_text_start;
            r->text_len[r->ntext] = p->block_text_len;
            r->ntext++;
        }
        return 0;
    }
    if (depth == 3 && tok == JSON_TOK_NUMBER && key_is(p, 2, "usage")) {
        if (key_is(p, 3, "input_tokens"))
            r->input_tokens = to_int(v, len);
        else if (key_is(p, 3, "output_tokens"))
            r->output_tokens = to_int(v, len);
        else if (key_is(p, 3, "cache_creation_input_tokens"))
            r->cache_creation_input_tokens = to_int(v, len);
        else if (key_is(p, 3, "cache_read_input_tokens"))
            r->cache_read_input_tokens = to_int(v, len);
        p->is_assistant = 1; /* a usage object: count it whatever the type says */
    }
    return 0;
}

int transcript_row_parse(const char *line, size_t len, struct transcript_row *r)
{
    memset(r, 0, sizeof *r);
    struct picker p = {.s = line, .r = r};
    if (json_walk(line, len, visit, &p, NULL) != JSON_OK || len == 0 || line[0] != '{')
        return -1;
    if (strcmp(p.type, "assistant") == 0 && p.is_assistant && r->message_id[0] != '\0')
        r->kind = ROW_USAGE;
    else if (strcmp(p.type, "user") == 0 && p.content_string)
        r->kind = ROW_PROMPT;
    else if ((strcmp(p.type, "summary") == 0 || strcmp(p.type, "custom-title") == 0) &&
             p.title_len > 0 &&
             json_text_line(line + p.title_start, p.title_len, r->title, sizeof r->title,
                            SESSION_TITLE_CHARS) > 0) {
        r->kind = ROW_TITLE;
        r->title_custom = p.title_key_custom;
    } else
        r->kind = ROW_OTHER;
    return 0;
}

int64_t transcript_parse_time(const char *s)
{
    struct tm tm = {0};
    char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (end == NULL)
        return 0;
    int64_t ns = 0;
    if (*end == '.') {
        int64_t scale = 100000000;
        for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
            ns += (*end - '0') * scale;
    }
    if (*end != 'Z')
        return 0;
    time_t t = timegm(&tm);
    return t < 0 ? 0 : (int64_t)t * NS_PER_S + ns;
}
