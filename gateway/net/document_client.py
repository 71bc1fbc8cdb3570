"""The gateway's client for product documents: an httpx client with a shorter way in.

Reading a document through ``httpx.AsyncClient`` builds a request (URL parsed, default
headers merged, cookies, auth), a response and its stream each time: with the document
transport underneath, that was most of what a read still cost the gateway
(bench/http_clients.py). :meth:`DocumentClient.read_document` prepares the request head
of each URL once, with httpx's own machinery (so the bytes sent are those
``client.get(url)`` sends), and then reads through the transport directly. Everything
else a caller does with the client is plain httpx over the same transport and pool.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import httpx

from gateway.net.addresses import AddressPolicy
from gateway.net.document_transport import (
    DocumentTransport,
    Origin,
    Reading,
    Timeouts,
    origin_of,
    request_head,
)
from gateway.net.guard import Resolver

log = logging.getLogger(__name__)

MAX_PREPARED = 4096
"""Request heads kept (one per URL read); past this the oldest half is dropped."""


class DocumentClient(httpx.AsyncClient):
    """``httpx.AsyncClient`` over a :class:`DocumentTransport`, plus :meth:`read_document`:
    GETs from addresses ``policy`` allows, no redirects, no proxies (``resolver`` replaces
    the system's: tests play a DNS server with it)."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        timeout: httpx.Timeout,
        limits: httpx.Limits | None = None,
        headers: Mapping[str, str] | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        self.documents = DocumentTransport(policy, limits=limits, resolver=resolver)
        super().__init__(
            transport=self.documents,
            timeout=timeout,
            headers=headers,
            follow_redirects=False,
            trust_env=False,
        )
        self._timeouts: Timeouts = timeout.as_dict()
        self._prepared: dict[str, tuple[Origin, bytes]] = {}

    async def read_document(self, url: str, limit: int, error_limit: int) -> Reading:
        """``GET url``, its body read whole up to ``limit`` bytes (``error_limit`` for an
        answer other than 200); the failures are httpx's, as with ``get``."""
        prepared = self._prepared.get(url)
        if prepared is None:
            prepared = self._prepare(url)
        origin, head = prepared
        reading = await self.documents.read(origin, head, self._timeouts, limit, error_limit)
        if log.isEnabledFor(logging.DEBUG):  # httpx's own line, which this way skips
            log.debug('HTTP Request: GET %s "HTTP/1.1 %d"', url, reading.status)
        return reading

    def _prepare(self, url: str) -> tuple[Origin, bytes]:
        request = self.build_request("GET", url)
        prepared = (origin_of(request.url), request_head(request))
        if len(self._prepared) >= MAX_PREPARED:
            for old in list(self._prepared)[: MAX_PREPARED // 2]:
                del self._prepared[old]
        self._prepared[url] = prepared
        return prepared
