/* hooks_settings.c - converge Chronicle's handlers in a settings document. */
#include "hooks_settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hook_events.h"
#include "settings_text.h"

int hooks_shell_quote(struct buf *out, const char *s)
{
    int plain = *s != '\0';
    for (const char *p = s; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-+:@%,=",
                    *p))
            plain = 0;
    if (plain)
        return buf_append_str(out, s);
    if (buf_append(out, "'", 1) != 0)
        return -1;
    for (const char *p = s; *p; p++)
        if ((*p == '\'' ? buf_append_str(out, "'\\''") : buf_append(out, p, 1)) != 0)
            return -1;
    return buf_append(out, "'", 1);
}

/* First shell word of cmd without its quotes, skipping VAR=value words. */
static int shell_first_word(const char *cmd, char *out, size_t cap)
{
    const char *p = cmd;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            return -1;
        size_t n = 0;
        int assignment = 0, quoted = 0;
        while (*p && *p != ' ' && *p != '\t') {
            char c = *p++;
            if (c == '\'' || c == '"') {
                quoted = 1;
                while (*p && *p != c) {
                    if (c == '"' && *p == '\\' && p[1])
                        p++;
                    if (n + 1 < cap)
                        out[n++] = *p;
                    p++;
                }
                if (*p)
                    p++;
                continue;
            }
            if (c == '\\' && *p)
                c = *p++;
            else if (c == '=' && !quoted && n > 0)
                assignment = 1;
            if (n + 1 < cap)
                out[n++] = c;
        }
        out[n] = '\0';
        if (!assignment)
            return 0;
    }
}

int hooks_handler_program(const json_t *handler, char *out, size_t cap)
{
    const char *cmd = json_string_value(json_object_get(handler, "command"));
    if (cmd == NULL || cap == 0)
        return -1;
    if (json_object_get(handler, "args") != NULL) {
        snprintf(out, cap, "%s", cmd);
        return 0;
    }
    return shell_first_word(cmd, out, cap);
}

int hooks_is_chronicle_handler(const json_t *handler)
{
    if (!json_is_object(handler))
        return 0;
    const char *type = json_string_value(json_object_get(handler, "type"));
    if (type == NULL || strcmp(type, "command") != 0)
        return 0;
    char prog[4096];
    if (hooks_handler_program(handler, prog, sizeof prog) != 0)
        return 0;
    const char *base = strrchr(prog, '/');
    base = base ? base + 1 : prog;
    return strcmp(base, HOOKS_SEND_NAME) == 0;
}

static json_t *make_handler(const struct hooks_install_opts *o, const char *event)
{
    json_t *h = json_object();
    if (h == NULL)
        return NULL;
    int rc = json_object_set_new(h, "type", json_string("command"));
    if (o->exec_form) {
        json_t *args = json_array();
        rc |= args == NULL || json_array_append_new(args, json_string(event)) != 0;
        rc |= json_object_set_new(h, "command", json_string(o->send_path));
        rc |= json_object_set_new(h, "args", args);
    } else {
        /* No shell form without a space: the event name is our argv[1]. */
        struct buf cmd = BUF_INIT;
        rc |= hooks_shell_quote(&cmd, o->send_path) || buf_printf(&cmd, " %s", event);
        rc |= cmd.data == NULL || json_object_set_new(h, "command", json_string(cmd.data));
        buf_free(&cmd);
    }
    rc |= json_object_set_new(h, "timeout", json_integer(o->timeout_s));
    if (rc) {
        json_decref(h);
        return NULL;
    }
    return h;
}

static int wanted(const struct hooks_install_opts *o, const char *event)
{
    for (size_t i = 0; i < o->n_events; i++)
        if (strcmp(o->events[i], event) == 0)
            return 1;
    return 0;
}

/*
 * New array for one event: Chronicle's first handler updated in place (so
 * a user who moved it keeps its position), the others removed, groups we
 * emptied dropped, and a group of our own appended if there was none.
 * Returns a new reference, or NULL on ENOMEM.  *had_ours tells whether old
 * held any Chronicle handler.  fate (NULL, or one slot per element of old)
 * receives each old group's index in the result, -1 when it was dropped.
 */
