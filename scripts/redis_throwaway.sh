#!/usr/bin/env bash
# Start or stop a throwaway Redis on loopback for the tests (no persistence, random port).
#   eval "$(scripts/redis_throwaway.sh start)"   # exports COCKPIT_TEST_REDIS_URL and COCKPIT_TEST_REDIS_DIR
#   scripts/redis_throwaway.sh stop "$COCKPIT_TEST_REDIS_DIR"
set -euo pipefail
case "${1:-}" in
  start)
    command -v redis-server >/dev/null || { echo "redis-server not found" >&2; exit 1; }
    dir=$(mktemp -d /tmp/cockpit-redis.XXXXXX)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --daemonize yes \
      --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" >/dev/null
    for _ in $(seq 50); do
      redis-cli -p "$port" ping >/dev/null 2>&1 && break
      sleep 0.1
    done
    echo "export COCKPIT_TEST_REDIS_URL=redis://127.0.0.1:$port/0"
    echo "export COCKPIT_TEST_REDIS_DIR=$dir"
    ;;
  stop)
    dir="${2:?usage: stop DIR}"
    [ -f "$dir/redis.pid" ] && kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
