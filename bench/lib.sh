# Shared by the shell benchmarks: start the release server and get a bearer token.
# Source it from the repository root after `cargo build --release`.

# Starts `target/release/reef serve` on a random port with rate limits off and an empty data
# directory; sets $base, $data and $server and stops the server on exit.
start_server() {
  data=$(mktemp -d)
  local port=$((20000 + RANDOM % 20000))
  base="http://127.0.0.1:$port"
  REEF_RATE_READ_PER_MIN=0 REEF_RATE_WRITE_PER_MIN=0 REEF_LOG=warn \
    target/release/reef serve --bind "127.0.0.1:$port" --data "$data" >/dev/null 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
  for _ in $(seq 100); do curl -fs "$base/healthz" >/dev/null && return 0; sleep 0.05; done
  echo "the server did not start" >&2
  return 1
}

# Signs up the first account through the real forms and creates a read-write token on the
# Settings page; sets $secret and leaves the session in $data/cookies.
sign_up_with_token() {
  jar="$data/cookies"
  csrf() { curl -fs -b "$jar" -c "$jar" "$base$1" | sed -n 's/.*name="csrf-token" content="\([0-9a-f]*\)".*/\1/p'; }
  local token nonce
  token=$(csrf /signup)
  curl -fs -b "$jar" -c "$jar" -o /dev/null \
    -d "email=bench@example.net&password=benchmark-password&csrf=$token" "$base/signup"
  nonce=$(curl -fs -b "$jar" "$base/settings" | sed -n 's/.*name="nonce" value="\([0-9a-f]*\)".*/\1/p')
  secret=$(curl -fs -b "$jar" -d "name=bench&scope=read-write&nonce=$nonce&csrf=$token" "$base/settings/tokens" |
    sed -n 's/.*id="new-token-secret" class="secret" readonly value="\([^"]*\)".*/\1/p')
  [ -n "$secret" ] || { echo "could not create a token" >&2; return 1; }
}

# The median of numbers, one per line on stdin; nothing when there are none.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit; if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
