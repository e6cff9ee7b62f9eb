/* fingerprints.c - per-row hashes of what chronicle-ship committed.  See
 * fingerprints.h. */
#include "fingerprints.h"

#include <stdlib.h>
#include <string.h>

uint64_t fp_mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ULL; /* FNV-1a */
    return h;
}

uint64_t fp_mix_str(uint64_t h, const char *s)
{
    return s ? fp_mix(h, s, strlen(s) + 1) : fp_mix(h, "\xff", 1);
}

/* Where key is, or the empty slot where it would go.  Needs cap > 0 and a
 * table at most half full (so an empty slot exists). */
static struct fingerprint *slot(struct fingerprints *t, uint64_t key)
{
    for (size_t i = key & (t->cap - 1);; i = (i + 1) & (t->cap - 1))
        if (t->map[i].key == key || t->map[i].key == 0)
            return &t->map[i];
}

static int grow(struct fingerprints *t, size_t first_cap)
{
    size_t cap = t->cap ? t->cap * 2 : first_cap;
    struct fingerprint *old = t->map, *m = calloc(cap, sizeof *m);
    if (m == NULL)
        return -1;
    size_t oldcap = t->cap;
    t->map = m;
    t->cap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].key)
            *slot(t, old[i].key) = old[i];
    free(old);
    return 0;
}

struct fingerprint *fingerprints_find(struct fingerprints *t, uint64_t key)
{
    if (t->cap == 0)
        return NULL;
    struct fingerprint *f = slot(t, key);
    return f->key == key ? f : NULL;
}

int fingerprints_put(struct fingerprints *t, uint64_t key, uint64_t value, uint32_t pass,
                     size_t first_cap)
{
    if ((t->n + 1) * 2 > t->cap && grow(t, first_cap) != 0)
        return -1;
    struct fingerprint *f = slot(t, key);
    if (f->key == 0)
        t->n++;
    *f = (struct fingerprint){key, value, pass};
    return 0;
}

void fingerprints_clear(struct fingerprints *t)
{
    if (t->map)
        memset(t->map, 0, t->cap * sizeof *t->map);
    t->n = 0;
}

void fingerprints_free(struct fingerprints *t)
{
    free(t->map);
    memset(t, 0, sizeof *t);
}

int fp_page_add(struct fp_page *p, uint64_t key, uint64_t value, size_t first_cap)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : first_cap;
        uint64_t *k = realloc(p->key, cap * sizeof *k);
        if (k == NULL)
            return -1;
        p->key = k;
        uint64_t *v = realloc(p->value, cap * sizeof *v);
        if (v == NULL)
            return -1;
        p->value = v;
        p->cap = cap;
    }
    p->key[p->n] = key;
    p->value[p->n++] = value;
    return 0;
}

void fp_page_free(struct fp_page *p)
{
    free(p->key);
    free(p->value);
    memset(p, 0, sizeof *p);
}

void fingerprints_commit_page(struct fingerprints *t, struct fp_page *p, uint32_t pass,
                              size_t first_cap)
{
    for (size_t i = 0; i < p->n; i++)
        if (fingerprints_put(t, p->key[i], p->value[i], pass, first_cap) != 0)
            break;
    p->n = 0;
}
