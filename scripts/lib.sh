# Shared by scripts/run and scripts/test: make sure a redis-server binary exists.
# Sourced, not run.

# Installs redis-server with the system's package manager when it is missing; says exactly what to
# install when it cannot.
ensure_redis_server() {
  command -v redis-server >/dev/null 2>&1 && return 0
  echo "redis-server not found; installing it" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if command -v apt-get >/dev/null 2>&1; then
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null
  elif command -v brew >/dev/null 2>&1; then
    brew install redis
  elif command -v dnf >/dev/null 2>&1; then
    $sudo dnf install -y redis
  fi
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "error: could not install redis-server. Install Redis 7 or newer (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) and run this again." >&2
    return 1
  fi
  # Debian's package starts a service on 6379; we start our own where we need one.
  return 0
}

# redis_answers HOST PORT: true when something on HOST:PORT answers PING with PONG.
redis_answers() {
  (
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf 'PING\r\n' >&3
    read -r -t 2 reply <&3 || exit 1
    [[ "$reply" == "+PONG"* ]]
  ) 2>/dev/null
}

# redis_config_get HOST PORT NAME: the value of one CONFIG parameter (empty when Redis refuses).
redis_config_get() {
  (
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf '*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$%d\r\n%s\r\n' "${#3}" "$3" >&3
    local line value="" n=0
    # *2, $len, name, $len, value
    while [ $n -lt 5 ] && read -r -t 2 line <&3; do
      n=$((n + 1))
      [ $n -eq 1 ] && [[ "$line" != "*2"* ]] && break
      [ $n -eq 5 ] && value="${line%$'\r'}"
    done
    printf '%s' "$value"
  ) 2>/dev/null
}

# free_tcp_port: a loopback port nothing listens on now.
free_tcp_port() {
  local candidate
  for _ in $(seq 100); do
    candidate=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

# ensure_test_python: target/test-venv with the Python packages the Rust tests call (the CloudEvents
# SDK that reads every delivery format); prints the interpreter's path.
ensure_test_python() {
  local venv=target/test-venv
  if ! "$venv/bin/python" -c 'import cloudevents' >/dev/null 2>&1; then
    echo "installing the CloudEvents SDK into $venv" >&2
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q --disable-pip-version-check 'cloudevents>=1.11,<2' >&2
  fi
  echo "$PWD/$venv/bin/python"
}
