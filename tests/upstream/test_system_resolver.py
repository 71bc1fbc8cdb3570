"""The system resolver answers an address written out in full itself, and asks the system
for everything else; what it answers is still checked against the address policy."""

from __future__ import annotations

import ipaddress

import anyio
import pytest

from gateway.errors import UpstreamAddressRefused
from gateway.net.addresses import AddressPolicy
from gateway.net.guard import checked_addresses, system_resolver


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hosts the system's resolver was asked for."""
    calls: list[str] = []
    real = anyio.getaddrinfo

    async def spy(host: str, port: int, **kw: object) -> object:
        answer = await real(host, port, **kw)  # type: ignore[arg-type]
        calls.append(host)
        return answer

    monkeypatch.setattr(anyio, "getaddrinfo", spy)
    return calls


@pytest.mark.parametrize(
    ("host", "addresses"),
    [("127.0.0.1", ["127.0.0.1"]), ("::1", ["::1"]), ("0:0:0:0:0:0:0:1", ["::1"]),
     ("203.0.113.7", ["203.0.113.7"]), ("::FFFF:127.0.0.1", ["::ffff:127.0.0.1"])],
)  # fmt: skip
async def test_an_address_in_full_is_its_own_answer(
    host: str, addresses: list[str], asked: list[str]
) -> None:
    got = await system_resolver(host, 80)
    assert [ipaddress.ip_address(a) for a in got] == [ipaddress.ip_address(a) for a in addresses]
    assert asked == []


@pytest.mark.parametrize("host", ["localhost", "127.1"])
async def test_names_and_shorthands_go_to_the_system(host: str, asked: list[str]) -> None:
    assert "127.0.0.1" in await system_resolver(host, 80)
    assert asked == [host]


async def test_an_address_in_full_is_still_checked() -> None:
    # Not a way around the policy: the metadata service's address stays refused.
    policy = AddressPolicy()
    with pytest.raises(UpstreamAddressRefused):
        await checked_addresses(policy, system_resolver, "169.254.169.254", 80)
    with pytest.raises(UpstreamAddressRefused):
        await checked_addresses(policy, system_resolver, "::ffff:169.254.169.254", 80)
