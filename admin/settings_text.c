/* settings_text.c - byte-preserving member edits of a JSON document. */
#include "settings_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chronicle/json_scan.h"

struct parse_state {
    struct settings_doc *doc;
    int *stack;            /* open containers (node indices) */
    size_t depth, stack_cap;
    int have_key;          /* a KEY token waits for its value */
    size_t key_start, key_len;
    int failed;            /* ENOMEM inside the visitor */
};

static int add_node(struct parse_state *ps, size_t start, size_t end, int is_obj, int is_arr)
{
    struct settings_doc *doc = ps->doc;
    if (doc->n == doc->cap) {
        size_t cap = doc->cap ? doc->cap * 2 : 64;
        struct settings_node *p = realloc(doc->nodes, cap * sizeof *p);
        if (p == NULL)
            return -1;
        doc->nodes = p;
        doc->cap = cap;
    }
    struct settings_node *nd = &doc->nodes[doc->n];
    memset(nd, 0, sizeof *nd);
    nd->parent = ps->depth ? ps->stack[ps->depth - 1] : -1;
    nd->is_object = is_obj;
    nd->is_array = is_arr;
    nd->start = start;
    nd->end = end;
    nd->depth = (int)ps->depth;
    if (ps->have_key) {
        nd->key = malloc(ps->key_len + 1);
        if (nd->key == NULL)
            return -1;
        size_t n = json_unescape(doc->text + ps->key_start, ps->key_len, nd->key);
        nd->key[n] = '\0';
        nd->key_start = ps->key_start - 1;
        nd->key_end = ps->key_start + ps->key_len + 1;
        ps->have_key = 0;
    }
    doc->n++;
    return 0;
}

static int visit(void *ctx, enum json_token tok, size_t depth, size_t start, size_t len)
{
    struct parse_state *ps = ctx;
    (void)depth;
    switch (tok) {
    case JSON_TOK_KEY:
        ps->have_key = 1;
        ps->key_start = start;
        ps->key_len = len;
        return 0;
    case JSON_TOK_OBJ_BEGIN:
    case JSON_TOK_ARR_BEGIN:
        if (ps->depth == ps->stack_cap) {
            size_t cap = ps->stack_cap ? ps->stack_cap * 2 : 16;
            int *p = realloc(ps->stack, cap * sizeof *p);
            if (p == NULL)
                return ps->failed = 1;
            ps->stack = p;
            ps->stack_cap = cap;
        }
        if (add_node(ps, start, 0, tok == JSON_TOK_OBJ_BEGIN, tok == JSON_TOK_ARR_BEGIN) != 0)
            return ps->failed = 1;
        ps->stack[ps->depth++] = (int)ps->doc->n - 1;
        return 0;
    case JSON_TOK_OBJ_END:
    case JSON_TOK_ARR_END:
        ps->doc->nodes[ps->stack[--ps->depth]].end = start + 1;
        return 0;
    case JSON_TOK_STRING:
        /* The span excludes the quotes. */
        return add_node(ps, start - 1, start + len + 1, 0, 0) != 0 ? (ps->failed = 1) : 0;
    case JSON_TOK_NUMBER:
    case JSON_TOK_LITERAL:
        return add_node(ps, start, start + len, 0, 0) != 0 ? (ps->failed = 1) : 0;
    }
    return 0;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Guesses indentation from the whitespace before the root's first key. */
static void guess_layout(struct settings_doc *doc)
{
    strcpy(doc->unit, "  ");
    strcpy(doc->nl, "\n");
    doc->compact = 0;
    if (doc->n < 2 || !doc->nodes[0].is_object || doc->nodes[1].parent != 0)
        return;
    size_t k = doc->nodes[1].key_start, ws = k;
    while (ws > 0 && is_ws(doc->text[ws - 1]))
        ws--;
    const char *nl = NULL;
    for (size_t i = ws; i < k; i++)
        if (doc->text[i] == '\n')
            nl = doc->text + i;
    if (nl == NULL) {
        doc->compact = 1;
        return;
    }
    if (nl > doc->text && nl[-1] == '\r')
        strcpy(doc->nl, "\r\n");
    size_t n = (size_t)(doc->text + k - (nl + 1));
    if (n > 0 && n < sizeof doc->unit) {
        memcpy(doc->unit, nl + 1, n);
        doc->unit[n] = '\0';
    }
}

int settings_doc_parse(struct settings_doc *doc, const char *text, size_t len, char *err,
                       size_t errlen)
{
    memset(doc, 0, sizeof *doc);
    doc->text = text;
    doc->len = len;
    struct parse_state ps = {0};
    ps.doc = doc;
    size_t at = 0;
    enum json_status st = json_walk(text, len, visit, &ps, &at);
    free(ps.stack);
    if (st != JSON_OK) {
        if (ps.failed)
            snprintf(err, errlen, "out of memory");
        else
            snprintf(err, errlen, "%s at byte %zu", json_status_name(st), at);
        settings_doc_free(doc);
        return -1;
    }
    guess_layout(doc);
    return 0;
}

void settings_doc_free(struct settings_doc *doc)
{
    for (size_t i = 0; i < doc->n; i++)
        free(doc->nodes[i].key);
    free(doc->nodes);
    doc->nodes = NULL;
    doc->n = doc->cap = 0;
}

int settings_doc_member(const struct settings_doc *doc, int obj, const char *key)
{
    for (size_t i = (size_t)obj + 1; i < doc->n; i++) {
        const struct settings_node *nd = &doc->nodes[i];
        if (nd->start >= doc->nodes[obj].end)
            break;
        if (nd->parent == obj && nd->key != NULL && strcmp(nd->key, key) == 0)
            return (int)i;
    }
    return -1;
}

static int append_units(struct buf *b, const char *unit, int n)
{
    for (int i = 0; i < n; i++)
        if (buf_append_str(b, unit) != 0)
            return -1;
    return 0;
}

int settings_doc_dump(const struct settings_doc *doc, const json_t *value, int depth,
                      struct buf *out)
{
    /* jansson indents with spaces; dumping with one space per level tells
     * us each line's level, which we then spell in the file's own unit. */
    size_t flags = JSON_PRESERVE_ORDER | (doc->compact ? 0 : JSON_INDENT(1));
    char *s = json_dumps(value, flags);
    if (s == NULL)
        return -1;
    int rc = 0;
    const char *p = s;
    int first = 1;
    while (*p != '\0' && rc == 0) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        int lead = 0;
        if (!first) {
            while (p[lead] == ' ')
                lead++;
            rc = append_units(out, doc->unit, depth + lead);
        }
        if (rc == 0)
            rc = buf_append(out, p + lead, n - (size_t)lead);
        if (rc == 0 && nl != NULL)
            rc = buf_append_str(out, doc->nl);
        p = nl ? nl + 1 : p + n;
        first = 0;
    }
    free(s);
    return rc;
}

