/*
 * redact_scan.h - the text scanners behind redact.c: where the next secret in
 * a piece of text is, and whether a name (JSON key, variable, option) names
 * a secret.  docs/REDACTION.md lists every kind with an example.
 *
 * Pure functions over borrowed bytes: nothing is allocated or kept.
 */
#ifndef CHRONICLE_REDACT_SCAN_H
#define CHRONICLE_REDACT_SCAN_H

#include <stddef.h>

/* Bytes [start, end) of the text are a secret of this kind (a static
 * string, the NAME in "[REDACTED:NAME]"). */
struct redact_match {
    size_t start, end;
    const char *kind;
};

/*
 * Finds the first secret at or after s[from] (s holds n bytes, any bytes,
 * NULs included).  1 with *m filled (m->end > m->start), or 0.
 */
int redact_scan_next(const char *s, size_t from, size_t n, struct redact_match *m);

/*
 * 1 if an identifier names a secret: lower-cased, without '_', '-' and '.',
 * it ends with password, token, secret, apikey, ... or is pin, pass, auth,
 * sig, otp; or it ends with a separator and pass, pwd, key, secret, token,
 * credentials, pin, auth (DB_PASS, MYSQL_PWD, STRIPE_KEY).  Only the last 64
 * bytes of a longer name are looked at.
 */
int redact_name_is_secret(const char *name, size_t n);

#endif
