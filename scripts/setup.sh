#!/usr/bin/env bash
# Idempotent set-up: installs only what is missing or at the wrong version, and says how long each
# step took (the README's set-up table quotes these lines).
#   scripts/setup.sh demo   what `./run demo` and `./run live` need: the wasm target, Trunk,
#                           wasm-bindgen-cli, wasm-split-cli (the split hook runs in debug builds
#                           too) and wasm-opt (release builds)
#   scripts/setup.sh app    the same (what `./run build` needs)
#   scripts/setup.sh all    the above plus Chromium, ChromeDriver and playwright-core (tests)
#
# How it keeps the wait short (figures: docs/BENCHMARKS.md, "Set-up"; `bench/setup.sh`):
#   - The installs that wait on the network (apt for Chromium, npm) run in the background while
#     cargo compiles; `cargo fetch` (the workspace's sources, for offline builds) goes first.
#   - The three Rust tools are compiled with one profile into one target folder, so crates they
#     share are compiled once; the folder is removed afterwards.
#   - That profile is release without link-time optimisation: Trunk's own manifest asks for fat
#     LTO and one codegen unit, whose single-threaded link keeps a core idle; without it Trunk's
#     step took 1.24x less wall time side by side (the CPU time is about the same).
set -euo pipefail
. "$(dirname "$0")/env.sh"
want="${1:-all}"
case "$want" in demo | app | all) ;; *) echo "usage: scripts/setup.sh demo|app|all" >&2; exit 2 ;; esac
log() { printf '[setup] %s\n' "$*"; }
t0=$(date +%s)

# Runs "$@" as a named step and prints how long it took.
step() {
  local name="$1" s
  shift
  s=$(date +%s)
  log "$name"
  "$@"
  log "$name: done in $(($(date +%s) - s)) s"
}

# Background steps (network-bound): each writes its log and exit status under $bg_dir.
bg_dir="$(mktemp -d)"
bg_names=()
trap 'rm -rf "$bg_dir"' EXIT
background() {
  local name="$1"
  shift
  bg_names+=("$name")
  log "$name (in the background)"
  (
    s=$(date +%s)
    rc=0
    "$@" >"$bg_dir/$name.log" 2>&1 || rc=$?
    echo "$rc $(($(date +%s) - s))" >"$bg_dir/$name.status"
  ) &
}
wait_background() {
  wait
  local name rc secs failed=0
  for name in "${bg_names[@]}"; do
    read -r rc secs <"$bg_dir/$name.status"
    if [ "$rc" -eq 0 ]; then
      log "$name: done in $secs s (in the background)"
    else
      log "$name: FAILED (exit $rc) after $secs s:"
      sed 's/^/  /' "$bg_dir/$name.log" >&2
      failed=1
    fi
  done
  return "$failed"
}

install_chromium() {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
}
install_npm() {
  mkdir -p "$TOOLS_DIR"
  [ -f "$TOOLS_DIR/package.json" ] || echo '{"private":true}' >"$TOOLS_DIR/package.json"
  (cd "$TOOLS_DIR" && npm install --no-audit --no-fund --silent "$@")
}

if [ "$want" = all ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; }; then
  background "chromium and chromium-driver (Debian)" install_chromium
fi
npm_pkgs=()
if ! wasm-opt --version 2>/dev/null | grep -q "version_$BINARYEN_VERSION"; then npm_pkgs+=("binaryen@$BINARYEN_VERSION"); fi
if [ "$want" = all ] && [ ! -d "$TOOLS_DIR/node_modules/playwright-core" ]; then npm_pkgs+=("playwright-core@$PLAYWRIGHT_VERSION"); fi
if [ ${#npm_pkgs[@]} -gt 0 ]; then
  background "npm ${npm_pkgs[*]}" install_npm "${npm_pkgs[@]}"
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rust target wasm32-unknown-unknown" rustup target add wasm32-unknown-unknown
fi

# Offline builds need the dependency sources present.
step "cargo fetch (the workspace's dependency sources)" cargo fetch --quiet --manifest-path "$ROOT/Cargo.toml"

install_target="$TOOLS_DIR/cargo-install-target"
tool_install() {
  cargo install --target-dir "$install_target" \
    --config 'profile.release.lto=false' --config 'profile.release.codegen-units=16' "$@"
}
if ! trunk --version 2>/dev/null | grep -q "trunk $TRUNK_VERSION"; then
  step "trunk $TRUNK_VERSION (cargo install)" tool_install trunk --version "$TRUNK_VERSION" --locked
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q "wasm-bindgen $WASM_BINDGEN_VERSION"; then
  # no --locked: a dependency pinned in its lock file is no longer on the registry
  step "wasm-bindgen-cli $WASM_BINDGEN_VERSION (cargo install)" tool_install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi
if ! cargo install --list | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
  step "wasm-split-cli $WASM_SPLIT_VERSION (cargo install wasm_split_cli_support)" \
    tool_install wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --features build-binary --force
fi
rm -rf "$install_target"

wait_background
log "ready in $(($(date +%s) - t0)) s"
