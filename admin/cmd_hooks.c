/* cmd_hooks.c - `chronicle install-hooks` and `chronicle uninstall-hooks`. */
#include <errno.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin.h"
#include "chronicle/buf.h"
#include "chronicle/config.h"
#include "hook_events.h"
#include "hooks_settings.h"
#include "probe.h"
#include "settings_file.h"

extern char **environ;

#define PROBE_TIMEOUT_MS 15000

struct hooks_cmd {
    int install;
    int dry_run;
    int force;
    const char *settings;         /* --settings */
    const char *project;          /* --project */
    int local;                    /* --local */
    const char *send;             /* --send */
    const char *claude;           /* program asked for its version */
    const char *claude_version;   /* --claude-version: skip the probe */
    const char *form;             /* --form exec|shell */
    const char *events;           /* --events LIST */
    const char *add_events;       /* --add-events LIST */
    long timeout_s;
    char path[PATH_MAX];          /* the settings file */
    char send_path[PATH_MAX];     /* absolute chronicle-send */
    char event_store[1024];       /* the names in events[] point in here */
    const char *events_v[HOOKS_MAX_EVENTS];
    size_t n_events;
    struct claude_version version;
};

static void usage(FILE *out, int install)
{
    if (install)
        fprintf(out,
            "usage: chronicle install-hooks [options]\n"
            "\n"
            "Registers chronicle-send as a Claude Code hook for every event the installed\n"
            "Claude Code supports, merging into a settings file.  Every other setting and\n"
            "every other hook (also yours on the same events) is kept byte for byte; the\n"
            "file is replaced atomically after a timestamped backup; running it again\n"
            "changes nothing.  A file that is not valid JSON is refused, never rewritten.\n"
            "\n");
    else
        fprintf(out,
            "usage: chronicle uninstall-hooks [options]\n"
            "\n"
            "Removes Chronicle's handlers (commands whose program is named chronicle-send)\n"
            "from a settings file, and the matcher groups and event lists that this\n"
            "emptied.  Everything else is kept byte for byte; a backup is made first.\n"
            "\n");
    fprintf(out,
        "  --settings FILE   settings file (default ~/.claude/settings.json)\n"
        "  --project DIR     use DIR/.claude/settings.json instead\n"
        "  --local           use .claude/settings.local.json of --project DIR (default .)\n"
        "  --dry-run         show the change as a diff; write nothing\n");
    if (install)
        fprintf(out,
            "  --send PATH       chronicle-send to register (default: the one beside this\n"
            "                    chronicle binary)\n"
            "  --timeout SEC     handler timeout, 1..60 (default %d)\n"
            "  --claude PROG     Claude Code to ask for its version (default: claude on PATH)\n"
            "  --claude-version V  assume this Claude Code version; do not run it\n"
            "  --form exec|shell handler form (default: exec from Claude Code 2.1.139 on,\n"
            "                    shell when older or unknown)\n"
            "  --events LIST     register exactly these events (comma-separated)\n"
            "  --add-events LIST register these too (e.g. MessageDisplay)\n"
            "  --force           install even if --send is not an executable file\n"
            "\n"
            "Events: from `claude --version`, every event of the hooks contract that\n"
            "version fires; without claude the default set: SessionStart, SessionEnd,\n"
            "UserPromptSubmit, PreToolUse, PermissionRequest, PostToolUse,\n"
            "PostToolUseFailure, Notification, Stop, SubagentStart, SubagentStop,\n"
            "PreCompact.  MessageDisplay only when asked; WorktreeCreate never (Claude Code\n"
            "reads that hook's output as a path).  See docs/OPERATIONS.md.\n",
            HOOKS_DEFAULT_TIMEOUT_S);
    fprintf(out, "\nExit status: 0 done (or nothing to do), 1 error, 2 usage.\n");
}

