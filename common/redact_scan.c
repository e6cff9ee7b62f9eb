/* redact_scan.c - secret scanners over text, by hand.  See redact_scan.h.
 *
 * Regular expressions would be the obvious tool, but POSIX regexec over
 * every string of every payload costs far more than the insert itself.
 * These scanners look at each word once, at its first byte (a known token
 * prefix's first letter, or '-' for PEM blocks and command-line options),
 * skip the rest of it with one table load per byte, and between words work
 * only at ':' and '=' (URLs and key=value pairs). */
#include "chronicle/redact_scan.h"

#include <string.h>

/* Character classes, one bit each. */
enum {
    C_ALNUM = 1,
    C_B64URL = 2, /* alnum _ - */
    C_HEX = 4,
    C_UPDIG = 8,  /* A-Z 0-9 */
    C_B64 = 16,   /* alnum + / = */
    C_IDENT = 32, /* alnum _ - . */
    C_TOKEN = 64, /* alnum - _ . ~ + / = (RFC 6750 b64token) */
};
#define C_DIGIT (C_ALNUM | C_B64URL | C_HEX | C_UPDIG | C_B64 | C_IDENT | C_TOKEN)
#define C_LOWER (C_ALNUM | C_B64URL | C_B64 | C_IDENT | C_TOKEN)
#define C_UPPER (C_LOWER | C_UPDIG)
static const unsigned char cls[256] = {
    ['0' ... '9'] = C_DIGIT,
    ['a' ... 'f'] = C_LOWER | C_HEX,
    ['g' ... 'z'] = C_LOWER,
    ['A' ... 'F'] = C_UPPER | C_HEX,
    ['G' ... 'Z'] = C_UPPER,
    ['_'] = C_B64URL | C_IDENT | C_TOKEN,
    ['-'] = C_B64URL | C_IDENT | C_TOKEN,
    ['.'] = C_IDENT | C_TOKEN,
    ['+'] = C_B64 | C_TOKEN,
    ['/'] = C_B64 | C_TOKEN,
    ['='] = C_B64 | C_TOKEN,
    ['~'] = C_TOKEN,
};

/* What the first byte of a word may start: a token, or (a dash) an option
 * or a PEM block. */
enum { T_WORD = 1, T_DASH };
static const unsigned char trigger[256] = {
    ['s'] = T_WORD, ['r'] = T_WORD, ['w'] = T_WORD, ['A'] = T_WORD, ['g'] = T_WORD,
    ['x'] = T_WORD, ['e'] = T_WORD, ['B'] = T_WORD, ['b'] = T_WORD, ['n'] = T_WORD,
    ['h'] = T_WORD, ['S'] = T_WORD, ['d'] = T_WORD, ['p'] = T_WORD,
    ['-'] = T_DASH,
};

static int is(unsigned char c, int mask) { return (cls[c] & mask) != 0; }

static size_t run_of(const char *s, size_t i, size_t n, int mask)
{
    size_t j = i;
    while (j < n && is((unsigned char)s[j], mask))
        j++;
    return j - i;
}

static int has_prefix(const char *s, size_t i, size_t n, const char *p, size_t k)
{
    return i + k <= n && memcmp(s + i, p, k) == 0;
}
#define HAS(s, i, n, lit) has_prefix(s, i, n, lit, sizeof lit - 1)

static int has_prefix_ci(const char *s, size_t i, size_t n, const char *p)
{
    size_t k = strlen(p);
    return i + k <= n && strncasecmp(s + i, p, k) == 0;
}

/* Word start: not inside a run of token characters.  "\n", "\t" and "\r"
 * written as JSON escapes (raw payloads) separate words too. */
static int word_start(const char *s, size_t i)
{
    if (i == 0 || !is((unsigned char)s[i - 1], C_B64URL))
        return 1;
    return i >= 2 && s[i - 2] == '\\' && strchr("ntr", s[i - 1]) != NULL;
}

