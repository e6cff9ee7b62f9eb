/* config.c - defaults, environment overrides and the directory layout. */
#include "chronicle/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FIELD(f) offsetof(struct chronicle_config, f)

static const struct config_setting settings[] = {
    {"CHRONICLE_SEND_TIMEOUT_MS", "sender: wait this long for the collector's commit ack, then spool",
     250, 1, 60000, FIELD(send_timeout_ms), 0},
    {"CHRONICLE_STDIN_TIMEOUT_MS", "sender: wait this long for the hook payload on stdin",
     1000, 1, 60000, FIELD(stdin_timeout_ms), 0},
    {"CHRONICLE_MAX_PAYLOAD_BYTES", "sender: payloads above this have their largest strings cut",
     1 << 20, 4096, 256L << 20, FIELD(max_payload), 0},
    {"CHRONICLE_MAX_STDIN_BYTES", "sender: read at most this much from stdin",
     64L << 20, 4096, 1L << 30, FIELD(max_stdin), 0},
    {"CHRONICLE_RAW_CAP_BYTES", "sender: bytes of an invalid payload kept",
     64 << 10, 0, 16L << 20, FIELD(raw_cap), 0},
    {"CHRONICLE_MAX_FRAME_BYTES", "collector: largest frame accepted from a client",
     16L << 20, 4096, 1L << 30, FIELD(max_frame), 0},
    {"CHRONICLE_BATCH_MAX", "collector: events per transaction at most",
     1024, 1, 1000000, FIELD(batch_max), 0},
    {"CHRONICLE_QUEUE_MAX_BYTES", "collector: stop reading clients beyond this uncommitted backlog",
     64L << 20, 1L << 20, 4L << 30, FIELD(queue_max_bytes), 0},
    {"CHRONICLE_REDACT", "collector: redact secrets before storing (1/0)",
     1, 0, 1, FIELD(redact), 1},
    {"CHRONICLE_RETENTION_DAYS", "collector: delete events older than this many days (0 = keep all)",
     90, 0, 36500, FIELD(retention_days), 0},
    {"CHRONICLE_RETENTION_CHECK_S", "collector: rest between two expiry passes over the events, seconds",
     300, 1, 86400, FIELD(retention_check_s), 0},
    {"CHRONICLE_RETENTION_MAX_MB", "collector: delete the oldest events while the database is larger (0 = no limit)",
     0, 0, 1L << 24, FIELD(retention_max_mb), 0},
    {"CHRONICLE_PORT", "server: TCP port to listen on",
     8510, 1, 65535, FIELD(port), 0},
    {"CHRONICLE_MAX_CONNECTIONS", "server: HTTP and WebSocket connections held at once",
     1024, 4, 65536, FIELD(max_connections), 0},
    {"CHRONICLE_WS_MAX_CLIENTS", "server: WebSocket clients at once",
     1000, 1, 65536, FIELD(ws_max_clients), 0},
    {"CHRONICLE_WS_CLIENT_BUFFER_BYTES", "server: output queued to one WebSocket client before it is slow",
     4L << 20, 64L << 10, 1L << 30, FIELD(ws_client_buffer), 0},
    {"CHRONICLE_WS_TOTAL_BUFFER_BYTES", "server: output queued to all WebSocket clients together",
     64L << 20, 1L << 20, 4L << 30, FIELD(ws_total_buffer), 0},
    {"CHRONICLE_WS_REPLAY_MAX", "server: events replayed to a resuming WebSocket client before a gap",
     5000, 0, 1000000, FIELD(ws_replay_max), 0},
    {"CHRONICLE_HTTP_TIMEOUT_S", "server: idle and slow-client timeout of a connection",
     30, 1, 3600, FIELD(http_timeout_s), 0},
    {"CHRONICLE_HEARTBEAT_S", "server: WebSocket heartbeat period",
     15, 1, 3600, FIELD(heartbeat_s), 0},
    {"CHRONICLE_IDLE_AFTER_S", "server: a session with no event for this long is idle",
     600, 1, 86400 * 30, FIELD(idle_after_s), 0},
    /* Alerts (collector/alert_engine.c, docs/ALERTS.md). */
    {"CHRONICLE_ALERT_AWAITING", "alerts: a session waiting for a person (1/0)",
     1, 0, 1, FIELD(alert_awaiting), 1},
    {"CHRONICLE_ALERT_AWAITING_AFTER_S", "alerts: fire 'awaiting' once a session has waited this long",
     20, 0, 86400, FIELD(alert_awaiting_after_s), 0},
    {"CHRONICLE_ALERT_FAILED", "alerts: StopFailure or a burst of tool errors (1/0)",
     1, 0, 1, FIELD(alert_failed), 1},
    {"CHRONICLE_ALERT_TOOL_ERRORS", "alerts: tool errors in one session that make a burst (0 = off)",
     5, 0, 1000, FIELD(alert_tool_errors), 0},
    {"CHRONICLE_ALERT_TOOL_ERRORS_WINDOW_S", "alerts: ... within this many seconds",
     60, 1, 86400, FIELD(alert_tool_errors_window_s), 0},
    {"CHRONICLE_ALERT_BUDGET", "alerts: spend crossed a budget, or is on course to (1/0)",
     1, 0, 1, FIELD(alert_budget), 1},
    {"CHRONICLE_ALERT_ENDED_UNEXPECTEDLY", "alerts: a working session's Claude Code process is gone (1/0)",
     1, 0, 1, FIELD(alert_ended_unexpectedly), 1},
    {"CHRONICLE_ALERT_BUDGET_CHECK_S", "alerts: spend is summed against the budgets this often",
     15, 1, 3600, FIELD(alert_budget_check_s), 0},
    {"CHRONICLE_WEBHOOK_TIMEOUT_S", "alerts: one webhook POST may take this long",
     10, 1, 300, FIELD(webhook_timeout_s), 0},
    {"CHRONICLE_WEBHOOK_MAX_ATTEMPTS", "alerts: attempts per notification before giving up",
     10, 1, 100, FIELD(webhook_max_attempts), 0},
    {"CHRONICLE_WEBHOOK_RETRY_BASE_MS", "alerts: first retry after this, doubling to 5 minutes",
     1000, 10, 600000, FIELD(webhook_retry_base_ms), 0},
    {"CHRONICLE_ALERT_QUEUE_MAX", "alerts: undelivered notifications kept at most (oldest give up)",
     1000, 1, 1000000, FIELD(alert_queue_max), 0},
    {"CHRONICLE_DESKTOP_NOTIFY", "alerts: notify-send when a desktop session exists (1/0)",
     1, 0, 1, FIELD(desktop_notify), 1},
};

