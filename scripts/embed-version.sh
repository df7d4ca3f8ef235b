#!/usr/bin/env bash
# Trunk post_build hook (Trunk.toml): stamps the staged embed/embed.js with
#  - the embed module's version, the first 16 hex digits of the SHA-256 of workbench-embed.js and
#    workbench-embed_bg.wasm: the loader fetches both with `?v=<version>`. Their names are stable
#    (Trunk does not hash a "worker" module), so after a deploy a cache cannot hand out an old
#    module, or an old glue with a new wasm, once embed/embed.js itself was revalidated;
#  - the app stylesheet's hashed file name, so the loader need not fetch index.html to learn it.
# (docs/embedding.md)
set -euo pipefail
staged="${TRUNK_STAGING_DIR:?run by trunk as a post_build hook}"
loader="$staged/embed/embed.js"
version="$(cat "$staged/workbench-embed.js" "$staged/workbench-embed_bg.wasm" | sha256sum | cut -c1-16)"
mapfile -t sheets < <(cd "$staged" && ls workbench-*.css)
[ "${#sheets[@]}" -eq 1 ] || { echo "[embed-version] expected one workbench-*.css in $staged, found ${#sheets[@]}" >&2; exit 1; }
for name in EMBED_VERSION APP_STYLESHEET; do
  grep -q "^const $name = '[^']*';" "$loader" || { echo "[embed-version] no $name line in $loader" >&2; exit 1; }
done
sed -i -e "s/^const EMBED_VERSION = '[^']*';/const EMBED_VERSION = '$version';/" \
  -e "s/^const APP_STYLESHEET = '[^']*';/const APP_STYLESHEET = '${sheets[0]}';/" "$loader"
