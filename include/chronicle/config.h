/*
 * config.h - paths and tunables shared by the sender, the collector and the
 * server.
 *
 * Every tunable has a default, an environment variable that overrides it and
 * a valid range.  config_load() never half-applies a setting: a bad value is
 * an error that names the variable, and the caller decides what to do (the
 * daemons refuse to start; the sender falls back to defaults, because it must
 * deliver the event whatever the environment says).
 *
 * The struct is plain data: callers own it (usually inside their context
 * struct) and nothing in it needs freeing.
 */
#ifndef CHRONICLE_CONFIG_H
#define CHRONICLE_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

#define CHRONICLE_VERSION "0.1.0"

enum config_source { CONFIG_DEFAULT, CONFIG_FILE, CONFIG_ENV, CONFIG_FLAG };

/* Where one setting's value came from (for --print-config). */
struct config_origin {
    unsigned char kind; /* enum config_source */
    int line;           /* CONFIG_FILE: line number */
};

#define CONFIG_MAX_SETTINGS 64

struct chronicle_config {
    /* Paths, all derived from home. */
    char home[PATH_MAX];          /* CHRONICLE_HOME, default ~/.claude/chronicle */
    char socket_path[PATH_MAX];   /* home/collector.sock */
    char db_path[PATH_MAX];       /* home/chronicle.db */
    char spool_dir[PATH_MAX];     /* home/spool: finished frames, one per file */
    char spool_tmp[PATH_MAX];     /* home/spool/tmp: frames being written */
    char spool_bad[PATH_MAX];     /* home/spool/corrupt: files the collector refused */
    char drop_file[PATH_MAX];     /* home/dropped: one line per event lost by a sender */
    enum config_source home_source;
    char config_file[PATH_MAX];   /* the config file read, "" when none */
    struct config_origin origin[CONFIG_MAX_SETTINGS]; /* see config_print() */

    /* Sender. */
    long send_timeout_ms;   /* wait for the collector's ack */
    long stdin_timeout_ms;  /* wait for the hook payload on stdin */
    long max_payload;       /* larger payloads get their biggest strings cut */
    long max_stdin;         /* bytes read from stdin at most */
    long raw_cap;           /* bytes of an invalid payload kept */

    /* Collector. */
    long max_frame;         /* largest msgpack frame accepted */
    long batch_max;         /* events per transaction at most */
    long queue_max_bytes;   /* stop reading sockets past this backlog */
    int redact;             /* secret redaction on/off */
    long retention_days;    /* delete events older than this; 0 keeps everything */
    long retention_max_mb;  /* delete oldest while the database is larger; 0 = no cap */
    long retention_check_s; /* rest between expiry passes */
    char redact_pattern[1024]; /* CHRONICLE_REDACT_PATTERN: extra POSIX ERE to redact */

