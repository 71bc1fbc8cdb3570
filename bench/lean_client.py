"""A keep-alive HTTP/1.1 client with as little of its own work as the standard library
allows, for timing a gateway from Python.

What a benchmark adds to a gateway's time is charged to the gateway. httpx, the client the
SQL benchmark used until 3 Dec 2026, spends 0.5 to 1.2 ms of its own per request on this
machine over ``http.client`` (one run, the same request alternating: 9.81 against 8.26 ms
p50 on a slow host), as much as the whole GraphQL layer of the gateway. ``wrk`` plays this
part in the peer benchmark. One connection, kept open; a connection the server has
closed meanwhile is opened again once.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit


class LeanResponse:
    """What :meth:`LeanClient.post` answers: the status and the body."""

    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code = status_code
        self.content = content

    def json(self) -> Any:
        return json.loads(self.content)


class LeanClient:
    """POSTs JSON to one host over one kept-open connection (``close()`` when done)."""

    def __init__(self, timeout: float = 60.0) -> None:
        self._timeout = timeout
        self._host: tuple[str, int] | None = None
        self._conn: http.client.HTTPConnection | None = None

    def post(
        self, url: str, *, json: Any, headers: Mapping[str, str] | None = None
    ) -> LeanResponse:
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"LeanClient speaks plain http to one host, not {url!r}")
        host = (parts.hostname, parts.port or 80)
        body = _dumps(json)
        sent = {"Content-Type": "application/json", **(headers or {})}
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        for attempt in (1, 2):
            conn = self._connection(host)
            try:
                conn.request("POST", path or "/", body=body, headers=sent)
                answer = conn.getresponse()
                return LeanResponse(answer.status, answer.read())
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()  # the server closed the kept connection: open it again, once
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _connection(self, host: tuple[str, int]) -> http.client.HTTPConnection:
        if self._conn is None or self._host != host:
            self.close()
            self._conn = http.client.HTTPConnection(*host, timeout=self._timeout)
            self._host = host
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def __enter__(self) -> LeanClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8")
