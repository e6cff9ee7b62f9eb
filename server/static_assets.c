/*
 * static_assets.c - lookup in the embedded dashboard files (the table is
 * generated: see scripts/embed-assets.sh) and the If-None-Match test.
 * Pure functions, unit-tested in tests/unit/test_static_assets.c.
 */
#include "static_assets.h"

#include <string.h>

const struct static_asset *static_asset_find(const char *path)
{
    if (path == NULL)
        return NULL;
    if (strcmp(path, "/") == 0)
        path = "/index.html";
    /* A dozen entries: a linear scan costs less than any index. */
    for (size_t i = 0; i < dashboard_assets_count; i++)
        if (strcmp(dashboard_assets[i].path, path) == 0)
            return &dashboard_assets[i];
    return NULL;
}

int static_asset_etag_matches(const char *inm, const char *etag)
{
    if (inm == NULL || etag == NULL)
        return 0;
    size_t elen = strlen(etag);
    const char *p = inm;
    while (*p != '\0') {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        if (*p == '*')
            return 1;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        if (*p == '\0')
            break;
        const char *end = p;
        /* One entity tag: "..." (no commas inside by RFC 9110's grammar). */
        if (*end == '"') {
            end = strchr(end + 1, '"');
            if (end == NULL)
                return 0;
            end++;
        } else {
            while (*end != '\0' && *end != ',' && *end != ' ' && *end != '\t')
                end++;
        }
        if ((size_t)(end - p) == elen && memcmp(p, etag, elen) == 0)
            return 1;
        p = end > p ? end : p + 1; /* end == p only on a separator: step over it */
    }
    return 0;
}
