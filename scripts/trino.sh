#!/usr/bin/env bash
# A single-node Trino for the tests and the demo, on 127.0.0.1.
#
#   scripts/trino.sh up       download (once), configure, start when down, wait, print the URL
#   scripts/trino.sh down     stop the server
#   scripts/trino.sh status   one line; exit 1 when it is down
#
# The pinned server comes from Maven Central through Maven (so ~/.m2 caches it across
# checkouts); it is unpacked once into .run/trino/ (git-ignored) with only the plugins the
# catalogs need. Config templates live in scripts/trino/; @NAME@ placeholders are filled
# into .run/trino/etc/. A second `up` with the server running only asks it for /v1/info.
# The catalogs point at the PostgreSQL and MariaDB of scripts/services.sh.
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
PG_PORT=55432
MARIADB_PORT=53306
HEAP=${MESHGATE_TRINO_HEAP:-1G}
WAIT_SECONDS=${MESHGATE_TRINO_WAIT:-180}
URL="http://127.0.0.1:$PORT"

DIST="$RUN/dist"
SERVER="$RUN/server"
ETC="$RUN/etc"
DATA="$RUN/data"
LOG="$RUN/server.log"
LAUNCHER_LOG="$RUN/launcher.log"
PIDFILE="$RUN/launcher.pid"
MARKER="$SERVER/.meshgate-installed"

die() { echo "trino.sh: $*" >&2; exit 1; }
say() { echo "trino.sh: $*" >&2; }

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

# --- configuration -------------------------------------------------------------------------

render() {
    sed -e "s|@DATA_DIR@|$DATA|g" -e "s|@PORT@|$PORT|g" -e "s|@HEAP@|$HEAP|g" \
        -e "s|@PG_PORT@|$PG_PORT|g" -e "s|@MARIADB_PORT@|$MARIADB_PORT|g" "$1" >"$2"
}

write_config() {
    local file
    rm -rf "$ETC.part"
    mkdir -p "$ETC.part/catalog" "$DATA"
    for file in node.properties jvm.config config.properties; do
        render "$TEMPLATES/$file" "$ETC.part/$file"
    done
    for file in "$TEMPLATES"/catalog/*.properties; do
        render "$file" "$ETC.part/catalog/$(basename "$file")"
    done
    rm -rf "$ETC"
    mv "$ETC.part" "$ETC"
}

config_digest() { (cd "$ETC" && find . -type f | sort | xargs sha1sum | sha1sum | cut -c1-40); }

# --- the server ------------------------------------------------------------------------------

info() { curl -fsS -m 2 "$URL/v1/info" 2>/dev/null; }
ready() { info | grep -q '"starting":false'; }

launcher() {
    local java_home
    java_home=$(find_java)
    # The launcher script picks `java` from JAVA_HOME; the server's files all go to .run/trino.
    JAVA_HOME="$java_home" PATH="$java_home/bin:$PATH" "$SERVER/bin/launcher" \
        --etc-dir="$ETC" --data-dir="$DATA" --pid-file="$PIDFILE" \
        --launcher-log-file="$LAUNCHER_LOG" --server-log-file="$LOG" "$@"
}

fail_start() {
    local file
    for file in "$LAUNCHER_LOG" "$LOG"; do
        [[ -s $file ]] || continue
        echo "--- end of $file" >&2
        tail -n 40 "$file" >&2
    done
    die "$1"
}

start() {
    install_server
    # Before touching etc/: a port held by another program is the caller's problem to solve.
    if ! info >/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
        die "port $PORT is taken by something that is not a Trino (see: ss -ltnp)"
    fi
    write_config
    local digest
    digest=$(config_digest)
    if ready; then
        # A Trino this checkout did not start (another clone's, say) is used as it is, as
        # scripts/services.sh does with its servers: its launcher is not ours to stop.
        if ! launcher status >/dev/null 2>&1; then
            say "using the Trino already answering on $URL (not started from $ROOT)"
            return 0
        fi
        # Ours: restart only when the config it started with has changed.
        [[ -f $RUN/config.sha1 && $(cat "$RUN/config.sha1") == "$digest" ]] && return 0
        say "configuration changed: restarting"
        stop
    fi
    # Answering but not ready means another `up` has started it: just wait below.
    if ! info >/dev/null; then
        say "starting Trino $TRINO_VERSION on $URL"
        # The server rotates its log at each start; the last run's is enough to keep.
        rm -f "$LOG"-*
        : >"$LAUNCHER_LOG"
        launcher start </dev/null >"$RUN/launcher.out" 2>&1 9>&- \
            || { cat "$RUN/launcher.out" >&2; fail_start "bin/launcher start failed"; }
        echo "$digest" >"$RUN/config.sha1"
    fi
    local deadline=$((SECONDS + WAIT_SECONDS))
    until ready; do
        if ! launcher status >/dev/null 2>&1; then
            fail_start "Trino exited while starting (log: $LOG)"
        fi
        ((SECONDS < deadline)) || fail_start "Trino did not answer within ${WAIT_SECONDS}s (log: $LOG)"
        sleep 0.5
    done
}

stop() {
    [[ -x $SERVER/bin/launcher && -d $ETC ]] || return 0
    launcher status >/dev/null 2>&1 || return 0
    launcher stop >/dev/null 2>&1 || true
    local _
    for _ in $(seq 150); do
        info >/dev/null || return 0
        sleep 0.2
    done
    launcher kill >/dev/null 2>&1 || true
}

status() {
    if ready; then
        printf '%-9s up    %s\n' trino "$URL"
    else
        printf '%-9s down  %s\n' trino "$URL"
        return 1
    fi
}

with_lock() {
    # A fixture and make may run `up` at once. The server is started with fd 9 closed so
    # it never holds this lock itself.
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
