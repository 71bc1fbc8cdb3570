#!/usr/bin/env bash
# Debian's Chromium for the browser tests (tests/browser): installed once, then a no-op.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

[[ -x /usr/bin/chromium ]] && exit 0

[[ $(id -u) -eq 0 ]] || { echo "chromium.sh: /usr/bin/chromium is missing; run as root to install it" >&2; exit 1; }
echo "chromium.sh: installing Debian's chromium" >&2
# Update the package lists only when apt does not know the package yet.
apt-cache show chromium >/dev/null 2>&1 || apt-get update -qq >/dev/null
log=$(mktemp)
if ! apt-get install -y -qq --no-install-recommends chromium >"$log" 2>&1; then
    # The lists may be stale (a removed version): refresh once and try again.
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends chromium >"$log" 2>&1 \
        || { tail -n 20 "$log" >&2; rm -f "$log"; echo "chromium.sh: apt-get install chromium failed" >&2; exit 1; }
fi
rm -f "$log"
[[ -x /usr/bin/chromium ]] || { echo "chromium.sh: chromium installed but /usr/bin/chromium is missing" >&2; exit 1; }
/usr/bin/chromium --version
