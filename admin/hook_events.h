/*
 * hook_events.h - which Claude Code hook events Chronicle registers, and in
 * which handler form, for a given Claude Code version.
 *
 * Static data (no allocation).  Versions are "MAJOR.MINOR.PATCH"
 * as printed by `claude --version` ("2.1.240 (Claude Code)").
 */
#ifndef CHRONICLE_ADMIN_HOOK_EVENTS_H
#define CHRONICLE_ADMIN_HOOK_EVENTS_H

#include <stddef.h>

#include "chronicle/event_type.h"

struct claude_version {
    int known;          /* 0: no claude found, or its output was not understood */
    int major, minor, patch;
};

/* The first version whose hook handlers accept "args" (exec form, no shell). */
#define HOOK_EXEC_FORM_MAJOR 2
#define HOOK_EXEC_FORM_MINOR 1
#define HOOK_EXEC_FORM_PATCH 139

/* The events are the rows of the one table of hook events, event_types()
 * (include/chronicle/event_type.h), which also holds their first versions. */

/* Looks an event up by exact name; NULL if unknown. */
const struct event_type *hook_event_find(const char *name);

/* Events that must never get a Chronicle handler (WorktreeCreate reads the
 * hook's stdout as a path).  1 if name is one of them. */
int hook_event_forbidden(const char *name);

/*
 * Parses the first "N.N.N" in text (e.g. "2.1.240 (Claude Code)").
 * Returns 0 and fills v (known = 1), or -1.
 */
int claude_version_parse(const char *text, struct claude_version *v);

/* -1, 0 or 1 as a is older than, equal to or newer than major.minor.patch. */
int claude_version_cmp(const struct claude_version *a, int major, int minor, int patch);

/* 1 if a handler for version v may use the exec form ("args"). */
int claude_version_has_exec_form(const struct claude_version *v);

/*
 * Runs `PROGRAM --version` (program found on PATH when it has no slash),
 * waiting at most timeout_ms, and parses its output.  Returns 0 with v
 * filled, or -1 with v->known = 0 when the program is missing, fails, times
 * out or prints no version.  Never blocks longer than timeout_ms.
 */
int claude_version_probe(const char *program, int timeout_ms, struct claude_version *v);

/*
 * 1 if event e should be registered for version v (not counting explicit
 * --events choices): unknown version -> the default set; known version ->
 * every event not opt-in-only whose first version is <= v.
 */
int hook_event_supported(const struct event_type *e, const struct claude_version *v);

#endif
