"""What the audit log keeps: one :class:`AuditEvent` per data access or registry change.

An event says who (the principal, its roles, the client address, the request id), when,
what (the action, the products, tables and columns, the columns seen masked), how much
(rows returned) and how it ended (``ok`` or the stable error code). It is built from what
the gateway already knows at that moment: a query's plan, a registry call's product.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateway.federation.records import QueryRecord
from gateway.identity import Principal

OK = "ok"
"""The outcome of an action that succeeded; any other outcome is an error code."""

SQL_QUERY = "sql.query"
SQL_STREAM = "sql.stream"
SQL_EXPLAIN = "sql.explain"
REGISTRY_REGISTER = "registry.register"
REGISTRY_REFRESH = "registry.refresh"
REGISTRY_UNREGISTER = "registry.unregister"
PRODUCT_CONTROL = "product.control"
ACTIONS = frozenset(
    {
        SQL_QUERY, SQL_STREAM, SQL_EXPLAIN,
        REGISTRY_REGISTER, REGISTRY_REFRESH, REGISTRY_UNREGISTER, PRODUCT_CONTROL,
    }
)  # fmt: skip

DETAIL_LIMIT = 2048
"""Characters of an event's detail (a statement, a URL) kept: enough to recognise it."""


@dataclass(frozen=True)
class Actor:
    """Who acted. ``kind`` is the principal's (``anonymous``, ``user``, ``service``), or
    ``unknown`` when the caller passed no principal (an internal call)."""

    subject: str
    kind: str
    roles: tuple[str, ...] = ()

    @classmethod
    def of(cls, principal: Principal | None) -> Actor:
        """The actor of ``principal``, roles sorted.

        >>> Actor.of(Principal("ana", roles=frozenset({"b", "a"})))
        Actor(subject='ana', kind='user', roles=('a', 'b'))
        """
        if principal is None:
            return cls("unknown", "unknown")
        return cls(principal.subject, principal.kind, tuple(sorted(principal.roles)))


@dataclass(frozen=True)
class AuditProduct:
    """A product an event concerns: its id, and its ``domain.slug`` when known."""

    id: str
    key: str | None = None


@dataclass(frozen=True)
class AuditTable:
    """A table an event read: the declared columns it read and those it saw masked."""

    product_id: str
    table: str  # the logical name ``domain.product.table``
    columns: tuple[str, ...]
    masked: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditEvent:
    """One audited action. ``id`` is given by the store (None before it is recorded)."""

    at: datetime
    action: str
    outcome: str
    actor: Actor
    request_id: str | None = None
    address: str | None = None
    products: tuple[AuditProduct, ...] = ()
    tables: tuple[AuditTable, ...] = ()
    rows: int = 0
    detail: str = ""
    id: int | None = None

    @property
    def product_ids(self) -> tuple[str, ...]:
        """The ids the event is listed under, each once."""
        return tuple(dict.fromkeys(p.id for p in self.products))


def clip(text: str) -> str:
    """``text`` cut to :data:`DETAIL_LIMIT` characters.

    >>> len(clip("x" * 9000)) == DETAIL_LIMIT
    True
    """
    return text[:DETAIL_LIMIT]


def event_of_query(entry: QueryRecord) -> AuditEvent:
    """The event of one SQL query, answered or refused.

    The plan names the products, tables and columns read; a statement refused before it
    was planned has none, unless its error named a product (an access refusal does).
    """
    products: dict[str, AuditProduct] = {}
    tables: dict[str, AuditTable] = {}
    uses = entry.plan.tables if entry.plan is not None else ()
    masked_all = entry.plan.masked if entry.plan is not None else ()
    for use in uses:
        t = use.table
        products.setdefault(t.product_id, AuditProduct(t.product_id, f"{t.domain}.{t.product}"))
        masked = _masked_in(masked_all, t.logical)
        seen = tables.get(t.logical)
        tables[t.logical] = AuditTable(
            product_id=t.product_id,
            table=t.logical,
            columns=_union(seen.columns if seen else (), use.columns),
            masked=_union(seen.masked if seen else (), masked),
        )
    if entry.error_product_id and entry.error_product_id not in products:
        products[entry.error_product_id] = AuditProduct(entry.error_product_id)
    return AuditEvent(
        at=entry.at,
        action=entry.action,
        outcome=entry.outcome,
        actor=Actor.of(entry.principal),
        request_id=entry.request_id,
        address=_address(entry),
        products=tuple(products.values()),
        tables=tuple(tables.values()),
        rows=entry.rows,
        detail=clip(entry.sql),
    )


def _address(entry: QueryRecord) -> str | None:
    # The doors pass the principal's subject as ``caller`` once identity is known; only a
    # caller that says something more (a client address) is kept as the address.
    if entry.principal is not None and entry.caller == entry.principal.subject:
        return None
    return entry.caller


def _masked_in(masked: tuple[str, ...], table: str) -> tuple[str, ...]:
    """The columns of ``table`` among the plan's masked ``domain.product.table.column``.

    >>> _masked_in(("a.b.t.x", "a.b.u.y", "a.b.t.z"), "a.b.t")
    ('x', 'z')
    """
    return tuple(m[len(table) + 1 :] for m in masked if m.startswith(f"{table}."))


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *second)))
