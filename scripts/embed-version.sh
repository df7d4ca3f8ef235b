#!/usr/bin/env bash
# Trunk post_build hook (Trunk.toml): stamps the staged embed/embed.js with a version of the embed's
# module, the first 16 hex digits of the SHA-256 of workbench-embed.js and workbench-embed_bg.wasm.
# The loader fetches both with `?v=<version>`: their names are stable (Trunk does not hash a
# "worker" module), so after a deploy a cache cannot hand out an old module, or an old glue with a
# new wasm, once embed/embed.js itself was revalidated (docs/embedding.md).
set -euo pipefail
staged="${TRUNK_STAGING_DIR:?run by trunk as a post_build hook}"
version="$(cat "$staged/workbench-embed.js" "$staged/workbench-embed_bg.wasm" | sha256sum | cut -c1-16)"
loader="$staged/embed/embed.js"
grep -q "^const EMBED_VERSION = '[0-9a-f]*';" "$loader" || { echo "[embed-version] no EMBED_VERSION line in $loader" >&2; exit 1; }
sed -i "s/^const EMBED_VERSION = '[0-9a-f]*';/const EMBED_VERSION = '$version';/" "$loader"