/* The string settings: copied verbatim; too long is an error, never a cut. */
struct config_string {
    const char *env;
    size_t offset, size;
    const char *def;
};

#define SFIELD(f) offsetof(struct chronicle_config, f), sizeof(((struct chronicle_config *)0)->f)

static const struct config_string string_settings[] = {
    {"CHRONICLE_BIND", SFIELD(bind), "127.0.0.1"},
    /* Alerts (docs/ALERTS.md); webhook URLs are printed as origins only. */
    {"CHRONICLE_WEBHOOK_URL", SFIELD(webhook_url), ""},
    {"CHRONICLE_WEBHOOK_FORMAT", SFIELD(webhook_format), "auto"},
    {"CHRONICLE_DASHBOARD_URL", SFIELD(dashboard_url), ""},
    {"CHRONICLE_TOKEN", SFIELD(token), ""},
    {"CHRONICLE_ALLOWED_HOSTS", SFIELD(allowed_hosts), ""},
    {"CHRONICLE_CORS_ORIGIN", SFIELD(cors_origin), ""},
    {"CHRONICLE_REDACT_PATTERN", SFIELD(redact_pattern), ""},
    {"CHRONICLE_SHIP_TO", SFIELD(ship_to), ""},
    {"CHRONICLE_DATABASE", SFIELD(database), ""},
    {"CHRONICLE_BUDGET_DAILY_USD", SFIELD(budget_daily_text), ""},
    {"CHRONICLE_BUDGET_MONTHLY_USD", SFIELD(budget_monthly_text), ""},
};

/* The dollar amount a budget text names: "" is none (-1); anything but a
 * finite number >= 0 is an error (-2). */
static double usd_value(const char *text)
{
    if (text[0] == '\0')
        return -1;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(v >= 0) || v > 1e12)
        return -2; /* !(v >= 0) also refuses NaN */
    return v;
}

