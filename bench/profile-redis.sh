#!/usr/bin/env bash
# Where Redis spends its time per ingested event, and whether a long events stream changes it.
# Starts its own redis-server (AOF everysec) and shiprelay (release, example config) on loopback,
# ingests signed webhooks at 16 senders for 10 s and prints, per stored event, the calls and
# microseconds of each Redis command (INFO commandstats); then appends N entries to the events
# stream of one partition, waits out the AOF rewrite that sets off, and measures again.
#   bench/profile-redis.sh                 # N = 2,000,000
#   PRE=60 N=1000000 bench/profile-redis.sh  # first ingest for 60 s at 64 senders (millions of keys)
# Needs the binaries `scripts/bench` builds (target/release/shiprelay, target/bench/release/*).
. "$(dirname "$0")/profile-lib.sh"
# The partitions' tags, read once (a SCAN per measurement would show up in what is measured).
mapfile -t tags < <(R --scan --pattern '{shiprelay:*}:deliveries' | sed 's/:deliveries$//')
events_total() { # events stored, over every partition
  local t n=0
  for t in "${tags[@]}"; do n=$((n + $(R XLEN "$t:events"))); done
  echo "$n"
}
measure() { # LABEL
  wait_rewrite
  R CONFIG RESETSTAT >/dev/null
  local n0 n1
  n0=$(events_total)
  echo "== $1: $(loadgen --concurrency 16 --duration 10 --warmup 1 --label "$1" | jq -r '"\(.rps) req/s, p99 \(.p99_ms) ms"')"
  n1=$(events_total)
  echo "   $((n1 - n0)) events; keys: $(R DBSIZE); used_memory: $(R INFO memory | tr -d '\r' | awk -F: '$1 == "used_memory_human" { print $2 }')"
  R INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_//p' | awk -F'[:=,]' -v n=$((n1 - n0)) \
    '{ printf "   %-14s %5.2f calls/event %8.2f µs/call %6.2f µs/event\n", $1, $3 / n, $7, $5 / n }' | sort -k6 -rn | head -8
}
if [ -n "${PRE:-}" ]; then
  echo "== filling: $(loadgen --concurrency 64 --duration "$PRE" --label fill | jq -r '"\(.rps) req/s"') for $PRE s"
fi
measure "before"
first="${tags[0]}:events"
R --raw XREVRANGE "$first" + - COUNT 1 | awk 'p == "event" { print; exit } { p = $0 }' >"$work/event.json"
# Appended to one partition's events stream (events have no consumer group: nothing routes them).
"$bin/ceiling-deliver" --redis "redis://127.0.0.1:$redis_port" --url unused --stream "$first" \
  --prefill "${N:-2000000}" --body-file "$work/event.json" --prefill-only
measure "after appending ${N:-2000000} events"
