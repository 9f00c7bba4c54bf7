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
trap 'bash scripts/pg_throwaway.sh stop "$COCKPIT_TEST_PG_DIR"' EXIT
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
echo "test suite finished in $(( $(date +%s) - start )) s"
exit $status