/* The double a budget's text sets, or NULL for other strings. */
static double *usd_field(struct chronicle_config *cfg, size_t offset)
{
    if (offset == offsetof(struct chronicle_config, budget_daily_text))
        return &cfg->budget_daily_usd;
    if (offset == offsetof(struct chronicle_config, budget_monthly_text))
        return &cfg->budget_monthly_usd;
    return NULL;
}

const struct config_setting *config_settings(size_t *count)
{
    *count = sizeof settings / sizeof settings[0];
    return settings;
}

static void set_value(struct chronicle_config *cfg, const struct config_setting *s, long v)
{
    char *p = (char *)cfg + s->offset;
    if (s->is_bool)
        *(int *)p = (int)v;
    else
        *(long *)p = v;
}

long config_get(const struct chronicle_config *cfg, const struct config_setting *s)
{
    const char *p = (const char *)cfg + s->offset;
    return s->is_bool ? *(const int *)p : *(const long *)p;
}

/* Parses a decimal integer with an optional k/m/g suffix (powers of 1024),
 * or yes/no/true/false/on/off for booleans. */
static int parse_value(const char *text, int is_bool, long *out)
{
    if (is_bool) {
        static const char *yes[] = {"1", "yes", "true", "on"};
        static const char *no[] = {"0", "no", "false", "off"};
        for (size_t i = 0; i < 4; i++) {
            if (strcasecmp(text, yes[i]) == 0) { *out = 1; return 0; }
            if (strcasecmp(text, no[i]) == 0) { *out = 0; return 0; }
        }
        return -1;
    }
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text)
        return -1;
    long long mult = 1;
    if (*end == 'k' || *end == 'K') { mult = 1LL << 10; end++; }
    else if (*end == 'm' || *end == 'M') { mult = 1LL << 20; end++; }
    else if (*end == 'g' || *end == 'G') { mult = 1LL << 30; end++; }
    if (*end != '\0')
        return -1;
    if (v > (long long)(LONG_MAX / mult) || v < -(long long)(LONG_MAX / mult))
        return -1;
    *out = (long)(v * mult);
    return 0;
}

static int join(char *dst, const char *a, const char *b)
{
    int n = snprintf(dst, PATH_MAX, "%s/%s", a, b);
    return (n < 0 || n >= PATH_MAX) ? -1 : 0;
}

static int set_paths(struct chronicle_config *cfg, const char *home, char *err, size_t errlen)
{
    if (home == NULL || *home == '\0') {
        const char *user_home = getenv("HOME");
        if (user_home == NULL || *user_home != '/') {
            snprintf(err, errlen, "HOME is not set to an absolute path; set CHRONICLE_HOME");
            return -1;
        }
        int n = snprintf(cfg->home, sizeof cfg->home, "%s/.claude/chronicle", user_home);
        if (n < 0 || (size_t)n >= sizeof cfg->home) {
            snprintf(err, errlen, "HOME is too long");
            return -1;
        }
    } else {
        if (*home != '/') {
            snprintf(err, errlen, "CHRONICLE_HOME must be an absolute path, got '%s'", home);
            return -1;
        }
        if (strlen(home) >= sizeof cfg->home - 64) {
            snprintf(err, errlen, "CHRONICLE_HOME is too long");
            return -1;
        }
        strcpy(cfg->home, home);
    }
    /* A Unix socket path is limited to 107 bytes; say so now rather than
     * failing obscurely at bind/connect time. */
    if (join(cfg->socket_path, cfg->home, "collector.sock") != 0 ||
        strlen(cfg->socket_path) >= 108) {
        snprintf(err, errlen, "socket path %s/collector.sock is longer than 107 bytes; "
                 "choose a shorter CHRONICLE_HOME", cfg->home);
        return -1;
    }
    if (join(cfg->db_path, cfg->home, "chronicle.db") != 0 ||
        join(cfg->spool_dir, cfg->home, "spool") != 0 ||
        join(cfg->spool_tmp, cfg->spool_dir, "tmp") != 0 ||
        join(cfg->spool_bad, cfg->spool_dir, "corrupt") != 0 ||
        join(cfg->drop_file, cfg->home, "dropped") != 0) {
        snprintf(err, errlen, "CHRONICLE_HOME is too long");
        return -1;
    }
    return 0;
}

