"""Which answers may be kept whole (``gateway.result_cache``), and for how long.

A field may be kept only if it is declared here (``KEPT``): what it answers must come
from the registry (whose changes move the cache's epoch), from product documents read
through the request's loaders (each recorded with its fetch time: the answer expires
with the oldest), or from the health monitor's verdicts (whose changes of status move the
epoch). Everything else is read per request from a store or computed for the caller
(SQL, usage, audit, feedback, webhooks, lineage, certification, search) and makes the
whole answer one that is not kept. A field added to the schema is not kept until it is
declared here.

Only queries are kept, never mutations or subscriptions, and only answers without errors,
warnings or other extensions: an error names this request (its ``requestId``) and may be
passing (a product down for a moment), a warning says a copy was stale. Such answers are
built anew for every request.
"""

from __future__ import annotations

from collections.abc import Mapping

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.utilities import get_operation_ast

from gateway.identity import Principal
from gateway.result_cache import Caller

REFRESH_MAX_AGE = 0.5
"""A background refresh of a kept answer fetches again every document it reads that is
older than this share of the documents' TTL. An answer expires with the oldest document
it read, and documents read at different moments expire at different moments: a refresh
that took the younger ones as they were would keep its answer only for what is left of
their time, a moment, then refresh again, and callers arriving between two such answers
built theirs inline (a chain of refreshes and builds at every expiry, 3 Dec 2026,
docs/benchmarks.md). At half the TTL, the refreshed answer is fresh for at least half
of it, and no document is fetched more than twice per TTL by refreshes."""

_SUMMARY = {"id", "key", "name", "domain", "slug", "description", "owner", "contact", "tags",
            "status", "registeredAt", "updatedAt"}  # fmt: skip
_METADATA = {"definition", "state", "source", "fetchedAt", "stale"}

KEPT: Mapping[str, frozenset[str]] = {
    # The registry.
    "Query": frozenset({"products", "product", "domains"}),
    "ProductConnection": frozenset({"totalCount", "edges", "pageInfo"}),
    "ProductEdge": frozenset({"cursor", "node"}),
    "PageInfo": frozenset({"hasNextPage", "hasPreviousPage", "startCursor", "endCursor"}),
    "Domain": frozenset({"name", "productCount"}),
    "Owner": frozenset({"name", "email"}),
    # The registry's summary, the product's metadata document and its health verdict.
    "Product": frozenset(_SUMMARY | _METADATA | {"health"}),
    "ProductHealth": frozenset(
        {
            "status",
            "reasons",
            "checkedAt",
            "reportedStatus",
            "state",
            "checks",
            "tables",
            "source",
            "fetchedAt",
            "stale",
        }
    ),  # fmt: skip
    "HealthReason": frozenset(
        {
            "code",
            "status",
            "message",
            "contract",
            "rule",
            "property",
            "observed",
            "promised",
            "since",
        }
    ),  # fmt: skip
}
"""Fields whose answers may be kept, by type (``__typename`` everywhere)."""


def caller_of(principal: Principal) -> Caller:
    """What decides what a caller may see: one key per identity and set of roles."""
    roles = tuple(sorted(principal.roles))
    return (principal.kind, principal.issuer or "", principal.subject, roles)


def may_keep(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None) -> bool:
    """Whether the operation that ran is a query selecting only kept fields.

    >>> from graphql import parse
    >>> from schema.build import build_schema
    >>> schema = build_schema()._schema
    >>> may_keep(schema, parse("{ products { edges { node { name health { status } } } } }"), None)
    True
    >>> may_keep(schema, parse("{ products { edges { node { name usage { queries } } } } }"), None)
    False
    """
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY:
        return False
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return _Check(schema, fragments).selections(schema.query_type, operation.selection_set)


class _Check:
    def __init__(
        self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode]
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self._seen: set[tuple[str, str]] = set()  # (fragment, type): each checked once

    def selections(self, parent: GraphQLNamedType | None, selection_set: SelectionSetNode) -> bool:
        if not isinstance(parent, GraphQLObjectType):
            return False  # interfaces and unions: none is kept today
        return all(self.selection(parent, node) for node in selection_set.selections)

    def selection(self, parent: GraphQLObjectType, node: SelectionNode) -> bool:
        if isinstance(node, FieldNode):
            return self.field(parent, node)
        if isinstance(node, InlineFragmentNode):
            condition = node.type_condition
            kind = self._type(condition.name.value) if condition is not None else parent
            return self.selections(kind, node.selection_set)
        if isinstance(node, FragmentSpreadNode):
            return self.fragment(node.name.value)
        return False

    def field(self, parent: GraphQLObjectType, node: FieldNode) -> bool:
        name = node.name.value
        if name == "__typename":
            return True
        if name not in KEPT.get(parent.name, ()) or name not in parent.fields:
            return False
        if node.selection_set is None:
            return True
        named = get_named_type(parent.fields[name].type)
        return self.selections(named, node.selection_set)

    def fragment(self, name: str) -> bool:
        fragment = self.fragments.get(name)
        if fragment is None:
            return False
        key = (name, fragment.type_condition.name.value)
        if key in self._seen:
            return True  # being checked or checked: its verdict is the first visit's
        self._seen.add(key)
        return self.selections(self._type(key[1]), fragment.selection_set)

    def _type(self, name: str) -> GraphQLNamedType | None:
        return self.schema.get_type(name)
