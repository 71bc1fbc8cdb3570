"""Fetch a product's documents for certification through the gateway's upstream fetcher.

Every URL comes from the registry (the product's metadata URL) or from the product's own
answers (its contract and report links), so each is followed only under the product's
registered base URL. Documents are parsed and validated by ``contracts``, off the event
loop: a product with thousands of columns costs a worker thread, not the gateway's loop.
A failure is kept as a short problem text (its error code, never a URL or a host); so is
a stale copy of a product that no longer answers (the mesh certifies what is served now).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin

from contracts import DocumentInvalid, parse_descriptor
from contracts._issues import errors_of
from contracts.odcs import contract_schema_issues
from gateway.certification.evidence import ContractEvidence, Documents
from gateway.certification.model import PRODUCT, PolicyResult, clip
from gateway.errors import GatewayError, UpstreamUnavailable
from gateway.registry import RegisteredProduct
from gateway.upstream import UpstreamFetcher, require_under_base

MAX_CLAIMS = 100
"""Policies of a product's own report shown at most."""


async def _get(fetcher: UpstreamFetcher, product: RegisteredProduct, url: str, what: str) -> Any:
    url = urljoin(product.url, url)
    require_under_base(url, product.base_url, what=what, product_id=product.id)
    fetched = await fetcher.get_json(url, product_id=product.id)
    if fetched.stale:
        # A copy kept from before the product stopped answering: the mesh certifies what
        # a product serves now, not what it once served.
        raise UpstreamUnavailable(f"the product does not answer for its {what}")
    return fetched.data


def _problem(exc: GatewayError) -> str:
    return f"{exc.code}"


async def gather(fetcher: UpstreamFetcher, product: RegisteredProduct) -> Documents:
    """The documents the mesh's checks look at; what could not be read is a problem."""
    try:
        meta = await _get(fetcher, product, product.url, "metadata")
    except GatewayError as exc:
        return Documents(product.id, None, f"metadata unavailable ({_problem(exc)})")
    if not isinstance(meta, dict) or not isinstance(meta.get("descriptor"), dict):
        return Documents(product.id, None, "the metadata carries no descriptor")
    try:
        descriptor = await asyncio.to_thread(parse_descriptor, meta["descriptor"], "descriptor")
    except DocumentInvalid as exc:
        first = exc.issues[0] if exc.issues else None
        where = f" at {first.path}: {first.message}" if first is not None else ""
        return Documents(product.id, None, clip(f"the descriptor is invalid{where}"))
    links = _links(meta)
    contracts = []
    for port in descriptor.output_ports:
        if port.contract_id is None:  # a port without a contract: nothing to check here
            contracts.append(ContractEvidence(port.name, port.version, problem="no contract id"))
            continue
        contracts.append(await _contract(fetcher, product, port.contract_id, port.version, links))
    results, problem = await _results(fetcher, product, meta)
    return Documents(product.id, descriptor, None, tuple(contracts), results, problem)


def _links(meta: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for link in meta.get("contracts") or []:
        if isinstance(link, dict) and isinstance(link.get("href"), str):
            found[(str(link.get("id")), str(link.get("version")))] = link["href"]
    return found


async def _contract(
    fetcher: UpstreamFetcher,
    product: RegisteredProduct,
    cid: str,
    version: str,
    links: Mapping[tuple[str, str], str],
) -> ContractEvidence:
    href = links.get((cid, version))
    if href is None:
        return ContractEvidence(cid, version, problem="not served by the product")
    try:
        doc = await _get(fetcher, product, href, f"contract {cid}")
    except GatewayError as exc:
        return ContractEvidence(cid, version, problem=f"unavailable ({_problem(exc)})")
    if not isinstance(doc, dict) or doc.get("id") != cid or doc.get("version") != version:
        return ContractEvidence(cid, version, problem="the link does not serve this contract")
    issues = await asyncio.to_thread(contract_schema_issues, doc, "contract")
    errors = errors_of(issues)
    if errors:
        return ContractEvidence(
            cid, version, problem=clip(f"invalid at {errors[0].path}: {errors[0].message}")
        )
    return ContractEvidence(cid, version, raw=doc)


async def _results(
    fetcher: UpstreamFetcher, product: RegisteredProduct, meta: Mapping[str, Any]
) -> tuple[tuple[Mapping[str, Any], ...], str | None]:
    url = _link(meta, "results") or product.base_url.rstrip("/") + "/observe/results"
    try:
        answer = await _get(fetcher, product, url, "results")
    except GatewayError as exc:
        return (), f"results unavailable ({_problem(exc)})"
    items = answer.get("results") if isinstance(answer, dict) else None
    if not isinstance(items, list):
        return (), "the results answer carries no list of results"
    return tuple(r for r in items if isinstance(r, dict)), None


def _link(meta: Mapping[str, Any], name: str) -> str | None:
    links = meta.get("links")
    url = links.get(name) if isinstance(links, dict) else None
    return url if isinstance(url, str) and url else None


async def product_claims(
    fetcher: UpstreamFetcher, product: RegisteredProduct
) -> tuple[str | None, tuple[PolicyResult, ...]]:
    """The product's own ``/certify/report``: its status and each policy it claims, marked
    PRODUCT. Shown beside the mesh's verdict, never counted in it; ``(None, ())`` when the
    product gives none."""
    url = product.base_url.rstrip("/") + "/certify/report"
    try:
        answer = await _get(fetcher, product, url, "certification report")
    except GatewayError:
        return None, ()
    if not isinstance(answer, dict):
        return None, ()
    status = answer.get("status")
    claims: list[PolicyResult] = []
    items = answer.get("policies")
    for item in (items if isinstance(items, list) else [])[:MAX_CLAIMS]:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            claims.append(
                PolicyResult(
                    policy=clip(item["id"]),
                    description=clip(str(item.get("name") or "")),
                    passed=item.get("certified") is True,
                    evidence=clip(str(item.get("evidence") or "")),
                    source=PRODUCT,
                )
            )
    return (clip(status) if isinstance(status, str) else None), tuple(claims)
