"""Talking to product gateways: one pooled httpx client that calls only allowed
addresses, a bounded JSON read under one deadline that maps every failure to a coded
error, links followed only under a product's base URL, a breaker, and a cached fetcher
that serves a stale copy when a product is down."""

from __future__ import annotations

from gateway.net.addresses import AddressPolicy
from gateway.net.document_client import DocumentClient
from gateway.net.transport import guarded_client
from gateway.upstream.breaker import CircuitBreaker
from gateway.upstream.client import address_policy, create_http_client
from gateway.upstream.fetcher import Fetched, UpstreamFetcher
from gateway.upstream.links import is_under_base, require_under_base
from gateway.upstream.read import fetch_json

__all__ = [
    "AddressPolicy",
    "CircuitBreaker",
    "DocumentClient",
    "Fetched",
    "UpstreamFetcher",
    "address_policy",
    "create_http_client",
    "fetch_json",
    "guarded_client",
    "is_under_base",
    "require_under_base",
]
