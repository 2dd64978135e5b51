#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2094  # quoted node/bash programs expand later; pg_ctl and we both append to one log
# Makes PostgreSQL and Redis answer at DATABASE_URL and REDIS_URL, for development and tests.
#
#   bash scripts/services.sh up      # use what already answers, else start project-local servers
#   bash scripts/services.sh status  # does each answer, and did this script start it?
#   bash scripts/services.sh down    # stop only the servers this script started
#
# Defaults: DATABASE_URL=postgres://postgres@127.0.0.1:5432/bailanys, REDIS_URL=redis://127.0.0.1:6379.
# `up` never touches a server it did not start: when something already answers at the URL it only
# creates the database if it is missing. When nothing answers and the host is this machine, it
# starts a project-local server on that port (installing Debian's packages with apt-get if no
# binaries are found). Its data lives in <project>/.services/ or, when run as root (PostgreSQL
# refuses to run as root, and the project may sit in a directory the `postgres` user cannot
# enter), in /var/tmp/bailanys-services/. Each data dir is reused by the next `up`.
#
# Other knobs: BAILANYS_FAST_PG=1 starts PostgreSQL with fsync off (tests only: a crash can
# corrupt that data dir), BAILANYS_SERVICES_DIR overrides the data location,
# BAILANYS_SERVICES_WAIT the seconds to wait for a server (default 30).
set -euo pipefail

PROJECT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bailanys}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
WAIT_SECONDS=${BAILANYS_SERVICES_WAIT:-30}
if [ "$(id -u)" = 0 ]; then IS_ROOT=1; else IS_ROOT=0; fi
if [ -n "${BAILANYS_SERVICES_DIR:-}" ]; then
  STATE_DIR=$BAILANYS_SERVICES_DIR
elif [ "$IS_ROOT" = 1 ]; then
  STATE_DIR=/var/tmp/bailanys-services
else
  STATE_DIR=$PROJECT_ROOT/.services
fi

die() {
  echo "services: $*" >&2
  exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }
# Quotes one word for /bin/sh.
shq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
# Quotes one word for a redis.conf line.
redis_quote() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}
show_log_tail() {
  if [ -f "$1" ]; then
    echo "--- last lines of $1 ---" >&2
    tail -n 20 "$1" >&2 || true
  fi
}
is_loopback() {
  case "$1" in
    localhost | ::1 | 127.*) return 0 ;;
    *) return 1 ;;
  esac
}
# host:port, with brackets around IPv6 addresses.
hostport() {
  case "$1" in
    *:*) printf '[%s]:%s' "$1" "$2" ;;
    *) printf '%s:%s' "$1" "$2" ;;
  esac
}
tcp_open() {
  timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" >/dev/null 2>&1
}
pid_is() { # pid, expected command name prefix: alive (not a zombie) and that command?
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
  local stat comm
  read -r stat comm < <(ps -p "$1" -o stat= -o comm= 2>/dev/null) || return 1
  case "$stat" in Z*) return 1 ;; esac
  case "$comm" in "$2"*) return 0 ;; *) return 1 ;; esac
}

# --- URLs --------------------------------------------------------------------------------------

# parse_url NAME VARIABLE DEFAULT_PORT: sets <NAME>_{SCHEME,HOST,PORT,USER,PASS,PATH,SSLMODE}
# from the URL in $VARIABLE.
parse_url() {
  have node || die "node is needed to read $2 (install Node.js 20+)"
  local -a f=()
  mapfile -d '' -t f < <(node -e '
    const [raw, defPort] = process.argv.slice(1)
    let u
    try { u = new URL(raw) } catch { process.exit(1) }
    const dec = (s) => { try { return decodeURIComponent(s) } catch { return s } }
    const host = dec(u.hostname).replace(/^\[(.*)\]$/, "$1") || "localhost"
    const fields = [u.protocol.replace(/:$/, ""), host, u.port || defPort, dec(u.username),
      dec(u.password), dec(u.pathname.replace(/^\//, "")), u.searchParams.get("sslmode") || ""]
    process.stdout.write(fields.join("\0") + "\0")
  ' "${!2}" "$3" 2>/dev/null)
  # Never echo the URL itself: it may hold a password.
  [ "${#f[@]}" = 7 ] || die "$2 is not a valid URL"
  printf -v "${1}_SCHEME" '%s' "${f[0]}"
  printf -v "${1}_HOST" '%s' "${f[1]}"
  printf -v "${1}_PORT" '%s' "${f[2]}"
  printf -v "${1}_USER" '%s' "${f[3]}"
  printf -v "${1}_PASS" '%s' "${f[4]}"
  printf -v "${1}_PATH" '%s' "${f[5]}"
  printf -v "${1}_SSLMODE" '%s' "${f[6]}"
}

read_urls() {
  parse_url PG DATABASE_URL 5432
  case "$PG_SCHEME" in postgres | postgresql) ;; *) die "DATABASE_URL must be a postgres:// URL" ;; esac
  PG_USER=${PG_USER:-$(id -un)}  # libpq's default
  PG_DB=${PG_PATH:-$PG_USER}
  PG_DATA=$STATE_DIR/pg-$PG_PORT
  PG_LOG=$STATE_DIR/pg-$PG_PORT.log
  PG_WHERE=$(hostport "$PG_HOST" "$PG_PORT")

  parse_url REDIS REDIS_URL 6379
  case "$REDIS_SCHEME" in redis | rediss) ;; *) die "REDIS_URL must be a redis:// URL" ;; esac
  REDIS_DIR=$STATE_DIR/redis-$REDIS_PORT
  REDIS_WHERE=$(hostport "$REDIS_HOST" "$REDIS_PORT")
}

