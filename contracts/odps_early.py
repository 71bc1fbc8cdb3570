"""Convert meshgate's early descriptor (``versions[].in/out``) to an ODPS v1.0.0 document.

The early form predates Bitol's ODPS v1.0.0 and stays accepted, converted on read (with a
``deprecated_descriptor_form`` warning), so that everything downstream sees one model.
Nothing the early form says is lost; what ODPS has no field for goes to custom properties
(:data:`SLUG`, :data:`ALIGNMENT`, :data:`LICENSE`, :data:`PRODUCT_VERSIONS`), which
``contracts.odps`` reads back, in native v1.0.0 products as well:

* ``description`` (text) becomes ``description.purpose``;
* ``owner {name, email}`` becomes a team member ``{username: email (else name), name,
  role: owner}``;
* a missing ``status`` becomes ``active`` (v1.0.0 requires one; an early product without
  one was served and listed as usable);
* several versions: one port per distinct (contract, contract version) of each direction,
  named after its contract id, with the custom property ``productVersions`` listing the
  early versions that carry it; the top-level ``productVersions`` keeps the versions'
  order, and ``version`` is the last one listed (the early form's current version).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts._issues import WARNING, DocumentIssue

#: The ``apiVersion`` an early descriptor is converted to.
NATIVE_VERSION = "v1.0.0"
#: Custom properties meshgate reads (ODPS has no field for them).
SLUG = "slug"
ALIGNMENT = "alignment"
LICENSE = "license"
PRODUCT_VERSIONS = "productVersions"
#: The role of the team member an early ``owner`` becomes (and that is read as owner).
OWNER_ROLE = "owner"

#: Stable code of the warning every early descriptor gets.
DEPRECATED_FORM = "deprecated_descriptor_form"


def deprecation_warning(source: str) -> DocumentIssue:
    """The warning of a product written in the early form: how to move to ODPS v1.0.0."""
    return DocumentIssue(
        source,
        "versions",
        "the early descriptor form (versions[].in/out) is deprecated: write product.yaml in "
        "ODPS v1.0.0 (apiVersion: v1.0.0, inputPorts/outputPorts with contractId, team, "
        "support; see docs/product-owner.md); it is read here converted to ODPS v1.0.0",
        "ODPS v1.0.0",
        severity=WARNING,
        code=DEPRECATED_FORM,
    )


def _prop(name: str, value: Any) -> dict[str, Any]:
    return {"property": name, "value": value}


def _ports(raw: Mapping[str, Any], direction: str) -> list[dict[str, Any]]:
    """One port per distinct contract version of ``direction``, with the versions carrying it."""
    carried: dict[tuple[str, str], list[str]] = {}
    for version in raw["versions"]:
        for ref in version[direction]:
            carried.setdefault((ref["contractId"], ref["version"]), []).append(version["version"])
    ports = []
    for (contract_id, contract_version), versions in carried.items():
        port: dict[str, Any] = {
            "name": contract_id,
            "version": contract_version,
            "contractId": contract_id,
        }
        if direction == "out":
            port["type"] = "tables"
        port["customProperties"] = [_prop(PRODUCT_VERSIONS, versions)]
        ports.append(port)
    return ports


def to_native(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The ODPS v1.0.0 document of a valid early descriptor ``raw``."""
    versions = [v["version"] for v in raw["versions"]]
    doc: dict[str, Any] = {
        "apiVersion": NATIVE_VERSION,
        "kind": "DataProduct",
        "id": raw["id"],
        "name": raw["name"],
        "version": versions[-1],
        "status": raw.get("status") or "active",
        "domain": raw["domain"],
    }
    if "description" in raw:
        doc["description"] = {"purpose": raw["description"]}
    if raw.get("tags"):
        doc["tags"] = list(raw["tags"])
    props = [_prop(PRODUCT_VERSIONS, versions)]
    for key in (SLUG, ALIGNMENT, LICENSE):
        if key in raw:
            props.append(_prop(key, raw[key]))
    doc["customProperties"] = props
    inputs = _ports(raw, "in")
    if inputs:
        doc["inputPorts"] = inputs
    doc["outputPorts"] = _ports(raw, "out")
    owner = raw.get("owner")
    if isinstance(owner, Mapping):
        member = {"username": owner.get("email") or owner["name"], "name": owner["name"]}
        member["role"] = OWNER_ROLE
        doc["team"] = {"members": [member]}
    return doc