/* ---- the config file ------------------------------------------------ */

#define N_NUM (sizeof settings / sizeof settings[0])
#define N_STR (sizeof string_settings / sizeof string_settings[0])
#define IDX_HOME (N_NUM + N_STR)
#define FILE_MAX_BYTES (64 * 1024)

struct file_entry {
    const char *key, *value; /* into file_conf.text */
    int line;
};

struct file_conf {
    char *text; /* owned: the file, NUL-separated in place */
    struct file_entry e[CONFIG_MAX_SETTINGS];
    size_t n;
};

/* "CHRONICLE_SEND_TIMEOUT_MS" -> matches file key "send_timeout_ms". */
static int key_matches(const char *env, const char *key)
{
    const char *k = env + strlen("CHRONICLE_");
    for (; *k && *key; k++, key++)
        if (tolower((unsigned char)*k) != *key)
            return 0;
    return *k == '\0' && *key == '\0';
}

/* Index of the setting named by an env name or a file key, or -1. */
static int setting_index(const char *name)
{
    int env = strncmp(name, "CHRONICLE_", 10) == 0;
    for (size_t i = 0; i < N_NUM; i++)
        if (env ? strcmp(name, settings[i].env) == 0 : key_matches(settings[i].env, name))
            return (int)i;
    for (size_t i = 0; i < N_STR; i++)
        if (env ? strcmp(name, string_settings[i].env) == 0
                : key_matches(string_settings[i].env, name))
            return (int)(N_NUM + i);
    if (env ? strcmp(name, "CHRONICLE_HOME") == 0 : strcmp(name, "home") == 0)
        return (int)IDX_HOME;
    return -1;
}

static const char *env_name(size_t idx)
{
    return idx < N_NUM ? settings[idx].env : idx < IDX_HOME ? string_settings[idx - N_NUM].env
                                                              : "CHRONICLE_HOME";
}

static char *trim(char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    char *e = p + strlen(p);
    while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = '\0';
    return p;
}

static void config_file_path(struct chronicle_config *cfg)
{
    const char *explicit_path = getenv("CHRONICLE_CONFIG");
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    cfg->config_file[0] = '\0';
    if (explicit_path && *explicit_path)
        snprintf(cfg->config_file, sizeof cfg->config_file, "%s", explicit_path);
    else if (xdg && *xdg == '/')
        snprintf(cfg->config_file, sizeof cfg->config_file, "%s/chronicle/config", xdg);
    else if (home && *home == '/')
        snprintf(cfg->config_file, sizeof cfg->config_file, "%s/.config/chronicle/config", home);
}

/* "budget.<project>.daily_usd = X": a per-project daily budget (alerts). */
static int project_budget(struct chronicle_config *cfg, const char *key, const char *value,
                          int line, char *err, size_t errlen)
{
    const char *name = key + 7, *suffix = ".daily_usd";
    size_t n = strlen(name), sl = strlen(suffix);
    double v = usd_value(value);
    if (n <= sl || strcmp(name + n - sl, suffix) != 0 || n - sl >= sizeof cfg->project_budget[0].project) {
        snprintf(err, errlen, "%s:%d: expected 'budget.<project>.daily_usd', got '%.60s'",
                 cfg->config_file, line, key);
        return -1;
    }
    if (v < 0) {
        snprintf(err, errlen, "%s:%d: %s='%s': expected an amount of dollars", cfg->config_file,
                 line, key, value);
        return -1;
    }
    int i = 0;
    while (i < cfg->n_project_budgets &&
           !(strlen(cfg->project_budget[i].project) == n - sl &&
             strncmp(cfg->project_budget[i].project, name, n - sl) == 0))
        i++;
    if (i == CONFIG_MAX_PROJECT_BUDGETS) {
        snprintf(err, errlen, "%s:%d: more than %d project budgets", cfg->config_file, line,
                 CONFIG_MAX_PROJECT_BUDGETS);
        return -1;
    }
    memcpy(cfg->project_budget[i].project, name, n - sl);
    cfg->project_budget[i].project[n - sl] = '\0';
    cfg->project_budget[i].daily_usd = v;
    if (i == cfg->n_project_budgets)
        cfg->n_project_budgets++;
    return 0;
}