static int found(struct redact_match *m, size_t start, size_t end, const char *kind)
{
    *m = (struct redact_match){start, end, kind};
    return 1;
}

/* ---- names ------------------------------------------------------------ */

static inline int ends_with(const char *s, size_t n, const char *w, size_t k)
{
    return n >= k && memcmp(s + n - k, w, k) == 0;
}

/* s (lower-cased, separators kept) ends with a separator and w. */
static inline int sep_suffix(const char *s, size_t n, const char *w, size_t k)
{
    return n > k && (s[n - k - 1] == '_' || s[n - k - 1] == '-' || s[n - k - 1] == '.') &&
           memcmp(s + n - k, w, k) == 0;
}

/* The rules of redact_name_is_secret, chosen by the last letter, so that a
 * name costs a few comparisons (every JSON key goes through here):
 * END the normalised name ends with it, IS it is it, SEP the lower-cased
 * name ends with a separator and it. */
#define END(w) ends_with(norm, nn, w, sizeof w - 1)
#define IS(w) (nn == sizeof w - 1 && memcmp(norm, w, nn) == 0)
#define SEP(w) sep_suffix(low, nl, w, sizeof w - 1)
static int secret_by_last_letter(const char *norm, size_t nn, const char *low, size_t nl)
{
    switch (norm[nn - 1]) {
    case 'd': return END("password") || END("passwd") || SEP("pwd");
    case 'n': return END("token") || END("authorization") || IS("pin") || SEP("pin");
    case 't': return END("secret");
    case 'l': return END("credential");
    case 's': return END("credentials") || IS("pass") || SEP("pass");
    case 'e': return END("passphrase") || END("cookie") || END("signature") || END("passcode");
    case 'h': return IS("auth") || SEP("auth");
    case 'g': return IS("sig");
    case 'p': return IS("otp");
    case 'w': return SEP("pw");
    case 'y': /* public keys are not secrets */
        return !END("publickey") && (END("apikey") || END("accesskey") || END("privatekey") ||
                                     END("sessionkey") || END("accountkey") || SEP("key"));
    default: return 0;
    }
}
#undef END
#undef IS
#undef SEP

