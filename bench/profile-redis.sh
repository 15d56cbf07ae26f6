#!/usr/bin/env bash
# Where Redis spends its time per ingested event, and whether a long events stream changes it.
# Starts its own redis-server (AOF everysec) and shiprelay (release, example config) on loopback,
# ingests signed webhooks at 16 senders for 10 s and prints, per stored event, the calls and
# microseconds of each Redis command (INFO commandstats); then appends N entries to the events
# stream behind the router's back, waits out the AOF rewrite that sets off, and measures again.
#   bench/profile-redis.sh                 # N = 2,000,000
#   PRE=60 N=1000000 bench/profile-redis.sh  # first ingest for 60 s at 64 senders (millions of keys)
# Needs the binaries `scripts/bench` builds (target/release/shiprelay, target/bench/release/*).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-$PWD/target}
bin=$target/bench/release shiprelay=$target/release/shiprelay
[ -x "$shiprelay" ] && [ -x "$bin/loadgen" ] || { echo "error: run scripts/bench first (it builds the binaries)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/shiprelay-profile.XXXXXX") pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
redis_port=$(free_port) app_port=$(free_port) secret=whsec_profile
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
wait_rewrite() { while R INFO persistence | tr -d '\r' | grep -qE '^aof_rewrite_(in_progress|scheduled):1'; do sleep 1; done; }
measure() { # LABEL
  wait_rewrite
  R CONFIG RESETSTAT >/dev/null
  local n0 n1
  n0=$(R XLEN '{shiprelay}:events')
  echo "   kernel: $(grep -E '^(Dirty|Writeback):' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"
  echo "== $1: $(loadgen --concurrency 16 --duration 10 --warmup 1 --label "$1" | jq -r '"\(.rps) req/s, p99 \(.p99_ms) ms"')"
  n1=$(R XLEN '{shiprelay}:events')
  echo "   $((n1 - n0)) events; keys: $(R DBSIZE); used_memory: $(R INFO memory | tr -d '\r' | awk -F: '$1 == "used_memory_human" { print $2 }')"
  R INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_//p' | awk -F'[:=,]' -v n=$((n1 - n0)) \
    '{ printf "   %-14s %5.2f calls/event %8.2f µs/call %6.2f µs/event\n", $1, $3 / n, $7, $5 / n }' | sort -k6 -rn | head -8
}
if [ -n "${PRE:-}" ]; then
  echo "== filling: $(loadgen --concurrency 64 --duration "$PRE" --label fill | jq -r '"\(.rps) req/s"') for $PRE s"
fi
measure "before"
R --raw XREVRANGE '{shiprelay}:events' + - COUNT 1 | awk 'p == "event" { print; exit } { p = $0 }' >"$work/event.json"
"$bin/ceiling-deliver" --redis "redis://127.0.0.1:$redis_port" --url unused --stream '{shiprelay}:events' \
  --prefill "${N:-2000000}" --body-file "$work/event.json" --prefill-only
R XGROUP SETID '{shiprelay}:events' route '$' >/dev/null
measure "after appending ${N:-2000000} events"
grep -iE 'fsync|latency' "$work/redis.log" | tail -3 | sed 's/^/   redis.log: /' || true
