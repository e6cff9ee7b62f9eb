#!/usr/bin/env bash
# The conversation view, end to end: a realistic transcript (a prompt,
# assistant text with a secret, Bash/Read/Edit calls with results, an Agent
# call whose subagent has its own transcript and meta.json) indexed by the
# real collector, hook events sent through chronicle-send, and the pages
# read back through the real server: items, nesting, links by tool_use_id
# and prompt_id, cursor paging, truncation with sizes, redaction, a deleted
# transcript, symlinked transcripts refused, bad parameters.
source "$(dirname "$0")/lib.sh"
P=$CHRONICLE_HOME/projects/-home-dev-shop
S=conv-1
MAIN=$P/$S.jsonl
SUB=$P/$S/subagents
mkdir -p "$SUB"
SECRET=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789
long() { head -c "$1" /dev/zero | tr '\0' "$2"; }
LONG_OUT=$(long 20000 x)
LONG_NEW=$(long 3000 y)
h='"isSidechain":false,"sessionId":"conv-1","cwd":"/home/dev/shop"'
t() { printf '"timestamp":"2026-11-27T04:00:%02d.000Z"' "$1"; }
{
echo "{\"parentUuid\":null,$h,\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":\"Fix the failing <b>webhook</b> test\"},\"uuid\":\"u1\",\"promptId\":\"p1\",$(t 0)}"
echo "{\"parentUuid\":\"u1\",$h,\"type\":\"assistant\",\"message\":{\"id\":\"m1\",\"model\":\"claude-opus-4-5\",\"content\":[{\"type\":\"text\",\"text\":\"Running the tests with token $SECRET now.\"}],\"usage\":{\"input_tokens\":1,\"output_tokens\":2}},\"requestId\":\"r1\",\"uuid\":\"a1\",$(t 1)}"
echo "{\"parentUuid\":\"a1\",$h,\"type\":\"assistant\",\"message\":{\"id\":\"m1\",\"model\":\"claude-opus-4-5\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_b1\",\"name\":\"Bash\",\"input\":{\"command\":\"pytest -q\",\"description\":\"Run tests\"}}]},\"requestId\":\"r1\",\"uuid\":\"a2\",$(t 2)}"
echo "{\"parentUuid\":\"a2\",$h,\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_b1\",\"is_error\":true,\"content\":\"Exit code 1\\nFAILED test_webhook\"}]},\"toolUseResult\":\"Error\",\"uuid\":\"u2\",$(t 3)}"
echo "{\"parentUuid\":\"u2\",$h,\"type\":\"assistant\",\"message\":{\"id\":\"m2\",\"model\":\"claude-opus-4-5\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_r1\",\"name\":\"Read\",\"input\":{\"file_path\":\"/home/dev/shop/webhook.py\"}}]},\"requestId\":\"r2\",\"uuid\":\"a3\",$(t 4)}"
echo "{\"parentUuid\":\"a3\",$h,\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_r1\",\"content\":\"$LONG_OUT\"}]},\"uuid\":\"u3\",$(t 5)}"
echo "{\"parentUuid\":\"u3\",$h,\"type\":\"assistant\",\"message\":{\"id\":\"m3\",\"model\":\"claude-opus-4-5\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_e1\",\"name\":\"Edit\",\"input\":{\"file_path\":\"/home/dev/shop/webhook.py\",\"old_string\":\"a\",\"new_string\":\"$LONG_NEW\"}}]},\"requestId\":\"r3\",\"uuid\":\"a4\",$(t 6)}"
echo "{\"parentUuid\":\"a4\",$h,\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_e1\",\"content\":[{\"type\":\"text\",\"text\":\"The file has been updated.\"}]}]},\"uuid\":\"u4\",$(t 7)}"
echo "{\"parentUuid\":\"u4\",$h,\"type\":\"assistant\",\"message\":{\"id\":\"m4\",\"model\":\"claude-opus-4-5\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_a1\",\"name\":\"Agent\",\"input\":{\"description\":\"Find call sites\",\"prompt\":\"Find the call sites of process()\",\"subagent_type\":\"Explore\"}}]},\"requestId\":\"r4\",\"uuid\":\"a5\",$(t 8)}"
echo "{\"parentUuid\":\"a5\",$h,\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_a1\",\"content\":[{\"type\":\"text\",\"text\":\"Found 3 call sites.\"}]}]},\"uuid\":\"u5\",$(t 20)}"
echo '{"type":"summary","summary":"Webhook fix","leafUuid":"a5"}'
echo 'this line is not JSON'
echo "{\"parentUuid\":\"u5\",$h,\"type\":\"assistant\",\"message\":{\"id\":\"m5\",\"model\":\"claude-opus-4-5\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"done\"},{\"type\":\"text\",\"text\":\"All fixed.\"}]},\"requestId\":\"r5\",\"uuid\":\"a6\",$(t 21)}"
} >"$MAIN"
hs='"isSidechain":true,"agentId":"ag7","sessionId":"conv-1"'
{
echo "{\"parentUuid\":null,$hs,\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":\"Find the call sites of process()\"},\"uuid\":\"s1\",$(t 9)}"
echo "{\"parentUuid\":\"s1\",$hs,\"type\":\"assistant\",\"message\":{\"id\":\"ms1\",\"model\":\"claude-haiku-4-5\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_g1\",\"name\":\"Grep\",\"input\":{\"pattern\":\"process\\\\(\"}}]},\"requestId\":\"rs1\",\"uuid\":\"s2\",$(t 10)}"
echo "{\"parentUuid\":\"s2\",$hs,\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_g1\",\"content\":\"a.py:1\\nb.py:2\\nc.py:3\"}]},\"uuid\":\"s3\",$(t 11)}"
echo "{\"parentUuid\":\"s3\",$hs,\"type\":\"assistant\",\"message\":{\"id\":\"ms2\",\"model\":\"claude-haiku-4-5\",\"content\":[{\"type\":\"text\",\"text\":\"Found 3 call sites of process().\"}]},\"requestId\":\"rs2\",\"uuid\":\"s4\",$(t 12)}"
} >"$SUB/agent-ag7.jsonl"
echo '{"agentType":"Explore","description":"Find call sites","toolUseId":"toolu_a1","spawnDepth":1}' >"$SUB/agent-ag7.meta.json"

