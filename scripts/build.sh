#!/usr/bin/env bash
# Release build of the app into dist/ (Trunk, offline, wasm-opt -Oz). Extra args go to
# `trunk build`, e.g. `scripts/build.sh --public-url /workbench/`.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$ROOT"
exec trunk build --release "$@"
