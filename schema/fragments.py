"""Refuse a spread of an undefined fragment as soon as the document is parsed.

GraphQL's own rule would say so during validation, but the depth limiter walks the
document first and fails on the unknown name with a bare ``KeyError``. The check runs
once per text: ``KnownDocuments.parse`` makes it when it parses, never on a kept document.
"""

from __future__ import annotations

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    Visitor,
    visit,
)


def check_fragments(document: DocumentNode) -> None:
    """Raise a ``GRAPHQL_VALIDATION_FAILED`` error naming every undefined fragment that
    ``document`` spreads.

    >>> from graphql import parse
    >>> check_fragments(parse("{ ...A } fragment A on Query { __typename }"))
    >>> check_fragments(parse("{ ...B ...A }"))
    Traceback (most recent call last):
    ...
    graphql.error.graphql_error.GraphQLError: unknown fragment A, B: define it with \
`fragment ... on ...`
    """
    defined = {d.name.value for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    unknown = sorted(
        {node.name.value for node in _spreads(document) if node.name.value not in defined}
    )
    if unknown:
        raise GraphQLError(
            f"unknown fragment {', '.join(unknown)}: define it with `fragment ... on ...`",
            extensions={"code": "GRAPHQL_VALIDATION_FAILED"},
        )


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[FragmentSpreadNode] = []

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
        self.found.append(node)


def _spreads(document: DocumentNode) -> list[FragmentSpreadNode]:
    collect = _Spreads()
    visit(document, collect)
    return collect.found
