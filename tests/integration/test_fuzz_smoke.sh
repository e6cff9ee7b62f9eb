#!/usr/bin/env bash
# Builds every libFuzzer target (make fuzz) and runs each for a few seconds
# over its seed corpus: the targets stay buildable and the parsers survive a
# short fuzz in every CI run.  Long runs: see tests/fuzz/fuzz.mk.
source "$(dirname "$0")/lib.sh"
if nm "$COLLECTOR" 2>/dev/null | grep -q __asan_init; then echo "N/A fuzz_smoke: not in the ASan build (the plain run fuzzes)"; exit 0; fi
cd "$ROOT"
if make -s fuzz >"$CHRONICLE_HOME/fuzz-build.log" 2>&1; then pass fuzz_targets_build; else
    fail fuzz_targets_build; tail -20 "$CHRONICLE_HOME/fuzz-build.log" >&2; exit 1; fi
for t in build-fuzz/fuzz_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    corpus=tests/fuzz/corpus/${name#fuzz_}
    seeds=()
    [ -d "$corpus" ] && seeds=("$corpus")
    work=$CHRONICLE_HOME/$name
    mkdir -p "$work"
    # New inputs go to a scratch corpus, never into the repository.
    if (cd "$work" && "$ROOT/$t" -max_total_time=5 -rss_limit_mb=2048 "$work" "${seeds[@]/#/$ROOT/}" \
            >"$work/log" 2>&1); then
        pass "fuzz_smoke_$name"
    else
        fail "fuzz_smoke_$name"; grep -E "ERROR|SUMMARY|panic" "$work/log" | head -5 >&2
    fi
done