/* Reads and checks the file.  A missing file is not an error unless it was
 * named by CHRONICLE_CONFIG.  -1 with err on a bad line or unknown key. */
static int read_file(struct chronicle_config *cfg, struct file_conf *fc, char *err, size_t errlen)
{
    fc->n = 0;
    fc->text = NULL;
    config_file_path(cfg);
    if (cfg->config_file[0] == '\0')
        return 0;
    FILE *f = fopen(cfg->config_file, "re");
    if (f == NULL) {
        int named = getenv("CHRONICLE_CONFIG") && *getenv("CHRONICLE_CONFIG");
        if (errno == ENOENT && !named) {
            cfg->config_file[0] = '\0';
            return 0;
        }
        snprintf(err, errlen, "config file %s: %s", cfg->config_file, strerror(errno));
        return -1;
    }
    fc->text = malloc(FILE_MAX_BYTES + 1);
    size_t len = fc->text ? fread(fc->text, 1, FILE_MAX_BYTES + 1, f) : 0;
    fclose(f);
    if (fc->text == NULL || len > FILE_MAX_BYTES) {
        snprintf(err, errlen, "config file %s: %s", cfg->config_file,
                 fc->text ? "larger than 64 KiB" : "out of memory");
        return -1;
    }
    fc->text[len] = '\0';
    int line = 0;
    for (char *p = fc->text, *next; p != NULL && *p; p = next) {
        line++;
        next = strchr(p, '\n');
        if (next)
            *next++ = '\0';
        char *hash = strchr(p, '#');
        if (hash)
            *hash = '\0';
        char *t = trim(p);
        if (*t == '\0')
            continue;
        char *eq = strchr(t, '=');
        if (eq == NULL) {
            snprintf(err, errlen, "%s:%d: expected 'key = value', got '%.60s'", cfg->config_file,
                     line, t);
            return -1;
        }
        *eq = '\0';
        char *key = trim(t), *value = trim(eq + 1);
        size_t vl = strlen(value);
        if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
            value[vl - 1] = '\0';
            value++;
        }
        if (strncmp(key, "budget.", 7) == 0) {
            if (project_budget(cfg, key, value, line, err, errlen) != 0)
                return -1;
            continue;
        }
        if (setting_index(key) < 0 || strncmp(key, "CHRONICLE_", 10) == 0) {
            snprintf(err, errlen, "%s:%d: unknown key '%.60s' (chronicle-collector --print-config "
                     "lists them)", cfg->config_file, line, key);
            return -1;
        }
        if (fc->n == CONFIG_MAX_SETTINGS) {
            snprintf(err, errlen, "%s:%d: too many lines", cfg->config_file, line);
            return -1;
        }
        fc->e[fc->n++] = (struct file_entry){key, value, line};
    }
    return 0;
}

/* The value of setting idx and where it came from: environment, else the
 * file (last occurrence), else NULL (default). */
static const char *lookup(const struct file_conf *fc, size_t idx, struct config_origin *o)
{
    const char *v = getenv(env_name(idx));
    if (v != NULL && *v != '\0') {
        *o = (struct config_origin){CONFIG_ENV, 0};
        return v;
    }
    for (size_t i = fc->n; i-- > 0;) {
        if (setting_index(fc->e[i].key) == (int)idx) {
            *o = (struct config_origin){CONFIG_FILE, fc->e[i].line};
            return fc->e[i].value;
        }
    }
    *o = (struct config_origin){CONFIG_DEFAULT, 0};
    return NULL;
}

/* Where a bad value came from, for the error message. */
static void describe(const struct chronicle_config *cfg, size_t idx, const struct config_origin *o,
                     char *out, size_t outlen)
{
    if (o->kind == CONFIG_FILE) {
        char key[64];
        const char *env = env_name(idx) + 10;
        size_t i = 0;
        for (; env[i] && i < sizeof key - 1; i++)
            key[i] = (char)tolower((unsigned char)env[i]);
        key[i] = '\0';
        snprintf(out, outlen, "%s:%d: %s", cfg->config_file, o->line, key);
    } else {
        snprintf(out, outlen, "%s%s", env_name(idx), o->kind == CONFIG_FLAG ? " (flag)" : "");
    }
}

