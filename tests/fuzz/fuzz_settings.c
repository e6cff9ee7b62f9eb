/*
 * fuzz_settings.c - `chronicle install-hooks` on arbitrary settings files.
 * Never crashes; whatever it accepts, installing again changes nothing,
 * uninstalling succeeds and leaves no Chronicle handler.
 *   build-fuzz/fuzz_settings -max_total_time=60 tests/fuzz/corpus/settings
 */
#include <stdint.h>
#include <stdlib.h>

#include "hooks_settings.h"

static const char *const events[] = {"SessionStart", "PreToolUse", "PostToolUse", "Stop"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hooks_install_opts in = {"/usr/bin/chronicle-send", size % 2, 5, events, 4};
    struct hooks_install_opts out = {"/usr/bin/chronicle-send", 1, 5, NULL, 0};
    struct hooks_result r, again, un;
    struct hooks_registration regs[HOOKS_MAX_EVENTS];
    char err[256];
    hooks_settings_registered((const char *)data, size, regs, HOOKS_MAX_EVENTS, err, sizeof err);
    if (hooks_settings_apply((const char *)data, size, &in, &r, err, sizeof err) != 0)
        return 0;
    if (hooks_settings_apply(r.text.data, r.text.len, &in, &again, err, sizeof err) != 0 ||
        again.changed)
        abort();
    if (hooks_settings_apply(r.text.data, r.text.len, &out, &un, err, sizeof err) != 0 ||
        hooks_settings_registered(un.text.data, un.text.len, regs, HOOKS_MAX_EVENTS, err,
                                  sizeof err) != 0)
        abort();
    hooks_result_free(&r);
    hooks_result_free(&again);
    hooks_result_free(&un);
    return 0;
}