    /* Server (chronicle-server). */
    long port;              /* CHRONICLE_PORT, TCP port to listen on */
    long max_connections;   /* HTTP + WebSocket connections held at once */
    long ws_max_clients;    /* WebSocket clients at once */
    long ws_client_buffer;  /* bytes queued to one WebSocket client before it is 'slow' */
    long ws_total_buffer;   /* bytes queued to all WebSocket clients together, at most */
    long ws_replay_max;     /* events replayed to a resuming client before a 'gap' */
    long http_timeout_s;    /* idle/slow-client timeout for HTTP connections */
    long heartbeat_s;       /* WebSocket heartbeat period */
    long idle_after_s;      /* a session with no event for this long is 'idle' */
    /* Alerts (docs/ALERTS.md). */
    int alert_awaiting;          /* rule on/off */
    long alert_awaiting_after_s; /* a wait this long fires 'awaiting' */
    int alert_failed;
    long alert_tool_errors;      /* N tool errors ... */
    long alert_tool_errors_window_s; /* ... in M seconds: a 'failed' burst; N = 0: off */
    int alert_budget;
    long alert_budget_check_s;   /* spend summed this often */
    int alert_ended_unexpectedly;
    long webhook_timeout_s;      /* one POST at most */
    long webhook_max_attempts;
    long webhook_retry_base_ms;  /* first retry delay, doubling to 5 min */
    long alert_queue_max;        /* undelivered notifications kept at most */
    int desktop_notify;          /* notify-send where a desktop session exists */
    /* budget.<project>.daily_usd lines of the config file. */
#define CONFIG_MAX_PROJECT_BUDGETS 16
    struct { char project[128]; double daily_usd; } project_budget[CONFIG_MAX_PROJECT_BUDGETS];
    int n_project_budgets;
    /* Strings (not in the settings table: they are not numbers).  Empty means unset. */
    char bind[64];          /* CHRONICLE_BIND, default 127.0.0.1 */
    char token[256];        /* CHRONICLE_TOKEN: bearer token; required off loopback */
    char allowed_hosts[1024]; /* CHRONICLE_ALLOWED_HOSTS: extra Host names, comma-separated */
    char cors_origin[256];  /* CHRONICLE_CORS_ORIGIN: the one origin given CORS headers */
    /* Spending budgets in US dollars (CHRONICLE_BUDGET_DAILY_USD /
     * CHRONICLE_BUDGET_MONTHLY_USD, config keys budget_daily_usd /
     * budget_monthly_usd): the text as given ("" = none) and its value,
     * -1 when none.  A negative or non-numeric value is a config error. */
    char budget_daily_text[32];
    char budget_monthly_text[32];
    double budget_daily_usd;
    double budget_monthly_usd;
    /* Team mode (chronicle-ship, docs/TEAM.md). */
    char ship_to[1024];     /* CHRONICLE_SHIP_TO: libpq URI or conninfo; "" = no shipping */
    char database[1024];    /* CHRONICLE_DATABASE: the team server's PostgreSQL; "" = local SQLite */
    char webhook_url[4096];  /* CHRONICLE_WEBHOOK_URL: one or more, separated by spaces or commas */
    char webhook_format[16]; /* auto | json | slack | discord | ntfy */
    char dashboard_url[512]; /* link base in notifications; "" = http://bind:port/ */
};

/* One row of the tunables table, exposed for --print-config and the docs. */
struct config_setting {
    const char *env;        /* environment variable */
    const char *help;       /* one line for humans */
    long def, min, max;     /* default and inclusive range */
    size_t offset;          /* offset of the long/int field */
    int is_bool;            /* 0/1 field stored as int */
};

/* The table of tunables; *count receives its length. */
const struct config_setting *config_settings(size_t *count);

/*
 * Fills cfg from, in increasing precedence: defaults, the config file, the
 * environment.  The config file is $CHRONICLE_CONFIG, else
 * $XDG_CONFIG_HOME/chronicle/config, else ~/.config/chronicle/config; a
 * missing file is fine.  Its lines are "key = value" where key is a
 * variable's name without CHRONICLE_ in lower case (send_timeout_ms = 500,
 * home = /data/chronicle, redact = off); '#' starts a comment.  Returns 0 on
 * success, or -1 with a message naming the offending variable, or the file,
 * line and key, in err (errlen bytes).  On error cfg still holds usable
 * values for everything that did parse.
 */
int config_load(struct chronicle_config *cfg, char *err, size_t errlen);

/*
 * Sets one setting from a command-line flag (highest precedence).  key is a
 * variable name (CHRONICLE_PORT) or a file key (port).  0, or -1 with err.
 */
int config_set(struct chronicle_config *cfg, const char *key, const char *value, char *err,
               size_t errlen);

/* Prints every setting with its value and where it came from ("default",
 * "file PATH:LINE", "environment", "flag").  Tokens are not shown, nor a
 * password inside CHRONICLE_SHIP_TO. */
void config_print(const struct chronicle_config *cfg, FILE *out);

/*
 * Copies a libpq connection string (URI or key=value) to out with any
 * password replaced by "***": "postgresql://u:***@h/db", "password=***".
 * Returns 1 when a password was found, else 0.  out always ends in NUL.
 */
int config_mask_conninfo(const char *conninfo, char *out, size_t cap);

/*
 * scheme://host[:port] of url into out (never the path, query or user
 * info, which may hold secrets): what logs and the API may show of a
 * webhook URL.  "(invalid URL)" when it has no scheme.
 */
void config_url_origin(const char *url, char *out, size_t cap);

/* Reads a long or bool tunable back by its table row. */
long config_get(const struct chronicle_config *cfg, const struct config_setting *s);

/* Creates home and its spool directories, mode 0700.  Returns 0 or -1 with
 * errno set and a message in err. */
int config_make_dirs(const struct chronicle_config *cfg, char *err, size_t errlen);

#endif
