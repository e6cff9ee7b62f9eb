/*
 * keyed_rows.h - a growing array of fixed-size rows, each found by a string
 * key the row itself holds: the per-group sums of GET /api/usage and
 * GET /api/cost in team mode (a project's, a model's, a user's spend).
 *
 * Lookup is a linear search: a group is a project, model, user, machine or
 * day, a few dozen per answer, fewer than a hash table would pay for.  The
 * array doubles from 16 rows.
 *
 * Ownership: struct keyed_rows owns its one allocation, v (every row);
 * keyed_rows_free() releases it.  A row pointer stays valid only until the
 * next keyed_rows_add() / keyed_rows_get() (which may move the array).
 */
#ifndef CHRONICLE_KEYED_ROWS_H
#define CHRONICLE_KEYED_ROWS_H

#include <stddef.h>

struct keyed_rows {
    void *v;         /* n rows of row_size bytes (owned) */
    size_t n, cap;
    size_t row_size; /* sizeof the row type */
    size_t key_off;  /* where in a row its key, a char array, starts */
    size_t key_size; /* and its size: a longer key is cut to it */
    int oom;         /* an add failed for want of memory */
};

/* An empty array of rows of type `type`, whose key is its char array `key`. */
#define KEYED_ROWS_INIT(type)                                                           \
    {                                                                                   \
        .row_size = sizeof(type), .key_off = offsetof(type, key),                       \
        .key_size = sizeof(((type *)0)->key)                                            \
    }

/* The row whose key is `key`, or NULL. */
void *keyed_rows_find(struct keyed_rows *t, const char *key);
/* A new row, all zero bytes but for its key; NULL and t->oom set on ENOMEM. */
void *keyed_rows_add(struct keyed_rows *t, const char *key);
/* keyed_rows_find(), else keyed_rows_add(). */
void *keyed_rows_get(struct keyed_rows *t, const char *key);
/* Row i, i < t->n. */
void *keyed_rows_at(const struct keyed_rows *t, size_t i);
void keyed_rows_free(struct keyed_rows *t);

#endif
