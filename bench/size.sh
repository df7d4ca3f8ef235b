#!/usr/bin/env bash
# Download size of the app: release build (scripts/build.sh), then raw and gzip -9 bytes of every file
# in dist/, and the total of what the page downloads (index.html plus every dist/ file that it or a
# downloaded JS/CSS file names, followed transitively).
#   bench/size.sh             build, then measure
#   SIZE_NO_BUILD=1 bench/size.sh   measure the existing dist/
# Budgets (docs/BENCHMARKS.md): the page download at most PAGE_BUDGET bytes gzip (250,000), and
# the script-include embed at most 10% over the app's page and chunks. Over either, it says so
# last and exits 1.
# The app's module is split (src/lazy.rs, scripts/wasm-split.sh): its loader `<module>.split.js` is
# imported with the page's module and names the chunks, which are fetched on first use (a run, the
# first call's inspector, the flow and token panels), so they are counted apart, like the sandbox.
# It also prints what a script-include embed downloads (docs/embedding.md): the embed's own module
# (`workbench-embed`, built beside the app's) and what it costs over the app's page.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

if [ "${SIZE_NO_BUILD:-}" != 1 ]; then
  scripts/build.sh >&2
fi
[ -f dist/index.html ] || { echo "[size] dist/index.html missing: build first" >&2; exit 1; }

gz() { gzip -9 -n -c <"$1" | wc -c; }

# Files a page downloads: the start files (index.html by default), then whatever they (or a fetched
# .js/.css/.html) reference, HTML comments and JS line comments left out. LOADED_SKIP names files
# that are mentioned but not fetched.
loaded_files() {
python3 - "$@" <<'PY'
import os, re, sys
root, starts = sys.argv[1], sys.argv[2:] or ['index.html']
files = sorted(os.path.relpath(os.path.join(d, f), root)
               for d, _, fs in os.walk(root) for f in fs if not d.split(os.sep)[-1].startswith('.'))
skip = set(os.environ.get('LOADED_SKIP', '').split())
seen, todo = set(starts), list(starts)
while todo:
    cur = todo.pop()
    if not cur.endswith(('.html', '.js', '.mjs', '.css')) or cur.endswith('.split.js'):
        continue
    text = open(os.path.join(root, cur), encoding='utf-8', errors='replace').read()
    text = re.sub(r'<!--.*?-->', '', text, flags=re.S)
    if cur.endswith(('.js', '.mjs')):
        text = re.sub(r'^\s*//.*$', '', text, flags=re.M)
    for f in files:
        if f in seen or f in skip or f not in text:
            continue
        seen.add(f); todo.append(f)
print('\n'.join(sorted(seen)))
PY
}
mapfile -t loaded < <(loaded_files dist)

printf '%-48s %10s %10s  %s\n' file raw gzip-9 loaded
total_raw=0 total_gz=0 page_raw=0 page_gz=0 fr_raw=0 fr_gz=0 ch_raw=0 ch_gz=0
while IFS= read -r f; do
  rel="${f#dist/}"
  raw=$(wc -c <"$f")
  g=$(gz "$f")
  mark=""
  for l in "${loaded[@]}"; do [ "$l" = "$rel" ] && mark="yes"; done
  # The sandbox Web Worker is fetched by the app when a run first needs it (sandbox mode).
  if [ -z "$mark" ] && [[ "$rel" == sandbox-worker* ]]; then mark="first run"; fr_raw=$((fr_raw + raw)) fr_gz=$((fr_gz + g)); fi
  # The app's chunks, fetched by its split loader on first use.
  if [ -z "$mark" ] && [[ "$rel" =~ ^workbench-[0-9a-f]+\.[a-z_0-9]+\.wasm$ ]]; then mark="first use"; ch_raw=$((ch_raw + raw)) ch_gz=$((ch_gz + g)); fi
  printf '%-48s %10d %10d  %s\n' "$rel" "$raw" "$g" "$mark"
  total_raw=$((total_raw + raw)) total_gz=$((total_gz + g))
  if [ "$mark" = yes ]; then page_raw=$((page_raw + raw)) page_gz=$((page_gz + g)); fi
done < <(find dist -type f -not -path 'dist/.*' | LC_ALL=C sort)
printf '%-48s %10d %10d\n' "all of dist/" "$total_raw" "$total_gz"
printf '%-48s %10d %10d\n' "page download (files marked loaded)" "$page_raw" "$page_gz"
printf '%-48s %10d %10d\n' "app chunks, fetched on first use" "$ch_raw" "$ch_gz"
printf '%-48s %10d %10d\n' "sandbox worker, fetched on the first run" "$fr_raw" "$fr_gz"
PAGE_BUDGET="${PAGE_BUDGET:-250000}"
over_budget=()
echo "page download: $page_gz bytes gzip -9 ($page_raw raw); budget $PAGE_BUDGET"
[ "$page_gz" -le "$PAGE_BUDGET" ] || over_budget+=("page download $page_gz B gzip > budget $PAGE_BUDGET B")
echo "app chunks on first use: $ch_gz bytes gzip -9 ($ch_raw raw); sandbox on first run: $fr_gz bytes gzip -9 ($fr_raw raw)"
echo "page + chunks + sandbox (a first Run all): $((page_gz + ch_gz + fr_gz)) bytes gzip -9"

# The embed (docs/embedding.md). A script include downloads embed/embed.js, the app's stylesheet
# (its hashed name stamped into embed.js by the build), and the embed's module: workbench-embed.js
# (stable name, fetched with a version), the snippet it imports and its wasm. The app's own module
# and index.html are not fetched. The embed's code is in workbench-embed only; its styles are
# the end of the shared stylesheet.
if [ -f dist/embed/embed.js ] && [ -f dist/workbench-embed_bg.wasm ]; then
  embed_raw=0 embed_gz=0
  while IFS= read -r rel; do
    raw=$(wc -c <"dist/$rel") g=$(gz "dist/$rel")
    printf '  %-46s %10d %10d\n' "$rel" "$raw" "$g"
    embed_raw=$((embed_raw + raw)) embed_gz=$((embed_gz + g))
  done < <(LOADED_SKIP=index.html loaded_files dist embed/embed.js)  # index.html: only a fallback when unstamped
  printf '%-48s %10d %10d\n' "script-include embed download (files above)" "$embed_raw" "$embed_gz"
  # The embed's module is not split: it downloads at once what the app downloads as its page plus
  # its chunks (the engine and the result panels), so that is what it is compared with.
  app_gz=$((page_gz + ch_gz))
  delta=$((embed_gz - app_gz))
  echo "script-include embed: $embed_gz bytes gzip -9; $delta over the app's page and chunks, $app_gz ($(python3 -c "print(f'{100*$delta/$app_gz:+.1f}')")%; budget +10%); the app's page carries no embed code"
  echo "  (the embed is not split: over the app's page alone, without its chunks, it is $((embed_gz - page_gz)) more)"
  [ $((delta * 10)) -le "$app_gz" ] || over_budget+=("script-include embed $embed_gz B gzip > app page + chunks $app_gz B + 10%")
fi

if [ ${#over_budget[@]} -gt 0 ]; then
  printf '[size] OVER BUDGET: %s\n' "${over_budget[@]}" >&2
  exit 1
fi
echo "[size] within budget"

