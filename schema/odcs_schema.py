"""ODCS ``schema``: objects (tables) and their properties (columns)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import strawberry
from strawberry.scalars import JSON

from schema.odcs_common import (
    AuthoritativeDefinition,
    CustomProperty,
    QualityRule,
    as_list,
    strings,
    text,
)


@strawberry.type(description="A relationship (foreign key) between elements (ODCS v3.1+).")
class Relationship:
    type: str | None
    from_: JSON | None = strawberry.field(name="from")
    to: JSON | None
    custom_properties: list[CustomProperty]

    @classmethod
    def many(cls, value: Any) -> list[Relationship]:
        return [
            cls(
                type=text(v.get("type")),
                from_=v.get("from"),
                to=v.get("to"),
                custom_properties=CustomProperty.many(v.get("customProperties")),
            )
            for v in as_list(value)
        ]


def _element_fields(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Fields every schema element (object or property) has."""
    return {
        "id": text(raw.get("id")),
        "name": text(raw.get("name")),
        "physical_name": text(raw.get("physicalName")),
        "physical_type": text(raw.get("physicalType")),
        "logical_type": text(raw.get("logicalType")),
        "business_name": text(raw.get("businessName")),
        "description": text(raw.get("description")),
        "tags": strings(raw.get("tags")),
        "quality": QualityRule.many(raw.get("quality")),
        "authoritative_definitions": AuthoritativeDefinition.many(
            raw.get("authoritativeDefinitions")
        ),
        "custom_properties": CustomProperty.many(raw.get("customProperties")),
        "relationships": Relationship.many(raw.get("relationships")),
    }


@strawberry.type(description="A property of a schema object: a column, or a nested field.")
class SchemaProperty:
    id: str | None
    name: str | None
    physical_name: str | None
    physical_type: str | None
    logical_type: str | None
    logical_type_options: JSON | None
    business_name: str | None
    description: str | None
    primary_key: bool | None
    primary_key_position: int | None
    required: bool | None
    unique: bool | None
    partitioned: bool | None
    partition_key_position: int | None
    classification: str | None
    encrypted_name: str | None
    critical_data_element: bool | None
    examples: JSON | None
    tags: list[str]
    quality: list[QualityRule]
    authoritative_definitions: list[AuthoritativeDefinition]
    custom_properties: list[CustomProperty]
    relationships: list[Relationship]
    transform_source_objects: list[str]
    transform_logic: str | None
    transform_description: str | None
    items: SchemaProperty | None = strawberry.field(description="Element type of an array.")
    properties: list[SchemaProperty] = strawberry.field(description="Fields of an object.")

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> SchemaProperty:
        items = raw.get("items")
        return cls(
            **_element_fields(raw),
            logical_type_options=raw.get("logicalTypeOptions"),
            primary_key=_bool(raw.get("primaryKey")),
            primary_key_position=_int(raw.get("primaryKeyPosition")),
            required=_bool(raw.get("required")),
            unique=_bool(raw.get("unique")),
            partitioned=_bool(raw.get("partitioned")),
            partition_key_position=_int(raw.get("partitionKeyPosition")),
            classification=text(raw.get("classification")),
            encrypted_name=text(raw.get("encryptedName")),
            critical_data_element=_bool(raw.get("criticalDataElement")),
            examples=raw.get("examples"),
            transform_source_objects=strings(raw.get("transformSourceObjects")),
            transform_logic=text(raw.get("transformLogic")),
            transform_description=text(raw.get("transformDescription")),
            items=cls.from_raw(items) if isinstance(items, Mapping) else None,
            properties=[cls.from_raw(p) for p in as_list(raw.get("properties"))],
        )


@strawberry.type(description="A schema object: a table, a file, a topic.")
class SchemaObject:
    id: str | None
    name: str | None
    physical_name: str | None
    physical_type: str | None
    logical_type: str | None
    business_name: str | None
    description: str | None
    data_granularity_description: str | None
    tags: list[str]
    quality: list[QualityRule]
    authoritative_definitions: list[AuthoritativeDefinition]
    custom_properties: list[CustomProperty]
    relationships: list[Relationship]
    properties: list[SchemaProperty]

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> SchemaObject:
        return cls(
            **_element_fields(raw),
            data_granularity_description=text(raw.get("dataGranularityDescription")),
            properties=[SchemaProperty.from_raw(p) for p in as_list(raw.get("properties"))],
        )


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
