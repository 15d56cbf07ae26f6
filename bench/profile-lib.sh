# Sourced by bench/profile-*.sh: starts, on loopback and in a temp dir removed on exit, its own
# redis-server (AOF, appendfsync everysec) and shiprelay (release, example config, log level warn),
# and defines R (redis-cli), loadgen (signed FlexOps webhooks, distinct ids) and wait_rewrite.
# Uses the binaries `scripts/bench` builds.
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
