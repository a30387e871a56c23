#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server for the PostgreSQL test suite and
# prints the URL to export as ATS_TEST_POSTGRES_URL.
#
#   eval "$(bash scripts/postgres.sh)"     # exports ATS_TEST_POSTGRES_URL
#
# Installs PostgreSQL from the operating system's packages when it is
# missing. Fails (exit 1) when the server cannot be started: the PostgreSQL
# suite is never skipped silently.
set -euo pipefail

port=${ATS_PG_PORT:-54329}
dir=${ATS_PG_DIR:-/tmp/ats-postgres}

find_bin() {
  local name=$1
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  ls /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -n 1
}

if [ -z "$(find_bin initdb)" ]; then
  echo "installing PostgreSQL from the operating system's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
initdb=$(find_bin initdb)
pg_ctl=$(find_bin pg_ctl)
[ -n "$initdb" ] && [ -n "$pg_ctl" ] || { echo "PostgreSQL binaries not found" >&2; exit 1; }

# The server refuses to run as root: use the packages' `postgres` user.
run_as=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home "$dir" postgres
  run_as=(runuser -u postgres --)
fi

if [ -f "$dir/data/postmaster.pid" ] && "${run_as[@]}" "$pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  "${run_as[@]}" "$pg_ctl" -D "$dir/data" -m immediate stop >&2 || true
fi
rm -rf "$dir"
mkdir -p "$dir"
[ "$(id -u)" = 0 ] && chown postgres "$dir"
"${run_as[@]}" "$initdb" -D "$dir/data" -A trust -U postgres --no-sync >/dev/null
"${run_as[@]}" "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >&2 \
  || { cat "$dir/server.log" >&2; exit 1; }
"${run_as[@]}" psql -h 127.0.0.1 -p "$port" -U postgres -qc 'CREATE DATABASE ats_test' >&2
echo "export ATS_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/ats_test"