int redact_name_is_secret(const char *name, size_t n)
{
    char low[64], norm[64];
    size_t nl = 0, nn = 0;
    if (n > sizeof low) {
        name += n - sizeof low;
        n = sizeof low;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        low[nl++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        if (c != '_' && c != '-' && c != '.')
            norm[nn++] = low[nl - 1];
    }
    /* "tokens" and "*_id" names (input_tokens, tool_use_id) end with no
     * secret word, and are left alone. */
    return nn >= 3 && secret_by_last_letter(norm, nn, low, nl);
}

/* ---- tokens with a known prefix ---------------------------------------- */

/* prefix, then a run of class mask of at least min characters; exact: the
 * run is exactly min long and no letter or digit follows.  One table per
 * first letter, so a word start costs a handful of comparisons. */
struct prefix {
    const char *p;
    unsigned char plen, min, exact;
    unsigned char mask;
    const char *kind;
};
#define P(lit, min, exact, mask, kind) {lit, sizeof lit - 1, min, exact, mask, kind}
static const struct prefix pfx_s[] = {
    P("sk-", 20, 0, C_B64URL, "api_key"), /* Anthropic sk-ant-..., OpenAI sk-, sk-proj- */
    P("sk_live_", 16, 0, C_ALNUM, "stripe_key"), P("sk_test_", 16, 0, C_ALNUM, "stripe_key"),
    P("shpat_", 32, 0, C_HEX, "shopify_token"), P("shpss_", 32, 0, C_HEX, "shopify_token"),
    P("shpca_", 32, 0, C_HEX, "shopify_token"), P("shppa_", 32, 0, C_HEX, "shopify_token"),
};
static const struct prefix pfx_r[] = {
    P("rk_live_", 16, 0, C_ALNUM, "stripe_key"), P("rk_test_", 16, 0, C_ALNUM, "stripe_key"),
};
static const struct prefix pfx_w[] = {P("whsec_", 24, 0, C_ALNUM, "stripe_key")};
static const struct prefix pfx_A[] = {
    P("AKIA", 16, 1, C_UPDIG, "aws_access_key"), P("ASIA", 16, 1, C_UPDIG, "aws_access_key"),
    P("ABIA", 16, 1, C_UPDIG, "aws_access_key"), P("ACCA", 16, 1, C_UPDIG, "aws_access_key"),
    P("AIza", 35, 0, C_B64URL, "google_api_key"),
    P("AGE-SECRET-KEY-1", 50, 0, C_UPDIG, "age_secret_key"),
};
static const struct prefix pfx_g[] = {
    P("ghp_", 20, 0, C_ALNUM, "github_token"), P("gho_", 20, 0, C_ALNUM, "github_token"),
    P("ghu_", 20, 0, C_ALNUM, "github_token"), P("ghs_", 20, 0, C_ALNUM, "github_token"),
    P("ghr_", 20, 0, C_ALNUM, "github_token"), P("github_pat_", 20, 0, C_B64URL, "github_token"),
    P("glpat-", 20, 0, C_B64URL, "gitlab_token"), P("gldt-", 20, 0, C_B64URL, "gitlab_token"),
    P("glrt-", 20, 0, C_B64URL, "gitlab_token"), P("glptt-", 20, 0, C_B64URL, "gitlab_token"),
    P("glsoat-", 20, 0, C_B64URL, "gitlab_token"),
};
static const struct prefix pfx_x[] = {
    P("xoxa-", 10, 0, C_B64URL, "slack_token"), P("xoxb-", 10, 0, C_B64URL, "slack_token"),
    P("xoxp-", 10, 0, C_B64URL, "slack_token"), P("xoxr-", 10, 0, C_B64URL, "slack_token"),
    P("xoxs-", 10, 0, C_B64URL, "slack_token"), P("xoxe-", 10, 0, C_B64URL, "slack_token"),
};
static const struct prefix pfx_n[] = {P("npm_", 36, 0, C_ALNUM, "npm_token")};
static const struct prefix pfx_h[] = {P("hf_", 30, 0, C_ALNUM, "huggingface_token")};
static const struct prefix pfx_S[] = {
    P("SK", 32, 1, C_HEX, "twilio_api_key"), P("SG.", 60, 0, C_IDENT, "sendgrid_key"),
};
static const struct prefix pfx_d[] = {
    P("dop_v1_", 64, 0, C_HEX, "digitalocean_token"), P("doo_v1_", 64, 0, C_HEX, "digitalocean_token"),
    P("dor_v1_", 64, 0, C_HEX, "digitalocean_token"),
};
static const struct prefix pfx_p[] = {P("pypi-AgEIcHlwaS5vcmc", 30, 0, C_B64URL, "pypi_token")};
#undef P

static int match_prefixed(const struct prefix *t, size_t count, const char *s, size_t i, size_t n,
                          struct redact_match *m)
{
    for (const struct prefix *p = t; p < t + count; p++) {
        if (i + p->plen > n || s[i + 1] != p->p[1] || memcmp(s + i, p->p, p->plen) != 0)
            continue;
        size_t body = i + p->plen, len = run_of(s, body, n, p->mask);
        if (len < p->min)
            continue;
        if (p->exact && (len != p->min || (body + len < n && is((unsigned char)s[body + len], C_ALNUM))))
            continue;
        return found(m, i, body + len, p->kind);
    }
    return 0;
}
#define PREFIXED(t) match_prefixed(t, sizeof t / sizeof t[0], s, i, n, m)

static int match_jwt(const char *s, size_t i, size_t n, struct redact_match *m)
{
    size_t a = run_of(s, i, n, C_B64URL);
    if (a < 10 || i + a >= n || s[i + a] != '.')
        return 0;
    size_t b = run_of(s, i + a + 1, n, C_B64URL);
    if (b < 10 || i + a + 1 + b >= n || s[i + a + 1 + b] != '.')
        return 0;
    size_t c = run_of(s, i + a + b + 2, n, C_B64URL);
    return found(m, i, i + a + b + 2 + c, "jwt");
}

static size_t skip_spaces(const char *s, size_t i, size_t n)
{
    while (i < n && s[i] == ' ')
        i++;
    return i;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Does the base64 text s[0..n) decode to something holding a ':'? */
static int b64_holds_colon(const char *s, size_t n)
{
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n && s[i] != '='; i++) {
        int v = b64_value((unsigned char)s[i]);
        if (v < 0)
            return 0;
        acc = (acc << 6 | (unsigned)v) & 0xFFFFFF;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (((acc >> bits) & 0xFF) == ':')
                return 1;
        }
    }
    return 0;
}

