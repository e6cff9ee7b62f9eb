/* iso8601.c - ISO 8601 / RFC 3339 parsing.  See iso8601.h. */
#include "chronicle/iso8601.h"

#include <string.h>

#include "chronicle/clock.h"

int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/* ".123" or ",123": up to nine digits count, more are read and ignored. */
static int fraction(const char **p, int64_t *ns)
{
    if (**p != '.' && **p != ',')
        return 0;
    (*p)++;
    if (**p < '0' || **p > '9')
        return -1;
    int64_t scale = 100000000;
    for (int i = 0; **p >= '0' && **p <= '9'; i++, (*p)++) {
        if (i < 9) {
            *ns += (**p - '0') * scale;
            scale /= 10;
        }
    }
    return 0;
}

static int zone(const char **p, struct iso8601 *t)
{
    if (**p == 'Z' || **p == 'z') {
        (*p)++;
        t->has_zone = 1;
    } else if (**p == '+' || **p == '-') {
        int sign = *(*p)++ == '-' ? -1 : 1, oh, om;
        if (digits(p, 2, &oh))
            return -1;
        if (**p == ':')
            (*p)++;
        if (digits(p, 2, &om) || oh > 23 || om > 59)
            return -1;
        t->offset_s = sign * (oh * 3600 + om * 60);
        t->has_zone = 1;
    }
    return 0;
}

int iso8601_parse(const char *s, struct iso8601 *t)
{
    const char *p = s;
    memset(t, 0, sizeof *t);
    if (digits(&p, 4, &t->year) || *p++ != '-' || digits(&p, 2, &t->month) || *p++ != '-' ||
        digits(&p, 2, &t->day))
        return -1;
    if (t->year < 1970 || t->year > 2261 || t->month < 1 || t->month > 12 || t->day < 1 ||
        t->day > days_in_month(t->year, t->month))
        return -1;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        t->has_time = 1;
        if (digits(&p, 2, &t->hour) || *p++ != ':' || digits(&p, 2, &t->minute))
            return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &t->second) || fraction(&p, &t->frac_ns) != 0)
                return -1;
        }
        if (t->hour > 23 || t->minute > 59 || t->second > 60)
            return -1;
        if (zone(&p, t) != 0)
            return -1;
    }
    return *p == '\0' ? 0 : -1;
}

int64_t iso8601_utc_ns(const struct iso8601 *t)
{
    int64_t secs = days_from_civil(t->year, t->month, t->day) * 86400 + t->hour * 3600 +
                   t->minute * 60 + t->second - t->offset_s;
    return secs * NS_PER_S + t->frac_ns;
}
