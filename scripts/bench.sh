#!/usr/bin/env bash
# Runs benchmarks: bench/NAME.sh for each NAME given, or every bench/*.sh when none is given.
#   scripts/bench.sh            all
#   scripts/bench.sh size       bench/size.sh (release build, raw and gzip bytes per file)
# Exit status 1 if any benchmark failed.
set -uo pipefail
. "$(dirname "$0")/env.sh"
cd "$ROOT"
exec </dev/null

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in bench/*.sh; do names+=("$(basename "$f" .sh)"); done
fi
# A benchmark that installs a tool when it is missing declares it in a header line
# `# Installs when missing: COMMAND (how)`; say so before anything runs, not minutes later.
for n in "${names[@]}"; do
  [ -f "bench/$n.sh" ] || continue
  while read -r tool how; do
    if ! command -v "$tool" >/dev/null && [ ! -x "/usr/sbin/$tool" ]; then
      echo "[bench] note: bench/$n.sh needs $tool, which is not installed: it will install it $how when it starts (name the other benchmarks to skip it)"
    fi
  done < <(sed -n 's/^# Installs when missing: \([^ ]*\) \(.*\)$/\1 \2/p' "bench/$n.sh")
done
failed=0
for n in "${names[@]}"; do
  if [ ! -f "bench/$n.sh" ]; then
    echo "[bench] no benchmark '$n'; available: $(cd bench && ls -- *.sh | sed 's/\.sh$//' | tr '\n' ' ')" >&2
    failed=$((failed + 1))
    continue
  fi
  printf '\n[bench] ===== %s =====\n' "$n"
  bash "bench/$n.sh" || { echo "[bench] $n FAILED" >&2; failed=$((failed + 1)); }
done
[ "$failed" -eq 0 ]
