"""Validation of emitted events against the OpenLineage JSON schema vendored in spec/.

An event is checked as a RunEvent by spec/OpenLineage.json (which only knows facets as
base facets), then each facet by the schema its own ``_schemaURL`` names, so a facet
missing a required property (``errorMessage.programmingLanguage``) is caught too.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource

SPEC = Path(__file__).parent / "spec"
RUN_EVENT = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"


@cache
def registry() -> Registry[Any]:
    documents = [SPEC / "OpenLineage.json", *sorted((SPEC / "facets").glob("*.json"))]
    resources = []
    for path in documents:
        contents = json.loads(path.read_text())
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


def _validate(instance: Any, url: str) -> None:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": url}
    validator = jsonschema.Draft202012Validator(
        schema, registry=registry(), format_checker=jsonschema.FormatChecker()
    )
    validator.validate(instance)


def _facets(event: dict[str, Any]) -> list[dict[str, Any]]:
    found = [*event["run"].get("facets", {}).values(), *event["job"].get("facets", {}).values()]
    for dataset in (*event.get("inputs", ()), *event.get("outputs", ())):
        found += dataset.get("facets", {}).values()
        found += dataset.get("inputFacets", {}).values()
    return found


def validate_event(event: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``event`` is a valid RunEvent whose
    every facet is valid by its own schema (which must be one vendored here)."""
    _validate(event, RUN_EVENT)
    for facet in _facets(event):
        url = facet["_schemaURL"]
        assert url.split("#")[0] in {r for r in registry()}, f"facet schema not vendored: {url}"
        _validate(facet, url)
