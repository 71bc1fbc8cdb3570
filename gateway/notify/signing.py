"""Signing webhook deliveries, the Standard Webhooks way (https://www.standardwebhooks.com).

Each request carries ``webhook-id`` (the delivery's id, the same on every retry: the
receiver's idempotency key), ``webhook-timestamp`` (Unix seconds of this attempt: the
receiver refuses old ones, so a captured request cannot be replayed later) and
``webhook-signature: v1,<base64 HMAC-SHA256>`` over ``id.timestamp.body`` keyed with the
subscription's secret. The secret is ``whsec_`` followed by base64 of 32 random bytes;
the key is those bytes. docs/notifications.md shows a receiver checking it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
VERSION = "v1"


def new_secret() -> str:
    """A fresh signing secret.

    >>> s = new_secret(); s.startswith("whsec_") and len(base64.b64decode(s[6:]))
    32
    """
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header of ``body``.

    >>> secret = PREFIX + base64.b64encode(b"k" * 32).decode()
    >>> signature(secret, "dlv_1", 1700000000, b'{}')
    'v1,FSzGVIjGCdZIVoB78P0ypJgnAlnvU38UEuxCKtgylgo='
    """
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return f"{VERSION},{base64.b64encode(digest).decode()}"


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers of a signed delivery."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


def verify(secret: str, message_id: str, timestamp: int, body: bytes, header: str) -> bool:
    """Whether ``header`` (space-separated ``v1,<sig>`` entries) holds a signature of
    ``body`` by ``secret`` (constant-time comparison)."""
    expected = signature(secret, message_id, timestamp, body).encode()
    return any(hmac.compare_digest(expected, given.encode()) for given in header.split())
