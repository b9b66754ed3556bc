#!/usr/bin/env bash
# Rebuild the vendored JavaScript in this folder from npm (see README.md): a plotly.js bundle
# with only the trace types the public pages draw, and regenerator-runtime. Needs Node 18+.
#   assets/vendor/build.sh            # same versions, same bytes
#   TRACES="bar pie scatter treemap histogram" assets/vendor/build.sh   # another trace set
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
PLOTLY=4.1.1           # must equal plotly.offline.get_plotlyjs_version() of the pinned plotly
REGENERATOR=0.14.1
ESBUILD=0.28.2
TRACES=${TRACES:-bar pie scatter treemap}
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
echo '{"private": true}' > package.json
npm install --no-audit --no-fund --loglevel=error \
  "plotly.js@$PLOTLY" "regenerator-runtime@$REGENERATOR" "esbuild@$ESBUILD"

# Plotly's own partial bundles do not fit: "basic" has no treemap and "strict" (5 MB) has
# everything. Scatter is part of plotly.js's core.
{
  echo "var Plotly = require('plotly.js/lib/core');"
  echo "Plotly.register(["
  for trace in $TRACES; do [ "$trace" = scatter ] || echo "  require('plotly.js/lib/$trace'),"; done
  echo "]);"
  echo "module.exports = Plotly;"
} > entry.js
name="plotly-$PLOTLY-$(echo $TRACES | tr ' ' '-').min.js"
# The options of plotly.js's own build (esbuild-config.js); the maplibre CSS is for map traces.
npx esbuild entry.js --bundle --minify --format=iife --global-name=Plotly --target=es2016 \
  --define:global=window --define:define.amd=false --loader:.css=empty --legal-comments=eof \
  --banner:js="/*! plotly.js v$PLOTLY ($TRACES) | (c) Plotly Technologies Inc. | MIT License */" \
  --log-level=warning --outfile="$here/plotly/$name"
cp node_modules/plotly.js/LICENSE "$here/plotly/LICENSE"

npx esbuild node_modules/regenerator-runtime/runtime.js --minify --legal-comments=eof \
  --banner:js="/*! regenerator-runtime v$REGENERATOR | (c) Facebook, Inc. | MIT License */" \
  --log-level=warning --outfile="$here/regenerator-runtime/regenerator-runtime-$REGENERATOR.min.js"
cp node_modules/regenerator-runtime/LICENSE "$here/regenerator-runtime/LICENSE"
ls -l "$here"/plotly/*.min.js "$here"/regenerator-runtime/*.min.js