static int parse_args(struct hooks_cmd *c, int argc, char **argv)
{
    enum { O_SETTINGS = 256, O_PROJECT, O_LOCAL, O_DRY, O_SEND, O_TIMEOUT, O_CLAUDE, O_CVER,
           O_FORM, O_EVENTS, O_ADD, O_FORCE, O_HELP };
    static const struct option install_opts[] = {
        {"settings", required_argument, NULL, O_SETTINGS}, {"project", required_argument, NULL, O_PROJECT},
        {"local", no_argument, NULL, O_LOCAL}, {"dry-run", no_argument, NULL, O_DRY},
        {"help", no_argument, NULL, O_HELP},
        {"send", required_argument, NULL, O_SEND}, {"timeout", required_argument, NULL, O_TIMEOUT},
        {"claude", required_argument, NULL, O_CLAUDE}, {"claude-version", required_argument, NULL, O_CVER},
        {"form", required_argument, NULL, O_FORM}, {"events", required_argument, NULL, O_EVENTS},
        {"add-events", required_argument, NULL, O_ADD}, {"force", no_argument, NULL, O_FORCE},
        {NULL, 0, NULL, 0}};
    static const struct option uninstall_opts[] = {
        {"settings", required_argument, NULL, O_SETTINGS}, {"project", required_argument, NULL, O_PROJECT},
        {"local", no_argument, NULL, O_LOCAL}, {"dry-run", no_argument, NULL, O_DRY},
        {"help", no_argument, NULL, O_HELP}, {NULL, 0, NULL, 0}};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", c->install ? install_opts : uninstall_opts, NULL)) != -1) {
        char *end;
        switch (opt) {
        case O_SETTINGS: c->settings = optarg; break;
        case O_PROJECT: c->project = optarg; break;
        case O_LOCAL: c->local = 1; break;
        case O_DRY: c->dry_run = 1; break;
        case O_SEND: c->send = optarg; break;
        case O_CLAUDE: c->claude = optarg; break;
        case O_CVER: c->claude_version = optarg; break;
        case O_FORM: c->form = optarg; break;
        case O_EVENTS: c->events = optarg; break;
        case O_ADD: c->add_events = optarg; break;
        case O_FORCE: c->force = 1; break;
        case O_TIMEOUT:
            errno = 0;
            c->timeout_s = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || c->timeout_s < 1 || c->timeout_s > 60) {
                fprintf(stderr, "chronicle: --timeout: expected seconds from 1 to 60, got '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'h':
        case O_HELP: usage(stdout, c->install); return -1;
        default: usage(stderr, c->install); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "chronicle: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (c->settings && (c->project || c->local)) {
        fprintf(stderr, "chronicle: --settings cannot be combined with --project/--local\n");
        return 2;
    }
    if (c->form && strcmp(c->form, "exec") != 0 && strcmp(c->form, "shell") != 0) {
        fprintf(stderr, "chronicle: --form: expected exec or shell, got '%s'\n", c->form);
        return 2;
    }
    return 0;
}

static int resolve_settings_path(struct hooks_cmd *c)
{
    int n;
    if (c->settings)
        n = snprintf(c->path, sizeof c->path, "%s", c->settings);
    else if (c->project || c->local)
        n = snprintf(c->path, sizeof c->path, "%s/.claude/%s", c->project ? c->project : ".",
                     c->local ? "settings.local.json" : "settings.json");
    else
        n = admin_user_settings_path(c->path) == 0 ? 0 : -1;
    if (n < 0 || n >= (int)sizeof c->path) {
        fprintf(stderr, "chronicle: cannot tell the settings file: %s\n",
                c->settings || c->project ? "path too long" : "HOME is not set to an absolute path");
        return -1;
    }
    if (c->project) {
        struct stat st;
        if (stat(c->project, &st) != 0 || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "chronicle: --project %s: not a directory\n", c->project);
            return -1;
        }
    }
    return 0;
}

static int resolve_send_path(struct hooks_cmd *c)
{
    char given[PATH_MAX];
    if (c->send) {
        snprintf(given, sizeof given, "%s", c->send);
    } else if (admin_default_send_path(given) != 0) {
        fprintf(stderr, "chronicle: cannot find my own path (/proc/self/exe): %s; use --send\n",
                strerror(errno));
        return -1;
    }
    /* Hooks run with the session's cwd: the path must be absolute. */
    if (realpath(given, c->send_path) == NULL) {
        if (!c->force || given[0] != '/') {
            fprintf(stderr, "chronicle: chronicle-send not found at %s (%s); build it, pass "
                    "--send PATH%s\n", given, strerror(errno),
                    given[0] == '/' ? ", or --force to register it anyway" : "");
            return -1;
        }
        snprintf(c->send_path, sizeof c->send_path, "%s", given);
    } else if (access(c->send_path, X_OK) != 0 && !c->force) {
        fprintf(stderr, "chronicle: %s is not executable; every hook would fail. "
                "Use --force to register it anyway\n", c->send_path);
        return -1;
    }
    return 0;
}

