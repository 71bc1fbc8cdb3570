"""Limits on the messages of one WebSocket, the HTTP edge's limits carried over.

An HTTP request meets the body cap and the per-caller rate limit; a WebSocket is one
request that then carries messages for as long as it lives. So each message is held to
the body cap (``MESHGATE_MAX_BODY_BYTES``: a larger one closes the socket with 1009,
before it is parsed) and a connection to ``MESHGATE_RATE_LIMIT_PER_MINUTE`` messages a
minute (past it, closed with 1008): a client cannot make the gateway parse and judge
subscriptions without end on one socket.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

TOO_BIG = 1009
POLICY = 1008
WINDOW_SECONDS = 60.0


class MessageGuard:
    """A ``receive`` for the app that closes the socket on a message over the limits."""

    def __init__(
        self,
        receive: Receive,
        send: Send,
        *,
        max_bytes: int,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._receive = receive
        self._send = send
        self._max_bytes = max_bytes
        self._per_minute = per_minute
        self._clock = clock
        self._window_start = clock()
        self._count = 0

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] != "websocket.receive":
            return message
        data = message.get("text")
        size = len(data.encode()) if isinstance(data, str) else len(message.get("bytes") or b"")
        if size > self._max_bytes:
            return await self._close(TOO_BIG, f"message over {self._max_bytes} bytes")
        if self._per_minute:
            now = self._clock()
            if now - self._window_start >= WINDOW_SECONDS:
                self._window_start, self._count = now, 0
            self._count += 1
            if self._count > self._per_minute:
                return await self._close(POLICY, f"over {self._per_minute} messages a minute")
        return message

    async def _close(self, code: int, reason: str) -> Message:
        """Close the socket and tell the app the client is gone."""
        log.info("WebSocket closed (%s): %s", code, reason)
        await self._send({"type": "websocket.close", "code": code, "reason": reason})
        return {"type": "websocket.disconnect", "code": code}


class WebSocketLimits:
    """The middleware: every WebSocket's messages go through a :class:`MessageGuard`."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, per_minute: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.per_minute = per_minute

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        guard = MessageGuard(receive, send, max_bytes=self.max_bytes, per_minute=self.per_minute)
        await self.app(scope, guard.receive, send)
