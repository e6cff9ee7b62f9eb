#!/usr/bin/env bash
# test_claude_cli.sh - end to end with the real Claude Code CLI (npm package
# @anthropic-ai/claude-code, its native binary an optional dependency)
# running offline against build/tools/messages_standin, a local stand-in for
# the streaming Messages API.  `chronicle install-hooks` writes the hooks
# (asking that claude for its version), the real chronicle-send delivers
# each event to the real collector, and every event of the scripted session
# must be served back by the real chronicle-server's API.
#
#   make test-e2e            (CLAUDE_CODE_VERSION=x.y.z to pin another release)
. "$(dirname "$0")/../integration/lib.sh"

CLAUDE_CODE_VERSION=${CLAUDE_CODE_VERSION:-2.1.332}
PKG=$BIN/e2e/claude-code-$CLAUDE_CODE_VERSION
CLAUDE=$PKG/node_modules/.bin/claude
STANDIN=$BIN/tools/messages_standin
T=$(mktemp -d /tmp/chr-e2e.XXXXXX)
STANDIN_PID=
trap '[ -n "$STANDIN_PID" ] && kill "$STANDIN_PID" 2>/dev/null; cleanup; rm -rf "$T"' EXIT

if [ ! -x "$CLAUDE" ]; then
    command -v npm >/dev/null || { fail e2e_install_claude_code "npm not found (Debian: npm, or nodejs from NodeSource)"; exit 1; }
    mkdir -p "$PKG"
    (cd "$PKG" && npm install --no-audit --no-fund --loglevel=error \
        "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION") >&2 ||
        { fail e2e_install_claude_code "npm install failed"; exit 1; }
fi
version=$("$CLAUDE" --version 2>/dev/null)
case "$version" in "$CLAUDE_CODE_VERSION"*) pass e2e_claude_code_installed ;;
    *) fail e2e_claude_code_installed "'$version'"; exit 1 ;; esac
[ -x "$STANDIN" ] || { fail e2e_standin_built "make $BUILD/tools/messages_standin"; exit 1; }

export HOME=$T/home
mkdir -p "$HOME" "$T/work"
# The hooks, as a user would install them: claude on PATH decides events and form.
PATH=$(dirname "$CLAUDE"):$PATH "$BIN/chronicle" install-hooks >"$T/install.out" 2>&1
expect_eq e2e_install_hooks $? 0
S=$HOME/.claude/settings.json
expect_eq e2e_exec_form "$(jq -r '.hooks.PostToolUseFailure[0].hooks[0].args[0]' "$S")" PostToolUseFailure

start_collector || { fail e2e_collector; exit 1; }
start_server || { fail e2e_server; exit 1; }
"$STANDIN" "$T/port" "$T/api.log" &
STANDIN_PID=$!
wait_for 5 test -s "$T/port" || { fail e2e_standin_up; exit 1; }

# Offline: no telemetry, updates or error reports; any API key will do.
(cd "$T/work" && ANTHROPIC_BASE_URL="http://127.0.0.1:$(cat "$T/port")" \
    ANTHROPIC_API_KEY=sk-ant-chronicle-e2e DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 \
    DISABLE_ERROR_REPORTING=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
    timeout 120 "$CLAUDE" -p "Print a marker with echo, then read the missing file." \
    --allowedTools Bash Read >"$T/claude.out" 2>"$T/claude.err")
rc=$?
expect_eq e2e_claude_exit "$rc" 0
expect_eq e2e_claude_answer "$(cat "$T/claude.out")" "All done."
expect_eq e2e_scripted_turns "$(grep -c 'agent=1' "$T/api.log")" 3
if grep -qi "hook" "$T/claude.err"; then fail e2e_no_hook_errors "$(cat "$T/claude.err")"; else pass e2e_no_hook_errors; fi

# Every event of the session, through the API.
wait_sql 10 "SELECT count(*) > 0 FROM events WHERE event_type = 'SessionEnd'" 1
sid=$(sql "SELECT session_id FROM events WHERE event_type = 'SessionStart' LIMIT 1")
[ -n "$sid" ] && pass e2e_session_started || fail e2e_session_started
body=$(http_body "/api/events?session_id=$sid&limit=1000")
types=$(printf '%s' "$body" | jq -r '[.events[].type] | unique | join(" ")')
for e in SessionStart UserPromptSubmit PreToolUse PostToolUse PostToolUseFailure Stop SessionEnd; do
    case " $types " in *" $e "*) pass "e2e_api_has_$e" ;; *) fail "e2e_api_has_$e" "got: $types" ;; esac
done
expect_eq e2e_bash_call "$(printf '%s' "$body" | jq -r '[.events[] | select(.type == "PostToolUse") | .tool_use_id] | join(" ")')" \
    toolu_chronicle_e2e_1
expect_eq e2e_read_failure "$(printf '%s' "$body" | jq -r '[.events[] | select(.type == "PostToolUseFailure") | .tool_name] | join(" ")')" \
    Read
expect_eq e2e_nothing_spooled "$(spool_count)" 0
expect_eq e2e_nothing_dropped "$(cat "$CHRONICLE_HOME/dropped" 2>/dev/null | wc -l)" 0
