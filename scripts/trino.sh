#!/usr/bin/env bash
# A two-node Trino cluster for the tests and the demo, on 127.0.0.1: a coordinator (the URL
# clients use) and one worker that runs every task, as in production.
#
#   scripts/trino.sh up       download (once), configure, start what is down, wait, print the URLs
#   scripts/trino.sh down     stop both nodes
#   scripts/trino.sh status   one line per node; exit 1 when one is down
#
# The pinned server comes from Maven Central through Maven (so ~/.m2 caches it across
# checkouts); it is unpacked once into .run/trino/server/ (git-ignored) with only the plugins
# the catalogs need, and both nodes run that one install. Config templates live in
# scripts/trino/; @NAME@ placeholders are filled into .run/trino/<node>/etc/. A second `up`
# with the cluster running only asks it for /v1/info. The catalogs (on both nodes) point at
# the PostgreSQL and MariaDB of scripts/services.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="$ROOT/.run/trino"
TEMPLATES="$ROOT/scripts/trino"

TRINO_VERSION=476
# Releases up to 476 publish the full server tarball on Maven Central. The per-connector
# plugin archives of the PostgreSQL and MariaDB/MySQL connectors are not published there
# for 476 (only trino-memory is), so the plugins come out of the full tarball.
ARTIFACT="io.trino:trino-server:$TRINO_VERSION:tar.gz"
TARBALL="trino-server-$TRINO_VERSION.tar.gz"
# The plugins the catalogs in scripts/trino/catalog/ use; nothing else is kept, which keeps
# the install small and the start fast (Trino loads every plugin it finds). The JDBC
# connectors map spatial columns to the Geometry type, which the geospatial plugin brings:
# without it they fail at start with "Unknown type: Geometry".
PLUGINS=(postgresql mariadb memory geospatial)
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

PORT=${MESHGATE_TRINO_PORT:-58080}
WORKER_PORT=${MESHGATE_TRINO_WORKER_PORT:-$((PORT + 1))}
PG_PORT=55432
MARIADB_PORT=53306
HEAP=${MESHGATE_TRINO_HEAP:-1G} # per node
# Two JVMs starting on 2 busy cores took up to 160 s (load at 45): room above that.
WAIT_SECONDS=${MESHGATE_TRINO_WAIT:-300}
URL="http://127.0.0.1:$PORT"
NODES=(coordinator worker)

DIST="$RUN/dist"
SERVER="$RUN/server"
MARKER="$SERVER/.meshgate-installed"

die() { echo "trino.sh: $*" >&2; exit 1; }
say() { echo "trino.sh: $*" >&2; }
# shellcheck source=scripts/ports.sh
. "$ROOT/scripts/ports.sh"

# --- Java --------------------------------------------------------------------------------

java_major() {
    # "openjdk version "25.0.1" 2025-10-21" -> 25
    "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
}

