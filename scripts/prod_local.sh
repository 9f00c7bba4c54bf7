#!/usr/bin/env bash
# The production topology on this machine, on loopback: PostgreSQL and Redis (Debian packages, own
# data folders under instance/prod), gunicorn with several workers, and two schedulers (one leads,
# one stands by). For trying the deployment and for the load bench; a real deployment runs the same
# commands under systemd (README, "Production layout and deployment").
#   bash scripts/prod_local.sh start [--district]   # seeds the demo (and the district demo) once, with
#                                                   # the backfills `make run` does, plus the rollups
#   bash scripts/prod_local.sh status               # /healthz (exit 1 unless "ok") and the processes
#   bash scripts/prod_local.sh stop
# `make prod [DISTRICT=1]` and `make prod-stop` call it. Logs: instance/prod/logs/ (gunicorn.log holds
# the workers' and the app's own lines, access.log gunicorn's access log, schedulerN.log each scheduler).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PROD="$ROOT/instance/prod"
LOGS="$PROD/logs"
PY="$ROOT/.venv/bin/python"
PG_PORT=${COCKPIT_PROD_PG_PORT:-55432}
REDIS_PORT=${COCKPIT_PROD_REDIS_PORT:-56379}
WEB_PORT=${COCKPIT_PORT:-8050}
WORKERS=${COCKPIT_WORKERS:-3}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

export COCKPIT_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/cockpit"
export COCKPIT_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export COCKPIT_INSTANCE_DIR="$PROD/instance"
export COCKPIT_LOG_FORMAT=${COCKPIT_LOG_FORMAT:-json}
export COCKPIT_RUN_SCHEDULER=false  # as in production: only the two `python -m jobs` processes run jobs

start() {
  local district=""
  for arg in "$@"; do
    case "$arg" in
      --district) district="--district" ;;
      *) echo "unknown option: $arg" >&2; exit 2 ;;
    esac
  done
  bash scripts/ensure_system_packages.sh
  make --no-print-directory install
  mkdir -p "$LOGS" "$COCKPIT_INSTANCE_DIR"
  if [ ! -d "$PROD/pg/data" ]; then
    mkdir -p "$PROD/pg"
    [ "$(id -u)" -eq 0 ] && chown -R postgres: "$PROD/pg"
    as_pg "$pgbin/initdb" -D "$PROD/pg/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$LOGS/initdb.log"
  fi
  if ! as_pg "$pgbin/pg_ctl" -D "$PROD/pg/data" status >/dev/null 2>&1; then
    as_pg "$pgbin/pg_ctl" -D "$PROD/pg/data" -l "$PROD/pg/server.log" -w -t 60 \
      -o "-p $PG_PORT -k $PROD/pg -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
  fi
  psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='cockpit'" | grep -q 1 \
    || psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE cockpit"
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --daemonize yes \
      --pidfile "$PROD/redis.pid" --logfile "$LOGS/redis.log" --dir "$PROD" >/dev/null
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  # the demo (and the district demo) once; what is already there is left alone
  "$PY" -m data_access init --demo $district | tee -a "$LOGS/init.log"
  # what `make run` publishes (four weeks of shareable parking, the demo year's estate index) and the
  # case rollups the charts read; idempotent, so done once per store (and again when --district adds data)
  local done_flag="$PROD/backfilled${district:+-district}"
  if [ ! -f "$done_flag" ]; then
    echo "backfilling parking (28 days), estate_index (366 days) and rollups ..."
    "$PY" -m jobs run parking --backfill-days 28 >>"$LOGS/backfill.log"
    "$PY" -m jobs run estate_index --backfill-days 366 >>"$LOGS/backfill.log"
    "$PY" -m jobs run rollups >>"$LOGS/backfill.log"
    touch "$done_flag"
  fi
  # the session-signing key, made once before the workers start (they would race to make it)
  "$PY" -c 'from settings import ensure_secret_key, load_config; ensure_secret_key(load_config())'
  if ! alive "$PROD/gunicorn.pid"; then
    # --capture-output: the app's own log lines (stderr, JSON with COCKPIT_LOG_FORMAT=json) are kept in
    # the error log file instead of going to /dev/null with the daemon's terminal
    "$ROOT/.venv/bin/gunicorn" -w "$WORKERS" -b "127.0.0.1:$WEB_PORT" --timeout 60 --daemon \
      --pid "$PROD/gunicorn.pid" --capture-output --error-logfile "$LOGS/gunicorn.log" \
      --access-logfile "$LOGS/access.log" --chdir "$ROOT" 'app:create_server()'
  fi
  for n in 1 2; do
    if ! alive "$PROD/scheduler$n.pid"; then
      nohup "$PY" -m jobs >>"$LOGS/scheduler$n.log" 2>&1 &
      echo $! >"$PROD/scheduler$n.pid"
    fi
  done
  for _ in $(seq 60); do curl -fsS "http://127.0.0.1:$WEB_PORT/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
  echo "Community Cockpit (production layout) on http://127.0.0.1:$WEB_PORT/ — $WORKERS gunicorn workers,"
  echo "two schedulers (one leads, one stands by), PostgreSQL :$PG_PORT, Redis :$REDIS_PORT; logs in $LOGS"
  grep -h "Wall screen" "$LOGS/init.log" | tail -n 1 || true
}

stop_pid() {  # stop_pid FILE: TERM the process and wait (up to 30 s) until it has gone
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
  rm -f "$file"
}

stop() {
  for n in 1 2; do stop_pid "$PROD/scheduler$n.pid"; done
  stop_pid "$PROD/gunicorn.pid"
  stop_pid "$PROD/redis.pid"
  [ -d "$PROD/pg/data" ] && as_pg "$pgbin/pg_ctl" -D "$PROD/pg/data" -m fast -w stop >/dev/null 2>&1 || true
  echo "stopped"
}

status() {
  for name in gunicorn scheduler1 scheduler2 redis; do
    if alive "$PROD/$name.pid"; then echo "$name: running (pid $(cat "$PROD/$name.pid"))"; else echo "$name: not running"; fi
  done
  # the body either way: a degraded answer (503) says why
  local code
  code=$(curl -sS -o "$PROD/healthz.json" -w '%{http_code}' "http://127.0.0.1:$WEB_PORT/healthz" || echo 000)
  echo "/healthz: HTTP $code"
  [ -s "$PROD/healthz.json" ] && cat "$PROD/healthz.json" && echo
  [ "$code" = 200 ]
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start [--district] | status | stop" >&2; exit 2 ;;
esac
