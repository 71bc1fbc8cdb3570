"""The check before every connection to a product: resolve once, every address allowed.

A host name is resolved once; *every* address it resolves to must be allowed by the
:class:`~gateway.net.addresses.AddressPolicy`, and the caller then connects to one of
those checked addresses, never to the name: a DNS answer that changes between the check
and the connection (DNS rebinding) cannot swap in another address. Both clients of the
gateway connect this way (:mod:`gateway.net.transport`, :mod:`gateway.net.document_transport`).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable

import anyio

from gateway.errors import UpstreamAddressRefused
from gateway.net.addresses import AddressPolicy

log = logging.getLogger(__name__)

# (host, port) -> the addresses to check and connect to; the system resolver by default.
Resolver = Callable[[str, int], Awaitable[list[str]]]

REFUSED_MESSAGE = (
    "the product gateway's address is not one this gateway may call "
    "(public addresses only, unless the operator allows more)"
)


class Unresolved(OSError):
    """The host name resolves to no address (or the resolver failed)."""


async def checked_addresses(
    policy: AddressPolicy, resolver: Resolver, host: str, port: int
) -> list[str]:
    """The addresses of ``host``, each allowed by ``policy``, in the resolver's order.

    Raises :class:`UpstreamAddressRefused` when any of them is not allowed (whichever a
    connection would have picked), :class:`Unresolved` when there is none.
    """
    try:
        addresses = await resolver(host, port)
    except OSError as exc:
        raise Unresolved(f"cannot resolve {host}: {exc}") from None
    if not addresses:
        raise Unresolved(f"{host} resolves to no address")
    refused = [a for a in addresses if not policy.allows(a)]
    if refused:
        log.warning("refused to connect to %s:%s (resolves to %s)", host, port, refused)
        raise UpstreamAddressRefused(REFUSED_MESSAGE)
    return addresses


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address of ``host`` from the system resolver, in its order, each once.

    An address written out in full (``127.0.0.1``, ``::1``) is its own answer, in its
    canonical form, without asking the system: its resolver runs in a worker thread, a hop
    for every new connection to a product. Shorthands the system reads as addresses too
    (``127.1``) and scoped addresses (``fe80::1%eth0``) still go to it.
    """
    if "%" not in host:
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass  # a name: ask the system
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]
        if address not in addresses:
            addresses.append(address)
    return addresses
