"""The resilience of tests/graph/test_resilience.py, with two gateway processes sharing
Redis and PostgreSQL: what one process cached, the other serves when the product is down;
a product down or slow is named by whichever process answers."""

from __future__ import annotations

from collections.abc import Callable

from tests.fixtures.identity import TestIssuer
from tests.graph.test_resilience import QUERY, Slow, nodes, product_id
from tests.workers.conftest import TRIO, Kits, register
from tests.workers.processes import Workers

FRANCE = "precipitation.france-precipitation"


def test_stale_copy_cached_by_one_process_is_served_by_both(
    two_gateways: Callable[..., tuple[Workers, TestIssuer]], kits: Kits
) -> None:
    for name in TRIO:
        kits.start(name)
    # No fresh cache: every request goes to the products; a stale copy stays an hour.
    gateway, issuer = two_gateways(cache_ttl_seconds=0, certification_interval_seconds=0)
    a, b = gateway.pin_each(2)
    for name in TRIO:
        register(a, issuer, kits.bases[name])
    warm = gateway.pin(a.pid).query(QUERY, issuer.headers())
    assert "errors" not in warm, warm
    kits.stop("france-precipitation")
    for pid in (b.pid, a.pid):  # the process that did not fetch it first
        body = gateway.pin(pid).query(QUERY, issuer.headers())
        assert "errors" not in body, (pid, body.get("errors"))
        assert nodes(body)[FRANCE]["versions"] == nodes(warm)[FRANCE]["versions"]
        warnings = body["extensions"]["warnings"]
        assert {(w["code"], w["productId"]) for w in warnings} == {
            ("STALE_DATA", product_id("france-precipitation"))
        }, pid


def test_down_and_slow_products_are_named_by_either_process(
    two_gateways: Callable[..., tuple[Workers, TestIssuer]], kits: Kits
) -> None:
    slow = Slow(kits.app("france-precipitation"), 0.0)
    kits.start("us-precipitation")
    kits.start("france-precipitation", slow)
    kits.start("global-precipitation")
    # No copy to fall back on (stale copies expire at once) and a short read timeout, yet
    # twice 0.5 s: a healthy kit on a loaded CI host once took longer than 0.5 s.
    gateway, issuer = two_gateways(
        cache_ttl_seconds=0, stale_ttl_seconds=0.001, upstream_read_timeout=1.0,
        certification_interval_seconds=0, health_refresh_seconds=3600,
    )  # fmt: skip
    a, _ = gateway.pin_each(2)
    for name in TRIO:
        register(a, issuer, kits.bases[name])
    slow.delay = 2.0
    kits.stop("global-precipitation")
    expected = {
        ("UPSTREAM_TIMEOUT", product_id("france-precipitation")),
        ("UPSTREAM_UNAVAILABLE", product_id("global-precipitation")),
    }
    for pid in sorted(gateway.pids()):
        body = gateway.pin(pid).query(QUERY, issuer.headers())
        listed = nodes(body)
        assert len(listed) == 3
        assert listed["precipitation.us-precipitation"]["versions"], pid
        assert listed[FRANCE]["versions"] is None
        assert listed["precipitation.global-precipitation"]["versions"] is None
        codes = {(e["extensions"]["code"], e["extensions"]["productId"]) for e in body["errors"]}
        assert codes == expected, (pid, codes)
