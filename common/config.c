/* config.c - defaults, environment overrides and the directory layout. */
#include "chronicle/config.h"

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
    {"CHRONICLE_TOKEN", SFIELD(token), ""},
    {"CHRONICLE_ALLOWED_HOSTS", SFIELD(allowed_hosts), ""},
    {"CHRONICLE_CORS_ORIGIN", SFIELD(cors_origin), ""},
};

static int load_strings(struct chronicle_config *cfg, char *err, size_t errlen)
{
    int rc = 0;
    for (size_t i = 0; i < sizeof string_settings / sizeof string_settings[0]; i++) {
        const struct config_string *s = &string_settings[i];
        char *dst = (char *)cfg + s->offset;
        const char *text = getenv(s->env);
        if (text == NULL || *text == '\0')
            text = s->def;
        if (strlen(text) >= s->size) {
            if (rc == 0)
                snprintf(err, errlen, "%s is longer than %zu bytes", s->env, s->size - 1);
            rc = -1;
            text = s->def;
        }
        strcpy(dst, text);
    }
    return rc;
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

static int set_paths(struct chronicle_config *cfg, char *err, size_t errlen)
{
    const char *home = getenv("CHRONICLE_HOME");
    cfg->home_source = CONFIG_ENV;
    if (home == NULL || *home == '\0') {
        const char *user_home = getenv("HOME");
        cfg->home_source = CONFIG_DEFAULT;
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

int config_load(struct chronicle_config *cfg, char *err, size_t errlen)
{
    int rc = 0;
    /* Every field is assigned below; only the paths need a defined empty
     * value in case set_paths() fails.  (A memset of the ~30 KB struct was
     * a third of chronicle-send's instructions.) */
    cfg->home[0] = cfg->socket_path[0] = cfg->db_path[0] = cfg->spool_dir[0] = '\0';
    cfg->spool_tmp[0] = cfg->spool_bad[0] = cfg->drop_file[0] = '\0';
    err[0] = '\0';
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
        set_value(cfg, &settings[i], settings[i].def);
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        const struct config_setting *s = &settings[i];
        const char *text = getenv(s->env);
        if (text == NULL || *text == '\0')
            continue;
        long v;
        if (parse_value(text, s->is_bool, &v) != 0 || v < s->min || v > s->max) {
            if (rc == 0) {
                if (s->is_bool)
                    snprintf(err, errlen, "%s='%s': expected 1/0, yes/no, true/false or on/off",
                             s->env, text);
                else
                    snprintf(err, errlen, "%s='%s': expected an integer from %ld to %ld",
                             s->env, text, s->min, s->max);
            }
            rc = -1;
            continue;
        }
        set_value(cfg, s, v);
    }
    if (load_strings(cfg, rc == 0 ? err : NULL, rc == 0 ? errlen : 0) != 0)
        rc = -1;
    if (set_paths(cfg, err, errlen) != 0)
        return -1;
    return rc;
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