static json_t *converge_event(const json_t *old, const struct hooks_install_opts *o,
                              const char *event, int *had_ours, int *fate)
{
    int want = wanted(o, event);
    json_t *arr = old ? json_deep_copy(old) : json_array();
    json_t *mine = want ? make_handler(o, event) : NULL;
    if (arr == NULL || (want && mine == NULL))
        goto nomem;
    int kept = 0;
    *had_ours = 0;
    /* Each pass handles one group of old: orig is its index there. */
    for (size_t i = 0, orig = 0; i < json_array_size(arr); orig++) {
        json_t *hs = json_object_get(json_array_get(arr, i), "hooks");
        int removed = 0;
        for (size_t j = 0; json_is_array(hs) && j < json_array_size(hs);) {
            json_t *h = json_array_get(hs, j);
            if (!hooks_is_chronicle_handler(h)) {
                j++;
                continue;
            }
            *had_ours = 1;
            if (want && !kept) {
                if (!json_equal(h, mine) && json_array_set(hs, j, mine) != 0)
                    goto nomem;
                kept = 1;
                j++;
            } else {
                json_array_remove(hs, j);
                removed = 1;
            }
        }
        if (removed && json_array_size(hs) == 0) {
            json_array_remove(arr, i);
            if (fate)
                fate[orig] = -1;
        } else {
            if (fate)
                fate[orig] = (int)i;
            i++;
        }
    }
    if (want && !kept) {
        json_t *group = json_object();
        json_t *list = json_array();
        const struct event_type *e = hook_event_find(event);
        int rc = group == NULL || list == NULL;
        if (!rc && e != NULL && e->tool_matcher)
            rc = json_object_set_new(group, "matcher", json_string("*"));
        rc = rc || json_array_append(list, mine) || json_object_set_new(group, "hooks", list) ||
             json_array_append_new(arr, group);
        if (rc) {
            json_decref(group);
            goto nomem;
        }
    }
    json_decref(mine);
    return arr;
nomem:
    json_decref(arr);
    json_decref(mine);
    return NULL;
}

static int add_change(struct hooks_result *r, const char *event, enum hooks_change_kind kind)
{
    if (r->n_changes == HOOKS_MAX_EVENTS)
        return -1;
    snprintf(r->changes[r->n_changes].event, sizeof r->changes[0].event, "%s", event);
    r->changes[r->n_changes++].kind = kind;
    return 0;
}

enum edit_op { SET_MEMBER, REMOVE_MEMBER, REMOVE_ELEM, REPLACE_ELEM, APPEND_ELEM };

/*
 * One text edit, re-parsing cur each time.  Targets: member key of the root
 * (in_hooks 0) or of root["hooks"] (in_hooks 1); for the _ELEM ops, element
 * elem of the array root["hooks"][key].
 */
static int edit(struct buf *cur, enum edit_op op, int in_hooks, const char *key, size_t elem,
                const json_t *value, char *err, size_t errlen)
{
    struct settings_doc doc;
    struct buf out = BUF_INIT;
    if (settings_doc_parse(&doc, cur->data, cur->len, err, errlen) != 0)
        return -1;
    int obj = in_hooks ? settings_doc_member(&doc, 0, "hooks") : 0;
    int member = obj < 0 ? -1 : settings_doc_member(&doc, obj, key);
    int target = member < 0 || op < REMOVE_ELEM || op == APPEND_ELEM ? member
                 : settings_doc_element(&doc, member, elem);
    int rc = -1;
    if (obj < 0 || (op != SET_MEMBER && target < 0))
        snprintf(err, errlen, "internal error: nothing at the place to edit");
    else if (op == SET_MEMBER)
        rc = settings_doc_set_member(&doc, obj, key, value, &out);
    else if (op == REMOVE_MEMBER || op == REMOVE_ELEM)
        rc = settings_doc_remove_item(&doc, target, &out);
    else if (op == REPLACE_ELEM)
        rc = settings_doc_replace(&doc, target, value, &out);
    else
        rc = settings_doc_append_element(&doc, target, value, &out);
    settings_doc_free(&doc);
    if (rc != 0) {
        if (err[0] == '\0')
            snprintf(err, errlen, "out of memory");
        buf_free(&out);
        return -1;
    }
    buf_free(cur);
    *cur = out;
    return 0;
}

