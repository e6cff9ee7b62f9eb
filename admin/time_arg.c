/* time_arg.c - parse --since/--until values. */
#include "time_arg.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chronicle/clock.h"
#include "chronicle/iso8601.h"

static int parse_duration(const char *s, int64_t now_ns, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || v < 0 || end[0] == '\0' || end[1] != '\0')
        return -1;
    long long unit;
    switch (*end) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: return -1;
    }
    if (v > 100LL * 365 * 86400 / unit)
        return -1;
    *out = now_ns - (int64_t)(v * unit) * NS_PER_S;
    return 0;
}

int time_arg_parse(const char *text, int64_t now_ns, int64_t *out_ns)
{
    if (text[0] == '@') {
        char *end;
        errno = 0;
        long long v = strtoll(text + 1, &end, 10);
        if (errno || end == text + 1 || *end || v < 0 || v > INT64_MAX / NS_PER_S)
            return -1;
        *out_ns = (int64_t)v * NS_PER_S;
        return 0;
    }
    if (parse_duration(text, now_ns, out_ns) == 0)
        return 0;
    struct iso8601 t;
    if (iso8601_parse(text, &t) != 0)
        return -1;
    if (!t.has_zone) {
        /* No zone: the user's local time, as they read clocks. */
        struct tm tm = {.tm_year = t.year - 1900, .tm_mon = t.month - 1, .tm_mday = t.day,
                        .tm_hour = t.hour, .tm_min = t.minute, .tm_sec = t.second,
                        .tm_isdst = -1};
        time_t secs = mktime(&tm);
        if (secs == (time_t)-1)
            return -1;
        *out_ns = (int64_t)secs * NS_PER_S + t.frac_ns;
        return 0;
    }
    *out_ns = iso8601_utc_ns(&t);
    return 0;
}
