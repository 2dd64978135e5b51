#!/usr/bin/env bash
# Rehearses the production image without Docker, which cannot run on the CI machines (.ci/run
# runs this). It repeats the Dockerfile's stages step for step in a clean temporary folder: the
# build (`npm run build`), the `deps` stage (the very same scripts/image-install.sh: production
# dependencies, native addons compiled from source), the files the final stage copies, then what
# the image runs: the migrations, the API and the workers, as an unprivileged user like the
# image's `USER node`. Change the Dockerfile, change this; change this, change the Dockerfile.
#
# Checks: the install loads its compiled addons; /readyz answers 200; a coordinator created with
# the image's admin CLI (argon2 hash) logs in through the API (argon2 verify) and a wrong password
# is refused; the worker process starts and stays up; both stop cleanly on SIGTERM.
# Uses PostgreSQL and Redis at DATABASE_URL / REDIS_URL (the defaults of src/config.ts), in a
# database and under a BullMQ prefix of its own, both removed at the end.
#
#   bash scripts/rehearse-image.sh        # exits non-zero with a `FAILED:` line on any failure
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export BASE_DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bailanys}
ID="$$_${RANDOM}"
DB_NAME="bailanys_rehearse_${ID}"
PREFIX="bailanys-rehearse-${ID}"
work=$(mktemp -d "${TMPDIR:-/tmp}/bailanys-image.XXXXXX")
app=$work/app
api_pid='' worker_pid='' db_created=0 t0=$SECONDS

say() { echo "rehearse-image: $*"; }
reported=0
fail() {
  echo "rehearse-image: FAILED: $*" >&2
  reported=1
  exit 1
}
show() {
  echo "--- last lines of $(basename "$1") ---" >&2
  tail -n 30 "$1" >&2 || true
}
# `lap LABEL START`: seconds since START, kept for the closing line.
timings=''
lap() { timings+="$1 $((SECONDS - $2))s, "; }

# The image's processes run as `USER node`; as root here they run as nobody, so a process that
# writes into its own folder fails here as it would there.
# A prefix, not a function: `"${as_app_user[@]}" node … &` then leaves $! the node process itself.
as_app_user=()
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  as_app_user=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
fi

