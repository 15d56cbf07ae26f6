#!/usr/bin/env bash
# AOF bytes per event, by command: ingest for a few seconds into a Redis of its own whose AOF is
# never rewritten meanwhile (auto-aof-rewrite-percentage 0), with 0 subscriptions and then with 1,
# and split each AOF increment with bench/aof-breakdown.py. Needs the binaries `scripts/bench`
# builds.   bench/aof-per-event.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
bin=${CARGO_TARGET_DIR:-target}/bench/release
work=$(mktemp -d "${TMPDIR:-/tmp}/shiprelay-aof.XXXXXX")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rp=$(port); ap=$(port); sp=$(port)
secret=whsec_aof_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n'); key=aof-api-key-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
redis-server --port "$rp" --bind 127.0.0.1 --dir "$work" --appendonly yes --appendfsync everysec \
  --auto-aof-rewrite-percentage 0 --save '' --logfile "$work/redis.log" & pids+=($!)
"$bin/sink" --listen "127.0.0.1:$sp" >/dev/null 2>&1 & pids+=($!)
sed -e "0,/^listen = .*/s//listen = \"127.0.0.1:$ap\"/" -e "s|^url = .*|url = \"redis://127.0.0.1:$rp\"|" \
    -e "s/^keys = .*/keys = [\"$key\"]/" -e 's/^allow_private_targets = .*/allow_private_targets = true/' \
    -e 's/^level = .*/level = "warn"/' -e 's/^per_subscription_in_flight = .*/per_subscription_in_flight = 64/' \
    deploy/shiprelay.example.toml >"$work/c.toml"
sleep 0.5
SHIPRELAY_SOURCES__FLEXOPS__SECRETS="$secret" target/release/shiprelay serve --config "$work/c.toml" >"$work/s.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$ap/readyz" && break; sleep 0.1; done
incr() { ls "$work"/appendonlydir/*.incr.aof | tail -1; }
measure() { # LABEL
  local size0; size0=$(stat -c %s "$(incr)")
  "$bin/loadgen" --url "http://127.0.0.1:$ap/ingest/flexops" --secret "$secret" --concurrency 16 \
    --duration "$secs" --warmup 0 --unique --label "$1" >/dev/null 2>&1
  sleep 2 # deliveries settle, the AOF is flushed
  tail -c +"$((size0 + 1))" "$(incr)" >"$work/part.aof"
  echo "== $1"; python3 bench/aof-breakdown.py "$work/part.aof"
}
measure "0 subscriptions"
curl -sf -o /dev/null "http://127.0.0.1:$ap/v1/subscriptions" -H "X-API-Key: $key" -H 'Content-Type: application/json' \
  -d "{\"url\":\"http://127.0.0.1:$sp/s\",\"events\":[\"*\"]}"
sleep 1.5
measure "1 subscription (ingest, fan-out, delivery, settling, delivery log)"
