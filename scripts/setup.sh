#!/usr/bin/env bash
# Idempotent set-up: installs only what is missing or at the wrong version.
#   scripts/setup.sh app   wasm target, Trunk, wasm-bindgen-cli, wasm-split-cli, wasm-opt
#   scripts/setup.sh all   the above plus Chromium, ChromeDriver and the e2e npm packages
set -euo pipefail
. "$(dirname "$0")/env.sh"
want="${1:-all}"
log() { printf '[setup] %s\n' "$*"; }
t0=$(date +%s)

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding rust target wasm32-unknown-unknown"; rustup target add wasm32-unknown-unknown
fi

if ! trunk --version 2>/dev/null | grep -q "trunk $TRUNK_VERSION"; then
  log "installing trunk $TRUNK_VERSION (takes ~10 min on 2 cores)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "wasm-bindgen $WASM_BINDGEN_VERSION"; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (takes ~6 min)"
  # no --locked: a dependency pinned in its lock file is no longer on the registry
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if ! cargo install --list | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
  log "installing wasm-split-cli $WASM_SPLIT_VERSION (wasm_split_cli_support; takes ~4 min)"
  cargo install wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --features build-binary --force
fi

mkdir -p "$TOOLS_DIR"
if [ ! -f "$TOOLS_DIR/package.json" ]; then echo '{"private":true}' > "$TOOLS_DIR/package.json"; fi
npm_pkgs=()
if ! wasm-opt --version 2>/dev/null | grep -q "version_$BINARYEN_VERSION"; then npm_pkgs+=("binaryen@$BINARYEN_VERSION"); fi
if [ "$want" = all ] && [ ! -d "$TOOLS_DIR/node_modules/playwright-core" ]; then npm_pkgs+=("playwright-core@$PLAYWRIGHT_VERSION"); fi
if [ ${#npm_pkgs[@]} -gt 0 ]; then
  log "npm install ${npm_pkgs[*]}"
  (cd "$TOOLS_DIR" && npm install --no-audit --no-fund --silent "${npm_pkgs[@]}")
fi

if [ "$want" = all ]; then
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    log "installing chromium and chromium-driver from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
  if [ ! -x /usr/sbin/nginx ] && [ "${WORKBENCH_NO_NGINX:-}" != 1 ]; then
    : # nginx is only needed by bench/proxy; installed there on demand
  fi
fi

# Offline builds need the dependency sources present.
(cd "$ROOT" && cargo fetch --quiet)
log "ready in $(( $(date +%s) - t0 ))s"
