#!/usr/bin/env bash
# The test command: starts a throw-away PostgreSQL (installing it from the
# operating system's packages when missing) so both store back ends run
# against real databases, then runs the whole workspace's tests.
#
#   bash scripts/test.sh [extra cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${ATS_TEST_POSTGRES_URL:-}" ]; then
  pg_env=$(bash scripts/postgres.sh) || {
    echo "PostgreSQL could not be started: the PostgreSQL suite cannot run" >&2
    exit 1
  }
  eval "$pg_env"
fi
export ATS_TEST_POSTGRES_URL
echo "PostgreSQL for the store suite: $ATS_TEST_POSTGRES_URL"
cargo test --workspace "$@"
