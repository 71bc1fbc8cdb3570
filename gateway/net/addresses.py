"""Which IP addresses the gateway may call: public ones, plus what the operator allows.

A product URL is third-party input: without this check a registered product (or a link
in its answers) could make the gateway call its own loopback services, the private
network behind it or a cloud metadata endpoint (169.254.169.254). The policy is applied
to every address a host name resolves to, by the transport in
:mod:`gateway.net.transport`, right before connecting.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# NAT64 (RFC 6052) embeds an IPv4 address in its last 32 bits.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, 6to4, NAT64), if any.

    >>> str(embedded_ipv4(ipaddress.ip_address("::ffff:127.0.0.1")))
    '127.0.0.1'
    >>> embedded_ipv4(ipaddress.ip_address("2001:db8::1")) is None
    True
    """
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    """Whether ``ip`` is a global unicast address (and so is anything it embeds).

    >>> [is_public(ipaddress.ip_address(a)) for a in ("8.8.8.8", "10.0.0.1", "169.254.169.254")]
    [True, False, False]
    >>> is_public(ipaddress.ip_address("::ffff:10.0.0.1"))
    False
    """
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return is_public(ip.ipv4_mapped)  # the socket talks IPv4 to that address
    inner = embedded_ipv4(ip)
    if inner is not None and not is_public(inner):
        return False
    site_local = isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local
    return ip.is_global and not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or site_local
    )


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """The networks of a comma-separated CIDR list; raise ``ValueError`` naming a bad one.

    >>> [str(n) for n in parse_networks("127.0.0.1/32, ::1")]
    ['127.0.0.1/32', '::1/128']
    """
    networks = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(
                f"{item!r} is not an IP network (expected CIDR, e.g. 10.0.0.0/8)"
            ) from None
    return tuple(networks)


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses, plus the networks the operator allowed explicitly.

    >>> AddressPolicy().allows("127.0.0.1")
    False
    >>> AddressPolicy.of("127.0.0.1/32").allows("::ffff:127.0.0.1")
    True
    """

    allowed: tuple[IPNetwork, ...] = ()

    @classmethod
    def of(cls, networks: str) -> AddressPolicy:
        """The policy of a comma-separated CIDR list (empty: public addresses only)."""
        return cls(parse_networks(networks))

    def allows(self, address: str | IPAddress) -> bool:
        """Whether the gateway may connect to ``address``."""
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
        if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
            ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
        candidates = [ip]
        inner = embedded_ipv4(ip)
        if inner is not None:
            candidates.append(inner)
        for candidate in candidates:
            if any(candidate in network for network in self.allowed):
                return True
        return is_public(ip)
