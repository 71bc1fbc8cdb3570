"""Talking to product gateways: one pooled httpx client, error mapping, a breaker, and a
cached fetcher that serves a stale copy when a product is down."""

from __future__ import annotations

from gateway.upstream.breaker import CircuitBreaker
from gateway.upstream.client import create_http_client
from gateway.upstream.errors import translate_http_error
from gateway.upstream.fetcher import Fetched, UpstreamFetcher

__all__ = [
    "CircuitBreaker",
    "Fetched",
    "UpstreamFetcher",
    "create_http_client",
    "translate_http_error",
]
