/* test_ship_fingerprints - the shipper's per-row hash table
 * (collector/ship/fingerprints.c): find/put across growth, a page committed
 * after COMMIT, clear, and the key/value conventions (never 0). */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "fingerprints.h"

static void table_and_page(struct check *c)
{
    struct fingerprints t = {0};
    CHECK(c, fingerprints_find(&t, 42) == NULL);

    /* Enough keys to grow from 4 slots several times; keys that collide
     * in the low bits too (multiples of 64). */
    int ok = 1;
    for (uint64_t k = 1; k <= 1000; k++)
        ok &= fingerprints_put(&t, k * 64, k + 7, 3, 4) == 0;
    CHECK(c, ok);
    CHECK(c, t.n == 1000);
    CHECK(c, t.n * 2 <= t.cap);
    ok = 1;
    for (uint64_t k = 1; k <= 1000; k++) {
        const struct fingerprint *f = fingerprints_find(&t, k * 64);
        ok &= f != NULL && f->value == k + 7 && f->pass == 3;
    }
    CHECK(c, ok);
    CHECK(c, fingerprints_find(&t, 65) == NULL);
    CHECK(c, fingerprints_put(&t, 64, 99, 4, 4) == 0 && t.n == 1000 &&
                                    fingerprints_find(&t, 64)->value == 99);

    struct fp_page p = {0};
    ok = 1;
    for (uint64_t k = 1; k <= 100; k++)
        ok &= fp_page_add(&p, 100000 + k, k, 2) == 0;
    CHECK(c, ok && p.n == 100);
    fingerprints_commit_page(&t, &p, 5, 4);
    CHECK(c, p.n == 0);
    const struct fingerprint *f = fingerprints_find(&t, 100050);
    CHECK(c, f != NULL && f->value == 50 && f->pass == 5);
    CHECK(c, t.n == 1100);

    fingerprints_clear(&t);
    CHECK(c, t.n == 0 && fingerprints_find(&t, 64) == NULL);
    CHECK(c, t.cap > 0);

    CHECK(c, fp_nonzero(0) == 1 && fp_nonzero(5) == 5);
    CHECK(c, fp_mix_str(FP_BASIS, NULL) != fp_mix_str(FP_BASIS, ""));
    CHECK(c, fp_mix(FP_BASIS, "a", 1) == 0xaf63dc4c8601ec8cULL);

    fp_page_free(&p);
    fingerprints_free(&t);
    CHECK(c, t.map == NULL && t.cap == 0);
}

CHECK_MAIN(CASE(table_and_page))
