# Sourced by every script: pinned tool versions and PATH. BINARYEN_VERSION: keep in step with Trunk.toml's wasm_opt.
export TRUNK_VERSION=0.21.14
export BINARYEN_VERSION=132
export PLAYWRIGHT_VERSION=1.64.1
export WASM_SPLIT_VERSION=0.2.4
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
# wasm-bindgen-cli must be the version of the wasm-bindgen crate: read from Cargo.lock (pinned
# once, in Cargo.toml's [workspace.dependencies]).
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
export WASM_BINDGEN_VERSION
export TOOLS_DIR="${WORKBENCH_TOOLS_DIR:-$HOME/.cache/pingone-workbench}"
export PATH="$TOOLS_DIR/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export TRUNK_OFFLINE=true
export TRUNK_SKIP_VERSION_CHECK=true
export CHROMEDRIVER=/usr/bin/chromedriver
