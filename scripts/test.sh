#!/usr/bin/env bash
# Runs every test suite, carries on past failures, then prints a summary. Exit status 1 if any
# suite failed. The last line of output is always `N passed, M failed[, K skipped]`, counting
# tests: every cargo test (native and wasm) and every Playwright test, with a line per suite
# above it. A suite that fails outside any test (a build error, a server that did not start)
# counts as one failed test, so the line can never read as green when a suite is red.
#   scripts/test.sh [native|wasm|e2e ...]      (default: all three, in that order)
# Each suite's output is also kept in target/test-logs/<suite>.log.
#
#   native  cargo test for the native crates (pingone, sandbox, proxy); the app is not built natively
#   wasm    cargo test --target wasm32-unknown-unknown for the app (in headless Chromium through
#           ChromeDriver) and pingone (in Node), via wasm-bindgen-test-runner
#   e2e     release build (scripts/build.sh), served from dist/ on a free loopback port, then
#           `node --test e2e/` driving /usr/bin/chromium with playwright-core
set -uo pipefail
. "$(dirname "$0")/env.sh"
cd "$ROOT"
exec </dev/null # never wait for input (CI)

suite_native() {
  cargo test --no-fail-fast --workspace --exclude workbench
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# pingone-sandbox and pingone-proxy on loopback for the live-mode browser test (tests/live.rs):
# each prints one JSON line on stdout when ready (the proxy's notes on stderr go to
# target/test-logs/proxy.stderr).
# the test page (wasm-bindgen-test-runner on $runner_port) calls the proxy cross-origin.
live_pids=()
start_live_stack() {
  cargo build --quiet -p sandbox --bin pingone-sandbox -p proxy --bin pingone-proxy || return 1
  local runner_port sb_out px_out line
  runner_port="$(free_port)"
  sb_out="$(mktemp)" px_out="$(mktemp)"
  target/debug/pingone-sandbox --listen 127.0.0.1:0 --seed 7 --quiet --allow-origin "http://127.0.0.1:$runner_port" >"$sb_out" 2>&1 &
  live_pids+=($!)
  for _ in $(seq 100); do line="$(head -n1 "$sb_out")"; [ -n "$line" ] && break; sleep 0.1; done
  export WORKBENCH_LIVE_SANDBOX="$(printf '%s' "$line" | python3 -c 'import json,sys; print(json.load(sys.stdin)["base_url"].rstrip("/"))')" || return 1
  export WORKBENCH_LIVE_ENV_ID="$(printf '%s' "$line" | python3 -c 'import json,sys; print(json.load(sys.stdin)["env_id"])')"
  export WORKBENCH_LIVE_WORKER_ID="$(printf '%s' "$line" | python3 -c 'import json,sys; print(json.load(sys.stdin)["worker_client_id"])')"
  export WORKBENCH_LIVE_WORKER_SECRET="$(printf '%s' "$line" | python3 -c 'import json,sys; print(json.load(sys.stdin)["worker_client_secret"])')"
  target/debug/pingone-proxy --listen 127.0.0.1:0 --allow-origin "http://127.0.0.1:$runner_port" \
    --upstream-api "$WORKBENCH_LIVE_SANDBOX" --upstream-auth "$WORKBENCH_LIVE_SANDBOX" --rate-limit 0 --quiet >"$px_out" 2>>"$ROOT/target/test-logs/proxy.stderr" &
  live_pids+=($!)
  for _ in $(seq 100); do line="$(head -n1 "$px_out")"; [ -n "$line" ] && break; sleep 0.1; done
  export WORKBENCH_LIVE_PROXY="$(printf '%s' "$line" | python3 -c 'import json,sys; print(json.load(sys.stdin)["proxy_url"].rstrip("/"))')" || return 1
  # A second proxy that holds the worker credentials itself (--worker-from-env).
  local wx_out
  wx_out="$(mktemp)"
  PINGONE_WORKER_CLIENT_ID="$WORKBENCH_LIVE_WORKER_ID" PINGONE_WORKER_CLIENT_SECRET="$WORKBENCH_LIVE_WORKER_SECRET" \
    PINGONE_ENVIRONMENT_ID="$WORKBENCH_LIVE_ENV_ID" \
    target/debug/pingone-proxy --listen 127.0.0.1:0 --allow-origin "http://127.0.0.1:$runner_port" --region na --worker-from-env \
    --upstream-api "$WORKBENCH_LIVE_SANDBOX" --upstream-auth "$WORKBENCH_LIVE_SANDBOX" --rate-limit 0 --quiet >"$wx_out" 2>/dev/null &
  live_pids+=($!)
  for _ in $(seq 100); do line="$(head -n1 "$wx_out")"; [ -n "$line" ] && break; sleep 0.1; done
  WORKBENCH_LIVE_WORKER_PROXY="$(printf '%s' "$line" | python3 -c 'import json,sys; print(json.load(sys.stdin)["proxy_url"].rstrip("/"))')" || return 1
  export WORKBENCH_LIVE_WORKER_PROXY
  rm -f "$wx_out"
  export WASM_BINDGEN_TEST_ADDRESS="127.0.0.1:$runner_port"
  echo "[test] live stack: page http://127.0.0.1:$runner_port -> proxy $WORKBENCH_LIVE_PROXY -> sandbox $WORKBENCH_LIVE_SANDBOX"
  rm -f "$sb_out" "$px_out"
}

stop_live_stack() {
  for p in "${live_pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  live_pids=()
}

suite_wasm() {
  # WASM_TEST=live runs only tests/live.rs (while working on one file); default: every wasm test.
  # `embed`: the embed's code (and its option parser's tests) is in the lib only with that feature.
  local targets=(-p workbench -p pingone --features workbench/embed)
  [ -n "${WASM_TEST:-}" ] && targets=(-p workbench --test "$WASM_TEST")
  start_live_stack || { echo "[test] wasm: could not start the live stack" >&2; stop_live_stack; return 1; }
  WASM_BINDGEN_TEST_TIMEOUT=300 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    WASM_BINDGEN_TEST_WEBDRIVER_JSON="$ROOT/webdriver.json" \
    cargo test --no-fail-fast --target wasm32-unknown-unknown "${targets[@]}"
  local rc=$?
  stop_live_stack
  return $rc
}

suite_e2e() {
  scripts/build.sh || return 1
  # The same app built for a sub-path, served there by e2e/embed.test.mjs (docs/embedding.md).
  # Cargo's output is reused: only wasm-bindgen and wasm-opt run again.
  local subpath="$ROOT/target/e2e-subpath"
  scripts/build.sh --public-url /docs/workbench/ --dist "$subpath" || return 1
  local out server url rc
  out="$(mktemp)"
  node e2e/serve.mjs dist 0 >"$out" 2>&1 &
  server=$!
  for _ in $(seq 100); do
    url="$(sed -n 's/^listening //p' "$out")"
    [ -n "$url" ] && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$url" ]; then
    echo "[test] e2e: static server did not start:" >&2
    cat "$out" >&2
    kill "$server" 2>/dev/null
    rm -f "$out"
    return 1
  fi
  echo "[test] e2e: serving dist/ at $url"
  # Live mode over real HTTP: pingone-proxy with the sandbox engine as its upstream, serving the
  # built app on the same origin (e2e/live.test.mjs).
  cargo build --quiet -p proxy --bin pingone-proxy || { kill "$server"; return 1; }
  local live_port live_out live_pid line
  live_port="$(free_port)"
  live_out="$(mktemp)"
  target/debug/pingone-proxy --listen "127.0.0.1:$live_port" --allow-origin "http://127.0.0.1:$live_port" \
    --sandbox --seed 9 --serve dist --rate-limit 0 --quiet >"$live_out" 2>>"$ROOT/target/test-logs/proxy.stderr" &
  live_pid=$!
  for _ in $(seq 100); do line="$(head -n1 "$live_out")"; [ -n "$line" ] && break; sleep 0.1; done
  local live_tenant
  live_tenant="$(printf '%s' "$line" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["sandbox"]))')"
  echo "[test] e2e: pingone-proxy --sandbox --serve dist at http://127.0.0.1:$live_port"
  E2E_BASE_URL="$url" E2E_DIST="$ROOT/dist" E2E_SUBPATH_DIST="$subpath" \
    E2E_LIVE_URL="http://127.0.0.1:$live_port" E2E_LIVE_TENANT="$live_tenant" \
    node --test --test-reporter=spec --test-concurrency=1 --test-timeout=120000 ${E2E_FILES:-e2e/}
  rc=$?
  kill "$server" "$live_pid" 2>/dev/null
  wait "$server" 2>/dev/null
  wait "$live_pid" 2>/dev/null
  rm -f "$live_out"
  rm -f "$out"
  return $rc
}

# Counts in a suite's log: cargo's and wasm-bindgen-test's `test result: ... N passed; M failed;
# K ignored` lines (one per test binary) and node's closing `ℹ pass N` / `ℹ fail M` /
# `ℹ skipped K` / `ℹ todo K`. Prints "passed failed skipped".
count_tests() {
  awk '
    /^test result: / {
      for (i = 1; i <= NF; i++) {
        if ($(i+1) ~ /^passed;?$/) p += $i
        if ($(i+1) ~ /^failed;?$/) f += $i
        if ($(i+1) ~ /^ignored;?$/) k += $i
      }
    }
    /^ℹ pass [0-9]+$/ { p += $3 }
    /^ℹ (fail|cancelled) [0-9]+$/ { f += $3 }
    /^ℹ (skipped|todo) [0-9]+$/ { k += $3 }
    END { printf "%d %d %d\n", p, f, k }
  ' "$1"
}

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(native wasm e2e)
logs="$ROOT/target/test-logs"
mkdir -p "$logs"
total_passed=0
total_failed=0
total_skipped=0
suite_failed=0
summary=()
for s in "${suites[@]}"; do
  t0=$(date +%s)
  log="$logs/$s.log"
  printf '\n[test] ===== suite %s =====\n' "$s"
  if ! declare -F "suite_$s" >/dev/null; then
    echo "[test] unknown suite '$s' (known: native wasm e2e)" >&2
    : >"$log"
    rc=2
  else
    "suite_$s" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
  fi
  dt=$(($(date +%s) - t0))
  read -r p f k < <(count_tests "$log")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi # failed outside any test
  total_passed=$((total_passed + p))
  total_failed=$((total_failed + f))
  total_skipped=$((total_skipped + k))
  if [ "$rc" -eq 0 ]; then
    verdict=passed
  else
    verdict="FAILED (exit $rc)"
    suite_failed=$((suite_failed + 1))
  fi
  summary+=("$(printf '%-7s %-16s %5d passed, %3d failed, %3d skipped  (%ss)' "$s" "$verdict" "$p" "$f" "$k" "$dt")")
  echo "[test] suite $s: $verdict in ${dt}s ($p passed, $f failed, $k skipped)"
done

printf '\n[test] ===== summary =====\n'
printf '[test] %s\n' "${summary[@]}"
if [ "$total_skipped" -gt 0 ]; then
  echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
else
  echo "$total_passed passed, $total_failed failed"
fi
[ "$suite_failed" -eq 0 ]
