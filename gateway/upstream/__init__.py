"""Talking to product gateways: one pooled httpx client, a bounded JSON read that maps
every failure to a coded error, a breaker, and a cached fetcher that serves a stale copy
when a product is down."""

from __future__ import annotations

from gateway.upstream.breaker import CircuitBreaker
from gateway.upstream.client import create_http_client
from gateway.upstream.fetcher import Fetched, UpstreamFetcher
from gateway.upstream.read import fetch_json

__all__ = [
    "CircuitBreaker",
    "Fetched",
    "UpstreamFetcher",
    "create_http_client",
    "fetch_json",
]
