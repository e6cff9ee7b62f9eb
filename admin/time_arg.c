/* time_arg.c - parse --since/--until values. */
#include "time_arg.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    *out = now_ns - (int64_t)(v * unit) * 1000000000LL;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (no time zone). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int time_arg_parse(const char *text, int64_t now_ns, int64_t *out_ns)
{
    if (text[0] == '@') {
        char *end;
        errno = 0;
        long long v = strtoll(text + 1, &end, 10);
        if (errno || end == text + 1 || *end || v < 0 || v > INT64_MAX / 1000000000LL)
            return -1;
        *out_ns = (int64_t)v * 1000000000LL;
        return 0;
    }
    if (parse_duration(text, now_ns, out_ns) == 0)
        return 0;
    int y, mo, d, h = 0, mi = 0, n = 0;
    double sec = 0;
    if (sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return -1;
    const char *p = text + 10;
    if (*p == 'T' || *p == ' ') {
        int k = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &k) != 2 || k != 5)
            return -1;
        p += 1 + k;
        if (*p == ':') {
            char *end;
            sec = strtod(p + 1, &end);
            if (end == p + 1 || sec < 0 || sec >= 61)
                return -1;
            p = end;
        }
    }
    /* 2261: the last year whose nanoseconds fit in 64 bits. */
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || y < 1970 || y > 2261)
        return -1;
    int64_t whole = (int64_t)sec;
    int64_t frac_ns = (int64_t)((sec - (double)whole) * 1e9 + 0.5);
    if (*p == '\0') {
        /* No zone: the user's local time, as they read clocks. */
        struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                        .tm_min = mi, .tm_sec = (int)whole, .tm_isdst = -1};
        time_t t = mktime(&tm);
        if (t == (time_t)-1)
            return -1;
        *out_ns = (int64_t)t * 1000000000LL + frac_ns;
        return 0;
    }
    int64_t offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om, k = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &k) != 2 || k != 5 || oh > 23 || om > 59)
            return -1;
        offset = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 1 + k;
    }
    if (*p != '\0')
        return -1;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + whole - offset;
    *out_ns = secs * 1000000000LL + frac_ns;
    return 0;
}
