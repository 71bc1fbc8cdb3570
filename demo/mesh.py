#!/usr/bin/env python3
"""Start the Climate Quantum demo mesh: one product gateway per product, the meshgate
gateway, and the registration of every product. ``make serve`` runs ``mesh.py up``.

    python demo/mesh.py up [--gateway-port 8000] [--first-product-port 8101] [--engine trino]

Each product gateway is a ``meshgate product serve`` process on 127.0.0.1; the gateway
runs in the foreground. Ctrl-C stops everything.

SQL runs on the embedded DuckDB over the products' files. With ``--engine trino``
(``make serve ENGINE=trino``) the services and the Trino cluster are started first
(``scripts/services.sh``, ``scripts/trino.sh``), the products' rows loaded into PostgreSQL
and MariaDB (``demo/stores.py``), and the gateway gets both engines, Trino the default: the
same query can then name either engine in GraphiQL.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
PRODUCTS = ROOT / "demo" / "products"
sys.path.insert(0, str(ROOT))

from demo.stores import StoresNotLoaded, ensure_loaded  # noqa: E402
from demo.users import USERS  # noqa: E402
from gateway.identity.local_issuer import LocalIssuer  # noqa: E402

AUTH = ROOT / ".run" / "demo-auth"
TOKEN_HOURS = 12


def product_dirs() -> list[Path]:
    return sorted(p.parent for p in PRODUCTS.glob("*/product.yaml"))


def chosen(names: str | None) -> list[Path]:
    """The product folders ``names`` lists (comma-separated folder names), all if None."""
    every = product_dirs()
    if not names:
        return every
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = sorted(set(wanted) - {p.name for p in every})
    if unknown:
        known = ", ".join(p.name for p in every)
        raise SystemExit(f"--products: unknown {', '.join(unknown)}; the demo has {known}")
    return [p for p in every if p.name in wanted]


def wait_for(url: str, deadline: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Poll ``url`` until it answers 200, the process dies, or the deadline passes."""
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"{url}: the process exited with code {proc.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer in time")


def start_trino() -> str:
    """Services and the Trino cluster up, the demo stores loaded; the coordinator's URL."""
    for script in ("services.sh", "trino.sh"):
        # Their progress goes to the terminal: a first start downloads and takes minutes.
        done = subprocess.run(["bash", str(ROOT / "scripts" / script), "up"], cwd=ROOT)
        if done.returncode != 0:
            raise SystemExit(f"scripts/{script} up failed (exit {done.returncode})")
    try:
        ensure_loaded()
    except StoresNotLoaded as exc:
        raise SystemExit(str(exc)) from exc
    return f"http://127.0.0.1:{os.environ.get('MESHGATE_TRINO_PORT', '58080')}"


