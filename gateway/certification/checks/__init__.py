"""The mesh's certification checks, keyed by the name a policy's ``check`` gives.

Each family lives in its own module; each check is a small pure function of a product's
:class:`~gateway.certification.evidence.Documents` and the policy's parameters. A check
declares the parameters it takes (name -> default), so a policy file naming an unknown
check or parameter, or a value of the wrong type, is refused at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gateway.certification.checks import columns, contract, product, results
from gateway.certification.evidence import Check


@dataclass(frozen=True)
class CheckSpec:
    """A check and the parameters it accepts, with their defaults (whose type is the
    type a value must have)."""

    run: Check
    parameters: Mapping[str, Any]


CHECKS: Mapping[str, CheckSpec] = {
    "contract.valid": CheckSpec(contract.valid, {}),
    "contract.sla_declared": CheckSpec(
        contract.sla_declared, {"properties": ["latency", "retention"]}
    ),
    "product.owner_and_support": CheckSpec(product.owner_and_support, {}),
    "product.lineage_declared": CheckSpec(product.lineage_declared, {}),
    "product.licence_stated": CheckSpec(product.licence_stated, {}),
    "columns.described": CheckSpec(columns.described, {}),
    "columns.key_definitions": CheckSpec(columns.key_definitions, {}),
    "columns.sensitive_classified": CheckSpec(columns.sensitive_classified, {}),
    "results.passing": CheckSpec(results.passing, {"last": 20, "min_results": 1}),
}
