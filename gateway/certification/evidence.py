"""What a certification check looks at: a product's documents as the gateway fetched them.

Checks never see the product's own verdict (its ``/certify`` answer): only the descriptor,
its output contracts and its observability results, each fetched by the gateway and
parsed here. A document that could not be fetched or parsed is kept as a *problem* (a
short text without URLs or hosts), so the checks that need it fail naming what is
missing rather than the whole evaluation failing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts import ProductDescriptor


@dataclass(frozen=True)
class ContractEvidence:
    """One output port's contract: its parsed document, or why there is none."""

    id: str
    version: str
    raw: Mapping[str, Any] | None = None
    problem: str | None = None

    @property
    def label(self) -> str:
        return f"{self.id} {self.version}"


@dataclass(frozen=True)
class Column:
    """One property of one schema object of a contract, as written."""

    contract: str
    table: str
    name: str
    raw: Mapping[str, Any]

    @property
    def label(self) -> str:
        return f"{self.table}.{self.name}"


@dataclass(frozen=True)
class Documents:
    """Everything the mesh's checks may look at for one product."""

    product_id: str
    descriptor: ProductDescriptor | None
    descriptor_problem: str | None = None
    contracts: tuple[ContractEvidence, ...] = ()
    results: tuple[Mapping[str, Any], ...] = ()
    results_problem: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def readable_contracts(self) -> Iterator[ContractEvidence]:
        """The contracts that were fetched and parsed."""
        return (c for c in self.contracts if c.raw is not None)

    def columns(self) -> Iterator[Column]:
        """Every column of every readable contract, in document order."""
        for contract in self.readable_contracts():
            assert contract.raw is not None
            for obj in _mappings(contract.raw.get("schema")):
                table = str(obj.get("name") or "?")
                for prop in _mappings(obj.get("properties")):
                    yield Column(contract.label, table, str(prop.get("name") or "?"), prop)


@dataclass(frozen=True)
class Outcome:
    """A check's verdict and the evidence for it (what was found or what is missing)."""

    passed: bool
    evidence: str


Check = Callable[[Documents, Mapping[str, Any]], Outcome]


def _mappings(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, list):
        yield from (v for v in value if isinstance(v, Mapping))


def few(items: Iterable[str], limit: int = 5) -> str:
    """At most ``limit`` of ``items``, then how many more: evidence stays short however
    large the product.

    >>> few(["a", "b", "c"], limit=2)
    'a, b and 1 more'
    """
    shown: list[str] = []
    more = 0
    for item in items:
        if len(shown) < limit:
            shown.append(item)
        else:
            more += 1
    return ", ".join(shown) + (f" and {more} more" if more else "")


def no_contract(docs: Documents) -> Outcome | None:
    """The failing outcome of a contract check when there is no readable contract."""
    if docs.descriptor is None:
        return Outcome(False, f"no valid descriptor: {docs.descriptor_problem or 'unreadable'}")
    if not any(True for _ in docs.readable_contracts()):
        return Outcome(False, "no readable output contract")
    return None
