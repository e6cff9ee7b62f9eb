#!/usr/bin/env bash
# test_admin_hooks.sh - `chronicle install-hooks` / `uninstall-hooks` on real
# files: missing, realistic (the user's own hooks, permissions, env, MCP
# servers), invalid, read-only, symlinked, per project; the Claude Code
# version deciding events and handler form; the installed commands run.
. "$(dirname "$0")/lib.sh"

CHR=$BIN/chronicle
FIX=$ROOT/tests/fixtures/settings
T=$(mktemp -d /tmp/chr-hooks.XXXXXX)
trap 'cleanup; rm -rf "$T"' EXIT
export HOME=$T/home
mkdir -p "$HOME"
# No claude on PATH unless a test puts a fake one first.
NOCLAUDE_PATH=/usr/bin:/bin
SEND_REAL=$(realpath "$BIN/chronicle-send")

install() { PATH=$NOCLAUDE_PATH "$CHR" install-hooks "$@"; }
uninstall() { PATH=$NOCLAUDE_PATH "$CHR" uninstall-hooks "$@"; }
# events FILE: the sorted event names that have a chronicle-send handler.
events() {
    jq -r '.hooks // {} | to_entries[] | select([.value[]?.hooks[]?.command
           | select(test("chronicle-send"))] | length > 0) | .key' "$1" | sort | tr '\n' ' '
}
same_json() { [ "$(jq -S . "$1")" = "$(jq -S . "$2")" ]; }

# --help on every subcommand.
for sub in install-hooks uninstall-hooks status backup export; do
    out=$("$CHR" "$sub" --help 2>&1); rc=$?
    if [ $rc -eq 0 ] && grep -q "^usage: chronicle $sub" <<<"$out"; then pass "help_$sub"
    else fail "help_$sub" "rc=$rc"; fi
done
"$CHR" frobnicate >/dev/null 2>&1; expect_eq unknown_command_exit $? 2

# 1. Missing file: created (with ~/.claude), default events, shell form, the
#    chronicle-send beside the binary.
S=$HOME/.claude/settings.json
out=$(install 2>&1); rc=$?
expect_eq missing_file_exit $rc 0
expect_eq missing_file_mode "$(stat -c %a "$S")" 600
expect_eq default_events "$(events "$S")" \
    "Notification PermissionRequest PostToolUse PostToolUseFailure PreCompact PreToolUse SessionEnd SessionStart Stop SubagentStart SubagentStop UserPromptSubmit "
expect_eq default_is_shell_form "$(jq -r '.hooks.Stop[0].hooks[0].command' "$S")" "$SEND_REAL Stop"
expect_eq timeout_set "$(jq -r '.hooks.Stop[0].hooks[0].timeout' "$S")" 5
expect_eq tool_matcher "$(jq -r '.hooks.PreToolUse[0].matcher' "$S")" "*"
expect_eq no_backup_for_new_file "$(ls "$HOME/.claude" | grep -c backup)" 0

# 2. Idempotent: nothing written, no backup.
before=$(stat -c %Y.%i "$S"); sum=$(md5sum <"$S")
out=$(install 2>&1)
if grep -q "nothing to do" <<<"$out" && [ "$(md5sum <"$S")" = "$sum" ] &&
   [ "$(stat -c %Y.%i "$S")" = "$before" ]; then pass idempotent; else fail idempotent "$out"; fi
expect_eq idempotent_no_backup "$(ls "$HOME/.claude" | grep -c backup)" 0

# 3. The installed commands run as Claude Code would run them: exit 0,
#    nothing on stdout (no collector: the event is spooled).
cmd=$(jq -r '.hooks.SessionStart[0].hooks[0].command' "$S")
out=$(sh -c "$cmd" <"$FIXTURES/SessionStart.json"); rc=$?
expect_eq shell_handler_runs "$rc:$out" "0:"
expect_eq shell_handler_spooled "$(spool_count)" 1

