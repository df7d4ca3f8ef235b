#!/usr/bin/env bash
# Serves the app with live reload on http://127.0.0.1:8080 (override the port with DEMO_PORT).
# Sandbox mode is the app's default: the PingOne emulator runs inside the page, nothing to configure.
# Extra args go to `trunk serve`. Stop with Ctrl-C.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$ROOT"
port="${DEMO_PORT:-8080}"
echo "[demo] serving http://127.0.0.1:$port once built (the first build compiles every dependency: about 8 minutes on 2 cores; Ctrl-C stops)"
exec trunk serve --address 127.0.0.1 --port "$port" "$@"