/* Adds the comma-separated names of list, refusing WorktreeCreate. */
static int add_event_list(struct hooks_cmd *c, const char *list, size_t *used)
{
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n > 0) {
            if (n >= 64 || *used + n + 1 > sizeof c->event_store || c->n_events == HOOKS_MAX_EVENTS) {
                fprintf(stderr, "chronicle: too many or too long event names\n");
                return -1;
            }
            char *name = c->event_store + *used;
            memcpy(name, p, n);
            name[n] = '\0';
            *used += n + 1;
            if (hook_event_forbidden(name)) {
                fprintf(stderr, "chronicle: %s is never registered: Claude Code reads that "
                        "hook's stdout as a path\n", name);
                return -1;
            }
            if (hook_event_find(name) == NULL)
                fprintf(stderr, "chronicle: warning: %s is not an event Chronicle knows; "
                        "registering it as asked\n", name);
            int dup = 0;
            for (size_t i = 0; i < c->n_events; i++)
                dup |= strcmp(c->events_v[i], name) == 0;
            if (!dup)
                c->events_v[c->n_events++] = name;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

static int choose_events(struct hooks_cmd *c)
{
    if (c->claude_version) {
        if (claude_version_parse(c->claude_version, &c->version) != 0) {
            fprintf(stderr, "chronicle: --claude-version: expected N.N.N, got '%s'\n",
                    c->claude_version);
            return -1;
        }
    } else if (!c->events || !c->form) {
        claude_version_probe(c->claude ? c->claude : "claude", PROBE_TIMEOUT_MS, &c->version);
    }
    size_t used = 0;
    if (c->events) {
        if (add_event_list(c, c->events, &used) != 0)
            return -1;
    } else {
        size_t n;
        const struct event_type *t = event_types(&n);
        for (size_t i = 0; i < n; i++)
            if (hook_event_supported(&t[i], &c->version))
                c->events_v[c->n_events++] = t[i].name;
    }
    if (c->add_events && add_event_list(c, c->add_events, &used) != 0)
        return -1;
    return 0;
}

/* Shows old -> new as a unified diff (diffutils), or the new text. */
static void show_diff(const char *path, const struct buf *old, const struct buf *new_text)
{
    char a[] = "/tmp/chronicle-old-XXXXXX", b[] = "/tmp/chronicle-new-XXXXXX";
    int fa = mkstemp(a), fb = fa >= 0 ? mkstemp(b) : -1;
    int ok = fa >= 0 && fb >= 0 &&
             (old->len == 0 || write(fa, old->data, old->len) == (ssize_t)old->len) &&
             write(fb, new_text->data, new_text->len) == (ssize_t)new_text->len;
    if (fa >= 0) close(fa);
    if (fb >= 0) close(fb);
    fflush(stdout);
    pid_t pid;
    char la[PATH_MAX + 16], lb[PATH_MAX + 16];
    snprintf(la, sizeof la, "%s", path);
    snprintf(lb, sizeof lb, "%s (new)", path);
    char *args[] = {"diff", "-u", "--label", la, "--label", lb, a, b, NULL};
    int status = -1;
    if (ok && posix_spawnp(&pid, "diff", NULL, NULL, args, environ) == 0) {
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    /* diff exits 1 when the files differ: that is the expected case. */
    if (!(WIFEXITED(status) && WEXITSTATUS(status) <= 1)) {
        printf("--- new contents of %s ---\n", path);
        fwrite(new_text->data, 1, new_text->len, stdout);
    }
    if (fa >= 0) unlink(a);
    if (fb >= 0) unlink(b);
}

static void report(const struct hooks_cmd *c, const struct hooks_result *r)
{
    static const char *verbs[] = {"added", "updated", "removed"};
    for (size_t i = 0; i < r->n_changes; i++)
        printf("  %-8s %s\n", verbs[r->changes[i].kind], r->changes[i].event);
    if (c->install) {
        if (c->version.known)
            printf("Claude Code %d.%d.%d: ", c->version.major, c->version.minor, c->version.patch);
        else
            printf("Claude Code version unknown (no `%s --version`): default events, ",
                   c->claude ? c->claude : "claude");
        printf("%zu events, %s form, timeout %ld s, %s\n", c->n_events,
               c->form ? c->form : claude_version_has_exec_form(&c->version) ? "exec" : "shell",
               c->timeout_s, c->send_path);
    }
    if (r->hooks_disabled)
        printf("note: this file sets \"disableAllHooks\": true, so no hook runs until it is removed\n");
}

/* Result of one read-apply-write attempt. */
enum attempt { ATTEMPT_DONE, ATTEMPT_FAILED, ATTEMPT_RACED };

static enum attempt attempt(struct hooks_cmd *c)
{
    char err[PATH_MAX + 256];
    struct settings_file f;
    if (settings_file_read(&f, c->path, err, sizeof err) != 0) {
        fprintf(stderr, "chronicle: %s\n", err);
        return ATTEMPT_FAILED;
    }
    struct hooks_install_opts o = {
        .send_path = c->send_path,
        .exec_form = c->form ? strcmp(c->form, "exec") == 0 : claude_version_has_exec_form(&c->version),
        .timeout_s = (int)c->timeout_s,
        .events = c->events_v,
        .n_events = c->install ? c->n_events : 0,
    };
    struct hooks_result r;
    if (hooks_settings_apply(f.exists ? f.text.data : NULL, f.text.len, &o, &r, err, sizeof err) != 0) {
        fprintf(stderr, "chronicle: %s: %s; the file was not changed\n", c->path, err);
        settings_file_free(&f);
        return ATTEMPT_FAILED;
    }
    enum attempt rc = ATTEMPT_FAILED;
    char backup[PATH_MAX] = "";
    if (!r.changed) {
        printf("%s: %s\n", c->path, c->install ? "Chronicle's hooks are already installed; nothing to do"
                                            : "no Chronicle hooks; nothing to do");
        if (c->install)
            report(c, &r);
        rc = ATTEMPT_DONE;
    } else if (c->dry_run) {
        show_diff(c->path, &f.text, &r.text);
        report(c, &r);
        printf("dry run: %s not changed\n", c->path);
        rc = ATTEMPT_DONE;
    } else if (settings_file_read_only(&f)) {
        fprintf(stderr, "chronicle: %s is read-only (mode %04o); not changing it. Make it "
                "writable, or see the change with --dry-run\n", c->path, (unsigned)f.mode);
    } else if (f.exists && settings_file_backup(&f, backup, err, sizeof err) != 0) {
        fprintf(stderr, "chronicle: %s; the file was not changed\n", err);
    } else if (settings_file_changed(&f)) {
        /* Claude Code (or an editor) wrote the file since we read it: our
         * text would undo that change, so start over from the new file. */
        if (backup[0])
            unlink(backup);
        rc = ATTEMPT_RACED;
    } else if (settings_file_write(&f, r.text.data, r.text.len, err, sizeof err) != 0) {
        fprintf(stderr, "chronicle: %s\n", err);
    } else {
        printf("%s: %s\n", c->path, c->install ? "Chronicle's hooks installed" : "Chronicle's hooks removed");
        report(c, &r);
        if (backup[0])
            printf("backup: %s\n", backup);
        rc = ATTEMPT_DONE;
    }
    hooks_result_free(&r);
    settings_file_free(&f);
    return rc;
}

/* After an install: say so if nothing will receive the events yet. */
static void hint_collector(void)
{
    struct chronicle_config cfg;
    struct collector_pong pong;
    char err[512];
    if (config_load(&cfg, err, sizeof err) != 0 ||
        probe_collector(cfg.socket_path, 300, &pong, err, sizeof err) == 0)
        return;
    printf("note: no collector answers on %s yet; events wait in the spool until one does.\n"
           "      Start it: make install-units (systemd), or run chronicle-collector.\n",
           cfg.socket_path);
}

static int run(struct hooks_cmd *c, int argc, char **argv)
{
    int rc = parse_args(c, argc, argv);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (resolve_settings_path(c) != 0 || (c->install && resolve_send_path(c) != 0) ||
        (c->install && choose_events(c) != 0))
        return 1;
    for (int i = 0; i < 5; i++) {
        enum attempt a = attempt(c);
        if (a == ATTEMPT_DONE && c->install && !c->dry_run)
            hint_collector();
        if (a != ATTEMPT_RACED)
            return a == ATTEMPT_DONE ? 0 : 1;
    }
    fprintf(stderr, "chronicle: %s keeps changing while we edit it; try again\n", c->path);
    return 1;
}

int cmd_install_hooks(int argc, char **argv)
{
    struct hooks_cmd c = {.install = 1, .timeout_s = HOOKS_DEFAULT_TIMEOUT_S};
    return run(&c, argc, argv);
}

int cmd_uninstall_hooks(int argc, char **argv)
{
    struct hooks_cmd c = {.install = 0, .timeout_s = HOOKS_DEFAULT_TIMEOUT_S};
    return run(&c, argc, argv);
}