start_collector || { fail collector_starts; exit 1; }
hook() { printf '%s' "$1" | "$SEND"; }
base="\"session_id\":\"$S\",\"transcript_path\":\"$MAIN\",\"cwd\":\"/home/dev/shop\""
hook "{$base,\"hook_event_name\":\"UserPromptSubmit\",\"prompt\":\"Fix the failing webhook test\",\"prompt_id\":\"p1\"}"
hook "{$base,\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Bash\",\"tool_use_id\":\"toolu_b1\",\"tool_input\":{\"command\":\"pytest -q\"}}"
hook "{$base,\"hook_event_name\":\"PostToolUseFailure\",\"tool_name\":\"Bash\",\"tool_use_id\":\"toolu_b1\",\"error\":\"Exit code 1\"}"
hook "{$base,\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Read\",\"tool_use_id\":\"toolu_r1\",\"tool_input\":{\"file_path\":\"/home/dev/shop/webhook.py\"}}"
hook "{$base,\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"Read\",\"tool_use_id\":\"toolu_r1\"}"
hook "{$base,\"hook_event_name\":\"SubagentStop\",\"agent_id\":\"ag7\",\"agent_type\":\"Explore\",\"agent_transcript_path\":\"$SUB/agent-ag7.jsonl\"}"
hook "{$base,\"hook_event_name\":\"Stop\"}"
wait_sql 10 "SELECT count(*) FROM transcript_lines WHERE session_id='$S' AND agent_id=''" 11 \
    && pass main_indexed || fail main_indexed "$(sql "SELECT count(*) FROM transcript_lines WHERE session_id='$S'")"
wait_sql 10 "SELECT count(*) FROM transcript_lines WHERE session_id='$S' AND agent_id='ag7'" 4 \
    && pass subagent_indexed || fail subagent_indexed
expect_eq subagent_parent_recorded "$(sql "SELECT parent_tool_use_id||'/'||agent_type FROM transcript_files WHERE agent_id='ag7'")" "toolu_a1/Explore"
expect_eq index_holds_no_text "$(sql "SELECT count(*) FROM transcript_lines WHERE uuid LIKE '%ghp_%' OR prompt_id LIKE '%ghp_%'")" 0