/* "Bearer <token>" anywhere; "Basic <base64 of user:password>" anywhere. */
static int match_auth_scheme(const char *s, size_t i, size_t n, struct redact_match *m)
{
    if (has_prefix_ci(s, i, n, "bearer ")) {
        size_t k = skip_spaces(s, i + 7, n), len = run_of(s, k, n, C_TOKEN);
        return len >= 8 && found(m, k, k + len, "bearer_token");
    }
    if (has_prefix_ci(s, i, n, "basic ")) {
        size_t k = skip_spaces(s, i + 6, n), len = run_of(s, k, n, C_B64);
        return len >= 8 && len % 4 == 0 && b64_holds_colon(s + k, len) &&
               found(m, k, k + len, "basic_auth");
    }
    return 0;
}

static int match_token(const char *s, size_t i, size_t n, struct redact_match *m)
{
    switch (s[i]) {
    case 'e': return HAS(s, i, n, "eyJ") && match_jwt(s, i, n, m);
    case 'B': case 'b': return match_auth_scheme(s, i, n, m);
    case 's': return PREFIXED(pfx_s);
    case 'r': return PREFIXED(pfx_r);
    case 'w': return PREFIXED(pfx_w);
    case 'A': return PREFIXED(pfx_A);
    case 'g': return PREFIXED(pfx_g);
    case 'x': return PREFIXED(pfx_x);
    case 'n': return PREFIXED(pfx_n);
    case 'h': return PREFIXED(pfx_h);
    case 'S': return PREFIXED(pfx_S);
    case 'd': return PREFIXED(pfx_d);
    case 'p': return PREFIXED(pfx_p);
    default: return 0;
    }
}

/* ---- PEM private keys ---------------------------------------------------- */

static const char *find(const char *s, size_t from, size_t to, const char *lit, size_t k)
{
    return from <= to ? memmem(s + from, to - from, lit, k) : NULL;
}

/* "-----BEGIN ... PRIVATE KEY...-----" to its END line, or to the end of
 * the text when the block was cut. */
static int match_pem(const char *s, size_t i, size_t n, struct redact_match *m)
{
    if (!HAS(s, i, n, "-----BEGIN "))
        return 0;
    const char *hdr_end = find(s, i + 11, n, "-----", 5);
    if (hdr_end == NULL || find(s, i, (size_t)(hdr_end - s), "PRIVATE KEY", 11) == NULL)
        return 0;
    size_t h = (size_t)(hdr_end - s) + 5, e = n;
    const char *end = find(s, h, n, "-----END ", 9);
    if (end != NULL) {
        const char *tail = find(s, (size_t)(end - s) + 9, n, "-----", 5);
        e = tail ? (size_t)(tail - s) + 5 : n;
    }
    return found(m, i, e, "private_key");
}

/* ---- command lines -------------------------------------------------------- */

/* Does the command before s[i] (back to a line or command separator, at
 * most 512 bytes) mention word? */
static int command_mentions(const char *s, size_t i, const char *word)
{
    size_t k = i, lim = i > 512 ? i - 512 : 0;
    while (k > lim && strchr("\n;|&", s[k - 1]) == NULL)
        k--;
    return find(s, k, i, word, strlen(word)) != NULL;
}