# --- state dir, lock, apt ----------------------------------------------------------------------

prepare_state_dir() {
  if [ "$IS_ROOT" = 1 ] && [ -z "${BAILANYS_SERVICES_DIR:-}" ]; then
    # /var/tmp is world-writable: refuse a directory someone else prepared.
    [ ! -L "$STATE_DIR" ] || die "$STATE_DIR is a symlink; remove it"
    mkdir -p "$STATE_DIR"
    [ "$(stat -c %u "$STATE_DIR")" = 0 ] || die "$STATE_DIR is not owned by root; remove it"
    chmod 755 "$STATE_DIR"
  else
    mkdir -p "$STATE_DIR"
  fi
}

take_lock() {
  prepare_state_dir
  # One `up` or `down` at a time. Whatever we spawn gets `9>&-`: a daemon keeping fd 9 would
  # hold the lock forever.
  if have flock; then
    exec 9>"$STATE_DIR/.lock"
    flock -w 120 9 || die "another scripts/services.sh is still running (lock $STATE_DIR/.lock)"
  fi
}

SUDO=()
APT_UPDATED=0
apt_prepare() { # what, env var to point elsewhere
  local hint="install $1 yourself, or set $2 to a server that runs"
  have apt-get || die "$1 is not installed and there is no apt-get to install it: $hint"
  if [ "$IS_ROOT" = 1 ]; then
    SUDO=()
  elif have sudo; then
    SUDO=(sudo)
  else
    die "$1 is not installed, and installing it needs root (no sudo here): $hint"
  fi
}
apt_install() { # packages...
  local log
  log=$(mktemp)
  echo "services: installing $* with apt-get (once)..." >&2
  if [ "$APT_UPDATED" = 0 ]; then
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$log" 2>&1 ||
      { show_log_tail "$log"; die "apt-get update failed"; }
    APT_UPDATED=1
  fi
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >>"$log" 2>&1 ||
    { show_log_tail "$log"; die "apt-get install $* failed"; }
  rm -f "$log"
}

# --- PostgreSQL --------------------------------------------------------------------------------

# 0: accepting connections; 1: something answers on the port; 2: nothing answers.
pg_probe() {
  if have pg_isready; then
    local rc=0
    # With -U/-d, so as not to fill the server's log with "role root does not exist".
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -t 3 >/dev/null 2>&1 || rc=$?
    case "$rc" in 0) return 0 ;; 1) return 1 ;; esac
    tcp_open "$PG_HOST" "$PG_PORT" && return 1
    return 2
  fi
  tcp_open "$PG_HOST" "$PG_PORT" && return 0
  return 2
}

# Is the server in our data dir running on PG_PORT?
pg_ours_running() {
  [ -f "$PG_DATA/postmaster.pid" ] || return 1
  local pid port
  pid=$(sed -n 1p "$PG_DATA/postmaster.pid" 2>/dev/null) || return 1
  port=$(sed -n 4p "$PG_DATA/postmaster.pid" 2>/dev/null) || return 1
  [ "$port" = "$PG_PORT" ] && pid_is "$pid" postgres
}

