/*
 * hooks_settings.h - Chronicle's hook handlers in a Claude Code settings
 * document (~/.claude/settings.json and the project files).
 *
 * A handler is Chronicle's when it is {"type": "command", ...} and its
 * program - "command" in the exec form, the first word of "command" in the
 * shell form - has the basename chronicle-send.  Everything else in the
 * document is the user's and is kept byte for byte (see settings_text.h).
 *
 * Pure functions of text: no file access here (settings_file.h does that).
 */
#ifndef CHRONICLE_ADMIN_HOOKS_SETTINGS_H
#define CHRONICLE_ADMIN_HOOKS_SETTINGS_H

#include <jansson.h>
#include <stddef.h>

#include "chronicle/buf.h"

#define HOOKS_SEND_NAME "chronicle-send"
#define HOOKS_DEFAULT_TIMEOUT_S 5
#define HOOKS_MAX_EVENTS 64

struct hooks_install_opts {
    const char *send_path;        /* absolute path of chronicle-send */
    int exec_form;                /* "args" form (Claude Code >= 2.1.139) */
    int timeout_s;                /* handler "timeout", seconds */
    const char *const *events;    /* events to register; n_events = 0 uninstalls */
    size_t n_events;
};

enum hooks_change_kind { HOOKS_ADDED, HOOKS_UPDATED, HOOKS_REMOVED };

struct hooks_change {
    char event[64];
    enum hooks_change_kind kind;
};

struct hooks_result {
    struct buf text;              /* the new document (owned: hooks_result_free) */
    int changed;                  /* text differs from the input */
    struct hooks_change changes[HOOKS_MAX_EVENTS];
    size_t n_changes;
    int hooks_disabled;           /* the file sets "disableAllHooks": true */
};

/*
 * Computes the document with Chronicle's handlers converged to opts:
 * exactly one handler on each listed event (updated in place if one is
 * there, else appended in a matcher group of its own), none elsewhere.
 * Matcher groups and event arrays that removing our handlers emptied are
 * dropped, and so is "hooks" if we emptied it.  text may be NULL (missing
 * file: starts from "{}").
 *
 * Returns 0 with r filled (r->changed 0 when nothing needs writing), or -1
 * with a one-line reason in err: invalid JSON (with line and column), a
 * root that is not an object, a "hooks" that is not an object, an event
 * entry we would have to change that is not an array.
 */
int hooks_settings_apply(const char *text, size_t len, const struct hooks_install_opts *opts,
                         struct hooks_result *r, char *err, size_t errlen);
void hooks_result_free(struct hooks_result *r);

/* 1 if handler is one of Chronicle's (see above). */
int hooks_is_chronicle_handler(const json_t *handler);

/* The program of a handler's command: exec form "command" as is, shell form
 * its first word (quotes removed, leading VAR=value words skipped).  Writes
 * at most cap bytes with a NUL; 0, or -1 if there is none. */
int hooks_handler_program(const json_t *handler, char *out, size_t cap);

struct hooks_registration {
    char event[64];
    char program[512];            /* path of chronicle-send in the handler */
    int exec_form;
};

/* Lists the events that have a Chronicle handler in text (up to cap).
 * Returns the count, or -1 with a reason in err when text is not a settings
 * object. */
int hooks_settings_registered(const char *text, size_t len, struct hooks_registration *out,
                              size_t cap, char *err, size_t errlen);

/* Appends s quoted for a POSIX shell when it needs quoting. */
int hooks_shell_quote(struct buf *out, const char *s);

#endif