/*
 * Edits one existing event array group by group, so the user's groups
 * keep their bytes: dropped groups are removed, changed ones re-written,
 * ours appended.
 */
static int edit_event(struct buf *cur, const json_t *old, const struct hooks_install_opts *o,
                      const char *event, char *err, size_t errlen)
{
    size_t n = json_array_size(old);
    int *fate = calloc(n ? n : 1, sizeof *fate);
    int had = 0, rc = 0;
    json_t *arr = fate ? converge_event(old, o, event, &had, fate) : NULL;
    if (arr == NULL) {
        free(fate);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t kept = 0;
    for (size_t i = n; i-- > 0 && rc == 0;) {
        if (fate[i] < 0) {
            rc = edit(cur, REMOVE_ELEM, 1, event, i, NULL, err, errlen);
            continue;
        }
        kept++;
        json_t *now = json_array_get(arr, (size_t)fate[i]);
        if (!json_equal(json_array_get(old, i), now))
            rc = edit(cur, REPLACE_ELEM, 1, event, i, now, err, errlen);
    }
    for (size_t k = kept; rc == 0 && k < json_array_size(arr); k++)
        rc = edit(cur, APPEND_ELEM, 1, event, 0, json_array_get(arr, k), err, errlen);
    json_decref(arr);
    free(fate);
    return rc;
}

static int load_root(const char *text, size_t len, json_t **root, char *err, size_t errlen)
{
    json_error_t je;
    /* Duplicate keys are refused: the text edits and the parsed document
     * must agree on which member is "hooks". */
    *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (*root == NULL) {
        snprintf(err, errlen, "not valid JSON (line %d, column %d: %s)", je.line, je.column,
                 je.text);
        return -1;
    }
    if (!json_is_object(*root)) {
        snprintf(err, errlen, "the top level is not a JSON object");
        json_decref(*root);
        return -1;
    }
    json_t *hooks = json_object_get(*root, "hooks");
    if (hooks != NULL && !json_is_object(hooks)) {
        snprintf(err, errlen, "\"hooks\" is not an object");
        json_decref(*root);
        return -1;
    }
    return 0;
}

/* Fills new_hooks with the converged event arrays and r->changes. */
static int plan(const json_t *hooks, const struct hooks_install_opts *o, json_t *new_hooks,
                struct hooks_result *r, char *err, size_t errlen)
{
    const char *event;
    json_t *old;
    json_object_foreach((json_t *)hooks, event, old) {
        if (!json_is_array(old)) {
            if (wanted(o, event)) {
                snprintf(err, errlen, "\"hooks\".\"%s\" is not an array", event);
                return -1;
            }
            continue; /* not ours to fix: Claude Code reports it */
        }
        int had = 0;
        json_t *arr = converge_event(old, o, event, &had, NULL);
        if (arr == NULL)
            goto nomem;
        if (json_equal(arr, old)) {
            json_decref(arr);
            continue;
        }
        int gone = had && json_array_size(arr) == 0;
        if (add_change(r, event, !wanted(o, event) ? HOOKS_REMOVED : had ? HOOKS_UPDATED
                                                                           : HOOKS_ADDED) != 0 ||
            (gone ? json_object_del(new_hooks, event) : json_object_set(new_hooks, event, arr)) != 0) {
            json_decref(arr);
            goto nomem;
        }
        json_decref(arr);
    }
    for (size_t i = 0; i < o->n_events; i++) {
        if (hooks != NULL && json_object_get(hooks, o->events[i]) != NULL)
            continue;
        int had = 0;
        json_t *arr = converge_event(NULL, o, o->events[i], &had, NULL);
        if (arr == NULL || json_object_set_new(new_hooks, o->events[i], arr) != 0 ||
            add_change(r, o->events[i], HOOKS_ADDED) != 0)
            goto nomem;
    }
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* Applies the planned changes to the text, member by member. */
static int rewrite(struct buf *cur, const json_t *hooks, const json_t *new_hooks,
                   const struct hooks_result *r, const struct hooks_install_opts *o, char *err,
                   size_t errlen)
{
    if (hooks == NULL)
        return json_object_size(new_hooks) == 0
                   ? 0 : edit(cur, SET_MEMBER, 0, "hooks", 0, new_hooks, err, errlen);
    if (json_object_size(new_hooks) == 0 && json_object_size(hooks) > 0)
        return edit(cur, REMOVE_MEMBER, 0, "hooks", 0, NULL, err, errlen); /* we emptied it */
    for (size_t i = 0; i < r->n_changes; i++) {
        const char *ev = r->changes[i].event;
        const json_t *old = json_object_get(hooks, ev), *now = json_object_get(new_hooks, ev);
        int rc;
        if (now == NULL)
            rc = edit(cur, REMOVE_MEMBER, 1, ev, 0, NULL, err, errlen);
        else if (old == NULL)
            rc = edit(cur, SET_MEMBER, 1, ev, 0, now, err, errlen);
        else
            rc = edit_event(cur, old, o, ev, err, errlen);
        if (rc != 0)
            return -1;
    }
    return 0;
}

int hooks_settings_apply(const char *text, size_t len, const struct hooks_install_opts *opts,
                         struct hooks_result *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    err[0] = '\0';
    if (text == NULL) {
        text = "{}\n";
        len = 3;
    }
    json_t *root;
    if (load_root(text, len, &root, err, errlen) != 0)
        return -1;
    r->hooks_disabled = json_is_true(json_object_get(root, "disableAllHooks"));
    json_t *hooks = json_object_get(root, "hooks");
    json_t *new_hooks = hooks ? json_deep_copy(hooks) : json_object();
    json_t *want_root = NULL, *got = NULL;
    int rc = -1;
    if (new_hooks == NULL || buf_append(&r->text, text, len) != 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (plan(hooks, opts, new_hooks, r, err, errlen) != 0 ||
        rewrite(&r->text, hooks, new_hooks, r, opts, err, errlen) != 0)
        goto out;
    /* Check the edited text means exactly what we planned: the user's file
     * is never written from a text edit that went wrong. */
    want_root = json_deep_copy(root);
    if (want_root == NULL) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (json_object_size(new_hooks) == 0 && hooks != NULL && json_object_size(hooks) > 0) {
        json_object_del(want_root, "hooks");
    } else if (json_object_size(new_hooks) > 0 || hooks != NULL) {
        if (json_object_set(want_root, "hooks", new_hooks) != 0) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
    }
    got = json_loadb(r->text.data, r->text.len, JSON_REJECT_DUPLICATES, NULL);
    if (got == NULL || !json_equal(got, want_root)) {
        snprintf(err, errlen, "internal error: the edited text does not match the plan; "
                 "nothing written");
        goto out;
    }
    r->changed = r->text.len != len || memcmp(r->text.data, text, len) != 0;
    rc = 0;
out:
    json_decref(got);
    json_decref(want_root);
    json_decref(new_hooks);
    json_decref(root);
    if (rc != 0)
        hooks_result_free(r);
    return rc;
}

void hooks_result_free(struct hooks_result *r)
{
    buf_free(&r->text);
}

int hooks_settings_registered(const char *text, size_t len, struct hooks_registration *out,
                              size_t cap, char *err, size_t errlen)
{
    json_t *root;
    if (load_root(text, len, &root, err, errlen) != 0)
        return -1;
    int n = 0;
    const char *event;
    json_t *arr;
    json_object_foreach(json_object_get(root, "hooks"), event, arr) {
        size_t i, j;
        json_t *group, *h;
        int found = 0;
        json_array_foreach(arr, i, group) {
            json_array_foreach(json_object_get(group, "hooks"), j, h) {
                if (found || !hooks_is_chronicle_handler(h) || (size_t)n >= cap)
                    continue;
                struct hooks_registration *reg = &out[n++];
                snprintf(reg->event, sizeof reg->event, "%s", event);
                if (hooks_handler_program(h, reg->program, sizeof reg->program) != 0)
                    reg->program[0] = '\0';
                reg->exec_form = json_object_get(h, "args") != NULL;
                found = 1;
            }
        }
    }
    json_decref(root);
    return n;
}
