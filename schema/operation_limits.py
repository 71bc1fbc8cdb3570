"""Limits on one GraphQL operation beyond its document size: variables, root fields,
``sql`` fields and cost (``schema.cost``).

Each limit joins the document's validation as one more rule, so a refused operation runs
no resolver and its error goes the way of every validation error (one log line, the
request id, no masking). Each refusal is a :class:`gateway.errors.GatewayError` with a
stable code and the figures that decided it.
"""

from __future__ import annotations

import json
from typing import Any

from graphql import ValidationContext
from strawberry.types import ExecutionContext

from gateway.errors import GatewayError, QueryTooCostly, TooManyRootFields, VariablesTooLarge
from gateway.settings import Settings
from schema.cost import operation_cost
from schema.document_cache import PerRequestRule


def variables_size_rule(max_bytes: int) -> type[PerRequestRule]:
    """A rule refusing variables larger than ``max_bytes`` once serialized as compact JSON
    (made once with the schema).

    The body cap bounds them too, but that much would still go through coercion and into
    resolvers; this cap is lower (and leaves room for a SQL statement at the planner's
    own size limit).
    """

    class VariablesSize(PerRequestRule):
        def __init__(self, validation: ValidationContext) -> None:
            super().__init__(validation)
            self.refuse(_variables_refusal(self.request(), max_bytes))

    return VariablesSize


def cost_rule(settings: Settings) -> type[PerRequestRule]:
    """A rule refusing an operation with too many ``sql`` fields, too high a cost or too
    many root fields (settings ``max_sql_per_request``, ``max_query_cost``,
    ``max_root_fields``); made once with the schema."""

    class Cost(PerRequestRule):
        def __init__(self, validation: ValidationContext) -> None:
            super().__init__(validation)
            self.refuse(_cost_refusal(settings, self.request(), validation))

    return Cost


def _variables_refusal(context: ExecutionContext, max_bytes: int) -> GatewayError | None:
    if not context.variables:
        return None
    size = len(json.dumps(context.variables, separators=(",", ":"), default=str).encode())
    if size <= max_bytes:
        return None
    return VariablesTooLarge(
        f"the variables are {size} bytes; at most {max_bytes} are accepted",
        **_details({"size": size, "maxBytes": max_bytes}),
    )


def _cost_refusal(
    s: Settings, context: ExecutionContext, validation: ValidationContext
) -> GatewayError | None:
    cost = operation_cost(
        validation.schema,
        validation.document,
        context.operation_name,
        context.variables,
        max_page_size=s.max_page_size,
    )
    if cost.sql_fields > s.max_sql_per_request:
        return QueryTooCostly(
            f"the operation has {cost.sql_fields} sql/explainSql fields; "
            f"at most {s.max_sql_per_request} are accepted per request",
            **_details({"sqlFields": cost.sql_fields, "maxSqlFields": s.max_sql_per_request}),
        )
    if cost.total > s.max_query_cost:
        return QueryTooCostly(
            f"the operation costs {cost.total}; at most {s.max_query_cost} is accepted "
            "(lower `first`, or select fewer lists)",
            **_details({"cost": cost.total, "maxCost": s.max_query_cost}),
        )
    if cost.root_fields > s.max_root_fields:
        return TooManyRootFields(
            f"the operation selects {cost.root_fields} root fields; "
            f"at most {s.max_root_fields} are accepted",
            **_details({"rootFields": cost.root_fields, "maxRootFields": s.max_root_fields}),
        )
    return None


def _details(values: dict[str, Any]) -> dict[str, Any]:
    """Extension fields in the API's camelCase (``GatewayError`` passes them through)."""
    return values
