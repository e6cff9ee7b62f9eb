/*
 * http_guard.h - the request checks that protect a server on localhost from
 * other web pages and other users: Host allowlist (DNS rebinding), Origin
 * check for WebSocket upgrades (cross-site WebSocket hijacking), the bearer
 * token and the dashboard's cookie.  Pure functions over header values, so
 * they are unit-tested directly.
 */
#ifndef CHRONICLE_HTTP_GUARD_H
#define CHRONICLE_HTTP_GUARD_H

#include <stddef.h>

/* 1 if the address text names the loopback interface (127.0.0.0/8, ::1,
 * localhost). */
int guard_is_loopback(const char *host);

/*
 * 1 if a Host header value ("localhost:8510", "[::1]:8510", "127.0.0.1") is
 * acceptable: a loopback name, the bind address (unless a wildcard), or a
 * name in the comma-separated allowed list (case-insensitive, port ignored).
 * NULL or malformed values are refused.
 */
int guard_host_allowed(const char *host_header, const char *bind, const char *allowed);

/* 1 if an Origin header value ("http://localhost:3000") is acceptable for a
 * WebSocket: its host passes guard_host_allowed(), or it equals cors_origin
 * exactly.  "null" and malformed origins are refused. */
int guard_origin_allowed(const char *origin, const char *bind, const char *allowed,
                         const char *cors_origin);

/* 1 if "Bearer <token>" carries exactly token (constant time in the token's
 * length). */
int guard_bearer_ok(const char *authorization, const char *token);

/* Constant-time comparison of two NUL-terminated strings; 1 when equal. */
int guard_secret_equal(const char *given, const char *secret);

/* The dashboard's cookie value for a token: every byte outside
 * [A-Za-z0-9-._~] percent-encoded, so any token is a valid cookie-octet
 * string.  0, or -1 when out (outlen bytes) is too small. */
int guard_cookie_encode(const char *token, char *out, size_t outlen);

/* 1 if a Cookie header value ("a=1; chronicle_token_8510=v") holds a cookie
 * called name whose value is value (compared in constant time).  A name may
 * appear more than once (cookies of several paths): any may match. */
int guard_cookie_ok(const char *cookie_header, const char *name, const char *value);

#endif
