#!/usr/bin/env bash
# Test and demo services on 127.0.0.1: PostgreSQL 15, MariaDB, Redis.
#
#   scripts/services.sh up       install what is missing, start what is down, print URLs
#   scripts/services.sh down     stop the three servers
#   scripts/services.sh status   one line per service; exit 1 when one is down
#
# Everything lives in the repository's .run/ folder (git-ignored). A second `up` with
# everything running only pings each server, so it returns in well under a second.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="$ROOT/.run"
export DEBIAN_FRONTEND=noninteractive

PG_BIN=/usr/lib/postgresql/15/bin
PG_PORT=55432
MARIADB_PORT=53306
REDIS_PORT=56379
WAIT_SECONDS=${MESHGATE_SERVICES_WAIT:-60}

PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/meshgate_test"
MARIADB_URL="mysql://meshgate:meshgate@127.0.0.1:$MARIADB_PORT/"
REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"

die() { echo "services.sh: $*" >&2; exit 1; }
say() { echo "services.sh: $*" >&2; }
# shellcheck source=scripts/ports.sh
. "$ROOT/scripts/ports.sh"

# --- packages ------------------------------------------------------------------------

APT_UPDATED=0

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

ensure_packages() {
    local missing=() pkg
    for pkg in "$@"; do installed "$pkg" || missing+=("$pkg"); done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    [[ $(id -u) -eq 0 ]] || die "missing Debian packages ${missing[*]}: run as root to install them"
    echo "services.sh: installing ${missing[*]}" >&2
    if [[ $APT_UPDATED -eq 0 ]]; then
        apt-get update -qq >/dev/null || die "apt-get update failed"
        APT_UPDATED=1
    fi
    # Debian's maintainer scripts start each server on its default port; we run our own
    # copies on our own ports, so keep the system ones from starting (the usual
    # policy-rc.d convention), unless the machine already has a policy of its own.
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
    fi
    local rc=0
    mkdir -p "$RUN"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$RUN/apt.log" 2>&1 || rc=$?
    [[ $made_policy -eq 1 ]] && rm -f "$policy"
    [[ $rc -eq 0 ]] || { tail -n 20 "$RUN/apt.log" >&2; die "apt-get install ${missing[*]} failed"; }
}

# --- folders ---------------------------------------------------------------------------

# Where server folders go when .run/ is out of reach: one per checkout.
fallback_root() { echo "/var/tmp/meshgate-$(printf %s "$ROOT" | sha1sum | cut -c1-12)"; }

# A folder for a server that runs as OWNER. PostgreSQL and MariaDB drop root, so their
# folders must be reachable by that user: .run/NAME when every parent lets it through,
# else a folder under /var/tmp named after this checkout (e.g. a clone under /root).
service_dir() {
    local name=$1 owner=$2 dir
    mkdir -p "$RUN"
    chmod 755 "$RUN"
    if runuser -u "$owner" -- test -x "$RUN" 2>/dev/null; then
        dir="$RUN/$name"
    else
        dir="$(fallback_root)/$name"
        mkdir -p "$(dirname "$dir")"
        chmod 755 "$(dirname "$dir")"
    fi
    mkdir -p "$dir"
    chown "$owner:" "$dir"
    chmod 700 "$dir"
    echo "$dir"
}

wait_for() {
    local what=$1 log=$2; shift 2
    local deadline=$((SECONDS + WAIT_SECONDS))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            [[ -f $log ]] && tail -n 20 "$log" >&2
            die "$what did not answer within ${WAIT_SECONDS}s (log: $log)"
        fi
        sleep 0.2
    done
}

# --- PostgreSQL ------------------------------------------------------------------------

pg_up() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2; }
pg_sql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc "$1"; }

pg_start() {
    ensure_packages postgresql-15
    local dir data log
    dir=$(service_dir postgres postgres)
    data="$dir/data"
    log="$dir/server.log"
    if ! pg_up; then
        if [[ ! -f $data/PG_VERSION ]]; then
            rm -rf "$data"
            runuser -u postgres -- "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust \
                --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
                || { cat "$dir/initdb.log" >&2; die "PostgreSQL initdb failed"; }
            # Loopback only, no Unix socket (its path would depend on the checkout's length).
            # fsync is off: this cluster holds test and demo data that scripts recreate.
            cat >>"$data/postgresql.conf" <<EOF

# meshgate (scripts/services.sh)
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = ''
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
        fi
        wait_bindable "$PG_PORT"
        runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$data" -l "$log" -w -t "$WAIT_SECONDS" \
            start >/dev/null 2>&1 9>&- || { tail -n 20 "$log" >&2 || true; die "PostgreSQL did not start (log: $log)"; }
        wait_for PostgreSQL "$log" pg_up
    fi
    # Idempotent setup: cheap enough to run on every `up`.
    local db
    for db in meshgate_test meshgate_demo; do
        [[ $(pg_sql "SELECT 1 FROM pg_database WHERE datname = '$db'") == 1 ]] \
            || pg_sql "CREATE DATABASE $db" || die "cannot create PostgreSQL database $db"
    done
    [[ $(pg_sql "SELECT 1 FROM pg_roles WHERE rolname = 'meshgate'") == 1 ]] \
        || pg_sql "CREATE ROLE meshgate LOGIN CREATEDB PASSWORD 'meshgate'" \
        || die "cannot create PostgreSQL role meshgate"
}

