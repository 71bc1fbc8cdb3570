"""`Product.audit` is for the product's owner and admins only; `usage.recent` shows who
asked and what only to them."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.identity import Principal
from tests.audit.mesh import (
    ADMIN,
    ANALYST,
    ANONYMOUS,
    ASSETS,
    FLOOD_OWNER,
    RISK_KEY,
    RISK_OWNER,
    Gateway,
)
from tests.graph.conftest import DEMO, ROOT, start_mesh

AUDIT = """query($key: ID!, $first: Int, $after: String, $since: DateTime) {
  product(id: $key) { audit(first: $first, after: $after, since: $since) {
    edges { cursor node { id at action outcome rows detail requestId address
      actor { subject kind roles } products { id key }
      tables { productId table columns maskedColumns } } }
    pageInfo { hasNextPage endCursor } } } }"""
RECENT = """query($key: ID!) { product(id: $key) { usage {
  recent(first: 10) { caller sql outcome rows } } } }"""


async def audit_of(gw: Gateway, principal: Principal, **variables: Any) -> Any:
    return await gw.graph(AUDIT, principal, {"key": RISK_KEY, **variables})


@pytest.mark.parametrize(
    ("principal", "code"),
    [(ANALYST, "FORBIDDEN"), (FLOOD_OWNER, "FORBIDDEN"), (ANONYMOUS, "UNAUTHENTICATED")],
    ids=["analyst", "other-owner", "anonymous"],
)
async def test_the_audit_is_refused_to_anyone_but_the_owner(
    gateway: Gateway, principal: Principal, code: str
) -> None:
    await gateway.services.federation.run(ASSETS, principal=ANALYST)
    result = await audit_of(gateway, principal)
    [error] = result.errors
    assert error.extensions["code"] == code
    if code == "FORBIDDEN":
        assert error.extensions["role"] == "owner:physical-risk"
        assert "owner:physical-risk" in error.message
    assert result.data is None or result.data["product"] is None


@pytest.mark.parametrize("principal", [RISK_OWNER, ADMIN], ids=["owner", "admin"])
async def test_the_owner_and_admins_read_the_audit(gateway: Gateway, principal: Principal) -> None:
    fed = gateway.services.federation
    await fed.run(ASSETS, principal=ANALYST, request_id="req-9", caller="10.1.1.1", max_rows=4)
    result = await audit_of(gateway, principal)
    assert result.errors is None, result.errors
    audit = result.data["product"]["audit"]
    query, registered = (edge["node"] for edge in audit["edges"])
    assert (query["action"], query["outcome"], query["rows"], query["detail"]) == (
        "sql.query", "ok", 4, ASSETS,
    )  # fmt: skip
    assert (query["requestId"], query["address"]) == ("req-9", "10.1.1.1")
    assert query["actor"] == {"subject": "ana", "kind": "user", "roles": ["analyst"]}
    assert query["tables"] == [
        {
            "productId": query["products"][0]["id"],
            "table": "physical-risk.physical-risk.assets",
            "columns": ["asset_id", "country_code"],
            "maskedColumns": ["asset_id"],  # the analyst saw it masked (confidential)
        }
    ]
    assert query["products"][0]["key"] == RISK_KEY
    assert (registered["action"], registered["actor"]["subject"]) == ("registry.register", "olga")
    assert audit["pageInfo"]["hasNextPage"] is False


async def test_the_audit_pages_with_cursors(gateway: Gateway) -> None:
    for rows in (1, 2, 3):
        await gateway.services.federation.run(ASSETS, principal=ANALYST, max_rows=rows)
    first = (await audit_of(gateway, RISK_OWNER, first=2)).data["product"]["audit"]
    assert [e["node"]["rows"] for e in first["edges"]] == [3, 2]
    assert first["pageInfo"]["hasNextPage"] is True
    after = first["pageInfo"]["endCursor"]
    assert first["edges"][-1]["cursor"] == after
    rest = (await audit_of(gateway, RISK_OWNER, first=2, after=after)).data["product"]["audit"]
    assert [e["node"]["action"] for e in rest["edges"]] == ["sql.query", "registry.register"]
    assert rest["pageInfo"]["hasNextPage"] is False
    late = await audit_of(gateway, RISK_OWNER, since="2999-01-01T00:00:00Z")
    assert late.data["product"]["audit"]["edges"] == []
    [error] = (await audit_of(gateway, RISK_OWNER, first=500)).errors
    assert error.extensions["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("principal", "clear"),
    [(RISK_OWNER, True), (ADMIN, True), (ANALYST, False)],
    ids=["owner", "admin", "analyst"],
)
async def test_recent_queries_show_who_and_what_to_the_owner_only(
    gateway: Gateway, principal: Principal, clear: bool
) -> None:
    await gateway.services.federation.run(ASSETS, principal=ANALYST, caller="10.1.1.1", max_rows=5)
    result = await gateway.graph(RECENT, principal, {"key": RISK_KEY})
    assert result.errors is None, result.errors
    [recent] = result.data["product"]["usage"]["recent"]
    assert (recent["outcome"], recent["rows"]) == ("ok", 5)
    expected = ("10.1.1.1", ASSETS) if clear else (None, None)
    assert (recent["caller"], recent["sql"]) == expected


def test_over_http_the_audit_follows_the_callers_token(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    tmp = tmp_path_factory.mktemp("audit-http")
    with start_mesh(tmp, [DEMO / "flood-areas"], data_root=str(ROOT)) as mesh:
        assert mesh.issuer is not None
        variables = {"key": "flood.flood-areas"}
        callers = {
            "analyst": mesh.issuer.headers("ana", ["analyst"]),
            "other-owner": mesh.issuer.headers("olga", ["owner:physical-risk"]),
            "anonymous": {},
            "owner": mesh.issuer.headers("fred", ["owner:flood"]),
        }
        answers = {who: mesh.query(AUDIT, variables, headers=h) for who, h in callers.items()}
    codes = {
        who: [e["extensions"]["code"] for e in a.get("errors", [])] for who, a in answers.items()
    }
    assert codes == {
        "analyst": ["FORBIDDEN"], "other-owner": ["FORBIDDEN"], "anonymous": ["UNAUTHENTICATED"],
        "owner": [],
    }  # fmt: skip
    # The mesh registered the product over REST with an admin's token: audited as such.
    [edge] = answers["owner"]["data"]["product"]["audit"]["edges"]
    assert (edge["node"]["action"], edge["node"]["outcome"]) == ("registry.register", "ok")
    assert edge["node"]["actor"] == {"subject": "admin", "kind": "user", "roles": ["admin"]}
