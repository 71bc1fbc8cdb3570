"""Schema extensions: limits on every request and warnings (errors: ``schema.errors``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    Visitor,
    visit,
)
from strawberry.extensions import SchemaExtension


class QuerySizeLimiter(SchemaExtension):
    """Refuse a GraphQL document larger than ``max_bytes`` before it is parsed."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query or ""
        size = len(query.encode())
        if size > self.max_bytes:
            raise GraphQLError(
                f"the document is {size} bytes; at most {self.max_bytes} are accepted",
                extensions={"code": "QUERY_TOO_LARGE"},
            )
        yield


class KnownFragments(SchemaExtension):
    """Refuse a spread of an undefined fragment right after parsing.

    GraphQL's own rule would say so during validation, but the depth limiter walks the
    document first and fails on the unknown name with a bare ``KeyError``.
    """

    def on_parse(self) -> Iterator[None]:
        yield
        document = self.execution_context.graphql_document
        if document is None:
            return
        defined = {
            d.name.value for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        unknown = sorted(
            {node.name.value for node in _spreads(document) if node.name.value not in defined}
        )
        if unknown:
            raise GraphQLError(
                f"unknown fragment {', '.join(unknown)}: define it with `fragment ... on ...`",
                extensions={"code": "GRAPHQL_VALIDATION_FAILED"},
            )


def _spreads(document: DocumentNode) -> list[FragmentSpreadNode]:
    found: list[FragmentSpreadNode] = []

    class Collect(Visitor):
        def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
            found.append(node)

    visit(document, Collect())
    return found


class Warnings(SchemaExtension):
    """Put the request's warnings (stale copies served) under ``extensions.warnings``."""

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        warnings = getattr(context, "warnings", None)
        return {"warnings": list(warnings)} if warnings else {}
