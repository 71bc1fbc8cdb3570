"""Parse a document text once, and validate it against the schema once.

Most callers send the same few documents again and again; parsing them and running
graphql-core's validation rules over them took about 40 % of a warm request
(docs/benchmarks.md, "Where the time goes"). Both depend only on the text and the schema,
so both are kept, for a bounded number of texts of a bounded size, in one LRU shared by
every request of the schema.

What depends on the request is never kept: a rule that judges the caller's variables or
the transport (``PerRequestRule``: the variables' size, the operation's cost, subscriptions
only over the WebSocket) runs on every request, also for a text found valid before; the
size limit and the rules that refuse a text run before anything is kept.

Nothing here is built per request: the rules are classes made once with the schema
(``AddValidationRules``), and a per-request rule reads its request from
:func:`PerRequestRule.request` (building the rule classes and wrapping one extension hook
per rule took about a tenth of a warm request's GraphQL work).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextvars import ContextVar

from graphql import DocumentNode, GraphQLError, TypeInfo, ValidationContext, ValidationRule, parse
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from gateway.errors import GatewayError
from schema.fragments import check_fragments

MAX_ENTRIES = 256
"""Document texts kept (the least recently used go first)."""

MAX_TEXT_BYTES = 8 * 1024
"""Longest text kept: a parsed document is some tens of times its text, so the cache holds
at most a few tens of MB whatever callers send; longer texts are parsed each time."""


_VALIDATING: ContextVar[ExecutionContext] = ContextVar("meshgate_validating")
"""The request whose document is being validated (set by ``CachedValidation``)."""


class PerRequestRule(ValidationRule):
    """A validation rule that judges the request (its variables, its transport), in its
    constructor, never by visiting the document: it runs on every request, also when the
    document's text was found valid before (``CachedValidation``)."""

    @staticmethod
    def request() -> ExecutionContext:
        """The execution context of the request being validated."""
        return _VALIDATING.get()

    def refuse(self, refused: GatewayError | None) -> None:
        """Report ``refused`` (if any) as this document's validation error."""
        if refused is not None:
            self.context.report_error(GraphQLError(refused.message, original_error=refused))


class KnownDocuments:
    """Parsed documents by text, with whether the text passed the document's rules."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_text_bytes: int = MAX_TEXT_BYTES):
        self.max_entries = max_entries
        self.max_text_bytes = max_text_bytes
        self._documents: OrderedDict[str, DocumentNode] = OrderedDict()
        self._valid: set[str] = set()

    def parse(self, text: str) -> DocumentNode:
        """The parsed ``text``, parsed now only if not kept; a syntax error or a spread of
        an undefined fragment (``schema.fragments``) is raised and nothing is kept."""
        found = self._documents.get(text)
        if found is not None:
            self._documents.move_to_end(text)
            return found
        document = parse(text)
        check_fragments(document)
        if len(text) <= self.max_text_bytes:  # characters: at least as strict as bytes here
            self._documents[text] = document
            while len(self._documents) > self.max_entries:
                gone, _ = self._documents.popitem(last=False)
                self._valid.discard(gone)
        return document

    def is_valid(self, text: str) -> bool:
        return text in self._valid

    def mark_valid(self, text: str) -> None:
        """Remember that ``text`` passed every rule that depends only on it (a text not
        kept, too long or gone since, is not remembered)."""
        if text in self._documents:
            self._valid.add(text)

    def __len__(self) -> int:
        return len(self._documents)


class CachedParse(SchemaExtension):
    """Parse through ``KnownDocuments``; put it after the document size limit."""

    def __init__(self, known: KnownDocuments) -> None:
        self.known = known

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            context.graphql_document = self.known.parse(context.query)
        yield


class CachedValidation(SchemaExtension):
    """Validate a known-valid text with its per-request rules only.

    Put it after every extension that adds validation rules: it sees them all. Other
    texts are validated in full and remembered when they pass.
    """

    def __init__(self, known: KnownDocuments) -> None:
        self.known = known

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        text = context.query
        document = context.graphql_document
        validating = _VALIDATING.set(context)
        try:
            if text and document is not None and self.known.is_valid(text):
                errors: list[GraphQLError] = []
                schema = context.schema._schema
                validation = ValidationContext(schema, document, TypeInfo(schema), errors.append)
                for rule in context.validation_rules:
                    if issubclass(rule, PerRequestRule):
                        rule(validation)  # judges in its constructor
                # Set (even empty): Strawberry then runs no validation of its own.
                context.pre_execution_errors = errors
                yield
                return
            yield
        finally:
            _VALIDATING.reset(validating)
        if text and not context.pre_execution_errors:
            self.known.mark_valid(text)
