"""A simulated mesh: one Starlette app serving N product gateways under ``/p/<n>``.

Benchmarks of the registry need thousands of products, and thousands of product kits
(each with its stores, probes and timers) do not fit on one machine. This app serves
what the registry reads of a product gateway, as the real kit answers it:

    /p/<n>/discover/metadata                       the kit's metadata answer
    /p/<n>/discover/contracts/<id>/<version>       each output contract
    /p/<n>/observe/health                          a health answer

Copy ``n`` is demo product ``n % 9`` (in ``demo/products`` order) of *group* ``n // 9``:
each group is a whole replica of the demo mesh, so inputs still name the contracts of
their group's upstream products (lineage holds). Per copy, product and contract ids are
fresh UUIDs (derived from the template's id and the group), the slug ends with
``-<group>``, the domain with ``-<group % DOMAIN_VARIANTS>``, and the name, description
and tags gain a region word, so that search terms have every selectivity from one
product to all of them. Templates are captured once, at start, from the real product
kit (:func:`capture_templates`) through an in-process ASGI client.

    app = create_sim_app(capture_templates(), count=10_000)
    # register f"{base}/p/{n}" for n in range(10_000)
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo" / "products"
DOMAIN_VARIANTS = 100
# Placeholder base URL of the captured answers; replaced by each copy's own base.
_TEMPLATE_BASE = "http://template.invalid"
REGIONS = (
    "alpine", "baltic", "caspian", "danube", "everglades", "fjord", "gobi", "highland",
    "iberian", "jutland", "kalahari", "lapland", "mekong", "nordic", "orinoco", "pampas",
    "quebec", "rhine", "sahel", "tundra", "ural", "volga", "wessex", "yukon", "zambezi",
)  # fmt: skip
_NS = uuid.UUID("6d657368-6761-7465-2d73-696d2d6d6573")


@dataclass(frozen=True)
class Template:
    """One demo product as its kit answers: metadata, contracts by (id, version), health."""

    metadata: Mapping[str, Any]
    contracts: Mapping[tuple[str, str], Mapping[str, Any]]
    health: Mapping[str, Any]


def capture_templates(dirs: Sequence[Path] | None = None) -> list[Template]:
    """The answers of the demo products' kits (``demo/products/*``), captured in process.

    Needs the demo data (``make demo-data``), as the kits do."""
    return asyncio.run(_capture(sorted(dirs or [p.parent for p in DEMO.glob("*/product.yaml")])))


async def _capture(dirs: list[Path]) -> list[Template]:
    from productkit.http.app import create_product_app

    templates = []
    for folder in dirs:
        app = create_product_app(folder, token="t", env={})
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=_TEMPLATE_BASE) as c:
                metadata = (await c.get("/discover/metadata")).raise_for_status().json()
                contracts = {}
                for link in metadata.get("contracts") or []:
                    answer = (await c.get(link["href"])).raise_for_status().json()
                    contracts[(str(link["id"]), str(link["version"]))] = answer
                health = (await c.get("/observe/health")).json()
        templates.append(Template(metadata, contracts, health))
    return templates


def copy_id(template_id: str, group: int) -> str:
    """The id that ``template_id`` (a product or contract id) has in ``group``."""
    return template_id if group == 0 else str(uuid.uuid5(_NS, f"{template_id}:{group}"))


class SimMesh:
    """The copies' answers, built on demand from the templates (a few KB of JSON each)."""

    def __init__(self, templates: Sequence[Template], count: int) -> None:
        self.templates = list(templates)
        self.count = count
        # Every contract id of every template, to rename in a copy's documents.
        self._ids = sorted(
            {str(t.metadata["id"]) for t in templates}
            | {cid for t in templates for cid, _ in t.contracts}
            | {str(ref["contractId"]) for t in templates for ref in _inputs(t.metadata)}
        )
        self._texts = [json.dumps(t.metadata) for t in templates]

    def template_of(self, n: int) -> tuple[Template, int]:
        """The template of copy ``n`` and its group."""
        return self.templates[n % len(self.templates)], n // len(self.templates)

    def _rename(self, text: str, group: int, base: str) -> Any:
        for old in self._ids:
            if old in text:
                text = text.replace(old, copy_id(old, group))
        return json.loads(text.replace(_TEMPLATE_BASE, base))

    def metadata(self, n: int, base: str) -> dict[str, Any]:
        """Copy ``n``'s metadata answer as served under ``base`` (its ``/p/<n>`` URL)."""
        template, group = self.template_of(n)
        answer: dict[str, Any] = self._rename(self._texts[n % len(self.templates)], group, base)
        region = REGIONS[group % len(REGIONS)]
        descriptor = answer["descriptor"]
        slug = f"{answer['slug']}-{group}"
        domain = f"{answer['domain']}-{group % DOMAIN_VARIANTS}"
        name = f"{answer['name']} {region.title()} {group}"
        description = f"{answer['description']} Copy {group}, {region} region."
        for where in (answer, descriptor):
            where["name"], where["domain"] = name, domain
        answer["slug"], answer["description"] = slug, description
        answer["tags"] = [*answer["tags"], region]
        descriptor["tags"] = list(answer["tags"])
        descriptor["description"]["purpose"] = description
        for prop in descriptor.get("customProperties") or []:
            if prop.get("property") == "slug":
                prop["value"] = slug
        return answer

    def contract(self, n: int, contract_id: str, version: str) -> dict[str, Any] | None:
        """Copy ``n``'s contract ``contract_id`` at ``version``, or None."""
        template, group = self.template_of(n)
        for (cid, cversion), document in template.contracts.items():
            if copy_id(cid, group) == contract_id and cversion == version:
                found: dict[str, Any] = self._rename(json.dumps(document), group, "")
                found["name"] = f"{document.get('name', '')} {group}"
                return found
        return None


