# Sourced by scripts/bench: what ordering and fairness cost, each on a Redis (AOF everysec) and a
# relay of their own on loopback. Uses scripts/bench's and bench/topology.sh's helpers.

sink_distinct() { curl -sf "http://127.0.0.1:$sink_port/stats" | jq .distinct; }
sink_reset() { curl -sf -X POST "http://127.0.0.1:$sink_port/reset" >/dev/null; }
subscribe_json() { # PORT JSON: creates a subscription; prints its id
  curl -sf "http://127.0.0.1:$1/v1/subscriptions" -H "X-API-Key: $api_key" \
    -H 'Content-Type: application/json' -d "$2" | jq -r .id \
    || { echo "error: could not subscribe on :$1" >&2; exit 1; }
}
unsubscribe() { # PORT ID
  curl -sf -o /dev/null -X DELETE "http://127.0.0.1:$1/v1/subscriptions/$2" -H "X-API-Key: $api_key"
}
wait_distinct() { # N: waits (at most DRAIN_MAX s) until the sink has N distinct deliveries
  local t0; t0=$(date +%s.%N)
  while [ "$(sink_distinct)" -lt "$1" ]; do
    if [ "$(calc "$(date +%s.%N) - $t0 > $DRAIN_MAX")" != 0.000 ]; then
      echo "  drain: timed out ($(sink_distinct) of $1)"; return
    fi
    sleep 0.2
  done
}

# One subscription, unordered then ordered (`"ordering": "subject"`), each time 16 senders for
# D_E2E seconds of events about 1,000 shipments in turn, then drained: the delivered rate from the
# load's start to the last delivery.
scenario_ordering() {
  local rport port mode id out expected t0 took
  rport=$(free_port); port=$(free_port)
  start_redis_on "$rport" ordering --appendonly yes --appendfsync everysec
  relay_config "$work/ordering.toml" "$port" -e "s|^url = .*|url = \"redis://127.0.0.1:$rport\"|"
  start_relay "$work/ordering.toml" ordering "$port"
  for mode in none subject; do
    id=$(subscribe_json "$port" "{\"url\":\"http://127.0.0.1:$sink_port/ordering-$mode\",\"events\":[\"*\"],\"ordering\":\"$mode\"}")
    sleep 1
    sink_reset
    t0=$(date +%s.%N)
    out=$(loadgen "http://127.0.0.1:$port/ingest/flexops" "ordering $mode" 16 "$D_E2E" 0 --subjects 1000)
    expected=$(jq .ok <<<"$out")
    wait_distinct "$expected"
    took=$(calc "$(date +%s.%N) - $t0")
    echo "  ordering $mode: $(sink_distinct) of $expected delivered in ${took}s"
    record "ordering" "{mode: \"$mode\", subjects: 1000, expected: $expected, delivered: $(sink_distinct), seconds: $took}" "$out"
    unsubscribe "$port" "$id"
  done
  stop_pid "$relay_pid"
}

# A healthy subscription's delivery latency (ingest to arrival, p99) at a fixed 200 events/s:
# alone, then next to a subscription whose endpoint never answers (the sink's /stuck), with the
# example config's in-flight cap (8) and timeout (15 s).
scenario_fairness() {
  local rport port out stuck
  rport=$(free_port); port=$(free_port)
  start_redis_on "$rport" fairness --appendonly yes --appendfsync everysec
  relay_config "$work/fairness.toml" "$port" -e "s|^url = .*|url = \"redis://127.0.0.1:$rport\"|"
  sed -i 's/^per_subscription_in_flight = .*/per_subscription_in_flight = 8/' "$work/fairness.toml"
  start_relay "$work/fairness.toml" fairness "$port"
  subscribe_json "$port" "{\"url\":\"http://127.0.0.1:$sink_port/healthy\",\"events\":[\"*\"]}" >/dev/null
  for next_to in none stuck; do
    if [ "$next_to" = stuck ]; then
      stuck=$(subscribe_json "$port" "{\"url\":\"http://127.0.0.1:$sink_port/stuck\",\"events\":[\"*\"]}")
    fi
    sleep 1
    sink_reset
    out=$(loadgen "http://127.0.0.1:$port/ingest/flexops" "fairness next to $next_to" 16 "$D_E2E" 1 --rate 200)
    wait_distinct "$(jq .ok <<<"$out")"
    local st; st=$(curl -sf "http://127.0.0.1:$sink_port/stats")
    echo "  healthy subscription next to $next_to: p99 $(jq .p99_ms <<<"$st") ms, max $(jq .max_ms <<<"$st") ms"
    record "fairness" "{next_to: \"$next_to\", sink: $st}" "$out"
  done
  unsubscribe "$port" "$stuck"
  stop_pid "$relay_pid"
}
