#!/usr/bin/env bash
# Scale benchmark (issue 2): 5,000 live domains on one app in the sandbox; a desired file that
# adds 100 and removes 100. Prints, for `plan` and `apply`: API requests, wall time, peak RSS.
#
#   benches/scale.sh            # uses target/release/rcdomains (cargo build --release first)
#   RATE=60 benches/scale.sh    # with RunCloud's assumed 60 requests/minute instead of unlimited
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/rcdomains}
N=${N:-5000}
RATE=${RATE:-1000000}
PORT=${PORT:-$((20000 + RANDOM % 20000))}
work=$(mktemp -d)
trap 'kill "${SB_PID:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

cat > "$work/seed.yaml" <<YAML
credentials: {token: bench-token}
rate_limit: {per_minute: 100000, window_seconds: 60}
servers:
  - id: 1
    name: bench
    ip: 203.0.113.10
    apps:
      - id: 2
        name: bench
        domains:
          - {name: network.example, type: primary, www: true, redirection: non-www}
        bulk: {count: $N, template: "site{n}.bench.example", www: true, redirection: non-www}
YAML
{
  echo "version: 1"
  echo "target: {server: 1, app: 2}"
  echo "removals: {prune: true, max: 100, max_percent: 30, grace: 0s}"
  echo "domains:"
  echo "  - network.example"
  for i in $(seq 101 "$N"); do echo "  - site$i.bench.example"; done
  for i in $(seq 1 100); do echo "  - new$i.bench.example"; done
} > "$work/domains.yaml"

"$BIN" sandbox --listen "127.0.0.1:$PORT" --seed "$work/seed.yaml" > "$work/sandbox.log" 2>&1 &
SB_PID=$!
for _ in $(seq 1 50); do grep -q "listening" "$work/sandbox.log" 2>/dev/null && break; sleep 0.1; done

export RUNCLOUD_API_TOKEN=bench-token RUNCLOUD_API_URL="http://127.0.0.1:$PORT/api/v3"
measure() {
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$BIN" "$@" -f "$work/domains.yaml" --rate-limit "$RATE" -v --log-format json \
    > "$work/$label.out" 2> "$work/$label.err" || true
  local requests
  requests=$(grep -o '"requests":[0-9]*' "$work/$label.err" | tail -1 | cut -d: -f2)
  read -r wall rss < "$work/time"
  printf '%-6s %5s requests  %6ss wall  %6.1f MiB peak RSS   (%s)\n' "$label" "$requests" "$wall" "$(echo "$rss/1024" | bc -l)" "$(head -1 "$work/$label.out")"
}
echo "$N live domains, +100 / -100, rate limit $RATE/min:"
measure plan plan
measure apply apply --yes
measure replan plan
