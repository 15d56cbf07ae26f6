# `scripts/run --demo`: the whole path on one machine. Sourced by scripts/run after Redis is up and
# shiprelay is built; not run on its own.
# It starts shiprelay (private targets allowed for this run only, log in target/demo/), a verifying
# local subscriber (`shiprelay listen`) on a free port and a subscription to it for every event,
# then prints signed webhooks to paste. Ctrl-C deletes the subscription and stops both processes, in
# that order: they run in sessions of their own (setsid), so the terminal's Ctrl-C reaches only this
# script, which stops them after the subscription is gone.

# config_value FILE KEY: the first `KEY = "value"` of a TOML file.
config_value() {
  sed -n "s/^$2 *= *\[\{0,1\}\"\([^\"]*\)\".*/\1/p" "$1" | head -n 1
}

run_demo() {
  local binary=$1 config=$2
  local listen="${SHIPRELAY_SERVER__LISTEN:-$(config_value "$config" listen)}"
  listen="${listen/0.0.0.0/127.0.0.1}"
  local base="http://${listen:-127.0.0.1:8080}"
  local key="${SHIPRELAY_API__KEYS:-$(config_value "$config" keys)}"
  key="${key%%,*}"
  local dir=target/demo
  mkdir -p "$dir"
  demo_relay_pid="" demo_listen_pid="" demo_subscription="" demo_base="$base" demo_key="$key"
  trap demo_stop EXIT
  trap 'exit 0' INT TERM

  echo "demo: private targets (127.0.0.1) are allowed as subscriber URLs for this run only"
  echo "demo: shiprelay's log goes to $dir/shiprelay.log"
  SHIPRELAY_DELIVERY__ALLOW_PRIVATE_TARGETS=true setsid "$binary" serve --config "$config" >"$dir/shiprelay.log" 2>&1 &
  demo_relay_pid=$!
  for _ in $(seq 200); do
    curl -sf "$base/readyz" >/dev/null 2>&1 && break
    kill -0 "$demo_relay_pid" 2>/dev/null || { echo "error: shiprelay did not start:" >&2; tail -n 20 "$dir/shiprelay.log" >&2; exit 1; }
    sleep 0.1
  done
  curl -sf "$base/readyz" >/dev/null || { echo "error: shiprelay is not ready at $base; see $dir/shiprelay.log" >&2; exit 1; }
  sed 's/^/  shiprelay: /' "$dir/shiprelay.log"
  echo "demo: shiprelay is ready at $base"

  local port answer secret
  port=$(free_tcp_port)
  answer=$(curl -sS "$base/v1/subscriptions" -H "X-API-Key: $key" -H 'Content-Type: application/json' \
    -d "{\"url\":\"http://127.0.0.1:$port/demo\",\"events\":[\"*\"],\"description\":\"scripts/run --demo\"}")
  demo_subscription=$(printf '%s' "$answer" | sed -n 's/^{"id":"\(sub_[^"]*\)".*/\1/p')
  secret=$(printf '%s' "$answer" | sed -n 's/.*"secret":"\(whsec_[^"]*\)".*/\1/p')
  if [ -z "$demo_subscription" ] || [ -z "$secret" ]; then
    echo "error: creating the demo subscription failed: $answer" >&2
    exit 1
  fi
  echo "demo: subscription $demo_subscription delivers every event to http://127.0.0.1:$port/demo"
  SHIPRELAY_LISTEN_SECRET="$secret" setsid "$binary" listen --port "$port" &
  demo_listen_pid=$!

  cat <<TEXT

Send these from another terminal (the example config's secrets; each is answered 200 and its
delivery shows up here as a line from the listener: event id, type, subject, verified):

$(scripts/examples "$base")

See the delivery log: curl -s $base/v1/subscriptions/$demo_subscription/deliveries -H 'X-API-Key: $key'
A subscription receives events accepted after it exists. A webhook sent before (on this Redis) is a
duplicate: answered 200 with Idempotent-Replayed: true and not delivered again; replay it with
  curl -s -X POST $base/v1/events/<evt_... id>/replay -H 'X-API-Key: $key' -H 'Content-Type: application/json' -d '{"subscriptionId":"$demo_subscription"}'
Ctrl-C stops the demo (shiprelay and the listener; Redis keeps running).

TEXT
  wait -n "$demo_relay_pid" "$demo_listen_pid" || true
  echo "demo: a process of the demo exited; stopping" >&2
}

demo_stop() {
  trap - EXIT INT TERM
  if [ -n "$demo_subscription" ]; then
    curl -s -o /dev/null -X DELETE "$demo_base/v1/subscriptions/$demo_subscription" -H "X-API-Key: $demo_key" || true
  fi
  local pid
  for pid in $demo_relay_pid $demo_listen_pid; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in $demo_relay_pid $demo_listen_pid; do
    wait "$pid" 2>/dev/null || true
  done
  echo "demo: stopped"
}
