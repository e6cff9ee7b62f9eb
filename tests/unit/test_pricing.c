/* Unit tests: the shipped price table parses; longest-prefix matching;
 * unknown models unpriced; costs computed from hand-checked figures. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "chronicle/pricing.h"

static void shipped_table(struct check *c)
{
    struct pricing p;
    char err[256];
    CHECK_INT(c, pricing_load(&p, "share/pricing.tsv", err, sizeof err), 0);
    CHECK(c, p.n >= 8);
    CHECK_STR(c, p.written, "2026-11-27");
    const struct price *o45 = pricing_find(&p, "claude-opus-4-5-20251101");
    CHECK(c, o45 != NULL && strcmp(o45->prefix, "claude-opus-4-5") == 0);
    const struct price *o4 = pricing_find(&p, "claude-opus-4-20250514");
    CHECK(c, o4 != NULL && strcmp(o4->prefix, "claude-opus-4") == 0);
    CHECK_INT(c, pricing_find(&p, "claude-experimental-9"), NULL);
    CHECK_INT(c, pricing_find(&p, NULL), NULL);
    /* The session-a fixture's msg_A1 on Opus 4.5: 10 in, 50 out, 100 cache
     * write, 200 cache read = (50 + 1250 + 625 + 100) / 1e6 USD. */
    CHECK(c, fabs(pricing_cost(o45, 10, 50, 100, 200) - 0.002025) < 1e-12);
    pricing_free(&p);
}

static void bad_lines_named(struct check *c)
{
    char path[] = "/tmp/chronicle-pricing-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("# ok\nclaude-x 1 2 3 4\nclaude-y 1 2 three 4\n", f);
    fclose(f);
    struct pricing p;
    char err[256];
    CHECK_INT(c, pricing_load(&p, path, err, sizeof err), -1);
    CHECK(c, strstr(err, ":3: expected") != NULL);
    unlink(path);
    CHECK_INT(c, pricing_load(&p, "/nonexistent/pricing.tsv", err, sizeof err), -1);
}

CHECK_MAIN(CASE(shipped_table), CASE(bad_lines_named))
