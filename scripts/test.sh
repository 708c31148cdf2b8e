#!/usr/bin/env bash
# The project's test command: lint, types, then the whole test suite (quality gates included).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
ruff check src tests bench
ruff format --check src tests bench
mypy
pytest -q "$@"
