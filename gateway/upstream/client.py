"""The one pooled ``httpx.AsyncClient`` of an app's lifespan."""

from __future__ import annotations

import httpx

from gateway import __version__
from gateway.settings import Settings


def create_http_client(settings: Settings) -> httpx.AsyncClient:
    """A client with explicit timeouts and pool limits, for calls to product gateways."""
    timeout = httpx.Timeout(
        connect=settings.upstream_connect_timeout,
        read=settings.upstream_read_timeout,
        write=settings.upstream_read_timeout,
        pool=settings.upstream_connect_timeout,
    )
    limits = httpx.Limits(
        max_connections=settings.upstream_max_connections,
        max_keepalive_connections=settings.upstream_max_connections,
    )
    return httpx.AsyncClient(
        timeout=timeout,
        limits=limits,
        headers={"user-agent": f"meshgate/{__version__}", "accept": "application/json"},
        follow_redirects=False,
    )
