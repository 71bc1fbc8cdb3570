"""Servers that do no work, loaded like a gateway: the lowest tail the setup itself shows.

Both answer every request with the same bytes (meshgate's own answer to the peer
benchmark's question, read once), so the only differences left from a gateway with a warm
cache are what a gateway does per request:

- :func:`start_fixed_asgi`: this module's :func:`app` under the server meshgate uses
  (uvicorn, one process, the default event loop and httptools, as ``meshgate serve``
  starts it);
- :func:`start_nginx`: nginx (the Debian package, when installed), one worker process,
  the answer as a static file.

What wrk reports for them under the same connections is the p99/p50 of the machine, the
load generator and the event loop, with no gateway in it (bench/warm_tail.py).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from bench.peer.procs import Started, answers_get, free_port, start, wait_until
from gateway.settings import Settings

ANSWER_VARIABLE = "MESHGATE_BENCH_ANSWER"
"""The environment variable naming the file :func:`app` answers with."""

_answer: bytes | None = None


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """ASGI: the answer file's bytes to every HTTP request, once its body is read."""
    global _answer
    if scope["type"] != "http":
        return
    if _answer is None:
        _answer = Path(os.environ[ANSWER_VARIABLE]).read_bytes()
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(_answer))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": _answer})


def start_fixed_asgi(answer: Path, logs: Path, timeout: float = 60.0) -> tuple[str, Started]:
    """:func:`app` served as meshgate is; (its URL, its process)."""
    port = free_port()
    loop = Settings().event_loop  # meshgate serve's default (MESHGATE_EVENT_LOOP)
    cmd = [sys.executable, "-m", "uvicorn", "bench.peer.floors:app", "--host", "127.0.0.1",
           "--port", str(port), "--loop", loop, "--http", "httptools",
           "--no-access-log", "--log-level", "warning"]  # fmt: skip
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, ANSWER_VARIABLE: str(answer), "PYTHONPATH": str(root)}
    proc = start("floor-asgi", cmd, cwd=root, env=env, logs=logs)
    _wait(proc, port, timeout)
    return f"http://127.0.0.1:{port}/graphql", proc


NGINX_CONF = """worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fastcgi;
  uwsgi_temp_path {folder}/uwsgi;
  scgi_temp_path {folder}/scgi;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{port};
    location / {{
      root {folder};
      default_type application/json;
      try_files /answer.json =404;
      # A POST to a static file is refused with 405: answer the file with 200 instead.
      error_page 405 =200 /answer.json;
    }}
  }}
}}
"""


def nginx_binary() -> str | None:
    """nginx's path: on ``PATH``, or where Debian puts it (outside a user's ``PATH``)."""
    found = shutil.which("nginx")
    return found or next(
        (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def start_nginx(
    answer: Path, folder: Path, logs: Path, timeout: float = 30.0
) -> tuple[str, Started] | None:
    """nginx answering ``answer`` from ``folder``; None when nginx is not installed.

    Started by root, nginx's worker runs as nobody: ``folder`` must then be reachable by
    others (a new folder under /tmp, say, not one under a 0700 folder)."""
    binary = nginx_binary()
    if binary is None:
        return None
    # Started by root, nginx's worker drops to nobody; otherwise it stays who started it.
    parents = [p for p in folder.resolve().parents if p.exists()]
    closed = [p for p in parents if not os.stat(p).st_mode & 0o001]
    if closed and os.geteuid() == 0:
        raise SystemExit(f"nginx's worker (nobody) cannot pass {closed[0]} to reach {folder}")
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)  # nginx's worker runs as nobody: it must read the file
    shutil.copyfile(answer, folder / "answer.json")
    (folder / "answer.json").chmod(0o644)
    port = free_port()
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(folder=folder, port=port))
    # -e: its error log from the start, before the configuration is read.
    cmd = [binary, "-c", str(conf), "-p", str(folder), "-e", str(folder / "error.log")]
    proc = start("floor-nginx", cmd, cwd=folder,
                 env=dict(os.environ), logs=logs)  # fmt: skip
    _wait(proc, port, timeout)
    return f"http://127.0.0.1:{port}/graphql", proc


def _wait(proc: Started, port: int, timeout: float) -> None:
    try:
        wait_until(proc, answers_get(f"http://127.0.0.1:{port}/"), timeout, "an answer")
    except BaseException:
        proc.stop()
        raise
