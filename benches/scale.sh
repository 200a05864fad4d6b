#!/usr/bin/env bash
# Scale benchmark: everything on loopback against `rcdomains sandbox`.
#  1. API (issue 2): 5,000 live domains on one app; a desired file that adds 100 and removes
#     100. For `plan`, `apply` and a second `plan`: API requests, wall time, peak RSS.
#     (--skip-dns: this part measures the API path only.)
#  2. DNS and TLS (issue 3): 2,000 names in the sandbox's zone, all pointing at the server;
#     `plan` with --resolver at the sandbox DNS server: DNS wall time and look-ups per second,
#     and the certificate probes' wall time.
#
#   cargo build --release && benches/scale.sh
#   RATE=60 benches/scale.sh    # with RunCloud's assumed 60 requests/minute instead of unlimited
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/rcdomains}
N=${N:-5000}
RATE=${RATE:-1000000}
PORT=${PORT:-$((20000 + RANDOM % 20000))}
work=$(mktemp -d)
trap 'kill "${SB_PID:-}" 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

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
for _ in $(seq 1 50); do grep -q "Rehearse" "$work/sandbox.log" 2>/dev/null && break; sleep 0.1; done

export RUNCLOUD_API_TOKEN=bench-token RUNCLOUD_API_URL="http://127.0.0.1:$PORT/api/v3"
measure() {
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$BIN" "$@" -f "$work/domains.yaml" --skip-dns --rate-limit "$RATE" -v --log-format json \
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

kill "$SB_PID"; wait "$SB_PID" 2>/dev/null || true

# --- 2. DNS and TLS checks ---------------------------------------------------------------------
D=${D:-2000}
{
  echo "credentials: {token: bench-token}"
  echo "servers:"
  echo "  - {id: 1, name: bench, ip: 127.0.0.1, apps: [{id: 2, name: bench, ssl: {mode: advanced}, domains: [{name: network.example, type: primary}], bulk: {count: $D, template: 'd{n}.dns.example'}}]}"
  echo "dns:"
  echo "  - {name: network.example, type: A, value: 127.0.0.1}"
  for i in $(seq 1 "$D"); do echo "  - {name: d$i.dns.example, type: A, value: 127.0.0.1}"; done
} > "$work/dns-seed.yaml"
{
  echo "version: 1"
  echo "target: {server: 1, app: 2}"
  echo "defaults: {www: false, redirection: none}"
  echo "domains:"
  echo "  - network.example"
  for i in $(seq 1 "$D"); do echo "  - d$i.dns.example"; done
} > "$work/dns-domains.yaml"
"$BIN" sandbox --listen "127.0.0.1:$PORT" --seed "$work/dns-seed.yaml" > "$work/sandbox2.log" 2>&1 &
SB_PID=$!
for _ in $(seq 1 100); do grep -q "Rehearse" "$work/sandbox2.log" 2>/dev/null && break; sleep 0.1; done
DNS=$(grep -o 'DNS: *[0-9.:]*' "$work/sandbox2.log" | awk '{print $2}')
TLS_PORT=$(grep -o 'TLS: *[0-9.:]*' "$work/sandbox2.log" | awk -F: '{print $NF}')
/usr/bin/time -f "%e %M" -o "$work/time" "$BIN" plan -f "$work/dns-domains.yaml" --rate-limit "$RATE" \
  --resolver "$DNS" --tls-port "$TLS_PORT" -v --log-format json > "$work/dns.out" 2> "$work/dns.err" || true
read -r wall rss < "$work/time"
names=$(grep '"DNS checks done"' "$work/dns.err" | grep -o '"names":[0-9]*' | cut -d: -f2)
dns_ms=$(grep -o '"dns_ms":[0-9]*' "$work/dns.err" | cut -d: -f2)
lps=$(grep -o '"lookups_per_sec":[0-9]*' "$work/dns.err" | cut -d: -f2)
tls_ms=$(grep -o '"tls_ms":[0-9]*' "$work/dns.err" | cut -d: -f2)
probes=$(grep '"certificate checks done"' "$work/dns.err" | grep -o '"names":[0-9]*' | cut -d: -f2)
echo "DNS checks: $names names (A and AAAA each) in ${dns_ms} ms = ${lps} names/s; TLS: $probes handshakes in ${tls_ms} ms; whole plan ${wall}s, $(echo "$rss/1024" | bc -l | cut -c1-5) MiB peak RSS   ($(head -1 "$work/dns.out"))"
