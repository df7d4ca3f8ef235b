#!/usr/bin/env bash
# Installs when missing: twiggy (cargo install twiggy 0.8.0)
# Where the app module's bytes go: twiggy (installed from crates.io into ~/.cargo/bin when missing)
# on the release module as cargo linked it, before wasm-bindgen and wasm-opt, so function names are
# kept. Items are grouped by the first matching rule below (crate or module path in the symbol
# name); sizes are shallow bytes of code and data, custom sections and wasm-bindgen's build-time
# describe functions left out (they are not shipped). wasm-opt shrinks the whole by about 0.8x
# and gzip by about another 0.4x, roughly evenly, so the shares hold for the shipped module.
#   bench/size-breakdown.sh                  release build (scripts/build.sh), then the breakdown
#   SIZE_NO_BUILD=1 bench/size-breakdown.sh  the module of the last release build
#   SIZE_BIN=workbench-embed bench/size-breakdown.sh   the embed's module instead
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

if ! command -v twiggy >/dev/null; then
  echo "[size-breakdown] installing twiggy 0.8.0 (cargo install twiggy-opt)" >&2
  cargo install twiggy --version 0.8.0 --locked >&2
fi
if [ "${SIZE_NO_BUILD:-}" != 1 ]; then
  scripts/build.sh >&2
fi
bin="${SIZE_BIN:-workbench}"
module="target/wasm32-unknown-unknown/release/${bin}.wasm"
[ -f "$module" ] || { echo "[size-breakdown] $module missing: run a release build first" >&2; exit 1; }

csv="$(mktemp)"
trap 'rm -f "$csv"' EXIT
twiggy top -n 1000000 -f csv "$module" >"$csv"
python3 - "$csv" "$module" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
# (substring of the symbol name, group), first match wins.
rules = [
    ('serde_json', 'serde_json (parser, Value, writer)'),
    ('serde::private', 'serde (derived, private helpers)'),
    ('serde_core', 'serde (derived visitors, Option/Vec impls)'),
    ('Deserialize for', 'serde (derived visitors, Option/Vec impls)'),
    ('Serialize for', 'serde (derived visitors, Option/Vec impls)'),
    ('tachys', 'Leptos: tachys (rendering)'),
    ('reactive_graph', 'Leptos: reactive_graph (signals, effects)'),
    ('leptos', 'Leptos: leptos, leptos_dom'),
    ('workbench::runner', 'app: runner'),
    ('workbench::state', 'app: store'),
    ('workbench::transport', 'app: transports'),
    ('workbench::verify', 'app: ID token verification'),
    ('workbench::embed', 'app: embed'),
    ('workbench::components', 'app: components'),
    ('workbench::phases', 'app: phases'),
    ('workbench::app', 'app: app root'),
    ('workbench', 'app: other (mask, curl, crypto, remember, ...)'),
    ('pingone::', 'pingone (workflow model, errors, oauth, ...)'),
    ('idna', 'url + idna'),
    ('url::', 'url + idna'),
    ('js_sys', 'js-sys, web-sys, wasm-bindgen'),
    ('web_sys', 'js-sys, web-sys, wasm-bindgen'),
    ('wasm_bindgen', 'js-sys, web-sys, wasm-bindgen'),
    ('dlmalloc', 'core, alloc, std (allocator, collections, fmt, drop glue)'),
    ('hashbrown', 'core, alloc, std (allocator, collections, fmt, drop glue)'),
    ('core', 'core, alloc, std (allocator, collections, fmt, drop glue)'),
    ('alloc', 'core, alloc, std (allocator, collections, fmt, drop glue)'),
    ('std', 'core, alloc, std (allocator, collections, fmt, drop glue)'),
]
groups = {}
for r in rows:
    name, size = r['Name'], int(r['ShallowSize'])
    if name.startswith(('custom section', '"function names"', 'export "__wbindgen_describe')) or '__wbindgen_describe' in name:
        continue
    if 'data segment' in name or name.startswith('data['):
        g = 'data (text, tables)'
    else:
        g = next((grp for pat, grp in rules if pat in name), 'other (closures, vtable shims, unnamed)')
    groups[g] = groups.get(g, 0) + size
total = sum(groups.values())
print(f"{sys.argv[2]}: {total:,} bytes of code and data before wasm-opt")
print(f"{'group':62} {'bytes':>10} {'share':>7}")
for g, n in sorted(groups.items(), key=lambda kv: -kv[1]):
    print(f"{g:62} {n:>10,} {100 * n / total:6.1f}%")
PY
