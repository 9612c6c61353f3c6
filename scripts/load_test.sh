#!/usr/bin/env bash
# Load test of `recurrent serve` on loopback with Debian's wrk: 64 connections for 30 s of POST /v1/tag
# (an English sentence of 13 words), with batching on (the default) and off (--max-batch 1). Prints wrk's
# throughput and latency percentiles, the errors, and the server's resident memory before and after.
#
#   scripts/load_test.sh [seconds] [connections]     (builds nothing: run `swift build -c release` first)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
connections=${2:-64}
binary=.build/release/recurrent
command -v wrk >/dev/null || { echo "load_test: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[[ -x $binary ]] || { echo "load_test: $binary is missing; run swift build -c release" >&2; exit 1; }

lua=$(mktemp /tmp/recurrent-load.XXXX.lua)
cat > "$lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"lang": "en", "text": "The quick brown fox jumps over the lazy dog while I saw her duck today ."}'
LUA
trap 'rm -f "$lua"' EXIT

rss() { awk '/VmRSS/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$1/status"; }

for mode in on off; do
    options=()
    [[ $mode == off ]] && options=(--max-batch 1)
    log=$(mktemp)
    "$binary" serve --port 0 "${options[@]}" > "$log" 2>/dev/null &
    server=$!
    for _ in $(seq 1 600); do grep -q "listening on" "$log" && break; sleep 0.1; done
    url=$(grep -o 'http://[^ ]*' "$log")
    # Warm up (first calls pack weights), then measure.
    wrk -t2 -c"$connections" -d2s -s "$lua" "$url/v1/tag" > /dev/null
    before=$(rss $server)
    echo "== batching $mode (${options[*]:-default options}): wrk -t2 -c$connections -d${seconds}s POST /v1/tag"
    wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$lua" "$url/v1/tag" | grep -E "Requests/sec|Latency|50%|99%|requests in|Non-2xx|Socket errors"
    echo "server memory (VmRSS): $before after warm-up, $(rss $server) after the run"
    kill -TERM $server
    wait $server || true
    rm -f "$log"
done
