"""The address policy: public addresses only, plus what the operator lists (issue 6, hole 3)."""

from __future__ import annotations

import pytest

from gateway.settings import Settings
from gateway.upstream import AddressPolicy, address_policy

REFUSED_BY_DEFAULT = [
    "127.0.0.1",  # loopback
    "127.1.2.3",
    "::1",
    "10.0.0.1",  # RFC 1918
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",  # link-local: cloud metadata
    "fe80::1",
    "fc00::1",  # unique local
    "fd12:3456::1",
    "0.0.0.0",  # unspecified
    "::",
    "224.0.0.1",  # multicast
    "ff02::1",
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "100.64.0.1",  # carrier-grade NAT
    "192.0.2.10",  # documentation
    "fec0::1",  # site-local
    "::ffff:127.0.0.1",  # IPv4-mapped forms of the above
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
]

PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", REFUSED_BY_DEFAULT)
def test_non_public_addresses_are_refused_by_default(address: str) -> None:
    assert not AddressPolicy().allows(address)
    assert not address_policy(Settings()).allows(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert AddressPolicy().allows(address)


def test_the_operator_allows_exactly_the_networks_listed() -> None:
    policy = address_policy(Settings(upstream_allowed_networks="127.0.0.1/32, 10.1.0.0/16"))
    assert policy.allows("127.0.0.1") and policy.allows("::ffff:127.0.0.1")
    assert policy.allows("10.1.200.3")
    for address in ("127.0.0.2", "::1", "10.2.0.1", "169.254.169.254", "192.168.1.1"):
        assert not policy.allows(address), address


def test_a_bad_network_setting_is_named() -> None:
    with pytest.raises(ValueError, match="MESHGATE_UPSTREAM_ALLOWED_NETWORKS: 'lan'"):
        address_policy(Settings(upstream_allowed_networks="127.0.0.1/32,lan"))
