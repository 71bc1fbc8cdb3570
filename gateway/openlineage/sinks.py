"""Where OpenLineage events go: a JSON-lines file or an OpenLineage HTTP endpoint.

Both are bounded. The file rotates to ``<path>.1`` past its cap, so at most twice the cap
is kept on disk; the HTTP sink posts through the guarded transport (the operator's
networks only, no redirects, one deadline per event), so a lineage server that hangs or
redirects cannot hold the sender nor send it elsewhere.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Protocol

import httpx

from gateway.net.addresses import AddressPolicy
from gateway.net.transport import guarded_client

log = logging.getLogger(__name__)


class LineageSinkError(Exception):
    """A sink could not take an event (the emitter counts and logs it, nothing more)."""


class Sink(Protocol):
    async def send(self, line: str) -> None:
        """Deliver one event, serialized as one line of JSON."""

    async def close(self) -> None: ...


class FileSink:
    """Appends each event as one line to ``path``; past ``max_bytes`` the file becomes
    ``path.1`` (replacing the previous one) and a new file starts."""

    def __init__(self, path: str | Path, *, max_bytes: int) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self._lock = asyncio.Lock()

    async def send(self, line: str) -> None:
        async with self._lock:
            await asyncio.to_thread(self._append, line)

    def _append(self, line: str) -> None:
        data = (line.replace("\n", " ") + "\n").encode("utf-8", "backslashreplace")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                size = self.path.stat().st_size
            except FileNotFoundError:
                size = 0
            if size and size + len(data) > self.max_bytes:
                os.replace(self.path, self.path.with_name(self.path.name + ".1"))
            with self.path.open("ab") as out:
                out.write(data)
        except OSError as exc:
            raise LineageSinkError(f"cannot write the lineage file: {exc.strerror}") from None

    async def close(self) -> None:
        """Nothing is held open between events."""


class HttpSink:
    """POSTs each event to an OpenLineage endpoint (Marquez: ``/api/v1/lineage``)."""

    def __init__(
        self,
        url: str,
        *,
        policy: AddressPolicy,
        timeout_s: float,
    ) -> None:
        self.url = url
        self._timeout_s = timeout_s
        headers = {"Content-Type": "application/json"}
        self._client = guarded_client(
            policy,
            timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_connections=2, max_keepalive_connections=2),
            headers=headers,
        )

    async def send(self, line: str) -> None:
        try:
            # One deadline for the whole exchange: httpx's timeouts are per read.
            async with asyncio.timeout(self._timeout_s):
                answer = await self._client.post(self.url, content=line.encode("utf-8"))
        except TimeoutError:
            raise LineageSinkError("the lineage endpoint did not answer in time") from None
        except Exception as exc:  # refused address, connection error: kept short
            raise LineageSinkError(f"the lineage endpoint failed: {type(exc).__name__}") from None
        if not answer.is_success:
            raise LineageSinkError(f"the lineage endpoint answered {answer.status_code}")

    async def close(self) -> None:
        await self._client.aclose()