# 4. Fake claude on PATH decides events and form.
mkdir -p "$T/fake"
printf '#!/bin/sh\necho "2.1.240 (Claude Code)"\n' >"$T/fake/claude"; chmod +x "$T/fake/claude"
PATH=$T/fake:$NOCLAUDE_PATH "$CHR" install-hooks >/dev/null 2>&1
expect_eq new_claude_exec_form "$(jq -c '.hooks.Stop[0].hooks[0] | [.command, .args]' "$S")" \
    "[\"$SEND_REAL\",[\"Stop\"]]"
expect_eq new_claude_event_count "$(events "$S" | wc -w)" 29
expect_eq never_worktreecreate "$(jq '.hooks | has("WorktreeCreate")' "$S")" false
expect_eq no_message_display "$(jq '.hooks | has("MessageDisplay")' "$S")" false
expect_eq one_handler_per_event "$(jq '[.hooks[][] | .hooks[]] | length' "$S")" 29
cmd=$(jq -r '.hooks.Stop[0].hooks[0].command' "$S")
out=$("$cmd" $(jq -r '.hooks.Stop[0].hooks[0].args[]' "$S") <"$FIXTURES/Stop.json"); rc=$?
expect_eq exec_handler_runs "$rc:$out" "0:"
printf '#!/bin/sh\necho "2.1.138 (Claude Code)"\n' >"$T/fake/claude"
PATH=$T/fake:$NOCLAUDE_PATH "$CHR" install-hooks >/dev/null 2>&1
expect_eq old_claude_shell_form "$(jq -r '.hooks.Stop[0].hooks[0].command' "$S")" "$SEND_REAL Stop"
expect_eq old_claude_drops_newer_events "$(jq '.hooks | has("TaskCreated")' "$S")" false
install --add-events MessageDisplay >/dev/null 2>&1
expect_eq add_events_opt_in "$(jq '.hooks | has("MessageDisplay")' "$S")" true
install --events WorktreeCreate >"$T/out" 2>&1; rc=$?
if [ $rc -ne 0 ] && grep -q "never registered" "$T/out"; then pass refuses_worktreecreate
else fail refuses_worktreecreate "rc=$rc"; fi
install --send /nonexistent/chronicle-send >"$T/out" 2>&1; rc=$?
if [ $rc -eq 1 ] && grep -q "not found" "$T/out"; then pass refuses_missing_send
else fail refuses_missing_send "rc=$rc"; fi
uninstall >/dev/null
expect_eq uninstall_leaves_empty_object "$(jq -c . "$S")" "{}"

# 5. A realistic file: everything kept, backup made, uninstall gives back
#    the very bytes.
R=$T/real/settings.json
mkdir -p "$T/real"; cp "$FIX/realistic.json" "$R"; chmod 640 "$R"
install --settings "$R" --claude-version 2.1.240 >"$T/out" 2>&1
expect_eq realistic_install_exit $? 0
for key in permissions env mcpServers model includeCoAuthoredBy statusLine '"$schema"'; do
    expect_eq "realistic_keeps_$key" "$(jq -c ".$key" "$R")" "$(jq -c ".$key" "$FIX/realistic.json")"
done
expect_eq realistic_user_hook_first "$(jq -c '.hooks.PreToolUse[0]' "$R")" \
    "$(jq -c '.hooks.PreToolUse[0]' "$FIX/realistic.json")"
expect_eq realistic_user_worktree_hook_kept "$(jq -c '.hooks.WorktreeCreate' "$R")" \
    "$(jq -c '.hooks.WorktreeCreate' "$FIX/realistic.json")"
expect_eq realistic_mode_kept "$(stat -c %a "$R")" 640
backup=$(sed -n 's/^backup: //p' "$T/out")
if [ -n "$backup" ] && cmp -s "$backup" "$FIX/realistic.json"; then pass realistic_backup
else fail realistic_backup "'$backup'"; fi
if ls "$T/real" | grep -q chronicle-tmp; then fail no_temp_left; else pass no_temp_left; fi
install --settings "$R" --claude-version 2.1.240 | grep -q "nothing to do" && pass realistic_idempotent \
    || fail realistic_idempotent
uninstall --settings "$R" >/dev/null
if cmp -s "$R" "$FIX/realistic.json"; then pass realistic_uninstall_restores_bytes
else fail realistic_uninstall_restores_bytes "$(diff "$FIX/realistic.json" "$R" | head -5)"; fi
uninstall --settings "$R" | grep -q "nothing to do" && pass uninstall_idempotent || fail uninstall_idempotent

