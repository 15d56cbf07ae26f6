# Sourced by scripts/bench: the scenarios beyond one Redis and one relay, each on Redis servers of
# its own on loopback: Redis memory of queued work (this layout against the one before partitions),
# a 3-master Redis Cluster, and `wait_replicas = 1` against one replica. Uses scripts/bench's
# helpers and variables (R-like helpers take a port here).

relay_config() { # OUT PORT [sed expressions...]: the example config for a relay on PORT
  local out=$1 port=$2; shift 2
  sed -e "0,/^listen = .*/s//listen = \"127.0.0.1:$port\"/" \
      -e "s/^keys = .*/keys = [\"$api_key\"]/" \
      -e 's/^allow_private_targets = .*/allow_private_targets = true/' \
      -e 's/^level = .*/level = "warn"/' \
      -e 's/^per_subscription_in_flight = .*/per_subscription_in_flight = 64/' \
      "$@" deploy/shiprelay.example.toml > "$out"
}
start_relay() { # CONFIG NAME PORT: starts a relay; sets relay_pid
  SHIPRELAY_SOURCES__FLEXOPS__SECRETS="$secret" "$shiprelay" serve --config "$1" >"$work/$2.log" 2>&1 &
  pids+=($!); relay_pid=$!
  wait_http "http://127.0.0.1:$3/healthz" "$relay_pid" "$2"
}
start_redis_on() { # PORT NAME [redis-server args...]
  local port=$1 name=$2; shift 2
  mkdir -p "$work/$name"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$work/$name" --save '' \
    --logfile "$work/$name/redis.log" "$@" &
  pids+=($!)
  for _ in $(seq 100); do redis_answers 127.0.0.1 "$port" && return 0; sleep 0.1; done
  echo "error: redis-server $name did not start" >&2; exit 1
}
cluster_port() { # a free port whose cluster bus port (+10000) is free too
  python3 -c '
import random, socket
while True:
    p = random.randint(20000, 45000)
    try:
        for q in (p, p + 10000):
            s = socket.socket(); s.bind(("127.0.0.1", q)); s.close()
        print(p); break
    except OSError:
        pass'
}
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
used_memory_on() { redis-cli -p "$1" INFO memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }'; }
commands_on() { redis-cli -p "$1" INFO stats | tr -d '\r' | awk -F: '$1 == "total_commands_processed" { print $2 }'; }
subscribe_on() { # PORT N: N subscriptions to the sink on the relay at PORT
  local i
  for i in $(seq "$2"); do
    curl -sf -o /dev/null "http://127.0.0.1:$1/v1/subscriptions" -H "X-API-Key: $api_key" \
      -H 'Content-Type: application/json' \
      -d "{\"url\":\"http://127.0.0.1:$sink_port/t$i\",\"events\":[\"*\"]}" \
      || { echo "error: could not subscribe on :$1" >&2; exit 1; }
  done
}

# Redis memory with 10 subscriptions and QUEUED events waiting: an ingest-only relay (nothing
# delivers, so every job stays queued) on a Redis of its own, against the same events written in
# the layout before partitions (each job carrying its event) by bench/old-layout.py.
scenario_memory() {
  local queued=$1 port rport cfg before after old_before old_after
  rport=$(free_port); port=$(free_port)
  start_redis_on "$rport" memory --appendonly no
  relay_config "$work/memory.toml" "$port" -e "s|^url = .*|url = \"redis://127.0.0.1:$rport\"|"
  sed -i 's/^\[server\]/[server]\nrole = "ingest"/' "$work/memory.toml"
  start_relay "$work/memory.toml" memory-relay "$port"
  subscribe_on "$port" 10
  sleep 0.5
  before=$(used_memory_on "$rport")
  local rate=4000 secs
  secs=$(( queued / rate ))
  out=$(loadgen "http://127.0.0.1:$port/ingest/flexops" "memory" 16 "$secs" 0 --rate "$rate")
  local events jobs
  local t
  events=$(for t in "${tags[@]}"; do redis-cli -p "$rport" XLEN "$t:events"; done | awk '{ n += $1 } END { print n + 0 }')
  jobs=$(for t in "${tags[@]}"; do redis-cli -p "$rport" XLEN "$t:deliveries"; done | awk '{ n += $1 } END { print n + 0 }')
  after=$(used_memory_on "$rport")
  # The same number of events, written as the previous version stored them.
  redis-cli -p "$rport" FLUSHALL >/dev/null
  old_before=$(used_memory_on "$rport")
  python3 bench/old-layout.py --events "$events" --subscriptions 10 --event-file "$work/event.json" |
    redis-cli -p "$rport" --pipe >/dev/null
  old_after=$(used_memory_on "$rport")
  record "memory_queued" "{events: $events, jobs: $jobs, bytes: ($after - $before), old_bytes: ($old_after - $old_before)}" "$out"
  stop_pid "$relay_pid"
}

