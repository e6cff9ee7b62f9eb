/*
 * static_serve.h - answers GET/HEAD for the embedded dashboard ("/" and
 * "/assets/...", see server/static_assets.h).
 */
#ifndef CHRONICLE_STATIC_SERVE_H
#define CHRONICLE_STATIC_SERVE_H

#include "server.h"

/*
 * If path names an embedded asset, answers the request (200, 304, or an
 * error) and returns 1; otherwise returns 0 and sends nothing.  Applies the
 * same Host check as the API (DNS rebinding).  The page itself needs the
 * token (dashboard_gate.h: ?token= for a cookie, else a sign-in page); the
 * scripts and styles hold no data and need nothing.
 */
int static_serve(struct http_ctx *hc, const char *path);

#endif