# "postgres (PostgreSQL) 15.13 (Debian ...)" -> 15
pg_major_of() {
  local v
  v=$("$1/postgres" --version 2>/dev/null) || return 0
  v=${v#*) }
  echo "${v%%[!0-9]*}"
}

# Sets PG_BIN to a directory holding initdb, pg_ctl and postgres (of major version $1 if given).
find_pg_bin() {
  local want=${1:-} dir candidates=()
  if [ -n "$want" ]; then candidates+=("/usr/lib/postgresql/$want/bin"); fi
  if have pg_config; then candidates+=("$(pg_config --bindir 2>/dev/null || true)"); fi
  while IFS= read -r dir; do candidates+=("$dir"); done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k5,5 -V -r)
  if have initdb; then candidates+=("$(dirname "$(command -v initdb)")"); fi
  PG_BIN=
  for dir in "${candidates[@]}"; do
    if [ -z "$dir" ] || [ ! -x "$dir/initdb" ] || [ ! -x "$dir/pg_ctl" ] || [ ! -x "$dir/postgres" ]; then continue; fi
    if [ -n "$want" ] && [ "$(pg_major_of "$dir")" != "$want" ]; then continue; fi
    PG_BIN=$dir
    return 0
  done
  return 1
}

install_postgres() {
  apt_prepare PostgreSQL DATABASE_URL
  apt_install postgresql-common
  # Debian's postgresql package creates and starts a system cluster on port 5432 (peer and
  # password auth), which would squat the port and ignore our trust-auth URL. When no cluster
  # exists yet, skip creating it for this install only.
  local dropin=/etc/postgresql-common/createcluster.d/zz-bailanys-no-main-cluster.conf added=0
  if grep -qs "createcluster.d" /etc/postgresql-common/createcluster.conf &&
    ! ls /etc/postgresql/*/*/postgresql.conf >/dev/null 2>&1; then
    "${SUDO[@]}" mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false  # temporary, from bailanys scripts/services.sh" |
      "${SUDO[@]}" tee "$dropin" >/dev/null
    added=1
  fi
  local rc=0
  (apt_install postgresql) || rc=$?
  if [ "$added" = 1 ]; then "${SUDO[@]}" rm -f "$dropin"; fi
  [ "$rc" = 0 ] || exit "$rc"
}

# Runs a PostgreSQL server binary as the user owning the data dir (`postgres` when we are root).
as_pg() {
  if [ "$IS_ROOT" = 1 ]; then
    if have runuser; then
      (cd / && runuser -u postgres -- "$@" 9>&-)
    else
      local cmd='' arg
      for arg in "$@"; do cmd+=" $(shq "$arg")"; done
      (cd / && su postgres -s /bin/sh -c "$cmd" 9>&-)
    fi
  else
    "$@" 9>&-
  fi
}

ensure_postgres_user() {
  [ "$IS_ROOT" = 1 ] || return 0
  id -u postgres >/dev/null 2>&1 && return 0
  have useradd || die "running PostgreSQL as root needs a 'postgres' system user; create one"
  useradd --system --no-create-home --home-dir /var/lib/postgresql --shell /bin/sh postgres
}

