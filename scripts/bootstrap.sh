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
  # Test data is thrown away: a project-local PostgreSQL may skip fsync.
  BAILANYS_FAST_PG=1 bash scripts/services.sh up
else
  bash scripts/services.sh up
  npm run -s build
  node dist/src/cli/migrate.js
fi
