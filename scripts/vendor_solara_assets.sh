#!/usr/bin/env bash
# Vendor the front-end assets that Solara's server-side CDN proxy (/_solara/cdn/...) would
# otherwise fetch from cdn.jsdelivr.net, using only the npm registry (`npm pack`).
#
# Usage: scripts/vendor_solara_assets.sh [CACHE_DIR]   (default: <repo>/.cache/solara-assets)
#        VENDOR_EXTRAS=1 scripts/vendor_solara_assets.sh ...   also vendors the optional set
# Then run solara with:  SOLARA_ASSETS_PROXY_CACHE_DIR=CACHE_DIR solara run ...
#
# Layout (what solara.server.cdn_helper.get_path expects): the CDN url path below the cdn
# root, i.e. CACHE_DIR/<npm-name>@<version>/<file inside the npm package>, e.g.
#   CACHE_DIR/@widgetti/solara-vuetify-app@10.1.1/dist/solara-vuetify-app8.min.js
#   CACHE_DIR/requirejs@2.3.6/require.js
# Idempotent: a package whose directory holds a .vendored marker is skipped.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
cache="${1:-$repo/.cache/solara-assets}"

# Versions pinned by the installed solara 1.64.x (ipyvue/ipyvuetify 1.x = Vue 2, ipywidgets 8):
#   server/templates/solara.html.j2 : solara-vuetify-app, requirejs, font-awesome
#   widgets/vue/gridlayout.vue      : vue-grid-layout (solara.GridDraggable, used by mesa SolaraViz)
core=(
  "@widgetti/solara-vuetify-app@10.1.1"
  "requirejs@2.3.6"
  "font-awesome@4.5.0"
  "@widgetti/vue-grid-layout@2.3.13-alpha.2"
)
# Optional: only loaded by solara.Markdown (mermaid, katex) and solara.FigureAltair / mesa's
# altair backend (vega*: the vue file asks for semver ranges vega@5, vega-lite@5, vega-embed@6,
# so the npm version is resolved here and unpacked under the range name the page requests).
extras=(
  "katex@0.16.9"
  "mermaid@10.8.0"
  "vega@5"
  "vega-lite@5"
  "vega-embed@6"
)

specs=("${core[@]}")
if [[ "${VENDOR_EXTRAS:-0}" == "1" ]]; then specs+=("${extras[@]}"); fi

mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"

todo=()
for spec in "${specs[@]}"; do
  [[ -f "$cache/$spec/.vendored" ]] || todo+=("$spec")
done
if [[ ${#todo[@]} -eq 0 ]]; then
  echo "solara assets already vendored in $cache"
  exit 0
fi

command -v npm >/dev/null || { echo "npm not found (apt-get install -y npm)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for spec in "${todo[@]}"; do
  echo "vendoring $spec -> $cache/$spec"
  work="$tmp/$(echo "$spec" | tr '/@' '__')"
  mkdir -p "$work"
  tgz="$(cd "$work" && npm pack --silent "$spec" | tail -n1)"
  mkdir -p "$work/x"
  tar -xzf "$work/$tgz" -C "$work/x"
  pkg="$work/x/package"
  # the cdn serves require.min.js too (markdown/gridlayout ask for it when requirejs is absent)
  if [[ "$spec" == requirejs@* && ! -f "$pkg/require.min.js" ]]; then cp "$pkg/require.js" "$pkg/require.min.js"; fi
  # the marker records the exact npm version (useful for the semver-range extras)
  node -p "require('$pkg/package.json').version" > "$pkg/.vendored" 2>/dev/null || echo "$spec" > "$pkg/.vendored"
  dest="$cache/$spec"
  mkdir -p "$(dirname "$dest")"
  rm -rf "$dest"
  mv "$pkg" "$dest"
done
echo "solara assets vendored in $cache"
