#!/usr/bin/env bash
# Trunk post_build hook (Trunk.toml): cuts the app's module into the page's part and the chunks it
# loads on first use (src/lazy.rs, docs/architecture.md "Code splitting").
#
# Trunk builds the app as usual (cargo with the `split` feature, wasm-bindgen); splitting has to
# happen between those two, which Trunk has no stage for, so this hook starts again from cargo's
# output: wasm-split-cli cuts target/wasm32-unknown-unknown/<profile>/workbench.wasm at its split
# points, wasm-bindgen binds the page's part, wasm-opt -Oz optimises every part (release), and the
# results replace Trunk's staged `workbench-<hash>.js` / `_bg.wasm` under the same names. The
# chunks and their loader get that hash in their names too, so a cache never mixes two builds.
# index.html's subresource-integrity values are recomputed for the two replaced files.
set -euo pipefail
. "$(dirname "$0")/env.sh"
staged="${TRUNK_STAGING_DIR:?run by trunk as a post_build hook}"
profile="${TRUNK_PROFILE:-debug}"
log() { printf '[wasm-split] %s\n' "$*" >&2; }

mapfile -t glues < <(cd "$staged" && ls | grep -E '^workbench-[0-9a-f]+\.js$' || true)
[ "${#glues[@]}" -eq 1 ] || { log "expected one workbench-<hash>.js (the app's glue) in $staged, found ${#glues[@]}"; exit 1; }
name="${glues[0]%.js}"
input="${CARGO_TARGET_DIR:-$ROOT/target}/wasm32-unknown-unknown/$profile/workbench.wasm"
[ -f "$input" ] || { log "no $input (cargo's output for the app)"; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
wasm-split-cli --target web --out-name "$name" "$input" "$work/split" >/dev/null
wasm-bindgen "$work/split/$name.wasm" --out-dir "$work/bound" --out-name "$name" --target web \
  --no-typescript --keep-lld-exports
mkdir -p "$work/out"
# The features rustc's wasm32 target enables (the chunks carry no target_features section to read).
features=(--enable-bulk-memory --enable-bulk-memory-opt --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue)
optimise() { # in out
  if [ "$profile" = release ]; then wasm-opt -Oz "${features[@]}" "$1" -o "$2"; else cp "$1" "$2"; fi
}
optimise "$work/bound/${name}_bg.wasm" "$work/out/${name}_bg.wasm"
# The loader and the chunks carry the page module's name: `./__wasm_split.js` becomes
# `./<name>.split.js` (imported by the glue), `./chunk_1.wasm` becomes `./<name>.chunk_1.wasm`.
chunks=()
for chunk in "$work"/split/*.wasm; do
  base="$(basename "$chunk")"
  [ "$base" = "$name.wasm" ] && continue
  optimise "$chunk" "$work/out/$name.$base"
  chunks+=("$base")
done
sed -e "s#\"\\./\\([A-Za-z0-9_]*\\.wasm\\)\"#\"./$name.\\1\"#g" "$work/split/__wasm_split.js" >"$work/out/$name.split.js"
sed -e "s#from \"\\./__wasm_split\\.js\"#from \"./$name.split.js\"#g" "$work/bound/$name.js" >"$work/out/$name.js"
grep -q "./$name.split.js" "$work/out/$name.js" || { log "the glue does not import the split loader"; exit 1; }

# Replace Trunk's files, and their integrity values in index.html.
sri() { printf 'sha384-%s' "$(openssl dgst -sha384 -binary "$1" | base64 -w0)"; }
html="$staged/index.html"
for file in "$name.js" "${name}_bg.wasm"; do
  old="$(sri "$staged/$file")"
  cp "$work/out/$file" "$staged/$file"
  new="$(sri "$staged/$file")"
  if grep -q "$old" "$html"; then sed -i "s#$old#$new#g" "$html"; fi
done
cp "$work/out/$name.split.js" "$staged/"
for chunk in "${chunks[@]}"; do cp "$work/out/$name.$chunk" "$staged/"; done
if [ -d "$work/bound/snippets" ]; then cp -r "$work/bound/snippets/." "$staged/snippets/"; fi
log "$name: page module $(stat -c %s "$staged/${name}_bg.wasm") B, ${#chunks[@]} chunks"
