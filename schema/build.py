"""Assemble the Strawberry schema with its limits."""

from __future__ import annotations

import strawberry
from graphql import ASTValidationRule
from strawberry.extensions import AddValidationRules, MaxAliasesLimiter, QueryDepthLimiter

from gateway.settings import Settings
from schema.document_cache import CachedParse, CachedValidation, KnownDocuments
from schema.errors import MeshSchema, PublicErrors
from schema.extensions import QuerySizeLimiter, Warnings
from schema.mutation import Mutation
from schema.operation_limits import cost_rule, variables_size_rule
from schema.query import Query
from schema.subscription import Subscription
from schema.transport import TransportRule


def build_schema(
    settings: Settings | None = None, known: KnownDocuments | None = None
) -> strawberry.Schema:
    """The gateway's schema; every limit comes from ``settings``. ``known``: the parsed
    and validated texts, shared by every request (a fresh cache if not given)."""
    settings = settings or Settings()
    known = known if known is not None else KnownDocuments()
    rules = limit_rules(settings)
    return MeshSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        # Factories, not instances: an extension holds per-request state.
        extensions=[
            lambda: QuerySizeLimiter(settings.max_query_bytes),
            lambda: CachedParse(known),  # refuses undefined fragments too
            lambda: AddValidationRules(rules),
            lambda: CachedValidation(known),  # after every extension that adds rules
            Warnings,
            PublicErrors,
        ],
    )


def limit_rules(settings: Settings) -> list[type[ASTValidationRule]]:
    """The validation rules of the gateway's limits, made once per schema: the document's
    depth and aliases (Strawberry's, taken out of its extensions), then the rules judged
    on every request (``PerRequestRule``): the transport, the variables' size, the cost."""
    return [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
        TransportRule,
        variables_size_rule(settings.max_variables_bytes),
        cost_rule(settings),
    ]
