"""Assemble the Strawberry schema with its limits."""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter

from gateway.settings import Settings
from schema.document_cache import CachedParse, CachedValidation, KnownDocuments
from schema.errors import MeshSchema, PublicErrors
from schema.extensions import KnownFragments, QuerySizeLimiter, Warnings
from schema.mutation import Mutation
from schema.operation_limits import CostLimiter, VariablesSizeLimiter
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
    return MeshSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        # Factories, not instances: an extension holds per-request state.
        extensions=[
            lambda: QuerySizeLimiter(settings.max_query_bytes),
            lambda: CachedParse(known),
            KnownFragments,
            TransportRule,
            lambda: QueryDepthLimiter(max_depth=settings.max_query_depth),
            lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
            lambda: VariablesSizeLimiter(settings.max_variables_bytes),
            lambda: CostLimiter(settings),
            lambda: CachedValidation(known),  # after every extension that adds rules
            Warnings,
            PublicErrors,
        ],
    )
