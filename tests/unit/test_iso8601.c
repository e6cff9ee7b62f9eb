/* test_iso8601.c - the one ISO 8601 parser (common/iso8601.c). */
#include "check.h"

#include "chronicle/iso8601.h"

static int64_t utc(const char *s)
{
    struct iso8601 t;
    return iso8601_parse(s, &t) == 0 ? iso8601_utc_ns(&t) : -1;
}

static void forms(struct check *c)
{
    CHECK_INT(c, utc("1970-01-01"), 0);
    CHECK_INT(c, utc("1970-01-01T00:00:01Z"), 1000000000LL);
    CHECK(c, utc("2026-01-31T12:00:00Z") == 1769860800LL * 1000000000LL);
    CHECK(c, utc("2026-01-31t12:00:00.5z") == 1769860800LL * 1000000000LL + 500000000);
    CHECK(c, utc("2026-01-31 12:00:00,25+01:00") == (1769860800LL - 3600) * 1000000000LL + 250000000);
    CHECK(c, utc("2026-01-31T12:00-0130") == (1769860800LL + 5400) * 1000000000LL);
    CHECK(c, utc("2026-01-31T12:00:00.1234567891Z") == 1769860800LL * 1000000000LL + 123456789);
    struct iso8601 t;
    CHECK(c, iso8601_parse("2026-01-31T12:00", &t) == 0 && t.has_time && !t.has_zone);
    CHECK(c, iso8601_parse("2026-01-31", &t) == 0 && !t.has_time && !t.has_zone);
}

static void refused(struct check *c)
{
    static const char *const bad[] = {
        "", "2026", "2026-1-31", "2026-02-30", "2025-02-29", "1969-12-31", "2262-01-01",
        "2026-13-01", "2026-01-31T24:00Z", "2026-01-31T12:60Z", "2026-01-31T12:00:61Z",
        "2026-01-31T12:00:00.Z", "2026-01-31T12Z", "2026-01-31T12:00+25:00", "2026-01-31Z",
        "2026-01-31T12:00:00Zjunk", "2026-01-31x",
    };
    struct iso8601 t;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (iso8601_parse(bad[i], &t) == 0) {
            fprintf(stderr, "  accepted '%s'\n", bad[i]);
            c->failures++;
        }
    }
    CHECK_INT(c, iso8601_parse("2024-02-29", &t), 0); /* leap day */
}

static void civil_days(struct check *c)
{
    CHECK_INT(c, days_from_civil(1970, 1, 1), 0);
    CHECK_INT(c, days_from_civil(2000, 3, 1), 11017);
    CHECK_INT(c, days_from_civil(1969, 12, 31), -1);
}

CHECK_MAIN(CASE(forms), CASE(refused), CASE(civil_days))