start_server || { fail server_starts; exit 1; }
conv() { http_body "/api/sessions/$1/conversation${2:+?$2}"; }
j=$(conv $S)
expect_eq item_types "$(jq -r '[.items[].type] | join(",")' <<<"$j")" "user,assistant,tool,tool,tool,tool,assistant"
expect_eq transcript_ok "$(jq -r .transcript <<<"$j")" ok
expect_eq no_next_page "$(jq -r .next_after <<<"$j")" null
expect_eq prompt_text_is_text "$(jq -r '.items[0].text' <<<"$j")" "Fix the failing <b>webhook</b> test"
expect_eq prompt_id "$(jq -r '.items[0].prompt_id' <<<"$j")" p1
expect_eq prompt_event_linked "$(jq -r '.items[0].event_id' <<<"$j")" \
    "$(sql "SELECT id FROM events WHERE event_type='UserPromptSubmit' AND prompt_id='p1'")"
expect_eq prompt_time "$(jq -r '.items[0].ts + " " + (.items[0].ts_ms|tostring)' <<<"$j")" \
    "2026-11-27T04:00:00.000Z 1795752000000"
reply=$(jq -r '.items[1].text' <<<"$j")
case "$reply" in *"$SECRET"*) fail reply_secret_redacted "$reply" ;;
    *"[REDACTED:github_token]"*) pass reply_secret_redacted ;; *) fail reply_secret_redacted "$reply" ;; esac
expect_eq reply_model "$(jq -r '.items[1].model' <<<"$j")" claude-opus-4-5
bash_item=$(jq -c '.items[2]' <<<"$j")
expect_eq bash_call "$(jq -r '.name + " " + .input.command + " " + .tool_use_id' <<<"$bash_item")" "Bash pytest -q toolu_b1"
expect_eq bash_result_error "$(jq -r '.result.is_error' <<<"$bash_item")" true
expect_eq bash_result_text "$(jq -r '.result.text' <<<"$bash_item")" "$(printf 'Exit code 1\nFAILED test_webhook')"
expect_eq bash_pre_linked "$(jq -r .pre_event_id <<<"$bash_item")" \
    "$(sql "SELECT id FROM events WHERE event_type='PreToolUse' AND tool_use_id='toolu_b1'")"
expect_eq bash_post_linked "$(jq -r .post_event_id <<<"$bash_item")" \
    "$(sql "SELECT id FROM events WHERE event_type='PostToolUseFailure' AND tool_use_id='toolu_b1'")"
read_item=$(jq -c '.items[3]' <<<"$j")
expect_eq read_result_cut "$(jq -r '[.result.truncated, .result.size, (.result.text|length <= 8192)] | map(tostring) | join(" ")' <<<"$read_item")" "true 20000 true"
expect_eq read_input_path "$(jq -r '.input.file_path' <<<"$read_item")" /home/dev/shop/webhook.py
edit_item=$(jq -c '.items[4]' <<<"$j")
expect_eq edit_input_string_cut "$(jq -r '.input.new_string | (length < 3000) and endswith("[chronicle: cut from 3000 bytes]")' <<<"$edit_item")" true
expect_eq edit_input_size "$(jq -r .input_size <<<"$edit_item")" "$(printf '%s' "{\"file_path\":\"/home/dev/shop/webhook.py\",\"old_string\":\"a\",\"new_string\":\"$LONG_NEW\"}" | wc -c)"
expect_eq edit_result_blocks "$(jq -r '.result.text' <<<"$edit_item")" "The file has been updated."
expect_eq edit_no_hooks "$(jq -r '[.pre_event_id, .post_event_id, .subagent] | map(tostring) | join(",")' <<<"$edit_item")" "null,null,null"
agent_item=$(jq -c '.items[5]' <<<"$j")
expect_eq agent_subagent "$(jq -r '.subagent | [.agent_id, .agent_type, .description, .final_text] | join("|")' <<<"$agent_item")" \
    "ag7|Explore|Find call sites|Found 3 call sites of process()."
expect_eq agent_result "$(jq -r .result.text <<<"$agent_item")" "Found 3 call sites."
expect_eq thinking_not_shown "$(jq -r '.items[6].text' <<<"$j")" "All fixed."

# The subagent's own turns.
js=$(conv $S agent_id=ag7)
expect_eq subagent_types "$(jq -r '[.items[].type] | join(",")' <<<"$js")" "user,tool,assistant"
expect_eq subagent_agent_id "$(jq -r .agent_id <<<"$js")" ag7
expect_eq subagent_grep "$(jq -r '.items[1] | .name + " " + .input.pattern + " " + .result.text' <<<"$js")" \
    "$(printf 'Grep process\\( a.py:1\nb.py:2\nc.py:3')"