# A 3-master Redis Cluster on loopback (no replicas): ingest at 64 senders with the default 8
# partitions; throughput against the single Redis in this run, and each master's share of commands.
scenario_cluster() {
  local ports=() p i port cfg urls before after
  for i in 1 2 3; do
    p=$(cluster_port); ports+=("$p")
    start_redis_on "$p" "cluster-$i" --cluster-enabled yes --cluster-config-file nodes.conf \
      --appendonly yes --appendfsync everysec
  done
  redis-cli --cluster create "${ports[@]/#/127.0.0.1:}" --cluster-replicas 0 --cluster-yes >/dev/null
  for _ in $(seq 100); do
    redis-cli -p "${ports[0]}" CLUSTER INFO | grep -q 'cluster_state:ok' && break; sleep 0.1
  done
  urls=$(printf '"redis://127.0.0.1:%s", ' "${ports[@]}"); urls="[${urls%, }]"
  port=$(free_port)
  relay_config "$work/cluster.toml" "$port" -e "s|^url = .*|urls = $urls|" -e 's/^mode = .*/mode = "cluster"/'
  start_relay "$work/cluster.toml" cluster-relay "$port"
  wait_http "http://127.0.0.1:$port/readyz" "$relay_pid" cluster-relay
  before=$(for p in "${ports[@]}"; do commands_on "$p"; done | paste -sd' ')
  out=$(loadgen "http://127.0.0.1:$port/ingest/flexops" "cluster c=64" 64 "$D_INGEST" "$WARMUP")
  after=$(for p in "${ports[@]}"; do commands_on "$p"; done | paste -sd' ')
  record "cluster_ingest" "{commands_before: [$(echo "$before" | tr ' ' ',')], commands_after: [$(echo "$after" | tr ' ' ',')]}" "$out"
  stop_pid "$relay_pid"
}

# `wait_replicas = 1` against one replica of a Redis of its own: ingest at 16 and 64 senders,
# with and without waiting, same Redis, same run.
scenario_replica() {
  local mport rport port c mode
  mport=$(free_port); rport=$(free_port)
  start_redis_on "$mport" wait-master --appendonly yes --appendfsync everysec
  start_redis_on "$rport" wait-replica --appendonly yes --appendfsync everysec --replicaof 127.0.0.1 "$mport"
  for _ in $(seq 100); do
    redis-cli -p "$mport" INFO replication | grep -q 'state=online' && break; sleep 0.1
  done
  for mode in 0 1; do
    port=$(free_port)
    relay_config "$work/wait-$mode.toml" "$port" -e "s|^url = .*|url = \"redis://127.0.0.1:$mport\"|" \
      -e "s/^wait_replicas = .*/wait_replicas = $mode/"
    start_relay "$work/wait-$mode.toml" "wait-$mode-relay" "$port"
    wait_http "http://127.0.0.1:$port/readyz" "$relay_pid" "wait-$mode-relay"
    for c in 16 64; do
      out=$(loadgen "http://127.0.0.1:$port/ingest/flexops" "wait_replicas=$mode c=$c" "$c" "$D_INGEST" "$WARMUP")
      record "wait_replicas" "{wait: $mode, c: $c}" "$out"
    done
    stop_pid "$relay_pid"
  done
}