def up(args: argparse.Namespace) -> int:
    started = time.monotonic()
    exe = str(Path(sys.executable).with_name("meshgate"))
    env = {**os.environ, "MESHGATE_PRODUCT_TOKEN": args.token}
    if args.engine == "trino":
        env.setdefault("MESHGATE_TRINO_URL", start_trino())
        env.setdefault("MESHGATE_SQL_ENGINE", "trino")
    env.setdefault("MESHGATE_REGISTRY_URL", f"sqlite:///{ROOT / '.run' / 'demo-registry.db'}")
    # The whole demo mesh runs on this machine: the gateway and the products may call
    # 127.0.0.1, which they refuse by default (only public addresses). Allowed explicitly.
    env.setdefault("MESHGATE_UPSTREAM_ALLOWED_NETWORKS", "127.0.0.1/32")
    env.setdefault("MESHGATE_PRODUCT_ALLOWED_NETWORKS", "127.0.0.1/32")
    env.setdefault(
        "MESHGATE_PRODUCT_REGISTRIES", f"http://127.0.0.1:{args.gateway_port}/registry/products"
    )
    # The demo trusts its own local issuer; its tokens are printed below.
    issuer = LocalIssuer.create(AUTH, name="meshgate-demo")
    env.setdefault("MESHGATE_AUTH_ISSUERS_FILE", str(issuer.issuers_file))
    tokens = demo_tokens(issuer)
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    procs: list[subprocess.Popen[bytes]] = []

    def stop(*_: object) -> None:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
    try:
        urls = []
        for i, folder in enumerate(chosen(args.products)):
            port = args.first_product_port + i
            cmd = [exe, "product", "serve", str(folder), "--host", "127.0.0.1", "--port", str(port)]
            cmd += ["--log-level", "warning"]
            procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env))
            urls.append(f"http://127.0.0.1:{port}/discover/metadata")
        gateway = subprocess.Popen(
            [exe, "serve", "--host", args.host, "--port", str(args.gateway_port)], cwd=ROOT, env=env
        )
        procs.append(gateway)
        deadline = time.monotonic() + args.timeout
        for proc, url in zip(procs, urls, strict=False):
            wait_for(url, deadline, proc)
        base = f"http://127.0.0.1:{args.gateway_port}"
        wait_for(f"{base}/healthz", deadline, gateway)
        for url in urls:
            answer = httpx.post(
                f"{base}/registry/products", json={"url": url}, headers=admin, timeout=10
            )
            if answer.status_code != 201:
                raise SystemExit(f"registering {url} failed: {answer.text}")
        elapsed = time.monotonic() - started
        print(f"\nmeshgate demo mesh: {len(urls)} products ready in {elapsed:.1f}s")
        print_engines(env)
        graphiql = f"http://{args.host}:{args.gateway_port}/graphql"
        print_tokens(tokens, graphiql)
        print(f"GraphiQL: {graphiql}\n", flush=True)
        if args.detach:
            return 0
        gateway.wait()
        return gateway.returncode or 0
    except KeyboardInterrupt:
        return 0
    finally:
        if not args.detach:
            stop()


def demo_tokens(issuer: LocalIssuer) -> dict[str, str]:
    """A token per demo user, also written to .run/demo-auth/tokens.json."""
    tokens = {
        user: issuer.token(user, roles, ttl=TOKEN_HOURS * 3600) for user, roles in USERS.items()
    }
    path = AUTH / "tokens.json"
    path.write_text(json.dumps(tokens, indent=2))
    path.chmod(0o600)
    return tokens


def print_tokens(tokens: dict[str, str], graphiql: str) -> None:
    print(
        f"\nDemo users (tokens valid {TOKEN_HOURS} h, all in {AUTH / 'tokens.json'}): "
        "anonymous callers may only browse products, contracts, search and health."
    )
    for user in ("analyst", "physical-risk-owner", "admin"):
        print(f"  {user:<20} roles: {', '.join(USERS[user])}")
    headers = json.dumps({"Authorization": f"Bearer {tokens['analyst']}"})
    print(f"In GraphiQL, open Headers (bottom left) and paste, e.g. for the analyst:\n  {headers}")
    print(f"or open GraphiQL as the analyst: {graphiql}?headers={quote(headers)}")


def print_engines(env: dict[str, str]) -> None:
    """Which engines answer ``sql``, and the default one."""
    default = env.get("MESHGATE_SQL_ENGINE", "duckdb").upper()
    trino = env.get("MESHGATE_TRINO_URL")
    if not trino:
        print("SQL engine: DUCKDB over the products' files (make serve ENGINE=trino adds Trino)")
        return
    print(f"SQL engines: DUCKDB (the files) and TRINO at {trino} (PostgreSQL, MariaDB);")
    print(f"  {default} when a query names none: sql(query: ..., engine: DUCKDB) picks one")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("up", help="start the demo mesh and the gateway")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--gateway-port", type=int, default=8000)
    p.add_argument("--first-product-port", type=int, default=8101)
    p.add_argument("--token", default="demo-token", help="control token of every product")
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument(
        "--products", default=None, help="comma-separated product folders to start (default: all)"
    )
    p.add_argument("--detach", action="store_true", help="leave the processes running")
    p.add_argument(
        "--engine",
        choices=("duckdb", "trino"),
        default="duckdb",
        help="trino: start the services and Trino, load the stores, add the TRINO engine",
    )
    p.set_defaults(func=up)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
