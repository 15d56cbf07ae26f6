#!/usr/bin/env bash
# Ingest latency at a fixed rate with and without an AOF rewrite inside the window.
# Starts its own redis-server (AOF everysec) and shiprelay (release, example config) on loopback,
# fills Redis by ingesting at 64 senders for FILL seconds (default 45: about 1.5 GiB), then runs
# 16 senders at RATE req/s (default 8800, about half the best rate) for 10 s, and again for 20 s with
# a BGREWRITEAOF started 4 s in. Prints p50/p99/p99.9 of each and the AOF rewrites Redis ran itself.
#   bench/profile-rewrite.sh
#   FILL=20 RATE=5000 bench/profile-rewrite.sh
# Needs the binaries `scripts/bench` builds (target/release/shiprelay, target/bench/release/*).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-$PWD/target}
bin=$target/bench/release shiprelay=$target/release/shiprelay
[ -x "$shiprelay" ] && [ -x "$bin/loadgen" ] || { echo "error: run scripts/bench first (it builds the binaries)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/shiprelay-rewrite.XXXXXX") pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
redis_port=$(free_port) app_port=$(free_port) secret=whsec_profile rate=${RATE:-8800}
R() { redis-cli -p "$redis_port" "$@"; }
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work" --appendonly yes --appendfsync everysec \
  --save '' --logfile "$work/redis.log" &
pids+=($!)
for _ in $(seq 50); do R PING >/dev/null 2>&1 && break; sleep 0.1; done
sed -e "0,/^listen = .*/s//listen = \"127.0.0.1:$app_port\"/" -e "s|^url = .*|url = \"redis://127.0.0.1:$redis_port\"|" \
  -e 's/^level = .*/level = "warn"/' deploy/shiprelay.example.toml >"$work/shiprelay.toml"
SHIPRELAY_SOURCES__FLEXOPS__SECRETS=$secret "$shiprelay" serve --config "$work/shiprelay.toml" >"$work/shiprelay.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$app_port/readyz" && break; sleep 0.1; done
loadgen() { "$bin/loadgen" --url "http://127.0.0.1:$app_port/ingest/flexops" --secret "$secret" --unique "$@" 2>/dev/null; }
rewrites() { R INFO persistence | tr -d '\r' | awk -F: '$1 == "aof_rewrites" { print $2 }'; }
wait_rewrite() { while R INFO persistence | tr -d '\r' | grep -qE '^aof_rewrite_(in_progress|scheduled):1'; do sleep 1; done; }
latency='"\(.rps) req/s, p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, p99.9 \(.p999_ms) ms"'
echo "== filling: $(loadgen --concurrency 64 --duration "${FILL:-45}" --label fill | jq -r '"\(.rps) req/s"'),"\
  "used_memory $(R INFO memory | tr -d '\r' | awk -F: '$1 == "used_memory_human" { print $2 }')"
wait_rewrite
r0=$(rewrites)
echo "== $rate req/s, 10 s: $(loadgen --concurrency 16 --duration 10 --warmup 1 --rate "$rate" --label plain | jq -r "$latency")"
echo "   AOF rewrites Redis started by itself meanwhile: $(( $(rewrites) - r0 ))"
wait_rewrite
( sleep 4; R BGREWRITEAOF >/dev/null ) &
echo "== $rate req/s, 20 s, BGREWRITEAOF at 4 s: $(loadgen --concurrency 16 --duration 20 --warmup 1 --rate "$rate" --label rewrite | jq -r "$latency")"
echo "   fork pause: $(R INFO stats | tr -d '\r' | awk -F: '$1 == "latest_fork_usec" { printf "%.1f ms", $2 / 1000 }')"
