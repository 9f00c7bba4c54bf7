#!/usr/bin/env bash
# What `make test` runs: system packages, the test venv, ruff, a throwaway PostgreSQL, pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/ensure_system_packages.sh
make --no-print-directory install-test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
eval "$(bash scripts/pg_throwaway.sh start)"
eval "$(bash scripts/redis_throwaway.sh start)"
trap 'bash scripts/pg_throwaway.sh stop "$COCKPIT_TEST_PG_DIR"; bash scripts/redis_throwaway.sh stop "$COCKPIT_TEST_REDIS_DIR"' EXIT
set +e
# two processes (this machine has 2 cores); a test module stays on one worker, so module fixtures
# and the Redis tests that flush their database never meet another module's tests half-way
.venv/bin/python -m pytest -n "${COCKPIT_TEST_WORKERS:-2}" --dist loadfile "$@"
status=$?
set -e
echo "test suite finished in $(( $(date +%s) - start )) s"
exit $status
