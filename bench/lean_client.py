"""A keep-alive HTTP/1.1 client with as little of its own work as the standard library
allows, for timing a gateway from Python.

What a benchmark adds to a gateway's time is charged to the gateway. httpx, the client the
SQL benchmark used until 3 Dec 2026, spent 0.4 to 1.5 ms more per request than
``http.client`` on this machine (the same gateway asked both ways in one run, DuckDB
statements; docs/benchmarks.md), about as much as the gateway's whole GraphQL layer.
``wrk`` plays this part in the peer benchmark. One connection per client (one client per
server measured), kept open.
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
    """POSTs JSON to one host over one kept-open connection (``close()`` when done).

    A kept connection the server has closed since (an idle timeout) fails before any
    answer arrives: the request is then sent again, once, on a new connection, and
    counted in :attr:`retries`. Nothing else is retried: an error on a new connection, or
    one after the answer began, is raised (the connection closed), so a request the
    server may have handled is never sent twice."""

    def __init__(self, timeout: float = 60.0) -> None:
        self._timeout = timeout
        self._host: tuple[str, int] | None = None
        self._conn: http.client.HTTPConnection | None = None
        self._used = False  # the open connection has carried a whole exchange
        self.retries = 0

    def post(
        self, url: str, *, json: Any, headers: Mapping[str, str] | None = None
    ) -> LeanResponse:
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"LeanClient speaks plain http to one host, not {url!r}")
        host = (parts.hostname, parts.port or 80)
        body = _dumps(json)
        sent = {"Content-Type": "application/json", "Accept": "application/json"}
        for name, value in (headers or {}).items():  # the caller's, whatever their case
            for known in [k for k in sent if k.lower() == name.lower()]:
                del sent[known]
            sent[name] = value
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        while True:
            conn = self._connection(host)
            reused = self._used
            try:
                try:
                    conn.request("POST", path, body=body, headers=sent)
                    answer = conn.getresponse()
                except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                    if not reused:
                        raise
                    self.close()  # closed by the server while kept: once more, on a new one
                    self.retries += 1
                    continue
                content = answer.read()
            except BaseException:
                self.close()
                raise
            self._used = not answer.will_close
            if answer.will_close:
                self.close()
            return LeanResponse(answer.status, content)

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
        self._used = False

    def __enter__(self) -> LeanClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8")
