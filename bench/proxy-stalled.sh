#!/usr/bin/env bash
# Installs when missing: nginx (Debian nginx-light, with apt-get; through bench/proxy.sh)
# pingone-proxy and nginx with 0, 300 and 3,000 stalled-body connections attached while ordinary
# clients run (bench/proxy.sh with STALLED set; same arguments and environment).
#   bench/proxy-stalled.sh [REQUESTS] [CONCURRENCY] [ROUNDS]
STALLED="${STALLED:-0 300 3000}" exec bash "$(dirname "$0")/proxy.sh" "$@"