pg_stop() {
    local data
    for data in "$RUN/postgres/data" "$(fallback_root)"/postgres/data; do
        [[ -f $data/postmaster.pid ]] || continue
        runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    done
}

# --- MariaDB ---------------------------------------------------------------------------

my_up() {
    # A real login, not `mariadb-admin ping`, which succeeds even when access is denied.
    mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P "$MARIADB_PORT" \
        -u meshgate -pmeshgate --connect-timeout=2 -e 'SELECT 1' 
}

my_start() {
    ensure_packages mariadb-server mariadb-client
    my_up >/dev/null 2>&1 && return 0
    local dir data sock
    dir=$(service_dir mariadb mysql)
    data="$dir/data"
    sock="$dir/mariadb.sock"
    # A Unix socket path has a limit of 107 bytes; a deep checkout gets one in /tmp.
    ((${#sock} <= 100)) || sock="/tmp/$(basename "$(fallback_root)")-mariadb.sock"
    if [[ ! -d $data/mysql ]]; then
        rm -rf "$data"
        mariadb-install-db --no-defaults --user=mysql --datadir="$data" --skip-test-db \
            --auth-root-authentication-method=normal >"$dir/install.log" 2>&1 \
            || { cat "$dir/install.log" >&2; die "mariadb-install-db failed"; }
    fi
    wait_bindable "$MARIADB_PORT"
    # --no-defaults: ignore /etc/mysql so nothing of the system server leaks in.
    setsid mariadbd --no-defaults --user=mysql --datadir="$data" \
        --bind-address=127.0.0.1 --port="$MARIADB_PORT" --socket="$sock" \
        --pid-file="$dir/mariadb.pid" --log-error="$dir/mariadb.err" \
        --skip-name-resolve --skip-log-bin --innodb-buffer-pool-size=64M \
        --innodb-flush-log-at-trx-commit=0 </dev/null >/dev/null 2>&1 9>&- &
    wait_for MariaDB "$dir/mariadb.err" \
        mariadb-admin --no-defaults --socket="$sock" -u root --connect-timeout=2 ping
    mariadb --no-defaults --socket="$sock" -u root -e "
        CREATE USER IF NOT EXISTS 'meshgate'@'127.0.0.1' IDENTIFIED BY 'meshgate';
        CREATE USER IF NOT EXISTS 'meshgate'@'localhost' IDENTIFIED BY 'meshgate';
        GRANT ALL PRIVILEGES ON *.* TO 'meshgate'@'127.0.0.1' WITH GRANT OPTION;
        GRANT ALL PRIVILEGES ON *.* TO 'meshgate'@'localhost' WITH GRANT OPTION;" \
        || die "cannot create the MariaDB user meshgate"
    wait_for MariaDB "$dir/mariadb.err" my_up
}

my_stop() {
    local pidfile pid
    for pidfile in "$RUN/mariadb/mariadb.pid" "$(fallback_root)"/mariadb/mariadb.pid; do
        [[ -f $pidfile ]] || continue
        pid=$(cat "$pidfile")
        kill "$pid" 2>/dev/null || continue
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
}

# --- Redis -----------------------------------------------------------------------------

redis_up() { [[ $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }

redis_start() {
    ensure_packages redis-server redis-tools
    redis_up && return 0
    mkdir -p "$RUN/redis"
    wait_bindable "$REDIS_PORT"
    # No persistence: a cache that starts empty.
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
        --daemonize yes --dir "$RUN/redis" --pidfile "$RUN/redis.pid" \
        --logfile "$RUN/redis.log" >/dev/null 9>&- || die "redis-server did not start (log: $RUN/redis.log)"
    wait_for Redis "$RUN/redis.log" redis_up
}

redis_stop() {
    redis_up || return 0
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
}

# --- commands --------------------------------------------------------------------------

report() {
    local name=$1 url=$2 check=$3
    if $check >/dev/null 2>&1; then
        printf '%-9s up    %s\n' "$name" "$url"
    else
        printf '%-9s down  %s\n' "$name" "$url"
        return 1
    fi
}

status() {
    local rc=0
    report postgres "$PG_URL" pg_up || rc=1
    report mariadb "$MARIADB_URL" my_up || rc=1
    report redis "$REDIS_URL" redis_up || rc=1
    return $rc
}

with_lock() {
    # Two `up`s at once (make and a test fixture) must not race on initdb. The servers
    # are started with fd 9 closed (`9>&-`) so they never hold this lock themselves.
    mkdir -p "$RUN"
    exec 9>"$RUN/services.lock"
    flock -w 300 9 || die "another services.sh holds $RUN/services.lock"
    "$@"
}

up() {
    reserve_ports "$PG_PORT" "$MARIADB_PORT" "$REDIS_PORT"
    pg_start
    my_start
    redis_start
    status
}

down() {
    pg_stop
    my_stop
    redis_stop
    status || true
}

case "${1:-}" in
    up) with_lock up ;;
    down) with_lock down ;;
    status) status ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
