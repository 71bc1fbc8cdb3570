#!/usr/bin/env bash
# Debian's wrk for the load benchmarks (bench/peer_gateways.py): installed once, then a no-op.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

[[ -x /usr/bin/wrk ]] && exit 0

[[ $(id -u) -eq 0 ]] || { echo "wrk.sh: /usr/bin/wrk is missing; run as root to install it" >&2; exit 1; }
echo "wrk.sh: installing Debian's wrk" >&2
# Update the package lists only when apt does not know the package yet.
apt-cache show wrk >/dev/null 2>&1 || apt-get update -qq >/dev/null
log=$(mktemp)
if ! apt-get install -y -qq --no-install-recommends wrk >"$log" 2>&1; then
    # The lists may be stale (a removed version): refresh once and try again.
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends wrk >"$log" 2>&1 \
        || { tail -n 20 "$log" >&2; rm -f "$log"; echo "wrk.sh: apt-get install wrk failed" >&2; exit 1; }
fi
rm -f "$log"
[[ -x /usr/bin/wrk ]] || { echo "wrk.sh: wrk installed but /usr/bin/wrk is missing" >&2; exit 1; }
/usr/bin/wrk --version 2>&1 | head -n 1 || true
