#!/usr/bin/env bash
# Installs when missing: nginx (Debian nginx-light, with apt-get)
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
#   STALLED="0 300 3000"  run each round once per number: that many stalled-body connections
#                  (head sent, 1 byte of a declared 1,000, then nothing; replaced when the
#                  server ends one) stay attached to the side under test while the ordinary
#                  requests run (bench/proxy-stalled.sh sets this). Default "0"; "direct" only
#                  runs then.
#   PROXY_BASELINE=PATH  another pingone-proxy binary (e.g. built from an older commit), run
#                  as side "baseline" with the same options, for before/after in one run.
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
PROXY_ARGS=(--allow-origin http://127.0.0.1:8080 --upstream-api "$SB" --upstream-auth "$SB" --rate-limit 0 --max-concurrency 1024 ${QUIET[@]+"${QUIET[@]}"} ${PROXY_THREADS:+--threads $PROXY_THREADS})
$BIN/pingone-proxy --listen "127.0.0.1:$PP" "${PROXY_ARGS[@]}" > /dev/null 2> "$work/proxy.log" & pids+=($!)
PROXY_PID=$!
SIDES="proxy"
if [ -n "${PROXY_BASELINE:-}" ]; then
  BP=$(free_port)
  "$PROXY_BASELINE" --listen "127.0.0.1:$BP" "${PROXY_ARGS[@]}" > /dev/null 2> "$work/baseline.log" & pids+=($!)
  BASELINE_PID=$!
  SIDES="proxy baseline"
fi
STALLED="${STALLED:-0}"
SIDES="$SIDES nginx"; [ "$STALLED" = 0 ] && SIDES="$SIDES direct"

NP=$(free_port)
mkdir -p "$work/nginx"
ACCESS_LOG="access_log off;"; [ "${LOGS:-0}" = 1 ] && ACCESS_LOG="access_log $work/nginx/access.log;"
cat > "$work/nginx.conf" <<CONF
worker_processes $NGINX_WORKERS;
pid $work/nginx.pid;
error_log $work/nginx/error.log warn;
# Room for 3,000 stalled clients plus the load and the upstream connections per worker (the
# default 1024 counts both sides of every proxied request); each needs a descriptor.
worker_rlimit_nofile 16384;
events { worker_connections 8192; }
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
echo "[bench] $N requests at concurrency $C, $ROUNDS rounds each, alternating; upstream pingone-sandbox; stalled-body connections: $STALLED"
echo "[bench] pingone-proxy: $threads thread(s); nginx: worker_processes $NGINX_WORKERS ($(echo $NGINX_WORKER_PIDS | wc -w) worker(s)); logs: $([ "${LOGS:-0}" = 1 ] && echo on || echo off)"
# One warm-up run each (connections, pools).
for side in $SIDES; do
  case $side in proxy) port=$PP;; baseline) port=$BP;; nginx) port=$NP;; direct) continue;; esac
  $BIN/examples/load "http://127.0.0.1:$port/na/api/$PATH_Q" 2000 "$C" "$TOKEN" > /dev/null
done
for r in $(seq "$ROUNDS"); do
  for k in $STALLED; do
    for side in $SIDES; do
      case $side in
        proxy) url="http://127.0.0.1:$PP/na/api/$PATH_Q"; watch=($PROXY_PID);;
        baseline) url="http://127.0.0.1:$BP/na/api/$PATH_Q"; watch=($BASELINE_PID);;
        nginx) url="http://127.0.0.1:$NP/na/api/$PATH_Q"; watch=($NGINX_WORKER_PIDS);;
        direct) url="$SB/$PATH_Q"; watch=($SANDBOX_PID);;
      esac
      before=$(cpu_ticks "${watch[@]}")
      out=$($BIN/examples/load "$url" "$N" "$C" "$TOKEN" --stalled "$k")
      after=$(cpu_ticks "${watch[@]}")
      echo "$side $k round $r $out $((after - before))"
    done
  done
done | tee "$work/results.txt"
RSS_KB=$(awk '/VmHWM/ {print $2}' /proc/$PROXY_PID/status)
python3 - "$work/results.txt" "$RSS_KB" "$N" "$(getconf CLK_TCK)" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, k, _, _, rest = line.split(" ", 4)
    js, ticks = rest.rsplit(" ", 1)
    r = json.loads(js)
    r["cpu_us"] = int(ticks) / int(sys.argv[4]) * 1e6 / int(sys.argv[3])
    rows.setdefault((name, int(k)), []).append(r)
med = lambda key, f: statistics.median(r[f] for r in rows[key])
sides = list(dict.fromkeys(n for n, _ in rows))
levels = sorted({k for _, k in rows})
print()
print(f"{'':9}{'stalled':>8}{'req/s (median)':>16}{'p50 ms':>10}{'p99 ms':>10}{'CPU us/req':>12}{'failed':>8}{'vs unloaded':>13}")
for k in levels:
    for n in sides:
        if (n, k) not in rows:
            continue
        fails = sum(r["failed"] for r in rows[(n, k)])
        keep = f"{med((n, k), 'rps') / med((n, 0), 'rps'):.2f}x" if (n, 0) in rows else ""
        print(f"{n:9}{k:>8}{med((n, k),'rps'):>16.0f}{med((n, k),'p50_ms'):>10.2f}{med((n, k),'p99_ms'):>10.2f}{med((n, k),'cpu_us'):>12.1f}{fails:>8}{keep:>13}")
if ("direct", 0) in rows:
    print("(direct: the load generator straight to pingone-sandbox, the ceiling of this machine)")
print("(CPU us/req: the proxy's, nginx's workers' or the sandbox's own CPU time per ordinary request, attack included;")
print(" vs unloaded: req/s against the same side with no stalled connection)")
for k in levels:
    if k:
        ended = {n: statistics.median(r.get("stalled_ended_by_server", 0) for r in rows[(n, k)]) for n in sides if (n, k) in rows}
        print(f"stalled {k}: stalled requests the server ended (and the attacker replaced) per round, median: " + ", ".join(f"{n} {v:.0f}" for n, v in ended.items()))
    # Each proxy round runs right before its nginx round, under the same background load: the
    # median of the per-round ratios is steadier than the ratio of the medians on a shared machine.
    for n in [s for s in sides if s in ("proxy", "baseline")]:
        pairs = list(zip(rows[(n, k)], rows[("nginx", k)]))
        r_rps = statistics.median(p["rps"] / q["rps"] for p, q in pairs)
        r_p99 = statistics.median(p["p99_ms"] / q["p99_ms"] for p, q in pairs)
        wins = sum(1 for p, q in pairs if p["rps"] >= q["rps"])
        print(f"stalled {k}, {n}/nginx: median of per-round ratios req/s {r_rps:.2f}x, p99 {r_p99:.2f}x; rounds where {n}'s req/s >= nginx's: {wins} of {len(pairs)}")
print(f"pingone-proxy peak RSS: {int(sys.argv[2])/1024:.1f} MiB")
sys.exit(1 if any(r["failed"] for key in rows for r in rows[key] if key[0] != "direct") else 0)
PY