pg_start_local() {
  local version=
  if [ -f "$PG_DATA/PG_VERSION" ]; then version=$(cat "$PG_DATA/PG_VERSION"); fi
  if ! find_pg_bin "$version"; then
    if [ -n "$version" ]; then
      die "$PG_DATA was made by PostgreSQL $version, whose binaries are missing: install postgresql-$version or remove that directory"
    fi
    install_postgres
    find_pg_bin || die "no PostgreSQL binaries (initdb, pg_ctl, postgres) found even after apt-get install postgresql"
  fi
  ensure_postgres_user

  mkdir -p "$PG_DATA"
  chmod 700 "$PG_DATA"
  touch "$PG_LOG"
  if [ "$IS_ROOT" = 1 ]; then chown postgres: "$PG_DATA" "$PG_LOG"; fi

  STARTED_FRESH=0
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    [ -z "$(ls -A "$PG_DATA")" ] || die "$PG_DATA is neither empty nor a PostgreSQL data dir; remove it"
    local locale=C
    if locale -a 2>/dev/null | grep -ix 'c\.utf-\?8' >/dev/null; then locale=C.UTF-8; fi
    if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_USER" --auth=trust -E UTF8 --locale="$locale" >>"$PG_LOG" 2>&1; then
      show_log_tail "$PG_LOG"
      find "$PG_DATA" -mindepth 1 -delete 2>/dev/null || true
      die "initdb failed for $PG_DATA"
    fi
    STARTED_FRESH=1
  fi

  # Unix sockets go in the data dir, unless its path is too long for a socket (~107 bytes).
  local socket_dir=$PG_DATA listen=$PG_HOST
  if [ $((${#PG_DATA} + 20)) -gt 100 ]; then socket_dir=; fi
  local opts
  opts="-c listen_addresses=$(shq "$listen") -c port=$PG_PORT -c unix_socket_directories=$(shq "$socket_dir")"
  if [ "${BAILANYS_FAST_PG:-}" = 1 ]; then
    opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  if ! as_pg "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t "$WAIT_SECONDS" -s -o "$opts" >>"$PG_LOG" 2>&1; then
    show_log_tail "$PG_LOG"
    die "PostgreSQL did not start at $PG_WHERE (data $PG_DATA)"
  fi
}

pg_env() {
  local -a vars=(PGHOST="$PG_HOST" PGPORT="$PG_PORT" PGUSER="$PG_USER" PGCONNECT_TIMEOUT=5)
  [ -z "$PG_PASS" ] || vars+=(PGPASSWORD="$PG_PASS")
  [ -z "$PG_SSLMODE" ] || vars+=(PGSSLMODE="$PG_SSLMODE")
  env "${vars[@]}" "$@"
}

# Creates PG_DB if missing, connecting to the `postgres` (or `template1`) maintenance database.
# Prints the error and fails when it cannot.
pg_create_db_once() {
  if have psql; then
    local maint out rc
    for maint in postgres template1; do
      rc=0
      out=$(pg_env PGDATABASE="$maint" psql -X -q -tA -v ON_ERROR_STOP=1 -v db="$PG_DB" 2>&1 <<'SQL'
SELECT format('CREATE DATABASE %I', :'db') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL
      ) || rc=$?
      [ "$rc" = 0 ] && return 0
      case "$out" in *"already exists"*) return 0 ;; *"database \"$maint\" does not exist"*) continue ;; esac
      break
    done
    printf '%s\n' "$out"
    return 1
  fi
  pg_env node -e '
    const [root, db] = process.argv.slice(1)
    let pg
    try { pg = require(require.resolve("pg", { paths: [root] })) } catch {
      console.error("neither psql nor the pg module (run npm ci first) is available")
      process.exit(2)
    }
    ;(async () => {
      let lastError
      for (const database of ["postgres", "template1"]) {
        const client = new pg.Client({ database })
        try { await client.connect() } catch (err) { lastError = err; if (err.code === "3D000") continue; break }
        try {
          const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [db])
          if (found.rowCount === 0) await client.query("CREATE DATABASE " + client.escapeIdentifier(db))
          return
        } catch (err) {
          if (err.code !== "42P04") throw err  // created meanwhile
          return
        } finally { await client.end() }
      }
      throw lastError
    })().catch((err) => { console.error(err.message); process.exit(1) })
  ' "$PROJECT_ROOT" "$PG_DB" 2>&1
}

# Waits for the server to accept connections, then creates the database; retries until the deadline.
pg_ready_and_db() {
  local deadline=$((SECONDS + WAIT_SECONDS)) out
  while :; do
    if pg_probe; then
      if out=$(pg_create_db_once); then return 0; fi
      # Retry only while the server may still be starting.
      case "$out" in *"starting up"* | *"ECONNREFUSED"* | *"Connection refused"* | *"shutting down"*) ;; *) break ;; esac
    fi
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 0.5
  done
  [ -n "${out:-}" ] || out="nothing accepts connections at $PG_WHERE after ${WAIT_SECONDS}s"
  printf '%s\n' "$out" | sed 's/^/  /' >&2
  die "PostgreSQL at $PG_WHERE: could not make sure database \"$PG_DB\" exists as user \"$PG_USER\""
}

pg_up() {
  local probe=0 how
  pg_probe || probe=$?
  if [ "$probe" != 2 ]; then
    if pg_ours_running; then how="project-local server already running"; else how="using existing server"; fi
  elif is_loopback "$PG_HOST"; then
    pg_start_local
    if [ "$STARTED_FRESH" = 1 ]; then how="started new"; else how="started"; fi
    how+=" project-local PostgreSQL $(pg_major_of "$PG_BIN")"
  else
    die "nothing answers at $PG_WHERE (DATABASE_URL) and it is not this machine: start that PostgreSQL or point DATABASE_URL at one"
  fi
  pg_ready_and_db
  local where="at $PG_WHERE, database $PG_DB ready"
  if pg_ours_running; then where+=" (data $PG_DATA)"; fi
  echo "postgres: $how $where"
}

