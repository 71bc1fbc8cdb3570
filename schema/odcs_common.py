"""Small ODCS v3 building blocks shared by contracts, schema objects and properties.

Each type is read from the contract's raw JSON document (``from_raw``), never from a
copy: the graph shows what the product serves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON


def as_list(value: Any) -> list[Any]:
    """``value`` as a list of mappings, whatever a lax document put there."""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [v for v in value if isinstance(v, Mapping)]
    return []


def text(value: Any) -> str | None:
    return None if value is None else str(value)


def strings(value: Any) -> list[str]:
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [str(v) for v in value]
    return []


@strawberry.type(description="A link to a definition that is the authority for an element.")
class AuthoritativeDefinition:
    url: str | None
    type: str | None
    description: str | None

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> AuthoritativeDefinition:
        return cls(
            url=text(raw.get("url")),
            type=text(raw.get("type")),
            description=text(raw.get("description")),
        )

    @classmethod
    def many(cls, value: Any) -> list[AuthoritativeDefinition]:
        return [cls.from_raw(v) for v in as_list(value)]


@strawberry.type(description="A key/value property an author added to an element.")
class CustomProperty:
    property: str | None
    value: JSON | None
    description: str | None

    @classmethod
    def many(cls, value: Any) -> list[CustomProperty]:
        return [
            cls(
                property=text(v.get("property")),
                value=v.get("value"),
                description=text(v.get("description")),
            )
            for v in as_list(value)
        ]


@strawberry.type(description="A data quality rule (ODCS `quality`).")
class QualityRule:
    id: str | None
    name: str | None
    description: str | None
    type: str | None = strawberry.field(description="text | library | sql | custom")
    rule: str | None = strawberry.field(description="Library rule name (v3.0: `rule`).")
    metric: str | None = strawberry.field(description="Library metric (v3.1+: `metric`).")
    arguments: JSON | None
    dimension: str | None
    method: str | None
    severity: str | None
    business_impact: str | None
    unit: str | None
    valid_values: JSON | None
    query: str | None
    engine: str | None
    implementation: JSON | None
    must_be: JSON | None
    must_not_be: JSON | None
    must_be_greater_than: JSON | None
    must_be_greater_or_equal_to: JSON | None
    must_be_less_than: JSON | None
    must_be_less_or_equal_to: JSON | None
    must_be_between: JSON | None
    must_not_be_between: JSON | None
    schedule: str | None
    scheduler: str | None
    tags: list[str]
    authoritative_definitions: list[AuthoritativeDefinition]
    custom_properties: list[CustomProperty]
    raw: JSON

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> QualityRule:
        return cls(
            id=text(raw.get("id")),
            name=text(raw.get("name")),
            description=text(raw.get("description")),
            type=text(raw.get("type")),
            rule=text(raw.get("rule")),
            metric=text(raw.get("metric")),
            arguments=raw.get("arguments"),
            dimension=text(raw.get("dimension")),
            method=text(raw.get("method")),
            severity=text(raw.get("severity")),
            business_impact=text(raw.get("businessImpact")),
            unit=text(raw.get("unit")),
            valid_values=raw.get("validValues"),
            query=text(raw.get("query")),
            engine=text(raw.get("engine")),
            implementation=raw.get("implementation"),
            must_be=raw.get("mustBe"),
            must_not_be=raw.get("mustNotBe"),
            must_be_greater_than=raw.get("mustBeGreaterThan"),
            must_be_greater_or_equal_to=raw.get(
                "mustBeGreaterOrEqualTo", raw.get("mustBeGreaterThanOrEqualTo")
            ),
            must_be_less_than=raw.get("mustBeLessThan"),
            must_be_less_or_equal_to=raw.get(
                "mustBeLessOrEqualTo", raw.get("mustBeLessThanOrEqualTo")
            ),
            must_be_between=raw.get("mustBeBetween"),
            must_not_be_between=raw.get("mustNotBeBetween"),
            schedule=text(raw.get("schedule")),
            scheduler=text(raw.get("scheduler")),
            tags=strings(raw.get("tags")),
            authoritative_definitions=AuthoritativeDefinition.many(
                raw.get("authoritativeDefinitions")
            ),
            custom_properties=CustomProperty.many(raw.get("customProperties")),
            raw=cast(JSON, dict(raw)),
        )

    @classmethod
    def many(cls, value: Any) -> list[QualityRule]:
        return [cls.from_raw(v) for v in as_list(value)]
