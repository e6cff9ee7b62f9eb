/*
 * pricing.h - token prices per model, from an editable data file
 * (share/pricing.tsv: "model_prefix input output cache_write cache_read",
 * USD per million tokens, '#' comments).
 *
 * A model is priced by the longest prefix its id starts with; a model that
 * matches none is unpriced (pricing_find returns NULL): Chronicle never
 * guesses.  The table is plain data owned by the caller; pricing_free()
 * releases it.
 */
#ifndef CHRONICLE_PRICING_H
#define CHRONICLE_PRICING_H

#include <stddef.h>
#include <stdint.h>

struct price {
    char prefix[64];
    double input, output, cache_write, cache_read; /* USD per million tokens */
};

struct pricing {
    struct price *v;
    size_t n;
    char written[32]; /* the "Written YYYY-MM-DD" date from the file, or "" */
};

/* Loads path.  0, or -1 with "FILE:LINE: ..." in err. */
int pricing_load(struct pricing *p, const char *path, char *err, size_t errlen);
void pricing_free(struct pricing *p);

/*
 * Loads the table a daemon uses: $CHRONICLE_PRICING, else the installed
 * copy next to the running binary (bin/../share/chronicle/pricing.tsv),
 * else the source tree's (build/../share/pricing.tsv).  0 with the file
 * used in path_out; -1 with err when none loads (costs are then unknown).
 */
int pricing_load_default(struct pricing *p, char *path_out, size_t path_cap, char *err,
                         size_t errlen);

/* The price of model, or NULL when unpriced. */
const struct price *pricing_find(const struct pricing *p, const char *model);

/* Cost in USD of the given token counts at price pr. */
double pricing_cost(const struct price *pr, int64_t input, int64_t output, int64_t cache_write,
                    int64_t cache_read);

#endif