# 6. Dry run: shows a diff, writes nothing.
out=$(install --settings "$R" --dry-run --claude-version 2.1.240 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q '^+.*chronicle-send' <<<"$out" && grep -q "dry run" <<<"$out" &&
   cmp -s "$R" "$FIX/realistic.json"; then pass dry_run; else fail dry_run "rc=$rc"; fi

# 7. Invalid JSON: refused with line/column, never rewritten, no backup.
B=$T/bad/settings.json
mkdir -p "$T/bad"
printf '{\n  "model": "opus",\n  "env": {"A": "1",}\n}\n' >"$B"; cp "$B" "$T/bad.orig"
out=$(install --settings "$B" 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q "not valid JSON (line 3" <<<"$out" && grep -q "not changed" <<<"$out"
then pass invalid_refused; else fail invalid_refused "rc=$rc $out"; fi
if cmp -s "$B" "$T/bad.orig" && [ "$(ls "$T/bad" | wc -l)" = 1 ]; then pass invalid_untouched
else fail invalid_untouched; fi
uninstall --settings "$B" >/dev/null 2>&1; expect_eq invalid_uninstall_refused $? 1

# 8. Read-only file: refused (even as root, who could rename over it).
O=$T/ro/settings.json
mkdir -p "$T/ro"; cp "$FIX/realistic.json" "$O"; chmod 444 "$O"
out=$(install --settings "$O" 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q "read-only" <<<"$out" && cmp -s "$O" "$FIX/realistic.json" &&
   [ "$(stat -c %a "$O")" = 444 ] && [ "$(ls "$T/ro" | wc -l)" = 1 ]; then pass read_only_refused
else fail read_only_refused "rc=$rc $out"; fi
install --settings "$O" --dry-run >/dev/null 2>&1; expect_eq read_only_dry_run_ok $? 0

# 9. Symlinked settings (dotfiles): the link stays, its target changes.
mkdir -p "$T/dots" "$T/linkhome"
cp "$FIX/realistic.json" "$T/dots/settings.json"
ln -s "$T/dots/settings.json" "$T/linkhome/settings.json"
install --settings "$T/linkhome/settings.json" >/dev/null 2>&1
if [ -L "$T/linkhome/settings.json" ] && [ "$(events "$T/dots/settings.json" | wc -w)" = 12 ]
then pass symlink_kept; else fail symlink_kept; fi

# 10. Per project: .claude/settings.json and settings.local.json.
P=$T/project; mkdir -p "$P"
install --project "$P" >/dev/null 2>&1
install --project "$P" --local >/dev/null 2>&1
if [ -f "$P/.claude/settings.json" ] && [ -f "$P/.claude/settings.local.json" ] &&
   [ ! -e "$HOME/.claude/settings.local.json" ]; then pass project_files; else fail project_files; fi
(cd "$P" && PATH=$NOCLAUDE_PATH "$CHR" uninstall-hooks --local >/dev/null 2>&1)
expect_eq project_local_uninstall "$(jq -c . "$P/.claude/settings.local.json")" "{}"
install --project "$T/nonexistent" >/dev/null 2>&1; expect_eq project_missing_dir $? 1
install --settings "$R" --local >/dev/null 2>&1; expect_eq settings_and_local_conflict $? 2

# 11. status reports the registrations.
install --settings "$R" --claude-version 2.1.240 >/dev/null
out=$("$CHR" status --settings "$R" --timeout 200 2>&1)
if grep -q "hooks .*29 event(s) in $R" <<<"$out"; then pass status_lists_hooks
else fail status_lists_hooks "$out"; fi
install --project "$P" --local >/dev/null 2>&1
out=$(cd "$P" && "$CHR" status --timeout 200 2>&1)
if grep -q "hooks .*12 event(s) in .claude/settings.local.json" <<<"$out" &&
   grep -q "hooks .*in .claude/settings.json" <<<"$out"; then pass status_lists_project_hooks
else fail status_lists_project_hooks "$out"; fi
