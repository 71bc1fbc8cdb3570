"""What one GraphQL operation costs, computed from its document before it runs.

A static estimate in the spirit of Apollo's and Hive's "demand control", simple enough to
state in one paragraph of the docs:

* every object (not a scalar) the answer may hold costs 1;
* a list multiplies what one of its items costs by its size: the field's ``first``
  (the literal, the variable's value or the argument's default, counted up to
  ``max_page_size``, past which the field refuses anyway); a connection hands its
  ``first`` to its list of edges; any other list counts as ``DEFAULT_LIST_SIZE`` items,
  except the lists inside a contract (its schema, properties, quality rules, roles...),
  which count as one: they are parts of the one contract document already paid for,
  whose size the gateway caps when it fetches it (``upstream_max_document_bytes``);
* a few fields cost more, once, for the work behind them (``FIELD_COSTS``): ``sql`` and
  ``explainSql`` run the planner and an engine, ``search`` scores every product;
* fragments are expanded where they are spread (a fragment spread 30 times costs 30
  times), aliases count as the fields they name; ``@skip``/``@include`` are ignored (the
  estimate is an upper bound); introspection costs 1 (its answer is the static schema).

Fragments are costed once per (fragment, handed-down size), so a document that nests
spreads to double its size at each level is costed in linear time.

>>> from schema.build import build_schema
>>> from graphql import parse
>>> schema = build_schema()._schema
>>> operation_cost(schema, parse("{ products(first: 5) { edges { node { name } } } }"))
Cost(total=11, sql_fields=0, root_fields=1)
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
)
from graphql.utilities import get_operation_ast

DEFAULT_LIST_SIZE = 5
"""Items assumed in a list that takes no ``first`` (versions, ports, domains...)."""

DOCUMENT_ROOT = "Contract"
"""The type of a fetched document: lists in it and in every type it reaches count once."""

FIELD_COSTS: Mapping[tuple[str, str], int] = {
    ("Query", "sql"): 100,
    ("Query", "explainSql"): 100,
    ("Query", "search"): 50,
    ("Query", "compareContracts"): 20,
    ("Query", "lineage"): 50,
    ("Query", "impact"): 50,
    # Each reads the registry's database once per product it is asked on (a count and a
    # page, or the rating aggregate): more than an object already in hand.
    ("ProductFeedback", "rating"): 2,
    ("ProductFeedback", "ratings"): 2,
    ("ProductFeedback", "issues"): 2,
}
"""Extra cost, once per occurrence, of fields with work behind them (type, field)."""

SQL_FIELDS = frozenset({("Query", "sql"), ("Query", "explainSql")})
"""Fields that each run a statement through the planner and an engine."""

META_FIELDS = frozenset({"__schema", "__type"})


@dataclass(frozen=True)
class Cost:
    """The estimate of one operation: its cost, its ``sql`` fields and its root fields."""

    total: int = 0
    sql_fields: int = 0
    root_fields: int = 0

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.total + other.total,
            self.sql_fields + other.sql_fields,
            self.root_fields + other.root_fields,
        )

    def times(self, n: int) -> Cost:
        return Cost(self.total * n, self.sql_fields * n, self.root_fields * n)


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
    *,
    max_page_size: int = 100,
) -> Cost:
    """The cost of the operation of ``document`` that would run (zero if none would).

    Runs on documents not yet validated: unknown fields, types and fragments cost nothing
    and fragment cycles are cut (validation refuses such documents anyway).
    """
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return Cost()
    root = {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]
    if root is None:
        return Cost()
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    values = dict(_variable_defaults(operation))
    values.update(variables or {})
    walker = _Walker(schema, fragments, values, max_page_size)
    cost = walker.selections(root, operation.selection_set, handed=None)
    return Cost(cost.total, cost.sql_fields, walker.root_fields(operation.selection_set))


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        max_page_size: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.max_page_size = max_page_size
        self._memo: dict[tuple[str, int | None], Cost] = {}
        self._in_document = document_types(schema)
        self._roots: dict[str, int] = {}

    def selections(
        self, parent: GraphQLNamedType, selection_set: SelectionSetNode, handed: int | None
    ) -> Cost:
        cost = Cost()
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                cost += self.field(parent, node, handed)
            elif isinstance(node, InlineFragmentNode):
                condition = self._condition(node, parent)
                if condition is not None:
                    cost += self.selections(condition, node.selection_set, handed)
            elif isinstance(node, FragmentSpreadNode):
                cost += self.fragment(node.name.value, handed)
        return cost

    def fragment(self, name: str, handed: int | None) -> Cost:
        key = (name, handed)
        if key not in self._memo:
            self._memo[key] = Cost()  # a cycle (refused by validation) costs nothing more
            fragment = self.fragments.get(name)
            parent = self._condition(fragment, None) if fragment is not None else None
            if fragment is not None and parent is not None:
                self._memo[key] = self.selections(parent, fragment.selection_set, handed)
        return self._memo[key]

    def field(self, parent: GraphQLNamedType, node: FieldNode, handed: int | None) -> Cost:
        name = node.name.value
        if name in META_FIELDS:
            return Cost(total=1)
        definition = _field_of(parent, name)
        if definition is None:  # __typename, or unknown (validation reports it)
            return Cost()
        key = (parent.name, name)
        once = Cost(FIELD_COSTS.get(key, 0), 1 if key in SQL_FIELDS else 0)
        named = get_named_type(definition.type)
        if is_leaf_type(named) or node.selection_set is None:
            return once
        size = self._first(node, definition)
        listed = _is_list(definition.type)
        if size is not None and not listed:  # a connection: its list of edges has `size`
            multiplier, below = 1, size
        elif listed:
            if size is not None:
                multiplier = size
            elif handed is not None:
                multiplier = handed
            elif parent.name in self._in_document:
                multiplier = 1
            else:
                multiplier = DEFAULT_LIST_SIZE
            below = None
        else:
            multiplier, below = 1, None
        item = Cost(total=1) + self.selections(named, node.selection_set, below)
        return once + item.times(multiplier)

    def root_fields(self, selection_set: SelectionSetNode) -> int:
        """Fields at the root, fragments expanded (each spread counts), in linear time."""
        count = 0
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                count += node.name.value != "__typename"
            elif isinstance(node, InlineFragmentNode):
                count += self.root_fields(node.selection_set)
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                if name not in self._roots:
                    self._roots[name] = 0  # a cycle (refused by validation) adds nothing
                    fragment = self.fragments.get(name)
                    if fragment is not None:
                        self._roots[name] = self.root_fields(fragment.selection_set)
                count += self._roots[name]
        return count

    def _first(self, node: FieldNode, definition: GraphQLField) -> int | None:
        argument = definition.args.get("first")
        if argument is None:
            return None
        value: Any = argument.default_value
        for given in node.arguments or ():
            if given.name.value != "first":
                continue
            if isinstance(given.value, IntValueNode):
                value = int(given.value.value)
            elif isinstance(given.value, VariableNode):
                value = self.variables.get(given.value.name.value, value)
        if not isinstance(value, int) or isinstance(value, bool):
            return DEFAULT_LIST_SIZE
        return max(0, min(value, self.max_page_size))

    def _condition(
        self, node: InlineFragmentNode | FragmentDefinitionNode, default: GraphQLNamedType | None
    ) -> GraphQLNamedType | None:
        """The type a fragment applies to; None for an unknown one (validation says so)."""
        if node.type_condition is None:
            return default
        return self.schema.get_type(node.type_condition.name.value)


@functools.lru_cache(maxsize=8)
def document_types(schema: GraphQLSchema) -> frozenset[str]:
    """Names of the object types reachable from ``DOCUMENT_ROOT`` (itself included).

    >>> from schema.build import build_schema
    >>> sorted(document_types(build_schema()._schema))[:3]
    ['AuthoritativeDefinition', 'Contract', 'ContractDescription']
    """
    found: set[str] = set()
    todo = [DOCUMENT_ROOT]
    while todo:
        name = todo.pop()
        kind = schema.get_type(name)
        if name in found or not isinstance(kind, GraphQLObjectType):
            continue
        found.add(name)
        todo += [get_named_type(f.type).name for f in kind.fields.values()]
    return frozenset(found)


def _field_of(parent: GraphQLNamedType, name: str) -> GraphQLField | None:
    fields = getattr(parent, "fields", None)
    if not isinstance(fields, Mapping):
        return None
    found = fields.get(name)
    return found if isinstance(found, GraphQLField) else None


def _is_list(kind: GraphQLOutputType) -> bool:
    while isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    return isinstance(kind, GraphQLList)


def _variable_defaults(operation: OperationDefinitionNode) -> dict[str, Any]:
    """Literal integer defaults of the operation's variables (``$n: Int = 5``)."""
    found: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        default = definition.default_value
        if isinstance(default, IntValueNode):
            found[definition.variable.name.value] = int(default.value)
    return found
