"""A product's audit log in the graph: who read its data or changed its registration.

Only the product's owner (``owner:<domain>``) or an admin may read it
(:func:`resolvers.access.owner_of`): a signed-in caller without the role gets
``FORBIDDEN``, an anonymous one ``UNAUTHENTICATED``. Events are listed newest first,
paged with opaque cursors.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from gateway.audit import MAX_PAGE, AuditEvent, AuditLog, encode_cursor
from gateway.registry import RegisteredProduct
from resolvers.access import owner_of


@strawberry.type(description="Who acted.")
class AuditActor:
    subject: str = strawberry.field(description="The token's subject or the API key's name.")
    kind: str = strawberry.field(
        description="`anonymous`, `user`, `service`, or `unknown` (an internal call)."
    )
    roles: list[str] = strawberry.field(description="The roles held at the time.")


@strawberry.type(description="A product an event concerns.")
class AuditProductRef:
    id: str
    key: str | None = strawberry.field(description="`domain.slug`, when known.")


@strawberry.type(description="A table an event read, with the declared columns it read.")
class AuditTableRead:
    product_id: str
    table: str = strawberry.field(description="The logical name `domain.product.table`.")
    columns: list[str]
    masked_columns: list[str] = strawberry.field(description="Columns the caller saw masked.")


@strawberry.type(description="One audited action: a data access or a registry change.")
class AuditEntry:
    id: strawberry.ID
    at: datetime
    action: str = strawberry.field(
        description="`sql.query`, `sql.stream`, `sql.explain`, `registry.register`, "
        "`registry.refresh` or `registry.unregister`."
    )
    outcome: str = strawberry.field(description="`ok`, or the error code it ended with.")
    actor: AuditActor
    request_id: str | None
    address: str | None = strawberry.field(description="The client's address, if known.")
    products: list[AuditProductRef]
    tables: list[AuditTableRead]
    rows: int = strawberry.field(description="Rows returned.")
    detail: str = strawberry.field(
        description="The SQL statement, or the URL or id a change named (clipped)."
    )


@strawberry.type
class AuditEdge:
    cursor: str
    node: AuditEntry


@strawberry.type
class AuditPageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="A page of a product's audit events, newest first.")
class AuditConnection:
    edges: list[AuditEdge]
    page_info: AuditPageInfo


async def product_audit(
    info: Info,
    product: RegisteredProduct,
    since: datetime | None,
    first: int,
    after: str | None,
) -> AuditConnection:
    """The page of ``product``'s events, for its owner or an admin only."""
    owner_of(info, product.domain, what=f"the audit log of {product.key}", product_id=product.id)
    audit: AuditLog = info.context.services.audit
    page = await audit.for_product(product.id, since=since, first=first, after=after)
    edges = [AuditEdge(cursor=encode_cursor(e), node=_entry(e)) for e in page.events]
    return AuditConnection(
        edges=edges,
        page_info=AuditPageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
    )


AUDIT_DESCRIPTION = (
    "Who read this product's data or changed its registration, newest first "
    f"(first: 1 to {MAX_PAGE}; since: start of the window). Only for the product's owner "
    "or an admin (others: FORBIDDEN; anonymous: UNAUTHENTICATED)."
)


def _entry(e: AuditEvent) -> AuditEntry:
    return AuditEntry(
        id=strawberry.ID(str(e.id)),
        at=e.at,
        action=e.action,
        outcome=e.outcome,
        actor=AuditActor(subject=e.actor.subject, kind=e.actor.kind, roles=list(e.actor.roles)),
        request_id=e.request_id,
        address=e.address,
        products=[AuditProductRef(id=p.id, key=p.key) for p in e.products],
        tables=[
            AuditTableRead(
                product_id=t.product_id,
                table=t.table,
                columns=list(t.columns),
                masked_columns=list(t.masked),
            )
            for t in e.tables
        ],
        rows=e.rows,
        detail=e.detail,
    )
