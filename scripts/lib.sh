# Shared by scripts/run and scripts/test. Source it; do not run it.

LLMGW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

# build BUILD_DIR [TARGET...]: configures (once) and builds the targets (all when none named).
build() {
  local dir=$1
  shift
  if [[ ! -f "$dir/build.ninja" ]]; then
    cmake -S "$LLMGW_ROOT" -B "$dir" -G Ninja >/dev/null
  fi
  if (($#)); then
    cmake --build "$dir" -j "$(nproc)" --target "$@"
  else
    cmake --build "$dir" -j "$(nproc)"
  fi
}

# The programs scripts/run and the benchmarks start.
SERVICE_TARGETS=(llmgw-accounts llmgw-metering llmgw-billing llmgw-gateway llmgw-dashboard
                 llmgw-mock-provider)

# free_port: prints a TCP port nobody listens on.
free_port() {
  local port
  while true; do
    # Below the kernel's ephemeral range (32768+), so an outgoing connection cannot hold it, and
    # not used by any socket, listening or not.
    port=$((20000 + RANDOM % 12000))
    if ! ss -Htan "sport = :$port" | grep -q .; then
      echo "$port"
      return
    fi
  done
}

# pg_start DATA_DIR PORT: initializes (once) and starts a PostgreSQL 15 cluster owned by a
# non-root user (the server refuses to run as root), listening on 127.0.0.1:PORT only.
# Prints nothing; sets PG_URL (maintenance database) and PG_DATA.
pg_start() {
  PG_DATA=$1
  local port=$2
  local run_as=()
  if [[ $(id -u) -eq 0 ]]; then
    run_as=(runuser -u postgres --)
    chown postgres "$(dirname "$PG_DATA")" 2>/dev/null || true
  fi
  mkdir -p "$PG_DATA"
  [[ $(id -u) -eq 0 ]] && chown -R postgres "$PG_DATA"
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    "${run_as[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 \
      --locale=C.UTF-8 >"$PG_DATA.initdb.log" 2>&1 ||
      { cat "$PG_DATA.initdb.log"; return 1; }
  fi
  "${run_as[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $PG_DATA -c max_connections=400 ${PG_EXTRA_OPTS:-}" \
    start >/dev/null || { cat "$PG_DATA/server.log"; return 1; }
  PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
}

# pg_stop: stops the cluster pg_start started (fast shutdown).
pg_stop() {
  [[ -n "${PG_DATA:-}" && -f "$PG_DATA/postmaster.pid" ]] || return 0
  local run_as=()
  [[ $(id -u) -eq 0 ]] && run_as=(runuser -u postgres --)
  "${run_as[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
}

# redis_start DIR PORT: starts a throwaway Redis (no persistence) listening on 127.0.0.1:PORT,
# its pid file and log in DIR, and waits until it answers PING. Sets REDIS_URL and REDIS_DIR.
redis_start() {
  REDIS_DIR=$1
  local port=$2
  mkdir -p "$REDIS_DIR"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$REDIS_DIR/redis.pid" --dir "$REDIS_DIR" --logfile "$REDIS_DIR/redis.log" ||
    { cat "$REDIS_DIR/redis.log" 2>/dev/null; return 1; }
  local i reply
  for ((i = 0; i < 100; i++)); do
    # PING over bash's /dev/tcp: no redis-cli needed.
    if { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
      printf 'PING\r\n' >&3
      read -r -t 1 reply <&3 || true
      exec 3>&- 3<&-
      if [[ $reply == +PONG* ]]; then
        REDIS_URL="redis://127.0.0.1:$port"
        return 0
      fi
    fi
    sleep 0.05
  done
  echo "redis_start: no answer on port $port" >&2
  cat "$REDIS_DIR/redis.log" >&2
  return 1
}

# redis_stop: stops the Redis redis_start started.
redis_stop() {
  [[ -n "${REDIS_DIR:-}" && -f "$REDIS_DIR/redis.pid" ]] || return 0
  local pid
  pid=$(cat "$REDIS_DIR/redis.pid")
  kill "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
  kill -9 "$pid" 2>/dev/null || true
}