/* One shell word at s[v]: quoted ('...' or "...") or up to a blank or a
 * shell operator.  Returns its end; *start is after an opening quote. */
static size_t shell_word(const char *s, size_t v, size_t n, size_t *start)
{
    if (v < n && (s[v] == '\'' || s[v] == '"')) {
        const char *q = memchr(s + v + 1, s[v], n - v - 1);
        *start = v + 1;
        return q ? (size_t)(q - s) : n;
    }
    size_t e = v;
    while (e < n && strchr(" \t\r\n;|&)'\"`\\", s[e]) == NULL)
        e++;
    *start = v;
    return e;
}

/* A word "user:password" at s[v]: the password. */
static int user_password(const char *s, size_t v, size_t n, struct redact_match *m)
{
    size_t a, e = shell_word(s, v, n, &a);
    const char *colon = a < e ? memchr(s + a, ':', e - a) : NULL;
    if (colon == NULL || (size_t)(colon - s) + 1 >= e)
        return 0;
    return found(m, (size_t)(colon - s) + 1, e, "password");
}

static int option_value(const char *s, size_t v, size_t n, struct redact_match *m)
{
    size_t a, e = shell_word(s, v, n, &a);
    return e > a && s[a] != '-' && !HAS(s, a, n, "[REDACTED") && found(m, a, e, "password");
}

/* "--user u:p", "--password p", "--token t" (secret-named long options
 * followed by a blank; "--password=p" is a key=value pair). */
static int match_long_option(const char *s, size_t i, size_t n, struct redact_match *m)
{
    size_t name = i + 2, len = run_of(s, name, n, C_IDENT);
    size_t v = name + len;
    if (len == 0 || v >= n || (s[v] != ' ' && s[v] != '='))
        return 0;
    if (len == 4 && memcmp(s + name, "user", 4) == 0)
        return user_password(s, s[v] == '=' ? v + 1 : skip_spaces(s, v, n), n, m);
    return s[v] == ' ' && redact_name_is_secret(s + name, len) &&
           option_value(s, skip_spaces(s, v, n), n, m);
}

/* Short options whose argument is a password, in the commands that use
 * them: mysql -pPASS, sshpass -p PASS, docker login -p PASS, curl -u u:p. */
static int match_short_option(const char *s, size_t i, size_t n, struct redact_match *m)
{
    if (i + 2 > n)
        return 0;
    size_t v = i + 2;
    if (s[i + 1] == 'p') {
        if (v < n && s[v] != ' ' && (command_mentions(s, i, "mysql") || command_mentions(s, i, "mariadb") ||
                                     command_mentions(s, i, "sshpass")))
            return option_value(s, v, n, m);
        if (v < n && s[v] == ' ' && (command_mentions(s, i, "sshpass") || command_mentions(s, i, " login")))
            return option_value(s, skip_spaces(s, v, n), n, m);
        return 0;
    }
    if (s[i + 1] == 'u' && command_mentions(s, i, "curl"))
        return user_password(s, skip_spaces(s, v, n), n, m);
    return 0;
}

static int match_dash(const char *s, size_t i, size_t n, struct redact_match *m)
{
    if (i + 1 < n && s[i + 1] == '-')
        return match_pem(s, i, n, m) || match_long_option(s, i, n, m);
    return match_short_option(s, i, n, m);
}

/* ---- URLs ------------------------------------------------------------------ */

/* At "://": Slack webhooks (the path after /services/), and
 * "scheme://user:password@host" (the password). */
static int match_url(const char *s, size_t i, size_t n, struct redact_match *m)
{
    if (!HAS(s, i, n, "://"))
        return 0;
    size_t k = i + 3, colon = 0;
    if (HAS(s, k, n, "hooks.slack.com/")) {
        size_t p = k + 16;
        size_t w = HAS(s, p, n, "services/") ? 9 : HAS(s, p, n, "workflows/") ? 10
                 : HAS(s, p, n, "triggers/") ? 9 : 0;
        size_t len = w ? run_of(s, p + w, n, C_B64URL | C_B64) : 0;
        return len >= 8 && found(m, p + w, p + w + len, "slack_webhook");
    }
    while (k < n && strchr("@/ \n\"'\\", s[k]) == NULL) {
        if (s[k] == ':' && colon == 0)
            colon = k;
        k++;
    }
    return k < n && s[k] == '@' && colon != 0 && k > colon + 1 &&
           found(m, colon + 1, k, "url_password");
}

