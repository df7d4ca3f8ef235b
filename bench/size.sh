#!/usr/bin/env bash
# Download size of the app: release build (scripts/build.sh), then raw and gzip -9 bytes of every file
# in dist/, and the total of what the page downloads (index.html plus every dist/ file that it or a
# downloaded JS/CSS file names, followed transitively).
#   bench/size.sh             build, then measure
#   SIZE_NO_BUILD=1 bench/size.sh   measure the existing dist/
#   SIZE_EMBED_BASELINE=1 bench/size.sh   also build the app without the embed (docs/embedding.md;
#                             `--cfg workbench_no_embed`, its own target dir target/size-noembed, a
#                             full dependency build the first time) and print what the embed adds
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

if [ "${SIZE_NO_BUILD:-}" != 1 ]; then
  scripts/build.sh >&2
fi
[ -f dist/index.html ] || { echo "[size] dist/index.html missing: build first" >&2; exit 1; }

gz() { gzip -9 -n -c <"$1" | wc -c; }

# Files the page downloads: index.html, then whatever it (or a fetched .js/.css/.html) references.
loaded_files() {
python3 - "$1" <<'PY'
import os, sys
root = sys.argv[1]
files = sorted(os.path.relpath(os.path.join(d, f), root)
               for d, _, fs in os.walk(root) for f in fs if not d.split(os.sep)[-1].startswith('.'))
seen, todo = {'index.html'}, ['index.html']
while todo:
    cur = todo.pop()
    if not cur.endswith(('.html', '.js', '.mjs', '.css')):
        continue
    text = open(os.path.join(root, cur), encoding='utf-8', errors='replace').read()
    for f in files:
        if f not in seen and f in text:
            seen.add(f); todo.append(f)
print('\n'.join(sorted(seen)))
PY
}
mapfile -t loaded < <(loaded_files dist)

printf '%-48s %10s %10s  %s\n' file raw gzip-9 loaded
total_raw=0 total_gz=0 page_raw=0 page_gz=0 fr_raw=0 fr_gz=0
while IFS= read -r f; do
  rel="${f#dist/}"
  raw=$(wc -c <"$f")
  g=$(gz "$f")
  mark=""
  for l in "${loaded[@]}"; do [ "$l" = "$rel" ] && mark="yes"; done
  # The sandbox Web Worker is fetched by the app when a run first needs it (sandbox mode).
  if [ -z "$mark" ] && [[ "$rel" == sandbox-worker* ]]; then mark="first run"; fr_raw=$((fr_raw + raw)) fr_gz=$((fr_gz + g)); fi
  printf '%-48s %10d %10d  %s\n' "$rel" "$raw" "$g" "$mark"
  total_raw=$((total_raw + raw)) total_gz=$((total_gz + g))
  if [ "$mark" = yes ]; then page_raw=$((page_raw + raw)) page_gz=$((page_gz + g)); fi
done < <(find dist -type f -not -path 'dist/.*' | LC_ALL=C sort)
printf '%-48s %10d %10d\n' "all of dist/" "$total_raw" "$total_gz"
printf '%-48s %10d %10d\n' "page download (files marked loaded)" "$page_raw" "$page_gz"
printf '%-48s %10d %10d\n' "sandbox worker, fetched on the first run" "$fr_raw" "$fr_gz"
echo "page download: $page_gz bytes gzip -9 ($page_raw raw)"
echo "sandbox on first run: $fr_gz bytes gzip -9 ($fr_raw raw); page + sandbox: $((page_gz + fr_gz)) bytes gzip -9"

# The embed (docs/embedding.md). A script include downloads embed/embed.js, then what the page
# downloads (the loader reads index.html for the hashed names). The embed's code is in the app's
# wasm and its styles at the end of the CSS (from the "Embeds (docs/embedding.md)" comment on).
if [ -f dist/embed/embed.js ]; then
  e_raw=$(wc -c <dist/embed/embed.js) e_gz=$(gz dist/embed/embed.js)
  printf '%-48s %10d %10d\n' "embed loader (embed/embed.js)" "$e_raw" "$e_gz"
  echo "script include: $((page_gz + e_gz)) bytes gzip -9 (embed.js + the page download)"
fi
if [ "${SIZE_EMBED_BASELINE:-}" = 1 ]; then
  nb=target/size-noembed
  echo "[size] building the app without the embed into $nb/dist" >&2
  CARGO_TARGET_DIR="$ROOT/$nb" \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--cfg erase_components --cfg workbench_no_embed" \
    trunk build --release --dist "$nb/dist" >&2
  base_gz=0
  while IFS= read -r f; do
    if [[ "$f" == *.css ]]; then
      # Without the embed's section of the stylesheet.
      g=$(sed '/Embeds (docs\/embedding.md)/,$d' "$nb/dist/$f" | sed '$d' | gzip -9 -n -c | wc -c)
    else
      g=$(gz "$nb/dist/$f")
    fi
    base_gz=$((base_gz + g))
  done < <(loaded_files "$nb/dist")
  delta=$((page_gz - base_gz))
  printf '%-48s %10s %10d\n' "page download without the embed" "" "$base_gz"
  echo "the embed adds $delta bytes gzip -9 to the page download ($(python3 -c "print(f'{100*$delta/$base_gz:.1f}')")%; budget 10%)"
fi
