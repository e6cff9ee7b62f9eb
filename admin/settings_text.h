/*
 * settings_text.h - edits of a JSON document that keep every byte outside
 * the edited value: formatting, key order, number spellings and unusual
 * whitespace of a settings file survive an install/uninstall round trip.
 *
 * A document is parsed into a flat list of nodes (one per JSON value) with
 * their byte spans; an edit replaces, inserts or removes one object member
 * and returns a new text.  Callers re-parse after each edit.
 *
 * Ownership: settings_doc_parse() allocates doc->nodes (and keys);
 * settings_doc_free() releases them.  Edit results go to a caller's buf.
 */
#ifndef CHRONICLE_ADMIN_SETTINGS_TEXT_H
#define CHRONICLE_ADMIN_SETTINGS_TEXT_H

#include <jansson.h>
#include <stddef.h>

#include "chronicle/buf.h"

struct settings_node {
    int parent;            /* index of the enclosing container, -1 for the root */
    int is_object;         /* container kinds; scalars have both 0 */
    int is_array;
    char *key;             /* decoded member name when the parent is an object, else NULL */
    size_t key_start;      /* offset of the key's opening quote */
    size_t key_end;        /* offset just past the key's closing quote */
    size_t start, end;     /* the value's span [start, end) */
    int depth;             /* 0 for the root value */
};

struct settings_doc {
    const char *text;      /* borrowed */
    size_t len;
    struct settings_node *nodes;
    size_t n, cap;
    /* Layout guessed from the root object, used for inserted text. */
    char unit[32];         /* one level of indentation, e.g. "  " or "\t" */
    int compact;           /* members on one line: inserted values are too */
    char nl[3];            /* the file's line ending, "\n" or "\r\n" */
};

/* Parses text.  0, or -1 with a reason in err (offset of the bad byte). */
int settings_doc_parse(struct settings_doc *doc, const char *text, size_t len, char *err,
                       size_t errlen);
void settings_doc_free(struct settings_doc *doc);

/* Index of the member named key of object node obj, or -1. */
int settings_doc_member(const struct settings_doc *doc, int obj, const char *key);

/*
 * The three edits.  Each writes the whole new document to out (reset
 * first) and returns 0, or -1 on ENOMEM / a failed dump.
 *   set:    replaces the value of member `key` of object obj, or appends the
 *           member when absent (after the last member, copying its spacing);
 *   remove: deletes member node `member` with its separating comma, so that
 *           remove after an appending set gives back the original bytes.
 */
int settings_doc_set_member(const struct settings_doc *doc, int obj, const char *key,
                            const json_t *value, struct buf *out);
int settings_doc_remove_member(const struct settings_doc *doc, int member, struct buf *out);

/* The same for any node: */
/* k-th element of array node arr, or -1. */
int settings_doc_element(const struct settings_doc *doc, int arr, size_t k);
/* Replaces node's value, keeping the bytes around it. */
int settings_doc_replace(const struct settings_doc *doc, int node, const json_t *value,
                         struct buf *out);
/* Removes an array element or object member with its separating comma. */
int settings_doc_remove_item(const struct settings_doc *doc, int item, struct buf *out);
/* Appends an element to array node arr, copying the last element's spacing. */
int settings_doc_append_element(const struct settings_doc *doc, int arr, const json_t *value,
                                struct buf *out);

/* Serialises value as it would be written at nesting depth `depth` of doc. */
int settings_doc_dump(const struct settings_doc *doc, const json_t *value, int depth,
                      struct buf *out);

#endif