/* ---- key = value, key: value --------------------------------------------------- */

/* The identifier ending just before s[i] ("KEY =", "\"key\":", "'key' :",
 * "\\\"key\\\":"), as [*start, return).  0 length when there is none. */
static size_t name_before(const char *s, size_t i, size_t *start)
{
    size_t k = i;
    while (k > 0 && s[k - 1] == ' ')
        k--;
    if (k > 0 && (s[k - 1] == '"' || s[k - 1] == '\'')) {
        k--;
        while (k > 0 && s[k - 1] == '\\') /* a quote escaped in raw or nested JSON */
            k--;
    }
    size_t end = k;
    while (k > 0 && is((unsigned char)s[k - 1], C_IDENT))
        k--;
    *start = k;
    return end - k;
}

/* Value terminators: for Azure connection strings only ';' and blanks end a
 * value (base64 holds '=', '+', '/'); otherwise also ',', '&', brackets.  A
 * backslash ends one only before n, r, t or a quote: in a raw payload or in
 * nested JSON those are escapes, in decoded text a backslash is rarely
 * followed by them (C:\Users and p\ss stay whole). */
static int ends_value(const char *s, size_t e, size_t n, int azure)
{
    unsigned char c = (unsigned char)s[e];
    if (c == '\\')
        return e + 1 < n && strchr("nrt\"", s[e + 1]) != NULL && s[e + 1] != '\0';
    if (c == '\n' || c == '\r' || c == ' ' || c == '\t' || c == ';' || c == '"' || c == '\'')
        return 1;
    return !azure && (c == ',' || c == '&' || c == '}' || c == ')');
}

/* The end of a quoted value opened at s[v] by esc backslashes and a quote:
 * the same quote behind the same number of backslashes, or the line's end. */
static size_t quoted_end(const char *s, size_t v, size_t n, char quote, size_t esc)
{
    for (size_t e = v; e < n; e++) {
        if (s[e] == '\n')
            return e;
        if (s[e] != quote)
            continue;
        size_t b = 0;
        while (b < e - v && s[e - 1 - b] == '\\')
            b++;
        if (b == esc)
            return e - esc;
    }
    return n;
}

static const char *azure_kind(const char *name, size_t len)
{
    if ((len == 10 && strncasecmp(name, "AccountKey", 10) == 0) ||
        (len == 15 && strncasecmp(name, "SharedAccessKey", 15) == 0))
        return "azure_key";
    if (len == 21 && strncasecmp(name, "SharedAccessSignature", 21) == 0)
        return "azure_sas";
    return NULL;
}

/* The value after the separator at s[i]: [*start, return), quotes excluded. */
static size_t value_after(const char *s, size_t i, size_t n, int azure, size_t *start)
{
    size_t v = skip_spaces(s, i + 1, n);
    /* "Authorization: Bearer xyz": the scheme stays, the credential goes. */
    if (has_prefix_ci(s, v, n, "bearer ") || has_prefix_ci(s, v, n, "basic "))
        v = skip_spaces(s, v + (s[v] == 'b' || s[v] == 'B' ? 7 : 6), n);
    if (azure && has_prefix_ci(s, v, n, "SharedAccessSignature "))
        v += 22;
    size_t esc = 0;
    while (v + esc < n && s[v + esc] == '\\')
        esc++;
    if (v + esc < n && (s[v + esc] == '"' || s[v + esc] == '\'')) {
        char quote = s[v + esc];
        *start = v + esc + 1;
        return quoted_end(s, *start, n, quote, esc);
    }
    size_t e = v;
    while (e < n && !ends_value(s, e, n, azure))
        e++;
    *start = v;
    return e;
}