pg_down() {
  if ! pg_ours_running; then
    echo "postgres: no project-local server running at $PG_WHERE (anything else there is left alone)"
    return 0
  fi
  find_pg_bin "$(cat "$PG_DATA/PG_VERSION")" || die "cannot find pg_ctl for $PG_DATA"
  as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t "$WAIT_SECONDS" -s >>"$PG_LOG" 2>&1 ||
    { show_log_tail "$PG_LOG"; die "could not stop the PostgreSQL in $PG_DATA"; }
  echo "postgres: stopped project-local server at $PG_WHERE (data kept in $PG_DATA)"
}

pg_status() {
  local probe=0 answers ours
  pg_probe || probe=$?
  case "$probe" in 0) answers="answers" ;; 1) answers="is listening but not accepting connections yet" ;; *) answers="does not answer" ;; esac
  if pg_ours_running; then
    ours="project-local, started by this script (data $PG_DATA)"
  elif [ -f "$PG_DATA/PG_VERSION" ]; then
    ours="project-local data dir $PG_DATA exists but its server is stopped"
    [ "$probe" = 2 ] || ours="not started by this script; $ours"
  elif [ "$probe" = 2 ]; then
    ours="no project-local server"
  else
    ours="not started by this script"
  fi
  echo "postgres $PG_WHERE: $answers; $ours"
  [ "$probe" = 0 ]
}

# --- Redis -------------------------------------------------------------------------------------

redis_ping() {
  if have redis-cli; then
    local -a args=(-h "$REDIS_HOST" -p "$REDIS_PORT" --no-auth-warning)
    [ -z "$REDIS_USER" ] || args+=(--user "$REDIS_USER")
    [ "$REDIS_SCHEME" != rediss ] || args+=(--tls --insecure)
    [ "$(REDISCLI_AUTH="$REDIS_PASS" timeout 3 redis-cli "${args[@]}" ping 2>/dev/null)" = PONG ]
    return
  fi
  [ "$REDIS_SCHEME" != rediss ] || return 1  # no TLS without redis-cli
  # RESP by hand over bash's /dev/tcp.
  LC_ALL=C timeout 3 bash -c '
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    cmd() { local a; printf "*%d\r\n" "$#" >&3; for a in "$@"; do printf "\$%d\r\n%s\r\n" "${#a}" "$a" >&3; done; }
    if [ -n "$4" ]; then
      if [ -n "$3" ]; then cmd AUTH "$3" "$4"; else cmd AUTH "$4"; fi
      IFS= read -r line <&3 || exit 1
      [ "${line%$'\''\r'\''}" = "+OK" ] || exit 1
    fi
    cmd PING
    IFS= read -r line <&3 || exit 1
    [ "${line%$'\''\r'\''}" = "+PONG" ]
  ' _ "$REDIS_HOST" "$REDIS_PORT" "$REDIS_USER" "$REDIS_PASS" 2>/dev/null
}

redis_ours_pid() {
  local pid
  pid=$(cat "$REDIS_DIR/redis.pid" 2>/dev/null) || return 1
  pid_is "$pid" redis && echo "$pid"
}

find_redis_server() {
  REDIS_BIN=$(command -v redis-server 2>/dev/null || true)
  [ -n "$REDIS_BIN" ] || { [ -x /usr/bin/redis-server ] && REDIS_BIN=/usr/bin/redis-server; } || return 1
}

