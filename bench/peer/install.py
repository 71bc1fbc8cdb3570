"""Install what the peer benchmark runs: the pinned peer (npm ci) and wrk (Debian).

``npm ci`` installs exactly package-lock.json into ``bench/peer/node_modules`` (a marker
file says it was done for this lock file), so every run measures the same peer versions.
wrk comes from ``scripts/wrk.sh`` (apt-get, once).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

PEER = Path(__file__).resolve().parent
ROOT = PEER.parent.parent
MODULES = PEER / "node_modules"
MARKER = MODULES / ".meshgate-installed"
BIN = MODULES / ".bin"


def install_peer() -> None:
    """``npm ci`` in bench/peer when node_modules is absent or older than the lock file."""
    lock = PEER / "package-lock.json"
    if MARKER.exists() and MARKER.stat().st_mtime >= lock.stat().st_mtime:
        return
    if shutil.which("npm") is None:
        raise SystemExit("npm is missing: the peer (Hive Gateway) needs Node.js and npm")
    print("installing the peer: npm ci in bench/peer (pinned versions)", flush=True)
    done = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=PEER, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        tail = done.stdout[-2000:] + done.stderr[-2000:]
        raise SystemExit(f"npm ci in bench/peer failed:\n{tail}")
    MARKER.touch()


def install_wrk() -> str:
    """scripts/wrk.sh (a no-op once installed); the path of wrk."""
    done = subprocess.run(["bash", str(ROOT / "scripts" / "wrk.sh")], capture_output=True,
                          text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"scripts/wrk.sh failed:\n{done.stdout}{done.stderr}")
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is not on PATH after scripts/wrk.sh")
    return found


def versions() -> dict[str, str]:
    """The versions measured: the peer's packages as installed, node, wrk."""
    found: dict[str, str] = {}
    wanted = json.loads((PEER / "package.json").read_text())["dependencies"]
    for name in wanted:
        manifest = MODULES / name / "package.json"
        found[name] = json.loads(manifest.read_text())["version"]
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    found["node"] = node.stdout.strip()
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    found["wrk"] = (wrk.stdout or wrk.stderr).split(" [")[0].strip()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True, check=False)  # fmt: skip
    found["meshgate"] = commit.stdout.strip() or "unknown"
    return found
