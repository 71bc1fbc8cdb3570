"""What changed between two versions of an ODCS contract, and the version bump it calls for.

Two contracts (any v3.x ``apiVersion``, as plain JSON-ready mappings) are compared part by
part, matching list items by NAME (tables and columns by ``name``, servers by ``server``,
roles by ``role``, SLA properties by ``property`` and ``element``, quality rules by ``id``,
``name`` or metric), never by position: moving a column is no change. Each difference is a
:class:`Change` with a path such as ``schema[orders].properties[amount].logicalType``, a
kind (``property_removed``, ``type_changed``...), a severity (patch, minor, major: the
rules are in :mod:`contracts._compare_rules`) and a sentence; the bump the whole set calls
for is the highest severity in it.

Pure and deterministic (the same two documents give the same changes in the same order)
and linear in the size of the documents: items are matched through dictionaries, so a
contract of thousands of columns compares in milliseconds. Third-party documents may be
malformed; a part of the wrong shape is compared as a plain value, never trusted.

>>> old = {"version": "1.0.0", "schema": [{"name": "t", "properties": [
...     {"name": "a", "logicalType": "integer"}, {"name": "b", "logicalType": "string"}]}]}
>>> new = {"version": "1.1.0", "schema": [{"name": "t", "properties": [
...     {"name": "a", "logicalType": "number"}]}]}
>>> result = compare_contracts(old, new)
>>> [(c.path, c.kind, c.severity) for c in result.changes]
[('schema[t].properties[a].logicalType', 'type_changed', 'minor'), \
('schema[t].properties[b]', 'property_removed', 'major')]
>>> result.required_bump, declared_bump("1.0.0", "1.1.0"), result.compatible_with("minor")
('major', 'minor', False)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from contracts import _compare_rules as rules
from contracts._compare_keys import by, keyed, renames, rule_key, server_key, sla_key
from contracts._compare_rules import BUMPS, MAJOR, MINOR, PATCH
from contracts.versions import parse_version

__all__ = ["Change", "Comparison", "compare_contracts", "declared_bump", "bump_level"]

#: Nesting of columns (objects in objects) compared at most; deeper parts that differ are
#: one major change (a real contract nests a few levels; documents are bounded at 128).
MAX_NESTING = 32
# Fields that name the document, not its content: never a change.
_IDENTITY = frozenset({"id", "version", "kind"})


@dataclass(frozen=True)
class Change:
    """One difference: where, what kind, how much it matters, and a sentence for people."""

    path: str
    kind: str
    severity: str
    message: str


@dataclass(frozen=True)
class Comparison:
    """All the changes from one contract version to the next."""

    changes: tuple[Change, ...]

    @property
    def required_bump(self) -> str:
        """``none``, ``patch``, ``minor`` or ``major``: the highest severity of a change."""
        return BUMPS[max((bump_level(c.severity) for c in self.changes), default=0)]

    def compatible_with(self, declared: str | None) -> bool:
        """Whether a version bump of ``declared`` covers these changes (None: unknown, no)."""
        if declared is None:
            return self.required_bump == "none"
        return bump_level(self.required_bump) <= bump_level(declared)


def bump_level(bump: str) -> int:
    """0 (none) to 3 (major).

    >>> bump_level("minor")
    2
    """
    return BUMPS.index(bump)


def declared_bump(old_version: str, new_version: str) -> str | None:
    """The bump from ``old_version`` to ``new_version``: none, patch, minor or major.

    None when either is not a semantic version, or when the new one is not newer (a
    downgrade declares nothing). As semantic versioning says, a pre-release and a 0.y.z
    version promise nothing: any newer version after one declares ``major``.

    >>> declared_bump("1.2.3", "2.0.0"), declared_bump("1.2.3", "1.2.4")
    ('major', 'patch')
    >>> declared_bump("1.0.0", "1.0.0"), declared_bump("2.0.0", "1.0.0")
    ('none', None)
    >>> declared_bump("2.0.0-rc1", "2.0.0"), declared_bump("0.1.0", "0.2.0")
    ('major', 'major')
    >>> declared_bump("latest", "1.0.0") is None
    True
    """
    old, new = parse_version(old_version), parse_version(new_version)
    if old is None or new is None:
        return None
    order = new.compare(old)
    if (old.prerelease is not None or old.major == 0) and order > 0:
        return "major"
    if (new.major, new.minor, new.patch) == (old.major, old.minor, old.patch):
        return "none" if order >= 0 else None
    if new.major != old.major:
        return "major" if new.major > old.major else None
    if new.minor != old.minor:
        return "minor" if new.minor > old.minor else None
    return "patch" if new.patch > old.patch else None


def compare_contracts(old: Mapping[str, Any], new: Mapping[str, Any]) -> Comparison:
    """Every change from contract ``old`` to contract ``new`` (see the module doc)."""
    return Comparison(tuple(_Walk().contract(old, new)))


_Rows = Iterator[Change]


class _Walk:
    """One comparison; methods yield the changes of one part each."""

    def contract(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> _Rows:
        sections: dict[str, Callable[[str, Any, Any], _Rows]] = {
            "schema": self.objects,
            "servers": self.servers,
            "slaProperties": self.sla,
            "roles": self.roles,
            "customProperties": self.custom,
            "quality": self.quality,
        }
        for key in _keys(old, new):
            if key in _IDENTITY:
                continue
            a, b = old.get(key), new.get(key)
            if a == b:
                continue
            section = sections.get(key)
            if section is not None and _list_or_none(a) and _list_or_none(b):
                yield from section(key, a or [], b or [])
            elif key == "apiVersion":
                yield _change(key, "api_version_changed", PATCH, f"apiVersion {a} -> {b}")
            else:
                yield from self.field(key, key, a, b)

    # -- tables and columns -----------------------------------------------------------

    def objects(self, path: str, old: list[Any], new: list[Any]) -> _Rows:
        yield from self.named(
            path, old, new, by("name"), self.table, "object", added=MINOR, removed=MAJOR
        )

    def table(self, path: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> _Rows:
        for key in _keys(old, new):
            a, b = old.get(key), new.get(key)
            if a == b or key == "name":
                continue
            where = f"{path}.{key}"
            if key == "properties" and _list_or_none(a) and _list_or_none(b):
                yield from self.columns(where, a or [], b or [], 1)
            elif key == "quality" and _list_or_none(a) and _list_or_none(b):
                yield from self.quality(where, a or [], b or [])
            else:
                yield from self.field(where, key, a, b)

    def columns(self, path: str, old: list[Any], new: list[Any], depth: int) -> _Rows:
        def compare(where: str, a: Mapping[str, Any], b: Mapping[str, Any]) -> _Rows:
            return self.column(where, a, b, depth)

        yield from self.named(
            path, old, new, by("name"), compare, "property", added=MINOR, removed=MAJOR
        )

    def column(
        self, path: str, old: Mapping[str, Any], new: Mapping[str, Any], depth: int
    ) -> _Rows:
        if depth > MAX_NESTING:
            yield _change(path, "too_deep_to_compare", MAJOR,
                          f"columns nested deeper than {MAX_NESTING} levels differ")  # fmt: skip
            return
        for key in _keys(old, new):
            a, b = old.get(key), new.get(key)
            if a == b or key == "name":
                continue
            where = f"{path}.{key}"
            if key == "properties" and _list_or_none(a) and _list_or_none(b):
                yield from self.columns(where, a or [], b or [], depth + 1)
            elif key == "items" and _map_or_none(a) and _map_or_none(b):
                yield from self.column(where, a or {}, b or {}, depth + 1)
            elif key == "quality" and _list_or_none(a) and _list_or_none(b):
                yield from self.quality(where, a or [], b or [])
            elif key in ("required", "unique", "primaryKey"):
                yield from _flag(where, key, bool(a), bool(b))
            elif key == "logicalType":
                level, how = rules.logical_type_change(a, b)
                yield _change(where, "type_changed", level, f"logicalType {how}: {a} -> {b}")
            elif key == "physicalType":
                level, how = rules.physical_type_change(a, b)
                if level:
                    yield _change(where, "type_changed", level, f"physicalType {how}: {a} -> {b}")
            elif key == "logicalTypeOptions" and _map_or_none(a) and _map_or_none(b):
                yield from _options(where, a or {}, b or {})
            else:
                yield from self.field(where, key, a, b)

    # -- the other named lists ----------------------------------------------------------

    def quality(self, path: str, old: list[Any], new: list[Any]) -> _Rows:
        yield from self.named(
            path, old, new, rule_key, self.rule, "quality_rule", added=MINOR, removed=MINOR
        )

    def rule(self, path: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> _Rows:
        for key in _keys(old, new):
            a, b = old.get(key), new.get(key)
            if a == b:
                continue
            where = f"{path}.{key}"
            if key.startswith("mustBe") or key.startswith("mustNotBe"):
                how = rules.threshold_change(key, a, b)
                yield _change(where, f"quality_rule_{how}", MINOR,
                              f"quality threshold {key} {how}: {a} -> {b}")  # fmt: skip
            elif key in rules.DESCRIPTIVE:
                yield _change(where, "quality_rule_described", PATCH, f"{key} changed")
            else:
                yield _change(where, "quality_rule_changed", MINOR, f"{key}: {a} -> {b}")

    def sla(self, path: str, old: list[Any], new: list[Any]) -> _Rows:
        yield from self.named(
            path, old, new, sla_key, self.sla_item, "sla_property", added=MINOR, removed=MAJOR
        )

    def sla_item(self, path: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> _Rows:
        name = old.get("property")
        for key in _keys(old, new):
            a, b = old.get(key), new.get(key)
            if a == b:
                continue
            where = f"{path}.{key}"
            if key in ("description", "driver"):
                yield _change(where, "sla_described", PATCH, f"{key} changed")
            elif key == "value" and _shortened(name, a, b, old.get("unit") == new.get("unit")):
                yield _change(where, "sla_shortened", MAJOR, f"{name} shortened: {a} -> {b}")
            else:
                yield _change(where, "sla_changed", MINOR, f"{name} {key}: {a} -> {b}")

    def servers(self, path: str, old: list[Any], new: list[Any]) -> _Rows:
        yield from self.named(
            path, old, new, server_key, self.server, "server", added=MINOR, removed=MAJOR
        )

    def server(self, path: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> _Rows:
        for key in _keys(old, new):
            a, b = old.get(key), new.get(key)
            if a == b:
                continue
            where = f"{path}.{key}"
            if key == "description":
                yield _change(where, "server_described", PATCH, "description changed")
            elif key in ("environment", "roles", "customProperties"):
                yield _change(where, "server_changed", MINOR, f"{key} changed")
            else:  # where the data is: readers pointed at the old place break. The values
                # (hosts, paths) are not repeated: the graph's messages never carry them.
                yield _change(where, "server_moved", MAJOR, f"server {key} changed")

    def roles(self, path: str, old: list[Any], new: list[Any]) -> _Rows:
        yield from self.named(
            path, old, new, by("role"), self.role, "role", added=MINOR, removed=MAJOR
        )

    def role(self, path: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> _Rows:
        for key in _keys(old, new):
            a, b = old.get(key), new.get(key)
            if a == b:
                continue
            where = f"{path}.{key}"
            if key == "access":
                yield _change(where, "role_changed", MAJOR, f"access {a} -> {b}")
            elif key == "customProperties":
                yield _change(where, "role_changed", MINOR, "customProperties changed")
            else:
                yield _change(where, "role_described", PATCH, f"{key} changed")

    def custom(self, path: str, old: list[Any], new: list[Any]) -> _Rows:
        def compare(where: str, a: Mapping[str, Any], b: Mapping[str, Any]) -> _Rows:
            yield _change(where, "custom_property_changed", MINOR, "custom property changed")

        yield from self.named(
            path, old, new, by("property"), compare, "custom_property", added=MINOR, removed=MINOR
        )

    # -- shared ---------------------------------------------------------------------------

    def named(
        self,
        path: str,
        old: list[Any],
        new: list[Any],
        key: Callable[[Mapping[str, Any], int], str],
        compare: Callable[[str, Mapping[str, Any], Mapping[str, Any]], _Rows],
        noun: str,
        *,
        added: int,
        removed: int,
    ) -> _Rows:
        """Match items of two lists by ``key``; report removed, changed, then added ones."""
        a, b = keyed(old, key), keyed(new, key)
        gone = [k for k in a if k not in b]
        came = [k for k in b if k not in a]
        renamed = renames(gone, came, a, b) if noun in ("object", "property") else {}
        for name, item in a.items():
            where = f"{path}[{name}]"
            if name in b:
                if item != b[name]:
                    yield from compare(where, item, b[name])
            elif name in renamed:
                yield _change(where, f"{noun}_renamed", MAJOR,
                              f"{noun} {name} is gone and {renamed[name]} of the same shape "
                              "appeared: renamed?")  # fmt: skip
            else:
                yield _change(where, f"{noun}_removed", removed, f"{noun} {name} removed")
        taken = set(renamed.values())
        for name, item in b.items():
            if name not in a and name not in taken:
                level = added
                if noun == "property" and item.get("required") is True:
                    level = MAJOR  # a new column every writer must now fill
                what = "required " if level == MAJOR and noun == "property" else ""
                yield _change(f"{path}[{name}]", f"{noun}_added", level,
                              f"{what}{noun} {name} added")  # fmt: skip

    def field(self, path: str, key: str, a: Any, b: Any) -> _Rows:
        if key == "tags" and _same_set(a, b):
            return
        if key in rules.DESCRIPTIVE:
            yield _change(path, f"{_snake(key)}_changed", PATCH, f"{key} changed")
        elif key in rules.BREAKING:
            kind = rules.FIELD_KINDS.get(key, f"{_snake(key)}_changed")
            yield _change(path, kind, MAJOR, f"{key}: {_short(a)} -> {_short(b)}")
        else:
            kind = rules.FIELD_KINDS.get(key, f"{_snake(key)}_changed")
            yield _change(path, kind, MINOR, f"{key}: {_short(a)} -> {_short(b)}")


def _change(path: str, kind: str, level: int, message: str) -> Change:
    return Change(path, kind, BUMPS[level], message)


def _flag(path: str, key: str, a: bool, b: bool) -> _Rows:
    """required / unique / primaryKey switched: breaking either way (readers or writers)."""
    if a == b:
        return
    if key == "primaryKey":
        what = "now part of" if b else "no longer part of"
        yield _change(path, "primary_key_changed", MAJOR, f"{what} the primary key")
        return
    how = "tightened" if b else "loosened"
    meaning = {
        ("required", True): "may no longer be null",
        ("required", False): "may now be null",
        ("unique", True): "must now be unique",
        ("unique", False): "may now repeat",
    }[(key, b)]
    yield _change(path, f"{key}_{how}", MAJOR, f"{key} {how}: {meaning}")


def _options(path: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> _Rows:
    for key in _keys(old, new):
        a, b = old.get(key), new.get(key)
        if a != b:
            level, how = rules.options_change(key, a, b)
            yield _change(f"{path}.{key}", f"type_options_{how}", level, f"{key}: {a} -> {b}")


def _shortened(name: Any, a: Any, b: Any, same_unit: bool) -> bool:
    if name in rules.LIFECYCLE_DATES and isinstance(a, str) and isinstance(b, str):
        return b < a  # ISO dates and times of one form compare as text
    if name in rules.MORE_IS_BETTER and same_unit:
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
        return numbers and b < a
    return False


def _keys(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    return [*a.keys(), *(k for k in b if k not in a)]


def _list_or_none(value: Any) -> bool:
    return value is None or isinstance(value, list)


def _map_or_none(value: Any) -> bool:
    return value is None or isinstance(value, Mapping)


def _same_set(a: Any, b: Any) -> bool:
    if not (isinstance(a, list | None) and isinstance(b, list | None)):
        return False
    try:
        return set(map(repr, a or [])) == set(map(repr, b or []))
    except TypeError:
        return False


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _short(value: Any, limit: int = 80) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