/* Parses and stores one value.  0, or -1 with err. */
static int apply(struct chronicle_config *cfg, size_t idx, const char *text,
                 const struct config_origin *o, char *err, size_t errlen)
{
    char where[PATH_MAX + 96];
    describe(cfg, idx, o, where, sizeof where);
    if (idx < N_NUM) {
        const struct config_setting *s = &settings[idx];
        long v;
        if (parse_value(text, s->is_bool, &v) != 0 || v < s->min || v > s->max) {
            if (s->is_bool)
                snprintf(err, errlen, "%s='%s': expected 1/0, yes/no, true/false or on/off", where,
                         text);
            else
                snprintf(err, errlen, "%s='%s': expected an integer from %ld to %ld", where, text,
                         s->min, s->max);
            return -1;
        }
        set_value(cfg, s, v);
    } else if (idx < IDX_HOME) {
        const struct config_string *s = &string_settings[idx - N_NUM];
        if (strlen(text) >= s->size) {
            snprintf(err, errlen, "%s is longer than %zu bytes", where, s->size - 1);
            return -1;
        }
        double *usd = usd_field(cfg, s->offset);
        if (usd != NULL) {
            double v = usd_value(text);
            if (v == -2) {
                snprintf(err, errlen, "%s='%s': expected an amount in US dollars, 0 or more "
                         "(e.g. 25 or 12.50), or empty for none", where, text);
                return -1;
            }
            *usd = v;
        }
        strcpy((char *)cfg + s->offset, text);
    } else if (set_paths(cfg, text, err, errlen) != 0) {
        return -1;
    }
    cfg->origin[idx] = *o;
    return 0;
}

int config_load(struct chronicle_config *cfg, char *err, size_t errlen)
{
    int rc = 0;
    /* Every field is assigned below; only the paths need a defined empty
     * value in case set_paths() fails.  (A memset of the ~30 KB struct was
     * a third of chronicle-send's instructions.) */
    cfg->home[0] = cfg->socket_path[0] = cfg->db_path[0] = cfg->spool_dir[0] = '\0';
    cfg->spool_tmp[0] = cfg->spool_bad[0] = cfg->drop_file[0] = '\0';
    cfg->n_project_budgets = 0; /* budget.<project>.daily_usd lines (read_file) */
    err[0] = '\0';
    memset(cfg->origin, 0, sizeof cfg->origin);
    for (size_t i = 0; i < N_NUM; i++)
        set_value(cfg, &settings[i], settings[i].def);
    for (size_t i = 0; i < N_STR; i++)
        strcpy((char *)cfg + string_settings[i].offset, string_settings[i].def);
    cfg->budget_daily_usd = cfg->budget_monthly_usd = -1;

    struct file_conf fc;
    char msg[PATH_MAX + 256];
    if (read_file(cfg, &fc, msg, sizeof msg) != 0) {
        snprintf(err, errlen, "%s", msg);
        rc = -1;
        fc.n = 0; /* a broken file contributes nothing */
    }
    for (size_t i = 0; i < IDX_HOME; i++) {
        struct config_origin o;
        const char *text = lookup(&fc, i, &o);
        if (text != NULL && apply(cfg, i, text, &o, msg, sizeof msg) != 0 && rc == 0) {
            snprintf(err, errlen, "%s", msg);
            rc = -1;
        }
    }
    if (strcmp(cfg->webhook_format, "auto") != 0 && strcmp(cfg->webhook_format, "json") != 0 &&
        strcmp(cfg->webhook_format, "slack") != 0 && strcmp(cfg->webhook_format, "discord") != 0 &&
        strcmp(cfg->webhook_format, "ntfy") != 0 && rc == 0) {
        snprintf(err, errlen, "CHRONICLE_WEBHOOK_FORMAT='%s': expected auto, json, slack, discord "
                 "or ntfy", cfg->webhook_format);
        rc = -1;
    }
    struct config_origin o;
    const char *home = lookup(&fc, IDX_HOME, &o);
    cfg->home_source = (enum config_source)o.kind;
    cfg->origin[IDX_HOME] = o;
    int prc = set_paths(cfg, home, msg, sizeof msg);
    free(fc.text);
    if (prc != 0) {
        snprintf(err, errlen, "%s", msg);
        return -1;
    }
    return rc;
}

