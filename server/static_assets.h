/*
 * static_assets.h - the dashboard's files (the files in dashboard/ and Chart.js) embedded
 * in chronicle-server at build time by scripts/embed-assets.sh, which
 * generates $(BUILD)/gen/dashboard_assets.c.  Read-only data with static
 * storage: nothing here is allocated, nobody frees anything.
 */
#ifndef CHRONICLE_STATIC_ASSETS_H
#define CHRONICLE_STATIC_ASSETS_H

#include <stddef.h>

struct static_asset {
    const char *path;          /* URL path: "/index.html", "/assets/app.js" */
    const char *content_type;  /* with charset for text */
    const unsigned char *data; /* len bytes (followed by a NUL not counted) */
    size_t len;
    const char *etag;          /* strong ETag, quotes included: "\"0123abcd...\"" */
};

/* The generated table and its length. */
extern const struct static_asset dashboard_assets[];
extern const size_t dashboard_assets_count;

/*
 * The asset served at URL path, or NULL.  "/" is "/index.html".  Only exact
 * matches: no directory traversal, no file system access at run time.
 */
const struct static_asset *static_asset_find(const char *path);

/*
 * 1 if an If-None-Match header value names etag (a list of entity tags, or
 * "*"; weak tags W/"..." match too, as RFC 9110 says for If-None-Match).
 * NULL header: 0.
 */
int static_asset_etag_matches(const char *if_none_match, const char *etag);

#endif
