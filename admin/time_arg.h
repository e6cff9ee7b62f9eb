/*
 * time_arg.h - the time arguments of `chronicle export` (--since/--until).
 *
 * Accepted: RFC 3339 ("2026-11-27T05:00:00Z", "...+02:00", fractional
 * seconds allowed); a local date or date-time without zone
 * ("2026-11-27", "2026-11-27T05:00", "2026-11-27 05:00:00"); a duration
 * before now ("90s", "30m", "24h", "7d"); "@SECONDS" since the epoch.
 */
#ifndef CHRONICLE_ADMIN_TIME_ARG_H
#define CHRONICLE_ADMIN_TIME_ARG_H

#include <stdint.h>

/* Parses text into ns since the epoch; now_ns anchors durations.
 * 0, or -1 when text is none of the forms above. */
int time_arg_parse(const char *text, int64_t now_ns, int64_t *out_ns);

#endif
