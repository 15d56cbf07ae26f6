#!/usr/bin/env bash
# Ingest latency at a fixed rate with and without an AOF rewrite inside the window.
# Starts its own redis-server (AOF everysec) and shiprelay (release, example config) on loopback,
# fills Redis by ingesting at 64 senders for FILL seconds (default 45: about 1.5 GiB), then runs
# 16 senders at RATE req/s (default 8800, about half the best rate) for 10 s, and again for 20 s with
# a BGREWRITEAOF started 4 s in. Prints p50/p99/p99.9 of each and the AOF rewrites Redis ran itself.
#   bench/profile-rewrite.sh
#   FILL=20 RATE=5000 bench/profile-rewrite.sh
# Needs the binaries `scripts/bench` builds (target/release/shiprelay, target/bench/release/*).
. "$(dirname "$0")/profile-lib.sh"
rate=${RATE:-8800}
rewrites() { R INFO persistence | tr -d '\r' | awk -F: '$1 == "aof_rewrites" { print $2 }'; }
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
