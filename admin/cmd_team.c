/* cmd_team.c - `chronicle team`: the team database (docs/TEAM.md). */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "chronicle/buf.h"
#include "chronicle/config.h"
#include "chronicle/machine_id.h"
#include "pg_link.h"
#include "pg_schema.h"

static void usage(FILE *out)
{
    fprintf(out,
        "usage: chronicle team init URL    create or migrate the team schema in PostgreSQL,\n"
        "                                  then print the SQL for least-privilege roles\n"
        "       chronicle team sql         print that SQL only (no connection)\n"
        "\n"
        "URL is a libpq URI or conninfo (postgresql://admin@db.example/team?sslmode=verify-full);\n"
        "connect as a role that may create the schema \"chronicle\" (its owner).  The password\n"
        "comes from ~/.pgpass or PGPASSFILE.  Idempotent: run it again after an upgrade.\n"
        "\n"
        "The SQL (on stdout, everything else on stderr) creates the group roles\n"
        "chronicle_shipper (each machine's login role: writes only its own machine's rows)\n"
        "and chronicle_reader (the team server: reads only), their grants and row-level\n"
        "security policies, a login role for this machine and one for the team server.\n"
        "Review it, then run it as a role with CREATEROLE:\n"
        "    chronicle team init \"$URL\" >roles.sql && psql \"$URL\" -v ON_ERROR_STOP=1 -f roles.sql\n"
        "\n"
        "Then, on each machine: ship_to = URL (its own role) in ~/.config/chronicle/config,\n"
        "and systemctl --user enable --now chronicle-ship.service.\n");
}

/* This machine's identity for the role SQL: id (created if missing), host
 * and user. */
static int identity(char id[MACHINE_ID_LEN + 1], char host[256], char user[64])
{
    struct chronicle_config cfg;
    char err[512];
    if (config_load(&cfg, err, sizeof err) != 0 || config_make_dirs(&cfg, err, sizeof err) != 0 ||
        machine_id_get(cfg.home, 1, id, err, sizeof err) != 0) {
        fprintf(stderr, "chronicle: %s\n", err);
        return -1;
    }
    if (gethostname(host, 256) != 0)
        snprintf(host, 256, "unknown");
    host[255] = '\0';
    struct passwd *pw = getpwuid(geteuid());
    snprintf(user, 64, "%s", pw ? pw->pw_name : "unknown");
    return 0;
}

static int print_sql(void)
{
    char id[MACHINE_ID_LEN + 1], host[256], user[64];
    if (identity(id, host, user) != 0)
        return 1;
    struct buf sql = BUF_INIT;
    if (pg_schema_roles_sql(&sql, id, host, user) != 0) {
        fprintf(stderr, "chronicle: out of memory\n");
        buf_free(&sql);
        return 1;
    }
    int ok = fwrite(sql.data, 1, sql.len, stdout) == sql.len && fflush(stdout) == 0;
    buf_free(&sql);
    if (!ok)
        fprintf(stderr, "chronicle: cannot write the SQL to stdout\n");
    return ok ? 0 : 1;
}

static int init(const char *url)
{
    char shown[1024], err[1024];
    if (config_mask_conninfo(url, shown, sizeof shown))
        fprintf(stderr, "chronicle: note: the URL holds a password; ~/.pgpass is safer (it "
                        "stays out of the process list and shell history)\n");
    PGconn *c = pg_link_connect(url, 15, err, sizeof err);
    if (c == NULL) {
        fprintf(stderr, "chronicle: %s: %s\n", shown, err);
        return 1;
    }
    int before, after, compat, applied = 0;
    int rc = pg_schema_version(c, &before, &compat, err, sizeof err);
    if (rc == 0)
        rc = pg_schema_migrate(c, &applied, err, sizeof err);
    if (rc == 0)
        rc = pg_schema_version(c, &after, &compat, err, sizeof err);
    PQfinish(c);
    if (rc != 0) {
        fprintf(stderr, "chronicle: %s: %s\n", shown, err);
        return 1;
    }
    if (applied)
        fprintf(stderr, "chronicle: team schema \"%s\" %s version %d (%d migration(s)) in %s\n",
                PG_SCHEMA_NAME, before ? "migrated to" : "created at", after, applied, shown);
    else
        fprintf(stderr, "chronicle: team schema \"%s\" is at version %d in %s: nothing to do\n",
                PG_SCHEMA_NAME, after, shown);
    fprintf(stderr, "chronicle: the role SQL follows on stdout; run it as a role with "
                    "CREATEROLE (chronicle team --help)\n");
    return print_sql();
}

int cmd_team(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            return 0;
        }
        usage(stderr);
        return 2;
    }
    if (optind < argc && strcmp(argv[optind], "init") == 0 && optind + 2 == argc)
        return init(argv[optind + 1]);
    if (optind < argc && strcmp(argv[optind], "sql") == 0 && optind + 1 == argc)
        return print_sql();
    usage(stderr);
    return 2;
}