# Paging: limit 2 along next_after visits every item once, in order.
all=$(jq -c '[.items[].seq]' <<<"$j")
seen='[]'; after=; pages=0
while :; do
    p=$(conv $S "limit=2${after:+&after=$after}")
    seen=$(jq -c --argjson s "$seen" '$s + [.items[].seq]' <<<"$p")
    after=$(jq -r '.next_after // empty' <<<"$p")
    pages=$((pages + 1))
    [ -n "$after" ] && [ $pages -lt 20 ] || break
done
expect_eq paging_every_item_once "$seen" "$all"
expect_eq paging_pages "$pages" 4

# Bad requests: clear 400s; an unknown session 404.
expect_eq bad_after "$(http_status "/api/sessions/$S/conversation?after=abc")" 400
expect_eq bad_after_negative "$(http_status "/api/sessions/$S/conversation?after=-1")" 400
expect_eq bad_limit_zero "$(http_status "/api/sessions/$S/conversation?limit=0")" 400
expect_eq bad_limit_big "$(http_status "/api/sessions/$S/conversation?limit=201")" 400
expect_eq bad_agent_id "$(http_status "/api/sessions/$S/conversation?agent_id=..%2Fx")" 400
expect_eq bad_param "$(http_status "/api/sessions/$S/conversation?limt=2")" 400
conv $S after=abc | grep -q "'after' must be a cursor" && pass bad_after_message || fail bad_after_message
expect_eq unknown_session "$(http_status "/api/sessions/nope/conversation")" 404
expect_eq unknown_agent_empty "$(conv $S agent_id=zz | jq -r '.transcript + " " + (.items|length|tostring)')" "none 0"

# A line longer than the server's read cap (512 KB): cut, marked, sized.
S3=conv-3
F3=$P/$S3.jsonl
printf '{"type":"user","sessionId":"%s","uuid":"v1","message":{"role":"user","content":"%s"},%s}\n' \
    $S3 "$(long 600000 z)" "$(t 30)" >"$F3"
printf '{"type":"assistant","sessionId":"%s","uuid":"v2","message":{"id":"mv","content":[{"type":"text","text":"short"}]},%s}\n' \
    $S3 "$(t 31)" >>"$F3"
printf '{"type":"assistant","sessionId":"%s","uuid":"v3","message":{"id":"mv2","content":[{"type":"tool_use","id":"toolu_m1","name":"mcp__db__query","input":{"sql":"select 1","password":"hunter2"}}]},%s}\n' \
    $S3 "$(t 32)" >>"$F3"
printf '{"type":"user","sessionId":"%s","uuid":"v4","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_m1","content":"{\\"rows\\":1,\\"api_key\\":\\"abc123xyz\\"}"}]},%s}\n' \
    $S3 "$(t 33)" >>"$F3"
hook "{\"session_id\":\"$S3\",\"transcript_path\":\"$F3\",\"hook_event_name\":\"Stop\"}"
wait_sql 10 "SELECT count(*) FROM transcript_lines WHERE session_id='$S3'" 4 && pass long_line_indexed || fail long_line_indexed
j3=$(conv $S3)
expect_eq input_secret_redacted "$(jq -r '.items[2].input.password' <<<"$j3")" "[REDACTED]"
r3=$(jq -r '.items[2].result.text' <<<"$j3")
case "$r3" in *abc123xyz*) fail json_result_redacted "$r3" ;; *'"rows":1'*) pass json_result_redacted ;; *) fail json_result_redacted "$r3" ;; esac
expect_eq long_line_cut "$(jq -r '.items[0] | [.truncated, (.size >= 600000), (.text|length <= 16384)] | map(tostring) | join(" ")' <<<"$j3")" "true true true"
expect_eq after_long_line "$(jq -r '.items[1].text' <<<"$j3")" short

# A page reads at most 8 MB of transcript: 20 lines of 600 KB (read 512 KB
# each) come in two pages whatever the limit, every item once.
S5=conv-5
F5=$P/$S5.jsonl
big=$(long 600000 q)
for i in $(seq 20); do
    printf '{"type":"user","sessionId":"%s","uuid":"x%d","message":{"role":"user","content":"%s"},%s}\n' \
        $S5 "$i" "$big" "$(t 50)"