# Database and Redis housekeeping through the installed pg and ioredis (the URLs are never printed).
admin() { # create-db | drop-db | clean-redis
  # shellcheck disable=SC2016  # a JavaScript program: its ${…} are template literals
  (cd "$app" && node -e '
    const [what, db, prefix] = process.argv.slice(1)
    const base = new URL(process.env.BASE_DATABASE_URL)
    base.pathname = "/postgres"
    const run = async () => {
      if (what === "clean-redis") {
        const { Redis } = require("ioredis")
        const redis = new Redis(process.env.REDIS_URL || "redis://127.0.0.1:6379", { maxRetriesPerRequest: 1 })
        try {
          let cursor = "0"
          do {
            const [next, keys] = await redis.scan(cursor, "MATCH", `*${prefix}*`, "COUNT", 1000)
            if (keys.length > 0) await redis.del(...keys)
            cursor = next
          } while (cursor !== "0")
        } finally { redis.disconnect() }
        return
      }
      const pg = require("pg")
      const client = new pg.Client({ connectionString: base.href })
      await client.connect()
      try {
        const name = client.escapeIdentifier(db)
        await client.query(what === "create-db" ? `CREATE DATABASE ${name}` : `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally { await client.end() }
    }
    run().catch((err) => { console.error(`${what}: ${err.code ?? ""} ${err.message}`); process.exit(1) })
  ' "$1" "$DB_NAME" "$PREFIX")
}

# `stop PID`: SIGTERM, as `docker stop` sends; sets `stopped` to how the process ended.
stopped=''
stop() {
  local pid=$1 i rc=0
  stopped='not running'
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 200; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    stopped='still running 20 s after SIGTERM'
    return 1
  fi
  wait "$pid" 2>/dev/null || rc=$?
  stopped="exit code $rc"
  [ "$rc" = 0 ]
}

cleanup() {
  local rc=$?
  # Anything that stopped the script without fail() still gets its clear line.
  if [ "$rc" != 0 ] && [ "$reported" = 0 ]; then echo "rehearse-image: FAILED: exit $rc at line ${err_line:-?}" >&2; fi
  stop "$api_pid" || true
  stop "$worker_pid" || true
  if [ "$db_created" = 1 ]; then admin drop-db || echo "rehearse-image: could not drop database $DB_NAME" >&2; fi
  [ ! -d "$app/node_modules" ] || admin clean-redis || echo "rehearse-image: could not remove Redis keys *$PREFIX*" >&2
  rm -rf "$work"
  exit "$rc"
}
err_line=''
trap 'err_line=$LINENO' ERR
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Dockerfile stage `build`: `npm run build` (here from this checkout's node_modules, into the
# temporary folder so that the checkout's dist/ is left alone).
t=$SECONDS
(cd "$ROOT" && npm run -s build -- --outDir "$work/build") >"$work/build.log" 2>&1 || { show "$work/build.log"; fail "npm run build"; }
lap build "$t"

# --- Dockerfile stage `deps`: package.json, package-lock.json and scripts/image-install.sh.
t=$SECONDS
mkdir -p "$work/deps/scripts"
cp "$ROOT/package.json" "$ROOT/package-lock.json" "$work/deps/"
cp "$ROOT/scripts/image-install.sh" "$work/deps/scripts/"
(cd "$work/deps" && bash scripts/image-install.sh) >"$work/install.log" 2>&1 || { show "$work/install.log"; fail "scripts/image-install.sh"; }
grep '^image-install: .*compiled and loaded' "$work/install.log" | sed 's/^/rehearse-image: /' || true
lap install "$t"

# --- Final stage: the same files, nothing else.
mkdir -p "$app/dist" "$app/src"
cp "$ROOT/package.json" "$ROOT/package-lock.json" "$app/"
mv "$work/deps/node_modules" "$app/node_modules"
cp -R "$work/build/src" "$work/build/workers" "$app/dist/"
cp -R "$ROOT/migrations" "$app/"
cp -R "$ROOT/src/views" "$app/src/"
chmod 755 "$work"

# --- Run it as the image would, against this machine's services.
t=$SECONDS
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
DATABASE_URL=$(node -e 'const u=new URL(process.argv[1]); u.pathname="/"+process.argv[2]; console.log(u.href)' "$BASE_DATABASE_URL" "$DB_NAME")
# The image listens on 0.0.0.0; here only loopback. Twilio points at the discard port, so nothing
# can ever be sent from a rehearsal.
export NODE_ENV=production HOST=127.0.0.1 PORT=$port DATABASE_URL BULLMQ_PREFIX="{$PREFIX}"
export PUBLIC_BASE_URL="http://127.0.0.1:$port" TWILIO_BASE_URL=http://127.0.0.1:9
admin create-db || fail "could not create database $DB_NAME (is PostgreSQL up? bash scripts/services.sh up)"
db_created=1
cd "$app"
"${as_app_user[@]}" node dist/src/cli/migrate.js >"$work/migrate.log" 2>&1 || { show "$work/migrate.log"; fail "migrations"; }

"${as_app_user[@]}" node dist/src/server.js >"$work/api.log" 2>&1 &
api_pid=$!
ready=''
for _ in $(seq 1 300); do
  ready=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz" || true)
  [ "$ready" = 200 ] && break
  if ! kill -0 "$api_pid" 2>/dev/null; then
    code=0 && wait "$api_pid" || code=$?
    show "$work/api.log"
    fail "the API exited (code $code$([ "$code" = 139 ] && echo ', segmentation fault')) before it answered /readyz"
  fi
  sleep 0.2
done
[ "$ready" = 200 ] || { show "$work/api.log"; fail "/readyz answered ${ready:-nothing}, not 200, within 60 s"; }
say "API answers /readyz 200 on port $port"

password="rehearsal-${RANDOM}-${RANDOM}-pass"
"${as_app_user[@]}" node dist/src/cli/admin.js create-coordinator --name 'Image Rehearsal' --phone '+77011234567' \
  --password "$password" >"$work/admin.log" 2>&1 || { show "$work/admin.log"; fail "admin.js create-coordinator (argon2 hash)"; }
login() { # password → "status code" of POST /api/v1/auth/login
  curl -s -o "$work/login.json" -w '%{http_code}' -H 'content-type: application/json' \
    -d "{\"login\":\"+77011234567\",\"password\":\"$1\"}" "http://127.0.0.1:$port/api/v1/auth/login"
}
json() { node -pe "JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'))$1 ?? ''" "$work/login.json"; }
status=$(login "not-$password")
if [ "$status" != 401 ] || [ "$(json .code)" != APP_ERR_BAD_CREDENTIALS ]; then
  fail "a wrong password gave $status $(json .code), not 401 APP_ERR_BAD_CREDENTIALS"
fi
status=$(login "$password")
if [ "$status" != 200 ] || [ "$(json .role)" != coordinator ]; then
  show "$work/api.log"
  fail "login answered $status $(json .code), not 200 with role coordinator (argon2 verify)"
fi
say "coordinator created by admin.js (argon2id hash) logs in through the API (verify); a wrong password gets 401"

"${as_app_user[@]}" node dist/workers/main.js >"$work/worker.log" 2>&1 &
worker_pid=$!
for _ in $(seq 1 150); do
  grep -q '"workers started"' "$work/worker.log" && break
  kill -0 "$worker_pid" 2>/dev/null || { show "$work/worker.log"; fail "the worker exited at start"; }
  sleep 0.2
done
grep -q '"workers started"' "$work/worker.log" || { show "$work/worker.log"; fail "the worker did not log 'workers started' within 30 s"; }
sleep 3
kill -0 "$worker_pid" 2>/dev/null || { show "$work/worker.log"; fail "the worker died after starting"; }
say "worker started and is still up 3 s later"

stop "$api_pid" || { show "$work/api.log"; fail "the API did not exit cleanly on SIGTERM: $stopped"; }
api_pid=''
stop "$worker_pid" || { show "$work/worker.log"; fail "the worker did not exit cleanly on SIGTERM: $stopped"; }
worker_pid=''
lap run "$t"
say "ok in $((SECONDS - t0))s (${timings%, })"