/* Just past the bracket that closes the one at s[v], or the end of the text
 * (a raw head cut inside it). */
static size_t bracket_end(const char *s, size_t v, size_t n)
{
    size_t depth = 0;
    for (size_t e = v; e < n; e++) {
        if (s[e] == '{' || s[e] == '[')
            depth++;
        else if ((s[e] == '}' || s[e] == ']') && --depth == 0)
            return e + 1;
    }
    return n;
}

/* Values that hold no secret, though a secret name precedes them: code
 * ("have_key = 1;", "token: null") and shell variables ("$DB_PASS",
 * "${TOKEN}"); anything shorter than 3 bytes.  Leaving them keeps source
 * code readable at no risk. */
static int is_placeholder(const char *v, size_t n)
{
    static const char *const words[] = {"true", "false", "null", "None", "nil", "NULL", "undefined"};
    if (n < 3)
        return 1;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == n && memcmp(v, words[i], n) == 0)
            return 1;
    size_t a = v[0] == '$' ? (n > 1 && v[1] == '{' ? 2 : 1) : 0, b = n - (a == 2 && v[n - 1] == '}');
    if (a == 0 || a >= b)
        return 0;
    for (size_t i = a; i < b; i++)
        if (!is((unsigned char)v[i], C_ALNUM) && v[i] != '_')
            return 0;
    return 1;
}

/* At '=' or ':' : "name = value" where the name names a secret. */
static int match_assignment(const char *s, size_t i, size_t n, struct redact_match *m)
{
    if (s[i] == '=' && ((i + 1 < n && s[i + 1] == '=') || (i > 0 && strchr("=!<>", s[i - 1]))))
        return 0; /* a comparison */
    if (s[i] == ':' && i + 1 < n && s[i + 1] == ':') /* "Foo::Token" is code, not a pair */
        return 0;
    size_t k, len = name_before(s, i, &k);
    if (len == 0)
        return 0;
    const char *azure = azure_kind(s + k, len);
    if (azure == NULL && !redact_name_is_secret(s + k, len))
        return 0;
    size_t v, e = value_after(s, i, n, azure != NULL, &v);
    if (v < n && (s[v] == '{' || s[v] == '['))
        e = bracket_end(s, v, n); /* "credentials": [...] in text: all of it */
    if (e <= v || HAS(s, v, n, "[REDACTED") || is_placeholder(s + v, e - v))
        return 0;
    return found(m, v, e, azure ? azure : "secret");
}

/* A token, option or PEM block starting at s[i], the start of a word. */
static int at_word(const char *s, size_t i, size_t n, struct redact_match *m)
{
    switch (trigger[(unsigned char)s[i]]) {
    case T_WORD: return match_token(s, i, n, m);
    case T_DASH: return match_dash(s, i, n, m);
    default: return 0;
    }
}

/* Word by word: a word (a run of letters, digits, '_' and '-') is looked at
 * once, at its start, then skipped in a tight loop; between words only ':'
 * and '=' do work. */
int redact_scan_next(const char *s, size_t from, size_t n, struct redact_match *m)
{
    size_t i = from;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (is(c, C_B64URL)) {
            if ((i != from || word_start(s, i)) && at_word(s, i, n, m))
                return 1;
            /* "\nghp_...": a word right after a JSON escape's letter. */
            if (i > 0 && s[i - 1] == '\\' && (c == 'n' || c == 't' || c == 'r') && i + 1 < n &&
                at_word(s, i + 1, n, m))
                return 1;
            for (i++; i < n && is((unsigned char)s[i], C_B64URL); i++)
                ;
            continue;
        }
        if (c == ':' && (match_url(s, i, n, m) || match_assignment(s, i, n, m)))
            return 1;
        if (c == '=' && match_assignment(s, i, n, m))
            return 1;
        i++;
    }
    return 0;
}
