"""ODPS products as a hostile product writes them: links aimed at the gateway's own
network, and lists long enough to blow up an answer.

Every URL in a product's document is data: the graph shows it and never requests it (a
local server counts the requests it gets). A product's lists are bounded: a document lists at
most ``MAX_ITEMS`` of anything (``contracts.odps_limits``), ports are pages of at most
``max_page_size``, the other lists are cut there with a ``LIST_TRUNCATED`` note,
and the cost limit refuses an operation that would read a page of ports of a page of
products.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from contracts.odps_limits import MAX_ITEMS
from tests.fixtures.uvicorn import running
from tests.graph.conftest import Mesh, start_mesh
from tests.graph.test_odps_products import PRODUCT_FIELDS, first_product, write_folder

PRODUCT_ID = "5f0c9a51-7d3e-4b8a-9c2f-1e6d4a7b0c33"


class Counter:
    """A local server that counts every request it gets (it should get none)."""

    def __init__(self) -> None:
        self.hits: list[str] = []

    def app(self) -> Starlette:
        async def any_path(request: Request) -> PlainTextResponse:
            self.hits.append(request.url.path)
            return PlainTextResponse("{}")

        methods = ["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS"]
        return Starlette(routes=[Route("/{path:path}", any_path, methods=methods)])


@pytest.fixture
def counter() -> Iterator[tuple[Counter, str]]:
    found = Counter()
    with running(found.app()) as base:
        yield found, base


def hostile_links(base: str) -> dict[str, Any]:
    """An ODPS v1.0.0 product whose every link points at ``base`` or at a local file."""
    return {
        "apiVersion": "v1.0.0",
        "kind": "DataProduct",
        "id": PRODUCT_ID,
        "name": "Links everywhere",
        "domain": "hostile",
        "status": "active",
        "description": {
            "purpose": f"see {base}/purpose",
            "authoritativeDefinitions": [{"type": "businessDefinition", "url": f"{base}/def"}],
        },
        "authoritativeDefinitions": [
            {"type": "businessDefinition", "url": f"{base}/top"},
            {"type": "tutorial", "url": "file:///etc/passwd"},
        ],
        "customProperties": [{"property": "callback", "value": {"url": f"{base}/prop"}}],
        "outputPorts": [
            {
                "name": "out",
                "version": "1.0.0",
                "sbom": [{"type": "external", "url": f"{base}/sbom"}],
                "authoritativeDefinitions": [{"type": "x", "url": "file:///etc/shadow"}],
            }
        ],
        "managementPorts": [
            {"name": "m", "content": "observability", "type": "rest", "url": f"{base}/manage"}
        ],
        "support": [
            {
                "channel": "help",
                "url": f"{base}/support",
                "invitationUrl": f"{base}/invite",
                "tool": "slack",
            },
            {"channel": "files", "url": "file:///etc/passwd"},
        ],
        "team": {
            "name": "team",
            "description": f"{base}/team",
            "members": [
                {"username": f"{base}/user", "name": "Mallory", "role": "owner"},
            ],
        },
    }


def test_links_in_a_product_are_shown_as_data_and_never_requested(
    tmp_path: Path, counter: tuple[Counter, str]
) -> None:
    hits, base = counter
    doc = hostile_links(base)
    with start_mesh(tmp_path / "mesh", [write_folder(tmp_path, json.dumps(doc))]) as mesh:
        node = first_product(mesh, PRODUCT_FIELDS + " definition")
    assert node["support"][0]["url"] == f"{base}/support"
    assert node["support"][0]["invitationUrl"] == f"{base}/invite"
    assert node["support"][1]["url"] == "file:///etc/passwd"
    assert [d["url"] for d in node["authoritativeDefinitions"]] == [
        f"{base}/top",
        "file:///etc/passwd",
    ]
    [port] = node["outputPorts"]["nodes"]
    assert port["sbom"] == [{"type": "external", "url": f"{base}/sbom"}]
    assert port["contract"] is None  # no contractId: nothing to read
    assert node["team"]["members"][0]["username"] == f"{base}/user"
    assert node["customProperties"] == [
        {"property": "callback", "value": {"url": f"{base}/prop"}, "description": None}
    ]
    assert node["definition"]["managementPorts"][0]["url"] == f"{base}/manage"
    assert hits.hits == []  # not one request reached the local server


# -- long lists ---------------------------------------------------------------------------

PORTS = MAX_ITEMS  # the longest list a product document may hold (contracts.odps_limits)
PROPERTIES = MAX_ITEMS
CHANNELS = 300


def huge() -> dict[str, Any]:
    """An ODPS v1.0.0 product whose lists are as long as a document may have them."""
    return {
        "apiVersion": "v1.0.0",
        "kind": "DataProduct",
        "id": PRODUCT_ID,
        "name": "Long lists",
        "domain": "hostile",
        "status": "active",
        "outputPorts": [{"name": f"p{i:05d}", "version": "1.0.0"} for i in range(PORTS)],
        "customProperties": [{"property": f"k{i}", "value": i} for i in range(PROPERTIES)],
        "support": [{"channel": f"c{i}", "url": f"mailto:c{i}@x.example"} for i in range(CHANNELS)],
    }


@pytest.fixture(scope="module")
def long_lists(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    root = tmp_path_factory.mktemp("huge")
    with start_mesh(root / "mesh", [write_folder(root, json.dumps(huge()))]) as mesh:
        yield mesh


def _ports(mesh: Mesh, args: str) -> dict[str, Any]:
    args = f"({args})" if args else ""
    return mesh.query(
        f"{{ products(first: 1) {{ edges {{ node {{ outputPorts{args} {{ totalCount "
        "pageInfo { hasNextPage hasPreviousPage endCursor } nodes { name } } } } } }"
    )


def test_a_huge_ports_list_is_paged(long_lists: Mesh) -> None:
    names = [p["name"] for p in huge()["outputPorts"]]
    body = _ports(long_lists, "first: 100")
    page = body["data"]["products"]["edges"][0]["node"]["outputPorts"]
    assert page["totalCount"] == PORTS
    assert [n["name"] for n in page["nodes"]] == names[:100]
    assert page["pageInfo"]["hasNextPage"] is True
    after = page["pageInfo"]["endCursor"]
    body = _ports(long_lists, f'first: 100, after: "{after}"')
    page = body["data"]["products"]["edges"][0]["node"]["outputPorts"]
    assert [n["name"] for n in page["nodes"]] == names[100:200]
    assert page["pageInfo"]["hasPreviousPage"] is True
    # The default page is 20 ports.
    body = _ports(long_lists, "")
    assert len(body["data"]["products"]["edges"][0]["node"]["outputPorts"]["nodes"]) == 20


def test_a_page_of_ports_past_max_page_size_is_refused(long_lists: Mesh) -> None:
    body = _ports(long_lists, "first: 101")
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "first: expected 0 to 100" in error["message"]


def test_other_long_lists_are_cut_with_a_note(long_lists: Mesh) -> None:
    body = long_lists.query(
        "{ products(first: 1) { edges { node { customProperties { property value } "
        "support { channel } } } } }"
    )
    node = body["data"]["products"]["edges"][0]["node"]
    doc = huge()
    assert node["customProperties"] == [
        {"property": p["property"], "value": p["value"]} for p in doc["customProperties"][:100]
    ]
    assert [s["channel"] for s in node["support"]] == [s["channel"] for s in doc["support"]][:100]
    notes = {(n["code"], n["message"].split(":")[0]) for n in body["extensions"]["warnings"]}
    assert ("LIST_TRUNCATED", "customProperties") in notes
    assert ("LIST_TRUNCATED", "support") in notes


def test_ports_of_every_product_cost_more_than_the_limit(long_lists: Mesh) -> None:
    body = long_lists.query(
        "{ products(first: 100) { edges { node { outputPorts(first: 100) { nodes { "
        "name contract { id } } } } } } }"
    )
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"


def test_parsed_copies_are_kept_within_a_weight(monkeypatch: pytest.MonkeyPatch) -> None:
    from collections import OrderedDict

    from contracts import parse_descriptor
    from resolvers import odps

    monkeypatch.setattr(odps, "_PARSED", OrderedDict())
    monkeypatch.setattr(odps, "_weight", 0)
    monkeypatch.setattr(odps, "_MAX_WEIGHT", 10_000)
    ordinary = parse_descriptor({**huge(), "outputPorts": [], "customProperties": []})
    heavy = parse_descriptor(huge())  # 2,301 items: kept (under a quarter of 10,000)
    heavier = parse_descriptor({**huge(), "support": [
        {"channel": f"c{i}", "url": f"mailto:c{i}@x.example"} for i in range(MAX_ITEMS)
    ]})  # fmt: skip
    odps._keep(("heavier", 0.0), heavier)
    assert ("heavier", 0.0) not in odps._PARSED  # over a quarter: parsed per request instead
    for n in range(6):
        odps._keep((f"heavy{n}", 0.0), heavy)
    odps._keep(("ordinary", 0.0), ordinary)
    assert odps._weight <= odps._MAX_WEIGHT
    assert [k for k, _ in odps._PARSED] == ["heavy2", "heavy3", "heavy4", "heavy5", "ordinary"]
