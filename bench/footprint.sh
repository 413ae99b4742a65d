#!/usr/bin/env bash
# Footprint of the release build: binary size (and stripped), cold start to the first
# /healthz 200, the server's resident memory idle and after a load run (authenticated reads
# with wrk, writes, and a render of every diagram in bench/corpus), render workers apart.
# Usage: bash bench/footprint.sh [seconds of wrk load]   (needs wrk, curl, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
cargo build --release --locked -q
bin=target/release/reef
source bench/lib.sh

size=$(stat -c %s "$bin")
stripped_bin=$(mktemp)
strip -o "$stripped_bin" "$bin"
stripped=$(stat -c %s "$stripped_bin")
rm -f "$stripped_bin"
printf 'binary: %.1f MB, stripped %.1f MB\n' "$(echo "$size / 1000000" | bc -l)" "$(echo "$stripped / 1000000" | bc -l)"

# Cold start: from spawning the process to the first 200 from /healthz, on an empty data
# directory (creates and migrates the database) and again on the existing one.
python3 - "$bin" <<'PY'
import http.client, os, statistics, subprocess, sys, tempfile, time, random

def start_once(data):
    port = random.randint(20000, 40000)
    env = dict(os.environ, REEF_LOG="warn")
    started = time.perf_counter()
    proc = subprocess.Popen([sys.argv[1], "serve", "--bind", f"127.0.0.1:{port}", "--data", data],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return (time.perf_counter() - started) * 1000
            except OSError:
                pass
            if proc.poll() is not None:
                sys.exit("the server exited")
            time.sleep(0.001)
    finally:
        proc.terminate()
        proc.wait()

fresh, existing = [], []
for _ in range(7):
    with tempfile.TemporaryDirectory() as data:
        fresh.append(start_once(data))
        existing.append(start_once(data))
print(f"cold start to /healthz 200: {statistics.median(fresh):.1f} ms on an empty data directory, "
      f"{statistics.median(existing):.1f} ms on an existing one (medians of 7)")
PY

rss() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
hwm() { awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
workers_rss() {
  local total=0 pid
  for pid in $(pgrep -P "$server" || true); do
    total=$((total + $(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")))
  done
  printf '%.1f MB in %d worker(s)' "$(echo "$total / 1024" | bc -l)" "$(pgrep -c -P "$server" || true)"
}

start_server
sign_up_with_token
sleep 1
echo "idle server (signed up, no render yet): RSS $(rss "$server") MB; workers: $(workers_rss)"

id=$(curl -fs -H "Authorization: Bearer $secret" -H 'Content-Type: application/json' \
  -d '{"title":"bench","source":"flowchart LR\n  A --> B --> C"}' "$base/api/diagrams" |
  sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
for file in bench/corpus/*.mmd; do
  for n in 1 2 3; do
    { cat "$file"; printf '\n%%%% footprint %s\n' "$n"; } |
      curl -fs -o /dev/null -H "Authorization: Bearer $secret" -H 'Content-Type: text/plain' \
        --data-binary @- "$base/api/render"
  done
  curl -fs -o /dev/null -H "Authorization: Bearer $secret" -H 'Content-Type: text/plain' \
    --data-binary @"$file" "$base/api/render?format=png"
  curl -fs -o /dev/null -X PUT -H "Authorization: Bearer $secret" -H 'Content-Type: text/plain' \
    --data-binary @"$file" "$base/api/diagrams/$id"
done
wrk -t2 -c64 -d"${secs}s" -H "Authorization: Bearer $secret" "$base/api/diagrams/$id" |
  awk '/Requests\/sec/ { printf "load: %s req/s of GET /api/diagrams/{id} for '"$secs"' s, ", $2 }'
echo "$(ls bench/corpus/*.mmd | wc -l) diagrams rendered 3x as SVG and once as PNG"
echo "after the load run: server RSS $(rss "$server") MB (peak $(hwm "$server") MB); workers: $(workers_rss)"
