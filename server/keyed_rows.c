/*
 * keyed_rows.c - a growing array of rows found by a string key (keyed_rows.h).
 */
#include "keyed_rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *keyed_rows_at(const struct keyed_rows *t, size_t i)
{
    return (char *)t->v + i * t->row_size;
}

static char *key_of(const struct keyed_rows *t, size_t i)
{
    return (char *)keyed_rows_at(t, i) + t->key_off;
}

void *keyed_rows_find(struct keyed_rows *t, const char *key)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(key_of(t, i), key) == 0)
            return keyed_rows_at(t, i);
    return NULL;
}

void *keyed_rows_add(struct keyed_rows *t, const char *key)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        void *v = realloc(t->v, cap * t->row_size);
        if (v == NULL) {
            t->oom = 1;
            return NULL;
        }
        t->v = v;
        t->cap = cap;
    }
    void *row = keyed_rows_at(t, t->n++);
    memset(row, 0, t->row_size);
    snprintf(key_of(t, t->n - 1), t->key_size, "%s", key);
    return row;
}

void *keyed_rows_get(struct keyed_rows *t, const char *key)
{
    void *row = keyed_rows_find(t, key);
    return row != NULL ? row : keyed_rows_add(t, key);
}

void keyed_rows_free(struct keyed_rows *t)
{
    free(t->v);
    t->v = NULL;
    t->n = t->cap = 0;
}
