/*
 * dashboard_gate.h - the door of the dashboard's page ("/", "/index.html")
 * when the server has a token, in the way Jupyter does it:
 *
 *   /?token=T  the right token: 303 to the same URL without it, setting
 *              the cookie chronicle_token_<port> (HttpOnly, SameSite=Strict,
 *              Path=/), so that the token leaves the address bar and the
 *              history at once; the page's fetch() and WebSocket calls then
 *              carry the cookie by themselves.  A wrong token: the sign-in
 *              page, saying so.
 *   /          with the cookie (or a bearer header): the dashboard;
 *              without: the sign-in page, a short static page (401) saying
 *              how to get the link (`chronicle open`), not a blank screen.
 *
 * The scripts and styles under /assets/ hold no data and stay open.
 */
#ifndef CHRONICLE_DASHBOARD_GATE_H
#define CHRONICLE_DASHBOARD_GATE_H

#include "server.h"

/* For a request of the dashboard's page: 1 when it was answered here (the
 * redirect or the sign-in page), 0 when the page may be served. */
int dashboard_gate(struct http_ctx *hc);

#endif
