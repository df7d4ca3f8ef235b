#!/usr/bin/env bash
# Timing of the release build in headless Chromium (bench/timing.mjs):
#   - navigation to first rendered step list, median of 5 fresh loads
#   - wall time of Run all (21 calls) in the in-page sandbox, median of 5 runs
#   bench/timing.sh                  build (scripts/build.sh), then measure
#   TIMING_NO_BUILD=1 bench/timing.sh   measure the existing dist/
#   TIMING_BASE=<git rev> bench/timing.sh   also build that revision (a detached worktree under
#                                 target/timing-base, with its own target dir kept there between
#                                 runs) and compare the first render of both builds side by side,
#                                 load by load, then Run all after pointing at it, run by run
#   TIMING_SIDE_ONLY=1 (with TIMING_BASE)  only those side-by-side figures
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
base_url=""
if [ -n "${TIMING_BASE:-}" ]; then
  base_dir="$ROOT/target/timing-base"
  rm -rf "$base_dir/src" "$base_dir/dist"
  git worktree prune
  git worktree add --detach "$base_dir/src" "$TIMING_BASE" >&2
  (cd "$base_dir/src" && CARGO_TARGET_DIR="$base_dir/target" trunk build --release --dist "$base_dir/dist") >&2
  git worktree remove --force "$base_dir/src"
  base_out="$(mktemp)"
  node e2e/serve.mjs "$base_dir/dist" 0 >"$base_out" 2>&1 &
  base_server=$!
  trap 'kill "$server" "$base_server" 2>/dev/null; rm -f "$out" "$base_out"' EXIT
  for _ in $(seq 100); do
    base_url="$(sed -n 's/^listening //p' "$base_out")"
    [ -n "$base_url" ] && break
    sleep 0.1
  done
  [ -n "$base_url" ] || { echo "[timing] static server for $TIMING_BASE did not start" >&2; exit 1; }
  echo "[timing] base: $TIMING_BASE ($(git rev-parse --short "$TIMING_BASE")) at $base_url; current: the working tree's dist/ at $url" >&2
fi
BENCH_URL="$url" BENCH_BASE_URL="$base_url" BENCH_SIDE_ONLY="${TIMING_SIDE_ONLY:-}" node bench/timing.mjs
