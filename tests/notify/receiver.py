"""A webhook receiver for tests: a plain ASGI app under uvicorn that records every
request (headers, body) and answers with the statuses it is told, in order."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """``answers``: the status of each request in turn (the last one repeats); a 3xx
    answers with ``Location: /moved``."""

    answers: list[int] = field(default_factory=lambda: [204])
    delay: float = 0.0  # seconds to wait before answering (lowering it cuts a wait short)
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, statuses: Iterable[int]) -> None:
        with self._lock:
            self.answers = list(statuses)

    def requests(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.received if path is None or r.path == path]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        with self._lock:
            self.received.append(Received(scope["path"], headers, body))
            status = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        started = time.monotonic()
        while time.monotonic() - started < self.delay:  # cut short when delay is lowered
            await asyncio.sleep(0.02)
        extra = [(b"location", b"/moved")] if 300 <= status < 400 else []
        await send({"type": "http.response.start", "status": status, "headers": extra})
        body_out = b"" if status in (204, 304) else b"ok"
        await send({"type": "http.response.body", "body": body_out})