int config_set(struct chronicle_config *cfg, const char *key, const char *value, char *err,
               size_t errlen)
{
    int idx = setting_index(key);
    if (idx < 0) {
        snprintf(err, errlen, "unknown setting '%s'", key);
        return -1;
    }
    struct config_origin o = {CONFIG_FLAG, 0};
    if (apply(cfg, (size_t)idx, value, &o, err, errlen) != 0)
        return -1;
    if ((size_t)idx == IDX_HOME)
        cfg->home_source = CONFIG_FLAG;
    return 0;
}

/* Each URL of a webhook_url list as its origin and "/...": the rest may be
 * a secret (Slack and Discord put the token in the path). */
static void mask_urls(const char *list, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (const char *p = list; *p;) {
        p += strspn(p, " ,\t");
        size_t n = strcspn(p, " ,\t");
        if (n == 0)
            break;
        char url[4096], origin[512];
        snprintf(url, sizeof url, "%.*s", (int)n, p);
        config_url_origin(url, origin, sizeof origin);
        int w = snprintf(out + o, cap - o, "%s%s%s", o ? " " : "", origin,
                         strlen(origin) < n ? "/..." : "");
        if (w < 0 || (size_t)w >= cap - o)
            break;
        o += (size_t)w;
        p += n;
    }
}

void config_url_origin(const char *url, char *out, size_t cap)
{
    const char *sep = strstr(url, "://");
    if (cap == 0)
        return;
    if (sep == NULL || sep == url) {
        snprintf(out, cap, "(invalid URL)");
        return;
    }
    const char *host = sep + 3;
    size_t hn = strcspn(host, "/?#");
    const char *at = NULL;
    for (const char *q = host; q < host + hn; q++)
        if (*q == '@')
            at = q; /* user:password@ is never shown */
    if (at != NULL) {
        hn -= (size_t)(at + 1 - host);
        host = at + 1;
    }
    snprintf(out, cap, "%.*s://%.*s", (int)(sep - url), url, (int)hn, host);
}

static void print_origin(const struct chronicle_config *cfg, size_t idx, FILE *out)
{
    const struct config_origin *o = &cfg->origin[idx];
    switch (o->kind) {
    case CONFIG_FILE: fprintf(out, "file %s:%d", cfg->config_file, o->line); break;
    case CONFIG_ENV: fprintf(out, "environment"); break;
    case CONFIG_FLAG: fprintf(out, "flag"); break;
    default: fprintf(out, "default"); break;
    }
}

void config_print(const struct chronicle_config *cfg, FILE *out)
{
    fprintf(out, "# config file: %s\n", cfg->config_file[0] ? cfg->config_file : "(none)");
    fprintf(out, "CHRONICLE_HOME=%s  # ", cfg->home);
    print_origin(cfg, IDX_HOME, out);
    fprintf(out, "\n#   socket %s\n#   database %s\n#   spool %s\n#   dropped %s\n",
            cfg->socket_path, cfg->db_path, cfg->spool_dir, cfg->drop_file);
    for (size_t i = 0; i < N_NUM; i++) {
        fprintf(out, "%s=%ld  # ", settings[i].env, config_get(cfg, &settings[i]));
        print_origin(cfg, i, out);
        fprintf(out, "; %s\n", settings[i].help);
    }
    for (size_t i = 0; i < N_STR; i++) {
        const char *v = (const char *)cfg + string_settings[i].offset;
        int secret = strstr(string_settings[i].env, "TOKEN") != NULL && *v;
        char masked[sizeof cfg->webhook_url];
        if (string_settings[i].offset == offsetof(struct chronicle_config, ship_to) ||
            string_settings[i].offset == offsetof(struct chronicle_config, database)) {
            config_mask_conninfo(v, masked, sizeof masked);
            v = masked;
        } else if (string_settings[i].offset == offsetof(struct chronicle_config, webhook_url)) {
            mask_urls(v, masked, sizeof masked); /* tokens live in webhook paths */
            v = masked;
        }
        fprintf(out, "%s=%s  # ", string_settings[i].env, secret ? "(set, not shown)" : v);
        print_origin(cfg, N_NUM + i, out);
        fprintf(out, "\n");
    }
    for (int i = 0; i < cfg->n_project_budgets; i++)
        fprintf(out, "budget.%s.daily_usd=%.2f  # file %s\n", cfg->project_budget[i].project,
                cfg->project_budget[i].daily_usd, cfg->config_file);
}