done >"$F5"
hook "{\"session_id\":\"$S5\",\"transcript_path\":\"$F5\",\"hook_event_name\":\"Stop\"}"
wait_sql 10 "SELECT count(*) FROM transcript_lines WHERE session_id='$S5'" 20 && pass budget_indexed || fail budget_indexed
p1=$(conv $S5 limit=200)
n1=$(jq '.items | length' <<<"$p1")
a1=$(jq -r '.next_after // empty' <<<"$p1")
[ "$n1" -ge 1 ] && [ "$n1" -lt 20 ] && [ -n "$a1" ] && pass page_read_budget || fail page_read_budget "$n1 items, next $a1"
p2=$(conv $S5 "limit=200&after=$a1")
expect_eq budget_pages_cover_all "$(jq -s '[.[].items[].seq] | (length|tostring) + " " + ((unique|length)|tostring)' <<<"$p1$p2" | tr -d '"')" "20 20"
rm -f "$F5"

# A symlink put in place of an indexed transcript: refused by the server.
cp "$F3" "$F3.real"
rm "$F3"
ln -s "$F3.real" "$F3"
j3=$(conv $S3)
expect_eq symlink_refused_by_server "$(jq -r '.transcript + " " + (.items[1].text|tostring) + " " + (.items[1].unavailable|tostring)' <<<"$j3")" "refused null true"
grep -q "short" <<<"$j3" && fail symlink_not_read || pass symlink_not_read

# A transcript path that is a symlink from the start: the collector never
# reads it, so nothing is indexed.
S4=conv-4
ln -s "$MAIN" "$P/$S4.jsonl"
hook "{\"session_id\":\"$S4\",\"transcript_path\":\"$P/$S4.jsonl\",\"hook_event_name\":\"Stop\"}"
wait_sql 10 "SELECT value FROM collector_stats WHERE name='transcript_files_refused_total'" 1 \
    && pass symlink_refused_by_collector || fail symlink_refused_by_collector
expect_eq symlink_nothing_indexed "$(conv $S4 | jq -r '.transcript + " " + (.items|length|tostring)')" "none 0"

# The transcript deleted: what was indexed, marked, never a 500.
rm "$MAIN"
expect_eq deleted_status "$(http_status "/api/sessions/$S/conversation")" 200
jd=$(conv $S)
expect_eq deleted_transcript "$(jq -r '.transcript + " " + (.items|length|tostring) + " " + (.items[0].text|tostring) + " " + .items[2].tool_use_id' <<<"$jd")" \
    "missing 7 null toolu_b1"
expect_eq deleted_links_kept "$(jq -r '.items[2].pre_event_id' <<<"$jd")" "$(jq -r .pre_event_id <<<"$bash_item")"

# Another file at the same path (rotated, rewritten): "replaced" until the
# collector reads it from its start, then only the new file's index.
{
echo "{\"parentUuid\":null,$h,\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":\"Start over\"},\"uuid\":\"w1\",\"promptId\":\"p9\",$(t 40)}"
echo "{\"parentUuid\":\"w1\",$h,\"type\":\"assistant\",\"message\":{\"id\":\"mw\",\"content\":[{\"type\":\"text\",\"text\":\"Starting over.\"}]},\"uuid\":\"w2\",$(t 41)}"
} >"$MAIN"
expect_eq replaced_before_reread "$(conv $S | jq -r '.transcript + " " + (.items|length|tostring)')" "replaced 7"
hook "{$base,\"hook_event_name\":\"Stop\"}"
wait_sql 10 "SELECT count(*) FROM transcript_lines WHERE session_id='$S' AND agent_id=''" 2 \
    && pass replaced_reindexed || fail replaced_reindexed "$(sql "SELECT count(*) FROM transcript_lines WHERE session_id='$S' AND agent_id=''")"
expect_eq replaced_after_reread "$(conv $S | jq -r '.transcript + " " + ([.items[].text] | join("|"))')" "ok Start over|Starting over."

stop_server
stop_collector && pass clean_exit || fail clean_exit

# Retention: index rows older than the cut-off go (the lines are dated
# 2026-11-27, the events now); the events stay.
CHRONICLE_RETENTION_DAYS=1 CHRONICLE_RETENTION_CHECK_S=1 start_collector || fail collector_restarts
wait_sql 15 "SELECT count(*) FROM transcript_lines" 0 && pass index_expires \
    || fail index_expires "$(sql 'SELECT count(*) FROM transcript_lines')"
expect_eq events_kept "$(sql "SELECT count(*) FROM events WHERE session_id='$S'")" 8
stop_collector