static int append_key(struct buf *b, const char *key)
{
    return buf_append(b, "\"", 1) || json_escape_append(b, key, strlen(key)) ||
           buf_append(b, "\"", 1) ? -1 : 0;
}

int settings_doc_set_member(const struct settings_doc *doc, int obj, const char *key,
                            const json_t *value, struct buf *out)
{
    const struct settings_node *o = &doc->nodes[obj];
    int member = settings_doc_member(doc, obj, key);
    int depth = o->depth + 1;
    buf_reset(out);
    if (member >= 0) {
        const struct settings_node *m = &doc->nodes[member];
        return buf_append(out, doc->text, m->start) || settings_doc_dump(doc, value, depth, out) ||
               buf_append(out, doc->text + m->end, doc->len - m->end) ? -1 : 0;
    }
    int last = -1;
    for (size_t i = (size_t)obj + 1; i < doc->n && doc->nodes[i].start < o->end; i++)
        if (doc->nodes[i].parent == obj)
            last = (int)i;
    if (last >= 0) {
        /* Copy the last member's spacing: its leading whitespace and the
         * text between its key and its value (": ", " : "...). */
        const struct settings_node *l = &doc->nodes[last];
        size_t ws = l->key_start;
        while (ws > 0 && is_ws(doc->text[ws - 1]))
            ws--;
        return buf_append(out, doc->text, l->end) || buf_append(out, ",", 1) ||
               buf_append(out, doc->text + ws, l->key_start - ws) || append_key(out, key) ||
               buf_append(out, doc->text + l->key_end, l->start - l->key_end) ||
               settings_doc_dump(doc, value, depth, out) ||
               buf_append(out, doc->text + l->end, doc->len - l->end) ? -1 : 0;
    }
    /* Empty object: its inner whitespace is replaced. */
    int rc = buf_append(out, doc->text, o->start + 1);
    if (rc == 0 && !doc->compact)
        rc = buf_append_str(out, doc->nl) || append_units(out, doc->unit, depth);
    if (rc == 0)
        rc = append_key(out, key) || buf_append_str(out, doc->compact ? ":" : ": ") ||
             settings_doc_dump(doc, value, depth, out);
    if (rc == 0 && !doc->compact)
        rc = buf_append_str(out, doc->nl) || append_units(out, doc->unit, depth - 1);
    if (rc == 0)
        rc = buf_append(out, doc->text + o->end - 1, doc->len - (o->end - 1));
    return rc ? -1 : 0;
}

