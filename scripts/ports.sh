# Fixed ports on 127.0.0.1 and the kernel's ephemeral range; sourced by services.sh and
# trino.sh, which define die() and say().
#
# The services listen on fixed ports (PostgreSQL 55432, MariaDB 53306, Redis 56379, Trino
# 58080-58081) that lie inside Linux's default ephemeral range (32768-60999): the local port
# of any outgoing connection may be one of them. A server then fails to bind its port
# ("Address already in use") although nothing listens there. Two guards:
#   reserve_ports   takes the ports out of the ephemeral range (net.ipv4.ip_local_reserved_ports)
#                   when run as root; MESHGATE_RESERVE_PORTS=0 leaves the kernel alone.
#   wait_bindable   waits until a server could bind the port: the connections that hold it,
#                   and the TIME-WAIT sockets of the ones made without SO_REUSEADDR (as a
#                   client's are), block a bind for up to 60 s after they end.

PORTS_FILE=/proc/sys/net/ipv4/ip_local_reserved_ports
# How long a server's port may stay unbindable before its script gives up (a TIME-WAIT
# socket lasts 60 s).
PORT_WAIT=${MESHGATE_PORT_WAIT:-90}

# True when PORT is in the kernel's reserved list (items "N" or "A-B", comma-separated).
port_reserved() { # port
    local item
    local -a items
    IFS=, read -r -a items <"$PORTS_FILE" || return 1
    for item in "${items[@]}"; do
        [[ -n $item ]] || continue
        if ((${item%-*} <= $1 && $1 <= ${item#*-})); then return 0; fi
    done
    return 1
}

reserve_ports() { # port...
    [[ ${MESHGATE_RESERVE_PORTS:-1} != 0 && $(id -u) -eq 0 && -w $PORTS_FILE ]] || return 0
    local port missing=()
    for port in "$@"; do port_reserved "$port" || missing+=("$port"); done
    ((${#missing[@]} > 0)) || return 0
    local current joined
    current=$(cat "$PORTS_FILE")
    joined=$(
        IFS=,
        echo "${missing[*]}"
    )
    if echo "${current:+$current,}$joined" >"$PORTS_FILE" 2>/dev/null; then
        say "reserved ports $joined: outgoing connections no longer take them as local ports"
    else
        say "could not reserve ports $joined in $PORTS_FILE (set MESHGATE_RESERVE_PORTS=0 to stop trying)"
    fi
}

# True when a server could listen on 127.0.0.1:PORT now, asked of the kernel the way servers
# bind (SO_REUSEADDR). Without python3 the answer is yes and the server's own error tells.
bindable() { # port
    command -v python3 >/dev/null 2>&1 || return 0
    python3 - "$1" <<'PY' 2>/dev/null
import socket, sys
with socket.socket() as probe:
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    probe.bind(("127.0.0.1", int(sys.argv[1])))
PY
}

# Waits up to PORT_WAIT seconds until PORT is bindable; dies naming the sockets on it if it
# stays taken.
wait_bindable() { # port
    bindable "$1" && return 0
    local deadline=$((SECONDS + PORT_WAIT)) holders
    # A listener does not go away by waiting.
    [[ -z $(ss -Htln sport = ":$1" 2>/dev/null) ]] \
        || die "port $1 is taken by a program listening there (see: ss -ltnp sport = :$1)"
    holders=$(ss -Htan exclude listening sport = ":$1" 2>/dev/null | head -n 3 || true)
    say "port $1 cannot be bound yet (the local port of a connection, or its TIME-WAIT); waiting up to $PORT_WAIT s:"
    [[ -z $holders ]] || echo "$holders" >&2
    until bindable "$1"; do
        ((SECONDS < deadline)) || die "port $1 could still not be bound after $PORT_WAIT s (see: ss -tan sport = :$1)"
        sleep 1
    done
}
