#!/usr/bin/env bash
# Brings a fresh clone to the point where `npm start` or `npm test` can run: dependencies,
# PostgreSQL and Redis (scripts/services.sh), and for `start` a build and the migrations.
# Usage: scripts/bootstrap.sh start|test
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-start}"

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "bootstrap: installing dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ "$mode" = test ]; then
  # The tests' own servers (never the caller's DATABASE_URL / REDIS_URL: see test/helper.ts).
  # Test data is thrown away: a project-local PostgreSQL may skip fsync.
  DATABASE_URL=${BAILANYS_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bailanys_test} \
    REDIS_URL=${BAILANYS_TEST_REDIS_URL:-redis://127.0.0.1:6379} \
    BAILANYS_FAST_PG=1 bash scripts/services.sh up
  # The browser tests drive Debian's Chromium (never a downloaded build).
  if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ]; then apt_get="apt-get"; elif command -v sudo >/dev/null; then apt_get="sudo apt-get"; else apt_get=""; fi
    if [ -n "$apt_get" ]; then
      echo "bootstrap: installing Debian's chromium for the browser tests"
      $apt_get update -qq && DEBIAN_FRONTEND=noninteractive $apt_get install -y -qq chromium >/dev/null
    else
      echo "bootstrap: no chromium and no root: the browser tests will be skipped (apt-get install chromium)"
    fi
  fi
else
  bash scripts/services.sh up
  npm run -s build
  node dist/src/cli/migrate.js
fi
