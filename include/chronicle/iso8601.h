/*
 * iso8601.h - ISO 8601 / RFC 3339 dates and date-times, one parser for
 * every program (the server's ?since=, the admin's --since).
 *
 * Accepted: "2026-01-31", "2026-01-31T12:00", "2026-01-31 12:00:05",
 * "...:05.123" (or ",123"; up to nanoseconds), followed by "Z", "+02:00",
 * "-0130" or nothing.  Years 1970 to 2261 (the last whose nanoseconds fit in
 * 64 bits); days checked against the month.  What a missing zone means is
 * the caller's choice (the server refuses it, the admin reads local time).
 * Plain data, nothing to free.
 */
#ifndef CHRONICLE_ISO8601_H
#define CHRONICLE_ISO8601_H

#include <stdint.h>

struct iso8601 {
    int year, month, day, hour, minute, second;
    int64_t frac_ns;
    int has_time;    /* a time of day was given */
    int has_zone;    /* "Z" or an offset was given */
    int offset_s;    /* the offset east of UTC, seconds */
};

/* Parses the whole of s.  0, or -1 when s is not one of the forms above. */
int iso8601_parse(const char *s, struct iso8601 *t);

/* Nanoseconds since the epoch of t read in its own offset (UTC when it has
 * none). */
int64_t iso8601_utc_ns(const struct iso8601 *t);

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * algorithm): timegm() would read the TZ database and accept junk. */
int64_t days_from_civil(int64_t y, int m, int d);
/* The inverse: the date of a day number. */
void civil_from_days(int64_t days, int *y, int *m, int *d);

#endif
