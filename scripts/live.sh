#!/usr/bin/env bash
# Live mode: the app against a real PingOne tenant through pingone-proxy (docs/live.md).
# Builds pingone-proxy (release), starts it on 127.0.0.1:8787, then serves the app with
# `trunk serve` on http://127.0.0.1:8080; Trunk.toml's [[proxy]] entries forward /na/ /eu/ /ca/
# /ap/ /au/ /sg/ and /_proxy/ to the proxy, so page and proxy share one origin. The proxy stops
# when trunk does (Ctrl-C stops both).
#
#   scripts/live.sh [--region R]... [--worker-from-env] [--sandbox [--worker-from-sandbox]]
#                   [--dist] [-- TRUNK-ARGS...]
#
#   --region R         forward only to these regions (na eu ca ap au sg; repeatable). Default: all.
#   --worker-from-env  the proxy adds the worker token itself from PINGONE_WORKER_CLIENT_ID,
#                      PINGONE_WORKER_CLIENT_SECRET and PINGONE_ENVIRONMENT_ID (region: one
#                      --region, or PINGONE_REGION); the page never sees the worker secret.
#   --sandbox          the proxy's upstream is the sandbox engine instead of PingOne (a rehearsal
#                      of live mode without a tenant; prints the sandbox's env id and worker app).
#   --worker-from-sandbox  with --sandbox: worker mode with the sandbox's own worker app.
#   --dist             one origin without Trunk: `trunk build --release [TRUNK-ARGS]`, then the
#                      proxy serves dist/ itself on http://127.0.0.1:8787 (no live reload).
#
# Environment: LIVE_PORT (trunk's port, default 8080; the proxy's port is 8787, as in Trunk.toml),
# PROXY_BIN (a pingone-proxy binary to use instead of building one).
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$ROOT"

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

proxy_args=()
dist=0
trunk_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --region) [ $# -ge 2 ] || usage; proxy_args+=(--region "$2"); shift 2 ;;
    --region=*) proxy_args+=(--region "${1#--region=}"); shift ;;
    --worker-from-env) proxy_args+=(--worker-from-env); shift ;;
    --sandbox) proxy_args+=(--sandbox); shift ;;
    --worker-from-sandbox) proxy_args+=(--worker-from-sandbox); shift ;;
    --dist) dist=1; shift ;;
    -h | --help) usage ;;
    --) shift; trunk_args=("$@"); break ;;
    *) echo "[live] unknown option '$1'" >&2; usage ;;
  esac
done

# Worker mode's needs, checked before the build (the proxy checks them again, naming no value).
regions=0
worker_env=0
for a in "${proxy_args[@]}"; do
  case "$a" in --region) regions=$((regions + 1)) ;; --worker-from-env) worker_env=1 ;; esac
done
if [ "$worker_env" = 1 ]; then
  missing=()
  for v in PINGONE_WORKER_CLIENT_ID PINGONE_WORKER_CLIENT_SECRET PINGONE_ENVIRONMENT_ID; do
    [ -n "${!v:-}" ] || missing+=("$v")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "[live] --worker-from-env needs ${missing[*]} in the environment" >&2
    exit 2
  fi
  if [ "$regions" != 1 ] && [ -z "${PINGONE_REGION:-}" ]; then
    echo "[live] --worker-from-env serves one region: pass exactly one --region, or set PINGONE_REGION" >&2
    exit 2
  fi
fi

proxy_port=8787
if [ "$dist" = 1 ]; then
  page="http://127.0.0.1:$proxy_port"
  origins=(--allow-origin "$page" --allow-origin "http://localhost:$proxy_port")
else
  port="${LIVE_PORT:-8080}"
  page="http://127.0.0.1:$port"
  origins=(--allow-origin "$page" --allow-origin "http://localhost:$port")
fi

if [ -n "${PROXY_BIN:-}" ]; then
  proxy_bin="$PROXY_BIN"
else
  echo "[live] building pingone-proxy (release)"
  cargo build --release -q -p proxy --bin pingone-proxy
  proxy_bin="${CARGO_TARGET_DIR:-$ROOT/target}/release/pingone-proxy"
fi

if [ "$dist" = 1 ]; then
  echo "[live] building the app into dist/ (release)"
  scripts/build.sh "${trunk_args[@]}"
  proxy_args+=(--serve "$ROOT/dist")
fi

tmp="$(mktemp -d)"
proxy_pid=""
trunk_pid=""
stop() {
  local pid
  for pid in "$trunk_pid" "$proxy_pid"; do
    [ -n "$pid" ] || continue
    # SIGINT first: trunk and the proxy both shut down gracefully on it.
    kill -INT "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  trunk_pid=""
  proxy_pid=""
  rm -rf "$tmp"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$proxy_bin" --listen "127.0.0.1:$proxy_port" "${origins[@]}" "${proxy_args[@]}" \
  >"$tmp/ready" 2> >(sed -u 's/^/[proxy] /' >&2) &
proxy_pid=$!
for _ in $(seq 100); do
  [ -s "$tmp/ready" ] && break
  kill -0 "$proxy_pid" 2>/dev/null || break
  sleep 0.1
done
if [ ! -s "$tmp/ready" ]; then
  wait "$proxy_pid" 2>/dev/null || true
  proxy_pid=""
  echo "[live] pingone-proxy did not start (see its message above; is port $proxy_port taken?)" >&2
  exit 1
fi
echo "[live] pingone-proxy on http://127.0.0.1:$proxy_port (pid $proxy_pid)"
# The ready line: {"proxy_url", "worker_credentials"?, "sandbox"?}. Sandbox values are not
# PingOne credentials: they are what the Connect form needs for a rehearsal (in worker mode the
# proxy prints the environment id only).
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
if d.get("worker_credentials") == "proxy":
    print("[live] worker mode: the proxy holds the worker credentials; the page needs none")
s = d.get("sandbox")
if s:
    names = [("env_id", "environment id"), ("worker_client_id", "worker client id"), ("worker_client_secret", "worker secret")]
    print("[live] sandbox upstream: " + ", ".join("%s %s" % (label, s[k]) for k, label in names if k in s))
' "$tmp/ready"

if [ "$dist" = 1 ]; then
  echo "[live] serving $page (app and proxy on one origin; Ctrl-C stops)"
  wait "$proxy_pid"
  exit $?
fi

echo "[live] serving $page once built (the first build compiles every dependency: about 8 minutes on 2 cores; Ctrl-C stops trunk and the proxy)"
trunk serve --address 127.0.0.1 --port "$port" "${trunk_args[@]}" &
trunk_pid=$!
set +e
wait "$trunk_pid"
rc=$?
set -e
trunk_pid=""
exit "$rc"
