#!/usr/bin/env bash
# Authenticated API throughput against a bare health check, side by side on one server.
# Usage: bash bench/api.sh [seconds]   (needs wrk and curl; builds the release binary)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
cargo build --release --locked -q
data=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"
REEF_RATE_READ_PER_MIN=0 REEF_RATE_WRITE_PER_MIN=0 REEF_LOG=warn \
  target/release/reef serve --bind "127.0.0.1:$port" --data "$data" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 50); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.1; done

jar="$data/cookies"
csrf() { curl -fs -b "$jar" -c "$jar" "$base$1" | sed -n 's/.*name="csrf-token" content="\([0-9a-f]*\)".*/\1/p'; }
token=$(csrf /signup)
curl -fs -b "$jar" -c "$jar" -o /dev/null -d "email=bench@example.net&password=benchmark-password&csrf=$token" "$base/signup"
nonce=$(curl -fs -b "$jar" "$base/settings" | sed -n 's/.*name="nonce" value="\([0-9a-f]*\)".*/\1/p')
secret=$(curl -fs -b "$jar" -d "name=bench&scope=read-write&nonce=$nonce&csrf=$token" "$base/settings/tokens" \
  | sed -n 's/.*id="new-token-secret" class="secret" readonly value="\([^"]*\)".*/\1/p')
id=$(curl -fs -H "Authorization: Bearer $secret" -H 'Content-Type: application/json' \
  -d '{"title":"bench","source":"flowchart LR\n  A --> B --> C"}' "$base/api/diagrams" \
  | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')

run() { wrk -t2 -c64 -d"${secs}s" "$@" | awk '/Requests\/sec/ {print $2}'; }
health=$(run "$base/healthz")
authed=$(run -H "Authorization: Bearer $secret" "$base/api/diagrams/$id")
echo "healthz (no auth):                $health req/s"
echo "GET /api/diagrams/{id} (bearer):  $authed req/s"
awk -v a="$authed" -v h="$health" 'BEGIN { printf "ratio authenticated/healthz:      %.2f (target >= 0.40)\n", a / h }'
