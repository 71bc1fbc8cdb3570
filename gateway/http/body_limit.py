"""A cap on the size of every HTTP request body, counted as it arrives.

``Content-Length`` is only a hint: a body sent in chunks declares no length, and a client
may declare less than it sends. So the middleware counts the bytes of every
``http.request`` message the app receives and, at the first byte over the cap, stops the
app (an exception raised from ``receive``) and answers ``413 BODY_TOO_LARGE``. The app
never holds more than the cap plus one chunk, and nothing past the cap is read by the app
(the server drains or drops the rest of the connection).
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import BodyTooLarge
from gateway.http.refusal import refusal


class _Overflow(Exception):
    """Raised from ``receive`` past the cap; deliberately not a GatewayError, so no
    exception handler of the app turns it into an ordinary answer on the way out."""


class BodyLimit:
    """Pure ASGI middleware: refuse bodies over ``max_bytes`` with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)
            return

        received = 0
        over = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, over
            if over:  # the app insisted: still read nothing more
                raise _Overflow
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    over = True
                    raise _Overflow
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _Overflow:
            if started:  # too late for a status: the connection is cut
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        exc = BodyTooLarge(
            f"the request body is over {self.max_bytes} bytes",
            **_details({"maxBytes": self.max_bytes}),
        )
        await refusal(exc, 413, scope)(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None


def _details(values: dict[str, Any]) -> dict[str, Any]:
    """Extension fields in the API's camelCase (``GatewayError`` passes them through)."""
    return values