redis_wait() {
  local deadline=$((SECONDS + WAIT_SECONDS))
  until redis_ping; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# Waits for the redis-server we just started; fails early if it died (e.g. port taken).
redis_wait_ours() {
  local started=$SECONDS deadline=$((SECONDS + WAIT_SECONDS))
  until redis_ping; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    if [ $((SECONDS - started)) -ge 2 ] && ! redis_ours_pid >/dev/null; then return 1; fi
    sleep 0.2
  done
}

redis_start_local() {
  mkdir -p "$REDIS_DIR"
  chmod 700 "$REDIS_DIR"
  local bind=$REDIS_HOST
  if [ "$REDIS_HOST" = localhost ]; then bind="127.0.0.1 -::1"; fi
  # A config file rather than arguments keeps a password out of `ps`.
  (
    umask 077
    {
      echo "bind $bind"
      echo "port $REDIS_PORT"
      # Append-only, fsynced every second: a restart keeps the queues (at most a second lost, which
      # the worker's reconciler rebuilds from PostgreSQL); no RDB snapshots on top of it.
      echo 'save ""'
      echo "appendonly yes"
      echo "appendfsync everysec"
      # BullMQ needs every key it writes kept: refuse writes when full rather than evict jobs.
      echo "maxmemory-policy noeviction"
      echo "daemonize yes"
      echo "dir $(redis_quote "$REDIS_DIR")"
      echo "pidfile $(redis_quote "$REDIS_DIR/redis.pid")"
      echo "logfile $(redis_quote "$REDIS_DIR/redis.log")"
      if [ -n "$REDIS_PASS" ]; then
        if [ -z "$REDIS_USER" ] || [ "$REDIS_USER" = default ]; then
          echo "requirepass $(redis_quote "$REDIS_PASS")"
        else
          echo "user $REDIS_USER on $(redis_quote ">$REDIS_PASS") ~* &* +@all"
        fi
      fi
    } >"$REDIS_DIR/redis.conf"
  )
  "$REDIS_BIN" "$REDIS_DIR/redis.conf" >>"$REDIS_DIR/redis.log" 2>&1 9>&- ||
    { show_log_tail "$REDIS_DIR/redis.log"; die "redis-server did not start at $REDIS_WHERE"; }
}

redis_up() {
  local how
  if redis_ping; then
    if redis_ours_pid >/dev/null; then how="project-local server already running"; else how="using existing server"; fi
  elif tcp_open "$REDIS_HOST" "$REDIS_PORT"; then
    # Something listens: maybe a Redis still loading its data, maybe a wrong password.
    redis_wait || die "something answers at $REDIS_WHERE but does not reply PONG to PING (wrong password in REDIS_URL, or not Redis?)"
    how="using existing server"
  elif is_loopback "$REDIS_HOST"; then
    if ! find_redis_server; then
      apt_prepare Redis REDIS_URL
      apt_install redis-server
      # On machines with systemd, Debian's package starts its own server on 127.0.0.1:6379.
      if redis_ping; then
        echo "redis: using the server Debian's redis-server package started at $REDIS_WHERE"
        return 0
      fi
      find_redis_server || die "no redis-server found even after apt-get install redis-server"
    fi
    # A second try covers a port briefly held by a closing connection (ports above 32767 are
    # also the kernel's ephemeral range).
    local attempt
    for attempt in 1 2 3; do
      redis_start_local
      if redis_wait_ours; then break; fi
      if [ "$attempt" = 3 ] || redis_ours_pid >/dev/null; then
        show_log_tail "$REDIS_DIR/redis.log"
        die "redis-server did not answer at $REDIS_WHERE within ${WAIT_SECONDS}s"
      fi
      sleep 1
    done
    how="started project-local redis-server"
  else
    die "nothing answers at $REDIS_WHERE (REDIS_URL) and it is not this machine: start that Redis or point REDIS_URL at one"
  fi
  local where="at $REDIS_WHERE"
  if redis_ours_pid >/dev/null; then where+=" (data $REDIS_DIR)"; fi
  echo "redis: $how $where"
}

redis_down() {
  local pid i
  if ! pid=$(redis_ours_pid); then
    echo "redis: no project-local server running at $REDIS_WHERE (anything else there is left alone)"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true  # it flushes its append-only file and exits
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$REDIS_DIR/redis.pid"
  echo "redis: stopped project-local server at $REDIS_WHERE"
}

redis_status() {
  local answers=answers ours rc=0
  if ! redis_ping; then
    rc=1
    if tcp_open "$REDIS_HOST" "$REDIS_PORT"; then answers="is listening but does not reply PONG"; else answers="does not answer"; fi
  fi
  if redis_ours_pid >/dev/null; then
    ours="project-local, started by this script (data $REDIS_DIR)"
  elif [ "$rc" = 0 ] || [ "$answers" != "does not answer" ]; then
    ours="not started by this script"
  else
    ours="no project-local server"
  fi
  echo "redis $REDIS_WHERE: $answers; $ours"
  return "$rc"
}

# --- main --------------------------------------------------------------------------------------

usage() {
  echo "usage: bash scripts/services.sh up|down|status" >&2
  exit 2
}

[ "$#" = 1 ] || usage
read_urls
case "$1" in
  up)
    take_lock
    pg_up
    redis_up
    ;;
  down)
    take_lock
    pg_down
    redis_down
    ;;
  status)
    rc=0
    pg_status || rc=1
    redis_status || rc=1
    exit "$rc"
    ;;
  *) usage ;;
esac