def stored_rows(mesh: SimMesh, n: int, base: str, now: datetime) -> tuple[Any, list[Any]]:
    """Copy ``n`` as registration stores it (its summary and search places), without the
    HTTP round trips and checks: for filling a registry of thousands with the store."""
    from contracts import parse_descriptor
    from gateway.registry.search_index import places_of
    from gateway.registry.summary import contract_links, summarise
    from gateway.registry.urls import normalise_product_url

    answer = mesh.metadata(n, f"{base}/p/{n}")
    parsed = parse_descriptor(answer["descriptor"], source="descriptor")
    urls = normalise_product_url(answer["links"]["self"])
    links = contract_links(answer, parsed, urls.metadata)
    product = summarise(answer, parsed, urls, links, now)
    documents = [mesh.contract(n, link.id, link.version) for link in links]
    return product, places_of(product, [d for d in documents if d])


def _inputs(metadata: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [ref for v in metadata.get("versions") or [] for ref in v.get("in") or []]


def create_sim_app(templates: Sequence[Template], count: int) -> Starlette:
    """The app serving ``count`` copies of ``templates`` under ``/p/<n>``."""
    mesh = SimMesh(templates, count)

    def number(request: Request) -> int | None:
        n: int = request.path_params["n"]
        return n if 0 <= n < count else None

    def base_of(request: Request, n: int) -> str:
        return f"{str(request.base_url).rstrip('/')}/p/{n}"

    async def metadata(request: Request) -> Response:
        n = number(request)
        if n is None:
            return JSONResponse({"error": "no such product"}, status_code=404)
        return JSONResponse(mesh.metadata(n, base_of(request, n)))

    async def contract(request: Request) -> Response:
        n = number(request)
        p = request.path_params
        found = None if n is None else mesh.contract(n, p["cid"], p["version"])
        if found is None:
            return JSONResponse({"error": "no such contract"}, status_code=404)
        return JSONResponse(found)

    async def health(request: Request) -> Response:
        n = number(request)
        if n is None:
            return JSONResponse({"error": "no such product"}, status_code=404)
        return JSONResponse(dict(mesh.template_of(n)[0].health))

    return Starlette(
        routes=[
            Route("/p/{n:int}/discover/metadata", metadata),
            Route("/p/{n:int}/discover/contracts/{cid}/{version}", contract),
            Route("/p/{n:int}/observe/health", health),
        ]
    )


def main() -> int:
    """``python bench/sim_mesh.py --count N [--port P]``: serve N copies on 127.0.0.1 and
    print ``ready http://127.0.0.1:<port>`` once listening."""
    import argparse
    import socket
    import sys

    import uvicorn

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    app = create_sim_app(capture_templates(), args.count)
    sock = socket.socket()
    # A fixed --port is reused by runs over a registry filled earlier: one just ended
    # leaves its connections in TIME_WAIT on it.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    print(f"ready http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    import sys as _sys

    _sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
