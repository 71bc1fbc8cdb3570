"""Where a webhook may point: the URL a subscriber gives is untrusted input.

Without a check, ``subscribe`` would make the gateway POST to its own loopback services,
the private network behind it or a cloud metadata endpoint, on a schedule, with retries.
So a webhook URL must be http or https, carry no credentials, and resolve only to
addresses the webhook policy allows (public ones, plus the networks of
``MESHGATE_NOTIFY_WEBHOOK_ALLOWED_NETWORKS``).
It is checked here when subscribing and again by the guarded transport at every delivery
(a name may resolve elsewhere later). Messages never repeat the URL: it may hold secrets.
"""

from __future__ import annotations

import logging
import urllib.parse

from gateway.errors import GatewayError
from gateway.net.addresses import AddressPolicy
from gateway.net.transport import Resolver, system_resolver

log = logging.getLogger(__name__)

MAX_URL = 2048
"""Longest webhook URL accepted."""


class WebhookInvalid(GatewayError):
    """The webhook is not an http(s) URL without credentials, or its host does not resolve."""

    code = "WEBHOOK_INVALID"


class WebhookAddressRefused(GatewayError):
    """The webhook's host resolves to an address the operator did not allow (loopback,
    private, link-local...)."""

    code = "WEBHOOK_ADDRESS_REFUSED"


REFUSED = (
    "webhook: its host resolves to an address this gateway may not call "
    "(public addresses only, unless the operator allows more)"
)


def parse(url: str) -> urllib.parse.SplitResult:
    """``url`` split, if it is an http(s) URL with a host and no credentials.

    >>> parse("https://hooks.example.com/mesh?x=1").hostname
    'hooks.example.com'
    >>> parse("https://user:pw@example.com/")
    Traceback (most recent call last):
    ...
    gateway.notify.targets.WebhookInvalid: webhook: credentials in the URL are not accepted ...
    """
    if len(url) > MAX_URL:
        raise WebhookInvalid(f"webhook: expected a URL of at most {MAX_URL} characters")
    try:
        parts = urllib.parse.urlsplit(url.strip())
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise WebhookInvalid("webhook: expected an http or https URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookInvalid("webhook: expected an http or https URL with a host")
    if parts.username is not None or parts.password is not None:
        raise WebhookInvalid(
            "webhook: credentials in the URL are not accepted (deliveries are signed "
            "with the subscription's secret instead)"
        )
    if parts.fragment:
        raise WebhookInvalid("webhook: a URL with a #fragment is not accepted")
    return parts


async def check(url: str, policy: AddressPolicy, resolver: Resolver | None = None) -> str:
    """``url`` cleaned, once its host resolves only to addresses ``policy`` allows."""
    parts = parse(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = await (resolver or system_resolver)(host, port)
    except OSError:
        raise WebhookInvalid("webhook: its host name does not resolve") from None
    if not addresses:
        raise WebhookInvalid("webhook: its host name does not resolve")
    refused = [a for a in addresses if not policy.allows(a)]
    if refused:
        log.warning("refused a webhook whose host resolves to %s", refused)
        raise WebhookAddressRefused(REFUSED)
    return parts.geturl()
