#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ (debug, -sanitize=fuzzer,address, scratch folder .build-fuzz) and runs
# each for a bounded time:
#
#   scripts/fuzz.sh [SECONDS] [TARGET…]    # SECONDS per target, default 60; default: every target
#
# Each run starts from the committed seeds (Fuzz/Corpus/TARGET) plus what earlier local runs found
# (.build-fuzz/corpus/TARGET, not committed). A crash, a sanitizer report, an input slower than the per-input
# timeout or one using more memory than the limit fails the script (non-zero exit) and prints the reproducer
# path; rerun one with `.build-fuzz/debug/TARGET REPRODUCER`. A thrown Swift error is a normal outcome of an
# input (the targets catch them), so only real failures count. Prints each target's executions and coverage.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=(SafeTensorsFuzz HeaderJSONFuzz CoNLLUFuzz CMUDictFuzz ModelFolderFuzz)
fi
scratch=$(pwd)/.build-fuzz
rss_limit_mb=2048      # per process; a single allocation above it is reported too (libFuzzer's malloc limit)
input_timeout=10       # seconds for one input (the slowest target, model folders, takes ~3 ms an input)

echo "fuzz: building ${targets[*]} (debug, libFuzzer + ASan, $scratch)"
start=$SECONDS
# Why not just `--sanitize=fuzzer --sanitize=address`: SwiftPM passes them to swiftc as two options and the
# later one wins, so the Swift code got ASan but no coverage counters (libFuzzer then ran blind: "no interesting
# inputs"). So `--sanitize=fuzzer` (which also stops SwiftPM renaming each target's main, leaving libFuzzer's)
# plus one combined `-sanitize=fuzzer,address` for swiftc, and ASan for the C kernels. ld.gold's "Cannot export
# local symbol __asan_…" warnings are harmless and filtered out.
swift build --package-path Fuzz --scratch-path "$scratch" --sanitize=fuzzer \
    -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=address 2>&1 | { grep -v 'Cannot export local symbol' || true; }
echo "fuzz: built in $((SECONDS - start)) s"

# ASan: halt at the first error with a stack (libFuzzer then writes the input as crash-…). Leak checks stay
# off (as in scripts/sanitize.sh): the targets look for memory errors and traps, and one-time caches filled
# by the first inputs (runtime metadata, the worker pool) are never freed by design.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=0}

status=0
summary=()
for target in "${targets[@]}"; do
    corpus=$scratch/corpus/$target
    artifacts=$scratch/artifacts/$target
    log=$scratch/logs/$target.log
    mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
    echo "fuzz: $target for ${seconds} s (log: $log)"
    set +e
    "$scratch/debug/$target" "$corpus" "Fuzz/Corpus/$target" \
        -max_total_time="$seconds" -rss_limit_mb="$rss_limit_mb" -timeout="$input_timeout" \
        -detect_leaks=0 -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1
    code=$?
    set -e
    executions=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)
    features=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)
    line="$target: ${executions:-?} executions (limit ${seconds} s), cov: ${coverage:-?}, ft: ${features:-?}, corpus $(ls "$corpus" | wc -l) files"
    if [[ $code -ne 0 ]]; then
        status=1
        reproducer=$(grep -o 'Test unit written to [^ ]*' "$log" | tail -1 | sed 's/Test unit written to //' || true)
        line="$line — FAILED (exit $code), reproducer: ${reproducer:-see $log}"
        echo "fuzz: $target failed; the report:" >&2
        grep -E -A30 '^==[0-9]+==ERROR|Fatal error|deadly signal|ERROR: libFuzzer' "$log" | head -60 >&2 || tail -40 "$log" >&2
    fi
    summary+=("$line")
    echo "fuzz: $line"
done

echo "fuzz: summary (total $((SECONDS - start)) s including the build)"
printf '  %s\n' "${summary[@]}"
exit $status