/* ---- connection strings ---------------------------------------------- */

static int append_masked(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n && *o + 1 < cap; i++)
        out[(*o)++] = s[i];
    out[*o < cap ? *o : cap - 1] = '\0';
    return 0;
}

/* URI form: the password sits between "user:" and "@" in the authority, or
 * in a "password=" query parameter. */
static int mask_uri(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    int found = 0;
    const char *auth = strstr(s, "://") + 3;
    const char *end = auth + strcspn(auth, "/?");
    const char *at = NULL;
    for (const char *p = auth; p < end; p++)
        if (*p == '@')
            at = p;
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    const char *p = s;
    if (colon != NULL) {
        append_masked(out, cap, &o, s, (size_t)(colon + 1 - s));
        append_masked(out, cap, &o, "***", 3);
        p = at;
        found = 1;
    }
    const char *query = strchr(p, '?');
    if (query == NULL)
        return append_masked(out, cap, &o, p, strlen(p)), found;
    append_masked(out, cap, &o, p, (size_t)(query - p));
    for (p = query; *p;) {
        size_t n = 1 + strcspn(p + 1, "&"); /* one separator and its parameter */
        if (strncmp(p + 1, "password=", 9) == 0) {
            append_masked(out, cap, &o, p, 10);
            append_masked(out, cap, &o, "***", 3);
            found = 1;
        } else {
            append_masked(out, cap, &o, p, n);
        }
        p += n;
    }
    return found;
}

/* key=value form: values may be single-quoted with backslash escapes. */
static int mask_keywords(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    int found = 0;
    const char *p = s;
    while (*p) {
        const char *key = p + strspn(p, " \t\n");
        append_masked(out, cap, &o, p, (size_t)(key - p));
        size_t klen = strcspn(key, " \t\n=");
        const char *v = key + klen + strspn(key + klen, " \t\n");
        if (*v != '=') {
            append_masked(out, cap, &o, key, strlen(key));
            break;
        }
        v++;
        v += strspn(v, " \t\n");
        const char *e = v;
        if (*e == '\'') {
            for (e++; *e && *e != '\''; e++)
                if (*e == '\\' && e[1])
                    e++;
            if (*e)
                e++;
        } else {
            e += strcspn(e, " \t\n");
        }
        append_masked(out, cap, &o, key, (size_t)(v - key));
        if (klen == 8 && strncmp(key, "password", 8) == 0) {
            append_masked(out, cap, &o, "***", 3);
            found = 1;
        } else {
            append_masked(out, cap, &o, v, (size_t)(e - v));
        }
        p = e;
    }
    return found;
}

int config_mask_conninfo(const char *conninfo, char *out, size_t cap)
{
    if (cap == 0)
        return 0;
    out[0] = '\0';
    if (strncmp(conninfo, "postgresql://", 13) == 0 || strncmp(conninfo, "postgres://", 11) == 0)
        return mask_uri(conninfo, out, cap);
    return mask_keywords(conninfo, out, cap);
}

static int make_dir(const char *path, char *err, size_t errlen)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        if (errno == EEXIST)
            errno = ENOTDIR;
    }
    snprintf(err, errlen, "cannot create directory %s: %s", path, strerror(errno));
    return -1;
}

int config_make_dirs(const struct chronicle_config *cfg, char *err, size_t errlen)
{
    /* Create ~/.claude first when home is the default: mkdir is not -p. */
    char parent[PATH_MAX];
    strcpy(parent, cfg->home);
    char *slash = strrchr(parent, '/');
    if (slash != NULL && slash != parent) {
        *slash = '\0';
        struct stat st;
        if (stat(parent, &st) != 0 && make_dir(parent, err, errlen) != 0)
            return -1;
    }
    if (make_dir(cfg->home, err, errlen) != 0 || make_dir(cfg->spool_dir, err, errlen) != 0 ||
        make_dir(cfg->spool_tmp, err, errlen) != 0 || make_dir(cfg->spool_bad, err, errlen) != 0)
        return -1;
    return 0;
}
