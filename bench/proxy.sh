#!/usr/bin/env bash
# Load test of pingone-proxy against nginx (Debian) as a plain reverse proxy, same upstream
# (pingone-sandbox), same run: REQUESTS requests at CONCURRENCY, GET .../resources with a worker
# token. Prints requests/s, p50, p99 and failures for both, their ratio, and the proxy's peak RSS.
#   bench/proxy.sh [REQUESTS] [CONCURRENCY] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
N="${1:-10000}"; C="${2:-64}"; ROUNDS="${3:-3}"
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  echo "[bench] installing nginx (Debian)"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
cargo build --release -q -p sandbox --bin pingone-sandbox -p proxy --bin pingone-proxy --example load
BIN=target/release
work=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

$BIN/pingone-sandbox --listen 127.0.0.1:0 --quiet > "$work/sandbox.json" & pids+=($!)
for _ in $(seq 100); do [ -s "$work/sandbox.json" ] && break; sleep 0.05; done
read -r SB ENV CID CSEC < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["base_url"], d["env_id"], d["worker_client_id"], d["worker_client_secret"])' "$work/sandbox.json")
TOKEN=$(curl -s -u "$CID:$CSEC" -d grant_type=client_credentials "$SB/$ENV/as/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

PP=$(free_port)
$BIN/pingone-proxy --listen "127.0.0.1:$PP" --allow-origin http://127.0.0.1:8080 --upstream-api "$SB" --upstream-auth "$SB" --rate-limit 0 --max-concurrency 1024 --quiet ${PROXY_THREADS:+--threads $PROXY_THREADS} > /dev/null & pids+=($!)
PROXY_PID=$!

NP=$(free_port)
mkdir -p "$work/nginx"
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
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

PATH_Q="v1/environments/$ENV/resources"
echo "[bench] $N requests at concurrency $C, $ROUNDS rounds each, alternating; upstream pingone-sandbox"
for r in $(seq "$ROUNDS"); do
  echo "proxy round $r $($BIN/examples/load "http://127.0.0.1:$PP/na/api/$PATH_Q" "$N" "$C" "$TOKEN")"
  echo "nginx round $r $($BIN/examples/load "http://127.0.0.1:$NP/na/api/$PATH_Q" "$N" "$C" "$TOKEN")"
done | tee "$work/results.txt"
RSS_KB=$(awk '/VmHWM/ {print $2}' /proc/$PROXY_PID/status)
python3 - "$work/results.txt" "$RSS_KB" <<'PY'
import json, statistics, sys
rows = {"proxy": [], "nginx": []}
for line in open(sys.argv[1]):
    name, _, _, js = line.split(" ", 3)
    rows[name].append(json.loads(js))
med = lambda name, k: statistics.median(r[k] for r in rows[name])
fails = {n: sum(r["failed"] for r in rows[n]) for n in rows}
print()
print(f"{'':8}{'req/s (median)':>16}{'p50 ms':>10}{'p99 ms':>10}{'failed':>8}")
for n in ("proxy", "nginx"):
    print(f"{n:8}{med(n,'rps'):>16.0f}{med(n,'p50_ms'):>10.2f}{med(n,'p99_ms'):>10.2f}{fails[n]:>8}")
print(f"ratio proxy/nginx: req/s {med('proxy','rps')/med('nginx','rps'):.2f}x, p99 {med('proxy','p99_ms')/med('nginx','p99_ms'):.2f}x")
print(f"pingone-proxy peak RSS: {int(sys.argv[2])/1024:.1f} MiB")
sys.exit(1 if fails["proxy"] or fails["nginx"] else 0)
PY