# Trino 476 needs Java 24 or newer; the machine's default Java is older, so look for a
# JDK beside it. MESHGATE_TRINO_JAVA_HOME wins when set.
find_java() {
    local candidate major
    for candidate in ${MESHGATE_TRINO_JAVA_HOME:-} /usr/lib/jvm/temurin-25-jdk-amd64 \
        /usr/lib/jvm/temurin-24-jdk-amd64 /usr/lib/jvm/*; do
        [[ -x $candidate/bin/java ]] || continue
        major=$(java_major "$candidate")
        if [[ -n $major ]] && ((major >= 24)); then
            echo "$candidate"
            return 0
        fi
    done
    die "Trino $TRINO_VERSION needs a JDK 24 or newer (none under /usr/lib/jvm; set MESHGATE_TRINO_JAVA_HOME)"
}

# --- download and install ------------------------------------------------------------------

ensure_maven() {
    command -v mvn >/dev/null 2>&1 && return 0
    [[ $(id -u) -eq 0 ]] || die "Maven (mvn) is missing: install the Debian package maven"
    say "installing maven"
    mkdir -p "$RUN"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends maven; } >"$RUN/apt.log" 2>&1 \
        || { tail -n 20 "$RUN/apt.log" >&2; die "apt-get install maven failed"; }
}

download() {
    [[ -s $DIST/$TARBALL ]] && return 0
    ensure_maven
    mkdir -p "$DIST"
    say "fetching $ARTIFACT through Maven (about 820 MB, unless ~/.m2 holds it)"
    # -C: fail on a checksum mismatch instead of warning. Maven runs on the default Java.
    mvn -B -q -C "$DEP_PLUGIN:copy" -Dartifact="$ARTIFACT" -DoutputDirectory="$DIST.part" \
        </dev/null >"$RUN/maven.log" 2>&1 \
        || { tail -n 30 "$RUN/maven.log" >&2; die "Maven could not fetch $ARTIFACT (log: $RUN/maven.log)"; }
    mv "$DIST.part/$TARBALL" "$DIST/$TARBALL"
    rm -rf "$DIST.part"
}

install_server() {
    local want="$TRINO_VERSION ${PLUGINS[*]}"
    [[ -f $MARKER && $(cat "$MARKER") == "$want" ]] && return 0
    download
    say "unpacking Trino $TRINO_VERSION with plugins ${PLUGINS[*]}"
    rm -rf "$SERVER" "$SERVER.part"
    mkdir -p "$SERVER.part"
    # The tarball stores a jar shared by several plugins once, as hard links into other
    # plugins' folders, so unpack every plugin and then drop the ones not used (the links
    # keep the shared files alive).
    tar -xzf "$DIST/$TARBALL" -C "$SERVER.part" --strip-components=1 \
        "trino-server-$TRINO_VERSION/bin" "trino-server-$TRINO_VERSION/lib" \
        "trino-server-$TRINO_VERSION/plugin" \
        || die "cannot unpack $DIST/$TARBALL (delete it to fetch it again)"
    local dir keep plugin
    for dir in "$SERVER.part"/plugin/*; do
        keep=0
        for plugin in "${PLUGINS[@]}"; do [[ ${dir##*/} == "$plugin" ]] && keep=1; done
        [[ $keep -eq 1 ]] || rm -rf "$dir"
    done
    for plugin in "${PLUGINS[@]}"; do
        [[ -d $SERVER.part/plugin/$plugin ]] || die "$TARBALL has no plugin/$plugin"
    done
    echo "$want" >"$SERVER.part/.meshgate-installed"
    mv "$SERVER.part" "$SERVER"
}

# --- the nodes ------------------------------------------------------------------------------
# A node is a name in NODES; its files live in $RUN/<node>/ and it listens on its own port.

node_port() { if [[ $1 == coordinator ]]; then echo "$PORT"; else echo "$WORKER_PORT"; fi; }
node_url() { echo "http://127.0.0.1:$(node_port "$1")"; }
node_dir() { echo "$RUN/$1"; }

# --- configuration -------------------------------------------------------------------------

render() { # node template target
    sed -e "s|@DATA_DIR@|$(node_dir "$1")/data|g" -e "s|@PORT@|$(node_port "$1")|g" \
        -e "s|@COORDINATOR_PORT@|$PORT|g" -e "s|@NODE_ID@|meshgate-test-$1|g" \
        -e "s|@HEAP@|$HEAP|g" -e "s|@PG_PORT@|$PG_PORT|g" -e "s|@MARIADB_PORT@|$MARIADB_PORT|g" \
        "$2" >"$3"
}

