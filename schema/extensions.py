"""Schema extensions: the document size limit and warnings (errors: ``schema.errors``;
the parse and validation caches: ``schema.document_cache``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
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


class Warnings(SchemaExtension):
    """Put the request's warnings (stale copies served) under ``extensions.warnings``."""

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        warnings = getattr(context, "warnings", None)
        return {"warnings": list(warnings)} if warnings else {}
