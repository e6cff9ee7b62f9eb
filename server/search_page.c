/* search_page.c - cursor and snippet shapes of /api/search.  See search_page.h. */
#include "search_page.h"

#include <errno.h>
#include <stdlib.h>

#include "json_text.h"

int search_cursor_parse(const char *s, int64_t *event_below, int64_t *reply_below)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    long long a = strtoll(s, &end, 10);
    if (errno != 0 || *end != '.' || end[1] < '0' || end[1] > '9')
        return -1;
    long long b = strtoll(end + 1, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *event_below = a;
    *reply_below = b;
    return 0;
}

int search_snippet_json(struct buf *b, const char *s, size_t n)
{
    int bad = buf_append(b, "[", 1);
    size_t seg = 0, items = 0;
    int in_hit = 0;
    struct buf part = BUF_INIT; /* the current item, markers out of turn left out */
    for (size_t i = 0; i <= n && !bad; i++) {
        int end = i == n;
        if (!end && s[i] != SEARCH_HIT_OPEN && s[i] != SEARCH_HIT_CLOSE)
            continue;
        bad |= buf_append(&part, s + seg, i - seg);
        seg = i + 1;
        if (!end && (s[i] == SEARCH_HIT_OPEN) == in_hit)
            continue; /* out of turn: cannot come from snippet(); dropped */
        if (!end || part.len > 0 || in_hit) {
            bad |= (items ? buf_append(b, ",", 1) : 0) |
                   jt_str(b, part.data ? part.data : "", part.len);
            items++;
        }
        buf_reset(&part);
        if (!end)
            in_hit = s[i] == SEARCH_HIT_OPEN;
    }
    buf_free(&part);
    bad |= buf_append(b, "]", 1);
    return bad ? -1 : 0;
}
