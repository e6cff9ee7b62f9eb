/* cmd_export.c - `chronicle export`: a session or a time range as NDJSON or CSV. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "chronicle/buf.h"
#include "chronicle/clock.h"
#include "chronicle/config.h"
#include "db_reader.h"
#include "export_format.h"
#include "out_file.h"
#include "time_arg.h"

static void usage(FILE *out)
{
    fprintf(out,
        "usage: chronicle export [--session ID] [--since TIME] [--until TIME]\n"
        "                        [--format ndjson|csv] [--output FILE [--force]]\n"
        "\n"
        "Writes the stored events of one session and/or a time range, oldest first,\n"
        "from one consistent snapshot of the database, to stdout or FILE (which\n"
        "appears only when complete).  With no filter, every event.\n"
        "\n"
        "  --session ID      only this Claude Code session_id\n"
        "  --since TIME      events at or after TIME\n"
        "  --until TIME      events before TIME\n"
        "  --format F        ndjson (default: one JSON object per line, the payload\n"
        "                    embedded as JSON) or csv (RFC 4180, header line)\n"
        "  --output FILE     write to FILE instead of stdout; --force replaces it\n"
        "\n"
        "TIME: 2026-11-27T05:00:00Z or with an offset (+02:00); 2026-11-27 or\n"
        "2026-11-27T05:00 in local time; 90m, 24h, 7d before now; @EPOCH_SECONDS.\n"
        "Fields: id, event_uid, session_id, event_type, time (RFC 3339 UTC), ts_ns,\n"
        "stored_ns, tool_name, tool_use_id, agent_id, agent_type, prompt_id, cwd,\n"
        "duration_ms, flags, payload_size, host, uid, pid, ppid, claude_pid,\n"
        "project_dir, payload, raw_base64.  docs/OPERATIONS.md describes them.\n"
        "\n"
        "Exit status: 0 written (also when no event matched), 1 error, 2 usage.\n");
}

struct export_cmd {
    const char *session, *since, *until, *format, *output;
    int force, csv;
    int64_t since_ns, until_ns;
};

static int parse_args(struct export_cmd *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"session", required_argument, NULL, 's'}, {"since", required_argument, NULL, 'S'},
        {"until", required_argument, NULL, 'U'}, {"format", required_argument, NULL, 'F'},
        {"output", required_argument, NULL, 'o'}, {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:fh", opts, NULL)) != -1) {
        switch (opt) {
        case 's': c->session = optarg; break;
        case 'S': c->since = optarg; break;
        case 'U': c->until = optarg; break;
        case 'F': c->format = optarg; break;
        case 'o': c->output = optarg; break;
        case 'f': c->force = 1; break;
        case 'h': usage(stdout); return -1;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "chronicle: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (c->format && strcmp(c->format, "ndjson") != 0 && strcmp(c->format, "csv") != 0) {
        fprintf(stderr, "chronicle: --format: expected ndjson or csv, got '%s'\n", c->format);
        return 2;
    }
    c->csv = c->format && strcmp(c->format, "csv") == 0;
    int64_t now = clock_wall_ns();
    c->since_ns = INT64_MIN;
    c->until_ns = INT64_MAX;
    if (c->since && time_arg_parse(c->since, now, &c->since_ns) != 0) {
        fprintf(stderr, "chronicle: --since: cannot read '%s' as a time (see --help)\n", c->since);
        return 2;
    }
    if (c->until && time_arg_parse(c->until, now, &c->until_ns) != 0) {
        fprintf(stderr, "chronicle: --until: cannot read '%s' as a time (see --help)\n", c->until);
        return 2;
    }
    if (c->since_ns >= c->until_ns) {
        fprintf(stderr, "chronicle: --since is not before --until\n");
        return 2;
    }
    return 0;
}

/* Streams matching rows to fp.  0, or -1 with err. *rows counts them. */
static int write_rows(sqlite3 *db, const struct export_cmd *c, FILE *fp, long long *rows,
                      char *err, size_t errlen)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT %s FROM events WHERE (?1 IS NULL OR session_id = ?1) "
             "AND ts_ns >= ?2 AND ts_ns < ?3 ORDER BY ts_ns, id", export_select_list());
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "query: %s", sqlite3_errmsg(db));
        return -1;
    }
    if (c->session)
        sqlite3_bind_text(st, 1, c->session, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, c->since_ns);
    sqlite3_bind_int64(st, 3, c->until_ns);
    struct buf line = BUF_INIT;
    int rc = 0, step;
    if (c->csv && (export_csv_header(&line) != 0 || fwrite(line.data, 1, line.len, fp) != line.len))
        rc = -1;
    *rows = 0;
    /* One statement is one read transaction: the export is a snapshot even
     * while the collector commits. */
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        buf_reset(&line);
        if ((c->csv ? export_csv_row(st, &line) : export_ndjson_row(st, &line)) != 0 ||
            fwrite(line.data, 1, line.len, fp) != line.len)
            rc = -1;
        (*rows)++;
    }
    if (rc != 0)
        snprintf(err, errlen, "writing the export failed");
    else if (step != SQLITE_DONE) {
        snprintf(err, errlen, "query: %s", sqlite3_errmsg(db));
        rc = -1;
    }
    buf_free(&line);
    sqlite3_finalize(st);
    return rc;
}

int cmd_export(int argc, char **argv)
{
    struct export_cmd c = {0};
    int rc = parse_args(&c, argc, argv);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    char err[PATH_MAX + 256];
    struct chronicle_config cfg;
    if (config_load(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, "chronicle: %s\n", err);
        return 1;
    }
    sqlite3 *db;
    if (db_reader_open(cfg.db_path, &db, err, sizeof err) != 0) {
        fprintf(stderr, "chronicle: %s\n", err);
        return 1;
    }
    struct out_file o;
    FILE *fp = stdout;
    if (c.output) {
        if (out_file_open(&o, c.output, c.force, err, sizeof err) != 0) {
            fprintf(stderr, "chronicle: %s\n", err);
            sqlite3_close(db);
            return 1;
        }
        fp = o.fp;
    }
    long long rows = 0;
    rc = write_rows(db, &c, fp, &rows, err, sizeof err);
    if (c.output) {
        if (rc != 0)
            out_file_abort(&o);
        else if ((rc = out_file_commit(&o, err, sizeof err)) == 0)
            fprintf(stderr, "chronicle: %lld event(s) written to %s\n", rows, c.output);
    } else if (rc == 0 && fflush(stdout) != 0) {
        snprintf(err, sizeof err, "writing to stdout failed");
        rc = -1;
    }
    if (rc != 0)
        fprintf(stderr, "chronicle: %s\n", err);
    sqlite3_close(db);
    return rc == 0 ? 0 : 1;
}
