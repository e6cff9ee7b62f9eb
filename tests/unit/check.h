/*
 * check.h - the smallest test harness that does the job.
 *
 * Each test is a function taking a struct check *.  CHECK records a failure
 * with file:line and the expression, and the test goes on (so one run shows
 * every broken assertion); CHECK_INT and CHECK_STR also print the value got
 * and the value wanted.  check_main() prints one "PASS name" or
 * "FAIL name" line per test, which tests/run.sh counts, and exits non-zero
 * when any failed.
 */
#ifndef CHRONICLE_TEST_CHECK_H
#define CHRONICLE_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

struct check {
    int failures;
};

struct check_case {
    const char *name;
    void (*fn)(struct check *c);
};

#define CHECK(c, cond)                                                              \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
            (c)->failures++;                                                        \
        }                                                                           \
    } while (0)

#define CHECK_STR(c, got, want)                                                     \
    do {                                                                            \
        const char *g_ = (got), *w_ = (want);                                       \
        if (g_ == NULL || strcmp(g_, w_) != 0) {                                    \
            fprintf(stderr, "  %s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
                    g_ ? g_ : "(null)", w_);                                        \
            (c)->failures++;                                                        \
        }                                                                           \
    } while (0)

/* Integers of any type, compared as long long; prints both on failure
 * (libevent's tt_int_op). */
#define CHECK_INT(c, got, want)                                                     \
    do {                                                                            \
        long long g_ = (long long)(got), w_ = (long long)(want);                    \
        if (g_ != w_) {                                                             \
            fprintf(stderr, "  %s:%d: %s is %lld, want %lld\n", __FILE__, __LINE__,   \
                    #got, g_, w_);                                                  \
            (c)->failures++;                                                        \
        }                                                                           \
    } while (0)

#define CASE(fn) {#fn, fn}

static inline int check_main(const struct check_case *cases, size_t n)
{
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        struct check c = {0};
        cases[i].fn(&c);
        printf("%s %s\n", c.failures ? "FAIL" : "PASS", cases[i].name);
        fflush(stdout);
        failed += c.failures != 0;
    }
    return failed ? 1 : 0;
}

#define CHECK_MAIN(...)                                                             \
    int main(void)                                                                  \
    {                                                                               \
        static const struct check_case cases_[] = {__VA_ARGS__};                    \
        return check_main(cases_, sizeof cases_ / sizeof cases_[0]);                \
    }

#endif
