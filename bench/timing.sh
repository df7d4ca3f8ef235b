#!/usr/bin/env bash
# Timing of the release build in headless Chromium (bench/timing.mjs):
#   - navigation to first rendered step list, median of 5 fresh loads
#   - wall time of Run all (21 calls) in the in-page sandbox, median of 5 runs
#   bench/timing.sh                  build (scripts/build.sh), then measure
#   TIMING_NO_BUILD=1 bench/timing.sh   measure the existing dist/
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

if [ "${TIMING_NO_BUILD:-}" != 1 ]; then
  scripts/build.sh >&2
fi
[ -f dist/index.html ] || { echo "[timing] dist/index.html missing: build first" >&2; exit 1; }

out="$(mktemp)"
node e2e/serve.mjs dist 0 >"$out" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; rm -f "$out"' EXIT
url=""
for _ in $(seq 100); do
  url="$(sed -n 's/^listening //p' "$out")"
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "[timing] static server did not start" >&2; cat "$out" >&2; exit 1; }
BENCH_URL="$url" node bench/timing.mjs
