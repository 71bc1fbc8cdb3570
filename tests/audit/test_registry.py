"""Every change to the registry is audited, whoever asks and however it ends."""

from __future__ import annotations

import pytest

from gateway.errors import Forbidden, ProductNotFound, UpstreamError
from productkit.http.app import create_product_app
from tests.audit.mesh import ADMIN, ANALYST, FLOOD_OWNER, RISK_KEY, RISK_OWNER, Gateway
from tests.fixtures.uvicorn import running
from tests.graph.conftest import demo_product_dirs


async def test_register_refresh_and_unregister_are_audited(gateway: Gateway) -> None:
    registry = gateway.services.registry
    product = await registry.require(RISK_KEY)
    await registry.refresh(RISK_KEY, actor=RISK_OWNER)
    await registry.unregister(product.id, actor=ADMIN)
    page = await gateway.services.audit.for_product(product.id)
    assert [(e.action, e.outcome, e.actor.subject, e.detail) for e in page.events] == [
        ("registry.unregister", "ok", "root", product.id),
        ("registry.refresh", "ok", "olga", RISK_KEY),
        ("registry.register", "ok", "olga", product.url),
    ]
    assert all(e.products[0].id == product.id for e in page.events)
    assert {e.products[0].key for e in page.events} == {RISK_KEY}
    assert page.events[0].actor.roles == ("admin",)


async def test_failed_changes_are_audited_with_their_code(gateway: Gateway) -> None:
    registry = gateway.services.registry
    product = await registry.require(RISK_KEY)
    with pytest.raises(ProductNotFound):
        await registry.unregister("nobody.nothing", actor=ANALYST)
    with pytest.raises(UpstreamError):
        # Port 9 (discard) is closed on 127.0.0.1: the product does not answer.
        await registry.register("http://127.0.0.1:9/discover/metadata", actor=FLOOD_OWNER)
    rows = gateway.rows(
        "SELECT action, outcome, actor_subject, products FROM audit_events "
        "WHERE outcome <> 'ok' ORDER BY id"
    )
    assert [r[:3] for r in rows] == [
        ("registry.unregister", "PRODUCT_NOT_FOUND", "ana"),
        ("registry.register", "UPSTREAM_UNAVAILABLE", "fred"),
    ]
    assert [r[3] for r in rows] == ["[]", "[]"]  # no product is named by either
    page = await gateway.services.audit.for_product(product.id)
    assert [e.action for e in page.events] == ["registry.register"]


async def test_a_failed_refresh_is_in_the_products_own_log(gateway: Gateway) -> None:
    registry = gateway.services.registry
    [folder] = [d for d in demo_product_dirs() if d.name == "us-precipitation"]
    with running(create_product_app(folder, token="t", env={})) as base:
        product = await registry.register(f"{base}/discover/metadata", actor=ADMIN)
    # Its gateway is gone now. An analyst may not refresh it; an admin may, and fails.
    with pytest.raises(Forbidden):
        await registry.refresh(product.key, actor=ANALYST)
    with pytest.raises(UpstreamError) as failed:
        await registry.refresh(product.key, actor=ADMIN)
    page = await gateway.services.audit.for_product(product.id)
    assert [(e.action, e.outcome, e.actor.subject) for e in page.events] == [
        ("registry.refresh", failed.value.code, "root"),
        ("registry.refresh", "FORBIDDEN", "ana"),
        ("registry.register", "ok", "root"),
    ]


async def test_the_graphs_mutations_audit_the_requests_principal(gateway: Gateway) -> None:
    product = await gateway.services.registry.require(RISK_KEY)
    for mutation, principal in (
        ("mutation($id: ID!) { refreshProduct(id: $id) { key } }", RISK_OWNER),
        ("mutation($id: ID!) { unregisterProduct(id: $id) { key } }", ADMIN),
    ):
        result = await gateway.graph(mutation, principal, {"id": RISK_KEY})
        assert result.errors is None, result.errors
    again = await gateway.graph(
        "mutation($url: String!) { registerProduct(url: $url) { key } }",
        RISK_OWNER,
        {"url": product.url},
    )
    assert again.errors is None, again.errors
    page = await gateway.services.audit.for_product(product.id)
    assert [(e.action, e.actor.subject) for e in page.events] == [
        ("registry.register", "olga"),
        ("registry.unregister", "root"),
        ("registry.refresh", "olga"),
        ("registry.register", "olga"),
    ]


async def test_a_refused_takeover_is_in_the_victims_log(gateway: Gateway) -> None:
    # The owner of another domain tries to unregister the product: refused and audited
    # under the product, so its owner sees who tried.
    product = await gateway.services.registry.require(RISK_KEY)
    with pytest.raises(Forbidden):
        await gateway.services.registry.unregister(RISK_KEY, actor=FLOOD_OWNER)
    [attempt, _registered] = (await gateway.services.audit.for_product(product.id)).events
    assert (attempt.action, attempt.outcome, attempt.actor.subject, attempt.detail) == (
        "registry.unregister", "FORBIDDEN", "fred", RISK_KEY,
    )  # fmt: skip


async def test_a_change_carries_the_request_id_it_was_asked_in(gateway: Gateway) -> None:
    registry = gateway.services.registry
    product = await registry.require(RISK_KEY)
    await registry.refresh(RISK_KEY, actor=RISK_OWNER, request_id="req-refresh")
    with pytest.raises(Forbidden):
        await registry.unregister(RISK_KEY, actor=FLOOD_OWNER, request_id="req-refused")
    page = await gateway.services.audit.for_product(product.id)
    assert [(e.action, e.outcome, e.request_id) for e in page.events[:2]] == [
        ("registry.unregister", "FORBIDDEN", "req-refused"),
        ("registry.refresh", "ok", "req-refresh"),
    ]
