#!/usr/bin/env bash
# The production topology on this machine, on loopback: PostgreSQL and Redis (Debian packages, own
# data folders under instance/prod), gunicorn with several workers, and two schedulers (one leads,
# one stands by). For trying the deployment and for the load bench; a real deployment runs the same
# commands under systemd (README, "Deployment").
#   bash scripts/prod_local.sh start [--district]   # seeds the demo (and the district demo) once
#   bash scripts/prod_local.sh status
#   bash scripts/prod_local.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PROD="$ROOT/instance/prod"
PY="$ROOT/.venv/bin/python"
PG_PORT=${COCKPIT_PROD_PG_PORT:-55432}
REDIS_PORT=${COCKPIT_PROD_REDIS_PORT:-56379}
WEB_PORT=${COCKPIT_PORT:-8050}
WORKERS=${COCKPIT_WORKERS:-3}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

export COCKPIT_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/cockpit"
export COCKPIT_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export COCKPIT_INSTANCE_DIR="$PROD/instance"
export COCKPIT_LOG_FORMAT=${COCKPIT_LOG_FORMAT:-json}

start() {
  bash scripts/ensure_system_packages.sh
  make --no-print-directory install
  mkdir -p "$PROD/logs" "$COCKPIT_INSTANCE_DIR"
  if [ ! -d "$PROD/pg/data" ]; then
    mkdir -p "$PROD/pg"
    [ "$(id -u)" -eq 0 ] && chown -R postgres: "$PROD/pg"
    as_pg "$pgbin/initdb" -D "$PROD/pg/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$PROD/logs/initdb.log"
  fi
  if ! as_pg "$pgbin/pg_ctl" -D "$PROD/pg/data" status >/dev/null 2>&1; then
    as_pg "$pgbin/pg_ctl" -D "$PROD/pg/data" -l "$PROD/pg/server.log" -w -t 60 \
      -o "-p $PG_PORT -k $PROD/pg -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
  fi
  psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='cockpit'" | grep -q 1 \
    || psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE cockpit"
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --daemonize yes \
      --pidfile "$PROD/redis.pid" --logfile "$PROD/logs/redis.log" --dir "$PROD" >/dev/null
  fi
  "$PY" -m data_access init --demo "${@}" | tee "$PROD/logs/init.log"
  "$PY" -m jobs run parking --backfill-days 28 >/dev/null
  if [ ! -f "$PROD/gunicorn.pid" ] || ! kill -0 "$(cat "$PROD/gunicorn.pid")" 2>/dev/null; then
    "$ROOT/.venv/bin/gunicorn" -w "$WORKERS" -b "127.0.0.1:$WEB_PORT" --timeout 60 --daemon \
      --pid "$PROD/gunicorn.pid" --error-logfile "$PROD/logs/gunicorn.log" --chdir "$ROOT" 'app:create_server()'
  fi
  for n in 1 2; do
    if [ ! -f "$PROD/scheduler$n.pid" ] || ! kill -0 "$(cat "$PROD/scheduler$n.pid")" 2>/dev/null; then
      nohup "$PY" -m jobs >>"$PROD/logs/scheduler$n.log" 2>&1 &
      echo $! >"$PROD/scheduler$n.pid"
    fi
  done
  echo "Community Cockpit (production layout) on http://127.0.0.1:$WEB_PORT/ — $WORKERS gunicorn workers,"
  echo "two schedulers (one leads, one stands by), PostgreSQL :$PG_PORT, Redis :$REDIS_PORT; logs in $PROD/logs"
}

stop() {
  for n in 1 2; do
    [ -f "$PROD/scheduler$n.pid" ] && kill "$(cat "$PROD/scheduler$n.pid")" 2>/dev/null || true
    rm -f "$PROD/scheduler$n.pid"
  done
  [ -f "$PROD/gunicorn.pid" ] && kill "$(cat "$PROD/gunicorn.pid")" 2>/dev/null || true
  [ -f "$PROD/redis.pid" ] && kill "$(cat "$PROD/redis.pid")" 2>/dev/null || true
  [ -d "$PROD/pg/data" ] && as_pg "$pgbin/pg_ctl" -D "$PROD/pg/data" -m fast -w stop >/dev/null 2>&1 || true
  echo "stopped"
}

status() {
  curl -fsS "http://127.0.0.1:$WEB_PORT/healthz" && echo
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start [--district] | status | stop" >&2; exit 2 ;;
esac
