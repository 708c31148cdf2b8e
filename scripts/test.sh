#!/usr/bin/env bash
# The project's test command: lint, types, then the whole test suite (quality gates included).
# The container test (scripts/container-test.sh: builds and runs the Docker image) and the store
# tests against a real PostgreSQL (scripts/test-postgres.sh) follow when CI=true, where they always
# run, or when the first argument is --container.
set -euo pipefail
cd "$(dirname "$0")/.."
container=false
if [ "${1:-}" = "--container" ]; then
  container=true
  shift
fi
[ "${CI:-}" = true ] && container=true
[ -x .venv/bin/python ] || bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
ruff check src tests bench
ruff format --check src tests bench
mypy
MYPYPATH=src:tests mypy bench  # the benchmarks import the fake Discord from tests/
pytest -q "$@"
if [ "$container" = true ]; then
  bash scripts/test-postgres.sh
  bash scripts/container-test.sh
fi
