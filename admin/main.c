/*
 * chronicle - the admin command: hooks in Claude Code's settings, status,
 * backup and export of the database, the team database.  Each subcommand
 * lives in its own cmd_*.c and takes its own --help.
 */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "chronicle/config.h"

struct subcommand {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
};

static const struct subcommand subcommands[] = {
    {"install-hooks", cmd_install_hooks, "register chronicle-send in Claude Code's settings.json"},
    {"uninstall-hooks", cmd_uninstall_hooks, "remove Chronicle's hooks from settings.json"},
    {"status", cmd_status, "is Chronicle capturing? collector, server, database, spool, hooks"},
    {"open", cmd_open, "print the dashboard's URL (with its token); --browser opens it"},
    {"endpoint", cmd_endpoint, "where the server is: home, address, port, token source"},
    {"backup", cmd_backup, "consistent copy of the database while it runs"},
    {"export", cmd_export, "events of a session or a time range as NDJSON or CSV"},
    {"vacuum", cmd_vacuum, "give the space of deleted events back to the file system"},
    {"team", cmd_team, "team mode: create the PostgreSQL schema, print the roles' SQL"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: chronicle COMMAND [options]    (chronicle COMMAND --help for each)\n\n");
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        fprintf(out, "  %-16s %s\n", subcommands[i].name, subcommands[i].help);
    fprintf(out, "\n  --help, --version\n\n"
                 "Settings: ~/.config/chronicle/config, then the environment (CHRONICLE_HOME,\n"
                 "default ~/.claude/chronicle; CHRONICLE_PORT, default 8510), then flags.\n"
                 "docs/OPERATIONS.md\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("chronicle %s\n", CHRONICLE_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (strcmp(argv[1], subcommands[i].name) == 0)
            return subcommands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "chronicle: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
