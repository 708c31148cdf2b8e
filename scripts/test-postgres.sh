#!/usr/bin/env bash
# Run the migration and store tests against a real, throwaway PostgreSQL cluster (they also run on
# SQLite in the main suite). Installs Debian's postgresql when missing; the cluster lives in a
# temporary folder on a free local port (or ESSAYBOT_TEST_PG_PORT) and is stopped and deleted on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

free_port() {
  # A port the kernel hands out as free just now; the start below retries if another process takes it.
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  echo "test-postgres: installing Debian's postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"

WORK="$(mktemp -d)"
as_pg() {
  # PostgreSQL refuses to run as root: use the package's postgres user then.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
[ "$(id -u)" = 0 ] && chown postgres "$WORK"
cleanup() {
  as_pg "$BIN/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

as_pg "$BIN/initdb" -D "$WORK/data" -A trust -U essaybot --no-sync >/dev/null
started=false
for _ in 1 2 3 4 5; do
  PORT="${ESSAYBOT_TEST_PG_PORT:-$(free_port)}"
  if as_pg "$BIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w \
    -o "-p $PORT -k $WORK -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null; then
    started=true
    break
  fi
  [ -n "${ESSAYBOT_TEST_PG_PORT:-}" ] && break # a port given by the user is not replaced
done
if [ "$started" != true ]; then
  tail -5 "$WORK/server.log" >&2
  echo "test-postgres: PostgreSQL did not start" >&2
  exit 1
fi
as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U essaybot essaybot_test
echo "test-postgres: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT"

export ESSAYBOT_TEST_POSTGRES_URL="postgresql+psycopg://essaybot@127.0.0.1:$PORT/essaybot_test"
.venv/bin/pytest -q tests/store "$@"
