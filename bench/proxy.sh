#!/usr/bin/env bash
# Load test of pingone-proxy against nginx (Debian) as a plain reverse proxy, same upstream
# (pingone-sandbox), same run: REQUESTS requests at CONCURRENCY, GET .../resources with a worker
# token, ROUNDS rounds alternating proxy / nginx / sandbox direct. Prints requests/s, p50, p99 and
# failures (medians), their ratio, the CPU time each proxy spent per request, and the proxy's
# peak RSS.
#   bench/proxy.sh [REQUESTS] [CONCURRENCY] [ROUNDS]
# Environment:
#   PROXY_THREADS  pingone-proxy --threads (default: one per core)
#   NGINX_WORKERS  nginx worker_processes (default: auto = one per core, like the proxy)
#   LOGS=1         per-request logs on for both: the proxy's on stderr, nginx's access_log, both
#                  to files (default: both off)
#
# The binaries are built with the workspace's release profile but opt-level 3 (profile
# `native-release`, defined here with --config): the workspace's release profile is tuned for
# the wasm download (opt-level "z"), which is not how a native server is built; nginx is -O2.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
N="${1:-10000}"; C="${2:-64}"; ROUNDS="${3:-5}"
NGINX_WORKERS="${NGINX_WORKERS:-auto}"
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  echo "[bench] installing nginx (Debian)"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
PROFILE=(--profile native-release --config 'profile.native-release.inherits="release"' --config 'profile.native-release.opt-level=3')
cargo build -q "${PROFILE[@]}" -p sandbox --bin pingone-sandbox -p proxy --bin pingone-proxy --example load
BIN=target/native-release
work=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# CPU time (user + system, clock ticks) of processes, children threads included.
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }

$BIN/pingone-sandbox --listen 127.0.0.1:0 --quiet > "$work/sandbox.json" & pids+=($!)
SANDBOX_PID=$!
for _ in $(seq 100); do [ -s "$work/sandbox.json" ] && break; sleep 0.05; done
read -r SB ENV CID CSEC < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["base_url"], d["env_id"], d["worker_client_id"], d["worker_client_secret"])' "$work/sandbox.json")
TOKEN=$(curl -s -u "$CID:$CSEC" -d grant_type=client_credentials "$SB/$ENV/as/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

PP=$(free_port)
QUIET=(--quiet); [ "${LOGS:-0}" = 1 ] && QUIET=()
$BIN/pingone-proxy --listen "127.0.0.1:$PP" --allow-origin http://127.0.0.1:8080 --upstream-api "$SB" --upstream-auth "$SB" --rate-limit 0 --max-concurrency 1024 ${QUIET[@]+"${QUIET[@]}"} ${PROXY_THREADS:+--threads $PROXY_THREADS} > /dev/null 2> "$work/proxy.log" & pids+=($!)
PROXY_PID=$!

NP=$(free_port)
mkdir -p "$work/nginx"
ACCESS_LOG="access_log off;"; [ "${LOGS:-0}" = 1 ] && ACCESS_LOG="access_log $work/nginx/access.log;"
cat > "$work/nginx.conf" <<CONF
worker_processes $NGINX_WORKERS;
pid $work/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  $ACCESS_LOG
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx; uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  upstream sandbox { server ${SB#http://}; keepalive 64; }
  server {
    listen 127.0.0.1:$NP;
    location /na/api/ { proxy_pass http://sandbox/; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
"$NGINX" -c "$work/nginx.conf"
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PP/" && curl -s -o /dev/null "http://127.0.0.1:$NP/" && break; sleep 0.05; done
NGINX_WORKER_PIDS=$(pgrep -P "$(cat "$work/nginx.pid")" | tr '\n' ' ')

PATH_Q="v1/environments/$ENV/resources"
threads=${PROXY_THREADS:-$(nproc)}
echo "[bench] $N requests at concurrency $C, $ROUNDS rounds each, alternating; upstream pingone-sandbox"
echo "[bench] pingone-proxy: $threads thread(s); nginx: worker_processes $NGINX_WORKERS ($(echo $NGINX_WORKER_PIDS | wc -w) worker(s)); logs: $([ "${LOGS:-0}" = 1 ] && echo on || echo off)"
# One warm-up run each (connections, pools).
$BIN/examples/load "http://127.0.0.1:$PP/na/api/$PATH_Q" 2000 "$C" "$TOKEN" > /dev/null
$BIN/examples/load "http://127.0.0.1:$NP/na/api/$PATH_Q" 2000 "$C" "$TOKEN" > /dev/null
for r in $(seq "$ROUNDS"); do
  for side in proxy nginx direct; do
    case $side in
      proxy) url="http://127.0.0.1:$PP/na/api/$PATH_Q"; watch=($PROXY_PID);;
      nginx) url="http://127.0.0.1:$NP/na/api/$PATH_Q"; watch=($NGINX_WORKER_PIDS);;
      direct) url="$SB/$PATH_Q"; watch=($SANDBOX_PID);;
    esac
    before=$(cpu_ticks "${watch[@]}")
    out=$($BIN/examples/load "$url" "$N" "$C" "$TOKEN")
    after=$(cpu_ticks "${watch[@]}")
    echo "$side round $r $out $((after - before))"
  done
done | tee "$work/results.txt"
RSS_KB=$(awk '/VmHWM/ {print $2}' /proc/$PROXY_PID/status)
python3 - "$work/results.txt" "$RSS_KB" "$N" "$(getconf CLK_TCK)" <<'PY'
import json, statistics, sys
rows = {"proxy": [], "nginx": [], "direct": []}
for line in open(sys.argv[1]):
    name, _, _, rest = line.split(" ", 3)
    js, ticks = rest.rsplit(" ", 1)
    r = json.loads(js)
    r["cpu_us"] = int(ticks) / int(sys.argv[4]) * 1e6 / int(sys.argv[3])
    rows[name].append(r)
med = lambda name, k: statistics.median(r[k] for r in rows[name])
fails = {n: sum(r["failed"] for r in rows[n]) for n in rows}
print()
print(f"{'':8}{'req/s (median)':>16}{'p50 ms':>10}{'p99 ms':>10}{'CPU us/req':>12}{'failed':>8}")
for n in ("proxy", "nginx", "direct"):
    print(f"{n:8}{med(n,'rps'):>16.0f}{med(n,'p50_ms'):>10.2f}{med(n,'p99_ms'):>10.2f}{med(n,'cpu_us'):>12.1f}{fails[n]:>8}")
print("(direct: the load generator straight to pingone-sandbox, the ceiling of this machine; CPU us/req is the proxy's,")
print(" nginx's workers' or the sandbox's own CPU time per request)")
print(f"ratio proxy/nginx: req/s {med('proxy','rps')/med('nginx','rps'):.2f}x, p99 {med('proxy','p99_ms')/med('nginx','p99_ms'):.2f}x, "
      f"CPU per request {med('proxy','cpu_us')/med('nginx','cpu_us'):.2f}x")
# Each proxy round runs right before its nginx round, under the same background load: the median
# of the per-round ratios is steadier than the ratio of the medians on a shared machine.
pairs = list(zip(rows["proxy"], rows["nginx"]))
r_rps = statistics.median(p["rps"] / n["rps"] for p, n in pairs)
r_p99 = statistics.median(p["p99_ms"] / n["p99_ms"] for p, n in pairs)
wins = sum(1 for p, n in pairs if p["rps"] >= n["rps"])
print(f"median of per-round ratios: req/s {r_rps:.2f}x, p99 {r_p99:.2f}x; rounds where the proxy's req/s >= nginx's: {wins} of {len(pairs)}")
print(f"pingone-proxy peak RSS: {int(sys.argv[2])/1024:.1f} MiB")
sys.exit(1 if fails["proxy"] or fails["nginx"] else 0)
PY
