/* http_guard.c - Host, Origin and bearer-token checks. */
#include "http_guard.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int guard_is_loopback(const char *host)
{
    if (strcasecmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
        return 1;
    struct in_addr a;
    if (inet_pton(AF_INET, host, &a) == 1)
        return (ntohl(a.s_addr) >> 24) == 127;
    return 0;
}

/* Splits a Host value into its name: "[::1]:80" -> "::1", "a.b:80" -> "a.b".
 * 0 on success, -1 when malformed or too long. */
static int host_name(const char *value, char *out, size_t outlen)
{
    const char *start = value, *end;
    if (*value == '[') {
        start = value + 1;
        end = strchr(start, ']');
        if (end == NULL || (end[1] != '\0' && end[1] != ':'))
            return -1;
    } else {
        end = strchr(value, ':');
        if (end == NULL)
            end = value + strlen(value);
        else if (strchr(end + 1, ':') != NULL)
            return -1; /* a bare IPv6 address must be bracketed */
    }
    size_t n = (size_t)(end - start);
    if (n == 0 || n >= outlen)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)start[i];
        if (c <= ' ' || c >= 0x7f || c == '/' || c == '@' || c == ',')
            return -1;
    }
    memcpy(out, start, n);
    out[n] = '\0';
    /* A trailing dot names the same host ("localhost.") */
    if (n > 1 && out[n - 1] == '.')
        out[n - 1] = '\0';
    return 0;
}

static int in_list(const char *name, const char *list)
{
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        while (n > 0 && *p == ' ') { p++; n--; }
        while (n > 0 && p[n - 1] == ' ') n--;
        if (n > 0 && strlen(name) == n && strncasecmp(name, p, n) == 0)
            return 1;
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

int guard_host_allowed(const char *host_header, const char *bind, const char *allowed)
{
    char name[256];
    if (host_header == NULL || host_name(host_header, name, sizeof name) != 0)
        return 0;
    if (guard_is_loopback(name))
        return 1;
    if (bind != NULL && strcmp(bind, "0.0.0.0") != 0 && strcmp(bind, "::") != 0 &&
        strcasecmp(name, bind) == 0)
        return 1;
    return allowed != NULL && in_list(name, allowed);
}

int guard_origin_allowed(const char *origin, const char *bind, const char *allowed,
                         const char *cors_origin)
{
    if (origin == NULL)
        return 0;
    if (cors_origin != NULL && cors_origin[0] != '\0' && strcmp(origin, cors_origin) == 0)
        return 1;
    const char *p;
    if (strncasecmp(origin, "http://", 7) == 0)
        p = origin + 7;
    else if (strncasecmp(origin, "https://", 8) == 0)
        p = origin + 8;
    else
        return 0;
    if (strchr(p, '/') != NULL)
        return 0; /* an origin has no path */
    return guard_host_allowed(p, bind, allowed);
}

int guard_secret_equal(const char *given, const char *secret)
{
    size_t gl = strlen(given), sl = strlen(secret);
    unsigned char diff = gl != sl;
    /* Walk the secret's length whatever was given: the time taken says
     * nothing about how many leading bytes matched. */
    for (size_t i = 0; i < sl; i++)
        diff |= (unsigned char)(secret[i] ^ (i < gl ? given[i] : 0));
    return diff == 0;
}

int guard_bearer_ok(const char *authorization, const char *token)
{
    if (authorization == NULL || token == NULL || token[0] == '\0')
        return 0;
    if (strncasecmp(authorization, "Bearer ", 7) != 0)
        return 0;
    const char *given = authorization + 7;
    while (*given == ' ')
        given++;
    return guard_secret_equal(given, token);
}

int guard_cookie_encode(const char *token, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *t = (const unsigned char *)token; *t; t++) {
        int plain = (*t >= 'A' && *t <= 'Z') || (*t >= 'a' && *t <= 'z') ||
                    (*t >= '0' && *t <= '9') || *t == '-' || *t == '.' || *t == '_' || *t == '~';
        if (o + (plain ? 1 : 3) >= outlen)
            return -1;
        if (plain) {
            out[o++] = (char)*t;
        } else {
            out[o++] = '%';
            out[o++] = hex[*t >> 4];
            out[o++] = hex[*t & 15];
        }
    }
    if (o >= outlen)
        return -1;
    out[o] = '\0';
    return 0;
}

int guard_cookie_ok(const char *cookie_header, const char *name, const char *value)
{
    if (cookie_header == NULL || name == NULL || value == NULL || value[0] == '\0')
        return 0;
    size_t nl = strlen(name);
    int ok = 0;
    for (const char *p = cookie_header; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        size_t n = strcspn(p, ";");
        if (n > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            char given[1024];
            size_t vl = n - nl - 1;
            while (vl > 0 && (p[nl + 1 + vl - 1] == ' ' || p[nl + 1 + vl - 1] == '\t'))
                vl--; /* trailing white space before the next ';' */
            if (vl < sizeof given) {
                memcpy(given, p + nl + 1, vl);
                given[vl] = '\0';
                ok |= guard_secret_equal(given, value);
            }
        }
        p += n;
    }
    return ok;
}
