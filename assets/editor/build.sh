#!/usr/bin/env bash
# Builds static/editor.js (the CodeMirror editor for the Mermaid source) from src/.
# Usage: bash assets/editor/build.sh   (from any directory)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/static/editor.js"

cd "$here"
# Exactly the locked versions; no install scripts are needed (esbuild's binary comes
# from its per-platform package). build.mjs bundles src/ with esbuild.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

node build.mjs

bytes=$(wc -c < "$out")
gz=$(gzip -9 -n -c "$out" | wc -c)
echo "static/editor.js: $bytes bytes minified, $gz bytes gzip -9"
