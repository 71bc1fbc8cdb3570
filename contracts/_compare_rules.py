"""How much one changed field of a contract matters: the severity tables of :mod:`compare`.

Kept apart from the walk so the rules read as a table. The scale follows semantic
versioning as the domain uses it for contracts: PATCH for what no consumer or writer can
notice (descriptions, stakeholders, tags), MINOR for what stays backward compatible (a
new optional column, a logic change, a revised quality rule, a new custom property), MAJOR
for what breaks someone (a column removed or renamed, a type changed or narrowed, a key
changed, a column newly required). A field this module does not know is MINOR: something
changed that a reader may notice, but nothing says it breaks them.
"""

from __future__ import annotations

import re
from typing import Any

PATCH, MINOR, MAJOR = 1, 2, 3
#: Severity names, by level; 0 is "no change".
BUMPS = ("none", "patch", "minor", "major")

#: Fields that only describe (for people): changing them is a patch.
DESCRIPTIVE = frozenset(
    {
        "description",
        "businessName",
        "tags",
        "examples",
        "authoritativeDefinitions",
        "dataGranularityDescription",
        "team",
        "support",
        "name",
        "domain",
        "dataProduct",
        "tenant",
        "status",
        "contractCreatedTs",
        "price",
        "context",
        "comment",
        "transformDescription",
        "criticalDataElement",
    }
)
#: Fields whose change is a breaking change for a column or a table.
BREAKING = frozenset(
    {
        "physicalName",
        "primaryKey",
        "primaryKeyPosition",
        "required",
        "unique",
        "encryptedName",
        "items",
    }
)
#: The kinds of change of one field, when it has its own name.
FIELD_KINDS = {
    "logicalType": "type_changed",
    "physicalType": "type_changed",
    "primaryKey": "primary_key_changed",
    "primaryKeyPosition": "primary_key_changed",
    "physicalName": "physical_name_changed",
    "transformLogic": "logic_changed",
    "transformSourceObjects": "logic_changed",
    "classification": "classification_changed",
    "logicalTypeOptions": "type_options_changed",
}

# Logical types a value of the old one always fits in (the new type widens the old).
_WIDER_LOGICAL = {("integer", "number"), ("date", "timestamp")}
_INT_RANKS = {"tinyint": 1, "smallint": 2, "int2": 2, "integer": 3, "int": 3, "int4": 3,
              "bigint": 4, "int8": 4, "hugeint": 5}  # fmt: skip
_FLOAT_RANKS = {"real": 1, "float4": 1, "float": 2, "double": 2, "float8": 2,
                "double precision": 2}  # fmt: skip
_SIZED = re.compile(r"^\s*([a-z ]+?)\s*\(\s*(\d{1,9})\s*(?:,\s*(\d{1,9})\s*)?\)\s*$")
_UPPER_BOUNDS = frozenset({"maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties"})
_LOWER_BOUNDS = frozenset({"minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties"})


def logical_type_change(old: Any, new: Any) -> tuple[int, str]:
    """Severity and wording of a logicalType change.

    >>> logical_type_change("integer", "number")
    (2, 'widened')
    >>> logical_type_change("number", "integer")
    (3, 'changed')
    """
    if (old, new) in _WIDER_LOGICAL:
        return MINOR, "widened"
    return MAJOR, "changed"


def physical_type_change(old: Any, new: Any) -> tuple[int, str]:
    """Severity and wording of a physicalType change: widening is minor, else major.

    >>> physical_type_change("VARCHAR(10)", "varchar(20)")
    (2, 'widened')
    >>> physical_type_change("VARCHAR(20)", "VARCHAR(10)")
    (3, 'narrowed')
    >>> physical_type_change("INT", "BIGINT"), physical_type_change("BIGINT", "INT")
    ((2, 'widened'), (3, 'narrowed'))
    >>> physical_type_change("int", "INT")
    (0, 'same')
    >>> physical_type_change("DATE", "TEXT")
    (3, 'changed')
    """
    a, b = _type_text(old), _type_text(new)
    if a == b:
        return 0, "same"
    for ranks in (_INT_RANKS, _FLOAT_RANKS):
        if a in ranks and b in ranks:
            return (MINOR, "widened") if ranks[b] >= ranks[a] else (MAJOR, "narrowed")
    sized_a, sized_b = _SIZED.match(a), _SIZED.match(b)
    if sized_a and sized_b and _base(sized_a[1]) == _base(sized_b[1]):
        widths = [(int(m[2]), int(m[3] or 0)) for m in (sized_a, sized_b)]
        (length_a, scale_a), (length_b, scale_b) = widths
        whole_a, whole_b = length_a - scale_a, length_b - scale_b
        if whole_b >= whole_a and scale_b >= scale_a:
            return MINOR, "widened"
        return MAJOR, "narrowed"
    return MAJOR, "changed"


def _type_text(value: Any) -> str:
    return " ".join(str(value).lower().split())


def _base(name: str) -> str:
    return {"character varying": "varchar", "character": "char", "numeric": "decimal"}.get(
        name.strip(), name.strip()
    )


def options_change(key: str, old: Any, new: Any) -> tuple[int, str]:
    """Severity of one ``logicalTypeOptions`` entry changed: a tighter bound is major.

    >>> options_change("maxLength", 10, 5), options_change("maxLength", 5, 10)
    ((3, 'tightened'), (2, 'loosened'))
    >>> options_change("minimum", 0, 1)
    (3, 'tightened')
    >>> options_change("format", "uuid", "email")
    (3, 'changed')
    """
    if _number(old) and _number(new):
        if key in _UPPER_BOUNDS:
            return (MAJOR, "tightened") if new < old else (MINOR, "loosened")
        if key in _LOWER_BOUNDS:
            return (MAJOR, "tightened") if new > old else (MINOR, "loosened")
    if old is None and (key in _UPPER_BOUNDS or key in _LOWER_BOUNDS):
        return MAJOR, "tightened"
    if new is None and (key in _UPPER_BOUNDS or key in _LOWER_BOUNDS):
        return MINOR, "loosened"
    return MAJOR, "changed"


#: Quality-rule thresholds: a higher floor or a lower ceiling is a tighter rule.
_FLOORS = frozenset({"mustBeGreaterThan", "mustBeGreaterOrEqualTo", "mustBeGreaterThanOrEqualTo"})
_CEILINGS = frozenset({"mustBeLessThan", "mustBeLessOrEqualTo", "mustBeLessThanOrEqualTo"})


def threshold_change(key: str, old: Any, new: Any) -> str:
    """Whether a quality rule's threshold ``key`` tightened, loosened or just changed.

    >>> threshold_change("mustBeGreaterOrEqualTo", 100, 1000)
    'tightened'
    >>> threshold_change("mustBeLessThan", 500, 1000)
    'loosened'
    >>> threshold_change("mustBeBetween", [0, 10], [2, 8])
    'tightened'
    """
    if _number(old) and _number(new):
        if key in _FLOORS:
            return "tightened" if new > old else "loosened"
        if key in _CEILINGS:
            return "tightened" if new < old else "loosened"
    if key == "mustBeBetween" and _pair(old) and _pair(new):
        if new[0] >= old[0] and new[1] <= old[1]:
            return "tightened"
        if new[0] <= old[0] and new[1] >= old[1]:
            return "loosened"
    return "changed"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(_number(v) for v in value)


#: SLA properties whose earlier date is a shorter promise.
LIFECYCLE_DATES = frozenset({"endOfSupport", "endOfLife"})
#: SLA properties where a smaller number promises less (same unit).
MORE_IS_BETTER = frozenset({"retention", "availability"})
