"""The one pooled ``httpx.AsyncClient`` of an app's lifespan."""

from __future__ import annotations

import httpx

from gateway import __version__
from gateway.net.addresses import AddressPolicy
from gateway.net.document_client import DocumentClient
from gateway.settings import Settings


def address_policy(settings: Settings) -> AddressPolicy:
    """The addresses the gateway may call, from ``upstream_allowed_networks``."""
    try:
        return AddressPolicy.of(settings.upstream_allowed_networks)
    except ValueError as exc:
        raise ValueError(f"MESHGATE_UPSTREAM_ALLOWED_NETWORKS: {exc}") from None


def create_http_client(settings: Settings) -> httpx.AsyncClient:
    """A client with explicit timeouts and pool limits, for calls to product gateways.

    It connects only to public addresses and the networks the operator allowed (see
    :mod:`gateway.net.guard`), reads only (GET, :mod:`gateway.net.document_transport`)
    and never follows redirects.
    """
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
    return DocumentClient(
        address_policy(settings),
        timeout=timeout,
        limits=limits,
        headers={
            "user-agent": f"meshgate/{__version__}",
            "accept": "application/json",
            "accept-encoding": "identity",  # documents come as they are, never compressed
        },
    )
