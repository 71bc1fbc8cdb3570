"""The reference client (npm ``graphql-ws`` on ``ws``) as a subprocess: it connects to a
gateway, subscribes, and prints what happens as JSON lines; the tests read them."""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

CLIENT = Path(__file__).with_name("client.mjs")
ROOT = Path(__file__).resolve().parents[2]
LINE_TIMEOUT = 20.0

EVENTS = """
subscription Events($products: [ID!]!, $kinds: [EventKind!], $upstream: Boolean) {
  productEvents(products: $products, kinds: $kinds, upstream: $upstream) {
    id kind productId productKey at summary data upstreamOf dropped
  }
}
"""


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://", 1) + "/graphql"


class Subscriber:
    """One ``node client.mjs`` run; :meth:`expect` reads its next line of a type."""

    def __init__(self, base: str, **config: Any) -> None:
        node = shutil.which("node")
        if node is None:
            pytest.fail("node is needed for the WebSocket tests (the reference client)")
        if not (ROOT / "node_modules" / "graphql-ws").exists():
            pytest.fail("node_modules/graphql-ws missing (npm devDependencies)")
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self._process = subprocess.Popen(
            [node, str(CLIENT), json.dumps({"url": ws_url(base), **config})],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            if line.strip():
                self.lines.put(json.loads(line))

    def expect(self, kind: str, timeout: float = LINE_TIMEOUT) -> dict[str, Any]:
        """The next line of type ``kind``; fails on a line of another type first."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no {kind!r} line within {timeout} s; seen {self.seen}") from None
        self.seen.append(line)
        assert line["type"] == kind, f"expected {kind!r}, got {line}; seen before {self.seen}"
        return line

    def quiet(self, seconds: float) -> list[dict[str, Any]]:
        """The lines printed within ``seconds`` (to check nothing more came)."""
        time.sleep(seconds)
        found = []
        while not self.lines.empty():
            found.append(self.lines.get_nowait())
        self.seen += found
        return found

    def close(self) -> None:
        if self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def __enter__(self) -> Subscriber:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def event_of(line: dict[str, Any]) -> dict[str, Any]:
    """The ProductEvent of a ``next`` line (which must carry no errors)."""
    payload = line["payload"]
    assert not payload.get("errors"), payload
    event: dict[str, Any] = payload["data"]["productEvents"]
    return event
