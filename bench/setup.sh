#!/usr/bin/env bash
# First-time set-up cost: runs `scripts/setup.sh app` as an empty machine would (a fresh cargo home,
# tools folder and HOME under a temporary folder; the rustup toolchain is shared, so the wasm
# target is already there), and prints its per-step lines, wall time and CPU time.
#   bench/setup.sh                    the current scripts/setup.sh only (about 20 min on 2 cores)
#   SETUP_BASE=<git rev> bench/setup.sh   also that revision's scripts/setup.sh, started at the
#                                     same moment, so both sides share the machine's load: compare
#                                     them by ratio, not by the absolute figures
# Chromium (apt) is not measured: Debian's packages are installed machine-wide.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# side NAME SETUP_SCRIPT: an empty home for one set-up run, its output in $work/NAME.log.
side() {
  local name="$1" script="$2" d="$work/$1" rustup_home="${RUSTUP_HOME:-$HOME/.rustup}"
  mkdir -p "$d/shims" "$d/home" "$d/src"
  for t in cargo rustc rustup rustdoc; do ln -s "$(command -v "$t")" "$d/shims/$t"; done
  git archive HEAD | tar -x -C "$d/src"
  cp "$script" "$d/src/scripts/setup.sh"
  (
    export HOME="$d/home" RUSTUP_HOME="$rustup_home" CARGO_HOME="$d/cargo" WORKBENCH_TOOLS_DIR="$d/tools"
    export PATH="$d/cargo/bin:$d/shims:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    cd "$d/src"
    start=$(date +%s)
    TIMEFORMAT='cpu %U %S'
    { time bash scripts/setup.sh app >"$work/$name.log" 2>&1; } 2>"$d/time"
    echo "wall $(($(date +%s) - start))" >>"$d/time"
  ) &
}

side current scripts/setup.sh
if [ -n "${SETUP_BASE:-}" ]; then
  git show "$SETUP_BASE:scripts/setup.sh" >"$work/base-setup.sh"
  side base "$work/base-setup.sh"
fi
wait

for name in current ${SETUP_BASE:+base}; do
  read -r _ user sys < <(grep '^cpu' "$work/$name/time")
  wall=$(sed -n 's/^wall //p' "$work/$name/time")
  echo "[setup-bench] $name: $(grep -E '^\[setup\]|Finished' "$work/$name.log" | tr '\n' '|')"
  printf '[setup-bench] %-8s wall %5d s   cpu %7.0f s\n' "$name" "$wall" "$(python3 -c "print($user + $sys)")"
done
