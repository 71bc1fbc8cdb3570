"""Limits on one GraphQL operation beyond its document size: variables, root fields,
``sql`` fields and cost (``schema.cost``).

Variables are measured before parsing; the rest is judged on the validated document,
before any resolver runs, so a refused operation does no work. Each refusal is a
:class:`gateway.errors.GatewayError` with a stable code and the figures that decided it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from gateway.errors import QueryTooCostly, TooManyRootFields, VariablesTooLarge
from gateway.settings import Settings
from schema.cost import operation_cost


class VariablesSizeLimiter(SchemaExtension):
    """Refuse variables larger than ``max_bytes`` once serialized as compact JSON.

    The body cap bounds them too, but a few hundred kilobytes of variables would still go
    through coercion and into resolvers; this cap is much lower.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def on_parse(self) -> Iterator[None]:
        variables = self.execution_context.variables
        if variables:
            size = len(json.dumps(variables, separators=(",", ":"), default=str).encode())
            if size > self.max_bytes:
                raise VariablesTooLarge(
                    f"the variables are {size} bytes; at most {self.max_bytes} are accepted",
                    **_details({"size": size, "maxBytes": self.max_bytes}),
                )
        yield


class CostLimiter(SchemaExtension):
    """Refuse an operation with too many ``sql`` fields, too high a cost or too many root
    fields (settings ``max_sql_per_request``, ``max_query_cost``, ``max_root_fields``)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_validate(self) -> Iterator[None]:
        yield
        context = self.execution_context
        if context.pre_execution_errors or context.graphql_document is None:
            return  # invalid documents are answered with their validation errors
        s = self.settings
        cost = operation_cost(
            context.schema._schema,
            context.graphql_document,
            context.operation_name,
            context.variables,
            max_page_size=s.max_page_size,
        )
        if cost.sql_fields > s.max_sql_per_request:
            raise QueryTooCostly(
                f"the operation has {cost.sql_fields} sql/explainSql fields; "
                f"at most {s.max_sql_per_request} are accepted per request",
                **_details({"sqlFields": cost.sql_fields, "maxSqlFields": s.max_sql_per_request}),
            )
        if cost.total > s.max_query_cost:
            raise QueryTooCostly(
                f"the operation costs {cost.total}; at most {s.max_query_cost} is accepted "
                "(lower `first`, or select fewer lists)",
                **_details({"cost": cost.total, "maxCost": s.max_query_cost}),
            )
        if cost.root_fields > s.max_root_fields:
            raise TooManyRootFields(
                f"the operation selects {cost.root_fields} root fields; "
                f"at most {s.max_root_fields} are accepted",
                **_details({"rootFields": cost.root_fields, "maxRootFields": s.max_root_fields}),
            )


def _details(values: dict[str, Any]) -> dict[str, Any]:
    """Extension fields in the API's camelCase (``GatewayError`` passes them through)."""
    return values
