"""``compareContracts``: what changed between two contract versions and the bump it needs."""

from __future__ import annotations

import enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers import versions
from resolvers.odps import LIST_TRUNCATED
from schema.pages import page_size


@strawberry.enum(description="A semantic-version bump: how much a change set breaks.")
class VersionBump(enum.Enum):
    NONE = "none"
    PATCH = "patch"
    MINOR = "minor"
    MAJOR = "major"


@strawberry.input(description="One version of one contract.")
class ContractVersionInput:
    id: strawberry.ID
    version: str


@strawberry.type(description="One difference between two contract versions.")
class ContractChange:
    path: str = strawberry.field(
        description="Where, by name: e.g. `schema[orders].properties[amount].logicalType`."
    )
    kind: str = strawberry.field(
        description="A stable name, e.g. `property_removed`, `type_changed`, "
        "`required_tightened`, `quality_rule_added`, `sla_shortened`, `server_moved`."
    )
    severity: VersionBump = strawberry.field(description="PATCH, MINOR or MAJOR.")
    message: str


@strawberry.type(description="The changes from one contract version to another.")
class ContractComparison:
    change_count: int
    required_bump: VersionBump = strawberry.field(
        description="The highest severity of the changes (NONE: no change)."
    )
    declared_bump: VersionBump | None = strawberry.field(
        description="The bump the two version numbers say (null: not semantic versions, "
        "or `to` is older than `from`)."
    )
    compatible: bool = strawberry.field(
        description="False when the changes need a bigger bump than the one declared."
    )
    all_changes: strawberry.Private[list[ContractChange]]

    @strawberry.field(description="The changes, at most `first` (up to max_page_size); a "
                      "note in extensions.warnings says when there are more.")  # fmt: skip
    def changes(self, info: Info, first: int = 100) -> list[ContractChange]:
        limit = page_size(info, first)
        if len(self.all_changes) > limit:
            info.context.warn(
                f"changes: the first {limit} of {len(self.all_changes)} are shown",
                code=LIST_TRUNCATED,
                product_id=None,
            )
        return self.all_changes[:limit]


@strawberry.type
class VersionQuery:
    @strawberry.field(
        description="Compare two contract versions (each read as `contract(id, version)` "
        "reads it): each change with its severity, the bump they call for, and whether the "
        "version numbers declare it."
    )
    async def compare_contracts(
        self,
        info: Info,
        from_: Annotated[ContractVersionInput, strawberry.argument(name="from")],
        to: ContractVersionInput,
    ) -> ContractComparison:
        old, new = (str(from_.id), from_.version), (str(to.id), to.version)
        result, declared = await versions.compare(info.context, old, new)
        return ContractComparison(
            change_count=len(result.changes),
            required_bump=VersionBump(result.required_bump),
            declared_bump=VersionBump(declared) if declared is not None else None,
            compatible=result.compatible_with(declared),
            all_changes=[
                ContractChange(
                    path=c.path, kind=c.kind, severity=VersionBump(c.severity), message=c.message
                )
                for c in result.changes
            ],
        )