write_config() { # node
    local etc file
    etc="$(node_dir "$1")/etc"
    rm -rf "$etc.part"
    mkdir -p "$etc.part/catalog" "$(node_dir "$1")/data"
    for file in node.properties jvm.config; do
        render "$1" "$TEMPLATES/$file" "$etc.part/$file"
    done
    render "$1" "$TEMPLATES/$1.properties" "$etc.part/config.properties"
    for file in "$TEMPLATES"/catalog/*.properties; do
        render "$1" "$file" "$etc.part/catalog/$(basename "$file")"
    done
    rm -rf "$etc"
    mv "$etc.part" "$etc"
}

config_digest() { # node
    (cd "$(node_dir "$1")/etc" && find . -type f | sort | xargs sha1sum | sha1sum | cut -c1-40)
}

# --- the servers -----------------------------------------------------------------------------

info() { curl -fsS -m 2 "$(node_url "$1")/v1/info" 2>/dev/null; }
ready() { info "$1" | grep -q '"starting":false'; }

JAVA_FOUND=""

launcher() { # node launcher-arguments...
    local dir
    [[ -n $JAVA_FOUND ]] || JAVA_FOUND=$(find_java)
    dir=$(node_dir "$1")
    shift
    # The launcher script picks `java` from JAVA_HOME; the node's files all go to its folder.
    JAVA_HOME="$JAVA_FOUND" PATH="$JAVA_FOUND/bin:$PATH" "$SERVER/bin/launcher" \
        --etc-dir="$dir/etc" --data-dir="$dir/data" --pid-file="$dir/launcher.pid" \
        --launcher-log-file="$dir/launcher.log" --server-log-file="$dir/server.log" "$@"
}

# Started from this checkout (its pid file names a live process), on whatever port.
running() { [[ -d $(node_dir "$1")/etc ]] && launcher "$1" status >/dev/null 2>&1; }
# Started from this checkout on the port asked for now: the server answering there is it.
ours() { running "$1" && [[ $(cat "$(node_dir "$1")/port" 2>/dev/null) == "$(node_port "$1")" ]]; }

# The workers the coordinator counts as active, asked as a query of system.runtime.nodes
# through Trino's REST protocol (POST the statement, follow nextUri to the end).
active_workers() {
    local body next found=""
    body=$(curl -fsS -m 5 -H 'X-Trino-User: meshgate' -H 'X-Trino-Source: trino.sh' \
        --data-binary "SELECT count(*) FROM system.runtime.nodes WHERE state = 'active' AND NOT coordinator" \
        "$URL/v1/statement" 2>/dev/null) || { echo 0; return 0; }
    while :; do
        [[ -n $found ]] || found=$(grep -o '"data":\[\[[0-9]*\]\]' <<<"$body" | tr -dc 0-9 || true)
        next=$(grep -o '"nextUri":"[^"]*"' <<<"$body" | cut -d'"' -f4 || true)
        [[ -n $next ]] || break
        body=$(curl -fsS -m 5 -H 'X-Trino-User: meshgate' "$next" 2>/dev/null) || break
    done
    echo "${found:-0}"
}

fail_start() { # message node...
    local message=$1 node file
    shift
    for node in "$@"; do
        for file in "$(node_dir "$node")/launcher.log" "$(node_dir "$node")/server.log"; do
            [[ -s $file ]] || continue
            echo "--- end of $file" >&2
            tail -n 40 "$file" >&2
            # A failed start ends in a long legend of class names; the causes come first.
            if grep -qE '^[0-9]+\) \[Guice' "$file"; then
                echo "--- the errors in $file" >&2
                grep -E '^[0-9]+\) \[Guice|^Caused by' "$file" | head -n 20 >&2
            fi
        done
    done
    die "$message"
}

# The node exited because its port was taken between the check and its bind.
bind_failed() { grep -q "Failed to bind to" "$(node_dir "$1")/server.log" 2>/dev/null; }

start_node() { # node digest
    say "starting the Trino $TRINO_VERSION $1 on $(node_url "$1")"
    # The server rotates its log at each start; the last run's is enough to keep.
    rm -f "$(node_dir "$1")"/server.log-*
    : >"$(node_dir "$1")/launcher.log"
    launcher "$1" start </dev/null >"$(node_dir "$1")/launcher.out" 2>&1 9>&- \
        || { cat "$(node_dir "$1")/launcher.out" >&2; fail_start "bin/launcher start failed" "$1"; }
    echo "$2" >"$(node_dir "$1")/config.sha1"
    node_port "$1" >"$(node_dir "$1")/port"
}

# An earlier version of this script ran one node from .run/trino/{etc,data}; a checkout
# updated while it runs stops it here, so that the cluster can take its port.
stop_single_node() {
    [[ -d $RUN/etc ]] || return 0
    local pid _
    pid=$(cat "$RUN/launcher.pid" 2>/dev/null || true)
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        say "stopping the single-node Trino of an earlier scripts/trino.sh"
        kill -TERM "$pid"
        for _ in $(seq 150); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -rf "$RUN/etc" "$RUN/data" "$RUN/launcher.pid" "$RUN/config.sha1" "$RUN"/server.log* \
        "$RUN/launcher.log" "$RUN/launcher.out"
}

start() {
    install_server
    stop_single_node
    reserve_ports "$PORT" "$WORKER_PORT"
    local node started=()
    # Before touching etc/: a port held by another program is the caller's problem to solve.
    for node in "${NODES[@]}"; do
        if ! info "$node" >/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$(node_port "$node")") 2>/dev/null; then
            die "port $(node_port "$node") is taken by something that is not a Trino (see: ss -ltnp)"
        fi
        if running "$node" && ! ours "$node"; then
            die "the $node of this checkout runs on port $(cat "$(node_dir "$node")/port"): run \`$0 down\` first"
        fi
        # Not answering, yet not free: the local port of a connection, say. Wait for it.
        info "$node" >/dev/null || wait_bindable "$(node_port "$node")"
    done
    # A Trino this checkout did not start (another clone's, say) is used as it is, as
    # scripts/services.sh does with its servers: its launcher is not ours to stop.
    if ready coordinator && ! ours coordinator; then
        say "using the Trino already answering on $URL (not started from $ROOT)"
        return 0
    fi
    for node in "${NODES[@]}"; do
        write_config "$node"
        local digest
        digest=$(config_digest "$node")
        if ready "$node" && ours "$node"; then
            # Restart only when the config it started with has changed.
            [[ $(cat "$(node_dir "$node")/config.sha1" 2>/dev/null) == "$digest" ]] && continue
            say "$node: configuration changed: restarting"
            stop_node "$node"
            wait_down "$node"
        fi
        # Answering but not ready means another `up` has started it: just wait below.
        info "$node" >/dev/null && continue
        start_node "$node" "$digest"
        started+=("$node")
    done
    # Both answering and neither started now: a running cluster (an `up` that started it
    # held the lock until the worker was active).
    if ((${#started[@]} == 0)) && ready coordinator && ready worker; then
        return 0
    fi
    # Both nodes start at once; the worker is usable once the coordinator counts it active.
    local deadline=$((SECONDS + WAIT_SECONDS)) restarts=0
    until ready coordinator && ready worker && (($(active_workers) == 1)); do
        for node in "${NODES[@]}"; do
            ours "$node" && continue
            # A connection took the port between the check above and the bind (possible
            # where the ports could not be reserved): wait, start the node again (twice at most).
            if bind_failed "$node" && ((restarts < 2)); then
                restarts=$((restarts + 1))
                say "the Trino $node could not bind port $(node_port "$node"): starting it again"
                wait_bindable "$(node_port "$node")"
                start_node "$node" "$(config_digest "$node")"
                continue
            fi
            fail_start "the Trino $node exited while starting" "$node"
        done
        ((SECONDS < deadline)) || fail_start "the cluster was not ready within ${WAIT_SECONDS}s" "${NODES[@]}"
        sleep 0.5
    done
}

stop_node() { # node
    [[ -x $SERVER/bin/launcher ]] || return 0
    running "$1" || return 0
    launcher "$1" stop >/dev/null 2>&1 || true
}

wait_down() { # node; kills it after 30 s
    local _
    for _ in $(seq 150); do
        running "$1" || return 0
        sleep 0.2
    done
    launcher "$1" kill >/dev/null 2>&1 || true
}

stop() {
    local node
    # Both are asked at once, then waited for: a graceful stop takes seconds each.
    for node in "${NODES[@]}"; do stop_node "$node"; done
    for node in "${NODES[@]}"; do wait_down "$node"; done
}

status() {
    local node name down=0
    for node in "${NODES[@]}"; do
        name=trino
        [[ $node == coordinator ]] || name="trino-$node"
        if ready "$node"; then
            printf '%-13s up    %s\n' "$name" "$(node_url "$node")"
        else
            printf '%-13s down  %s\n' "$name" "$(node_url "$node")"
            down=1
        fi
    done
    return "$down"
}

with_lock() {
    # A fixture and make may run `up` at once. The servers are started with fd 9 closed so
    # they never hold this lock themselves.
    mkdir -p "$RUN"
    exec 9>"$RUN/lock"
    flock -w 900 9 || die "another trino.sh holds $RUN/lock"
    "$@"
}

case "${1:-}" in
    up) with_lock start && status ;;
    down) with_lock stop; status || true ;;
    status) status ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