/* Where an item starts: a member at its key, an element at its value. */
static size_t item_start(const struct settings_node *nd)
{
    return nd->key ? nd->key_start : nd->start;
}

int settings_doc_remove_item(const struct settings_doc *doc, int item, struct buf *out)
{
    const struct settings_node *m = &doc->nodes[item];
    const struct settings_node *o = &doc->nodes[m->parent];
    int prev = -1, next = -1;
    for (size_t i = (size_t)m->parent + 1; i < doc->n && doc->nodes[i].start < o->end; i++) {
        if (doc->nodes[i].parent != m->parent)
            continue;
        if ((int)i < item)
            prev = (int)i;
        else if ((int)i > item && next < 0)
            next = (int)i;
    }
    size_t from, to;
    if (prev < 0 && next < 0) {
        from = o->start + 1;   /* the only item: leave "{}" or "[]" */
        to = o->end - 1;
    } else if (next < 0) {
        from = doc->nodes[prev].end;   /* last: drop ",<ws>item" */
        to = m->end;
    } else {
        from = item_start(m);          /* first or middle: drop "item,<ws>" */
        to = item_start(&doc->nodes[next]);
    }
    buf_reset(out);
    return buf_append(out, doc->text, from) ||
           buf_append(out, doc->text + to, doc->len - to) ? -1 : 0;
}

int settings_doc_remove_member(const struct settings_doc *doc, int member, struct buf *out)
{
    return settings_doc_remove_item(doc, member, out);
}

int settings_doc_element(const struct settings_doc *doc, int arr, size_t k)
{
    size_t seen = 0;
    for (size_t i = (size_t)arr + 1; i < doc->n && doc->nodes[i].start < doc->nodes[arr].end; i++)
        if (doc->nodes[i].parent == arr && seen++ == k)
            return (int)i;
    return -1;
}

int settings_doc_replace(const struct settings_doc *doc, int node, const json_t *value,
                         struct buf *out)
{
    const struct settings_node *m = &doc->nodes[node];
    buf_reset(out);
    return buf_append(out, doc->text, m->start) || settings_doc_dump(doc, value, m->depth, out) ||
           buf_append(out, doc->text + m->end, doc->len - m->end) ? -1 : 0;
}

int settings_doc_append_element(const struct settings_doc *doc, int arr, const json_t *value,
                                struct buf *out)
{
    const struct settings_node *o = &doc->nodes[arr];
    int last = -1;
    for (size_t i = (size_t)arr + 1; i < doc->n && doc->nodes[i].start < o->end; i++)
        if (doc->nodes[i].parent == arr)
            last = (int)i;
    int depth = o->depth + 1;
    buf_reset(out);
    if (last >= 0) {
        const struct settings_node *l = &doc->nodes[last];
        size_t ws = l->start;
        while (ws > 0 && is_ws(doc->text[ws - 1]))
            ws--;
        return buf_append(out, doc->text, l->end) || buf_append(out, ",", 1) ||
               buf_append(out, doc->text + ws, l->start - ws) ||
               settings_doc_dump(doc, value, depth, out) ||
               buf_append(out, doc->text + l->end, doc->len - l->end) ? -1 : 0;
    }
    int rc = buf_append(out, doc->text, o->start + 1);
    if (rc == 0 && !doc->compact)
        rc = buf_append_str(out, doc->nl) || append_units(out, doc->unit, depth);
    if (rc == 0)
        rc = settings_doc_dump(doc, value, depth, out);
    if (rc == 0 && !doc->compact)
        rc = buf_append_str(out, doc->nl) || append_units(out, doc->unit, depth - 1);
    if (rc == 0)
        rc = buf_append(out, doc->text + o->end - 1, doc->len - (o->end - 1));
    return rc ? -1 : 0;
}
