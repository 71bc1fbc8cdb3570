"""The mesh's certification policies, read from one YAML file and checked at start-up.

The file (``policies.yaml`` beside this module, or the operator's
``MESHGATE_CERTIFICATION_POLICIES_FILE``) lists ``levels`` (lowest first) and
``policies`` (id, description, level, check, parameters). Any mistake stops the start with
a :class:`PolicyFileError` naming the policy and the field, never the file's path: a
policy set half-understood would certify products it should not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gateway.certification.checks import CHECKS, CheckSpec
from gateway.errors import GatewayError

DEFAULT_FILE = Path(__file__).with_name("policies.yaml")
MAX_POLICIES = 200
_POLICY_KEYS = {"id", "description", "level", "check", "parameters"}
_LEVEL_KEYS = {"id", "description"}


class PolicyFileError(GatewayError):
    """The certification policy file is missing, unreadable or wrong."""

    code = "INVALID_POLICIES"


@dataclass(frozen=True)
class Level:
    id: str
    description: str
    rank: int


@dataclass(frozen=True)
class Policy:
    """One mesh policy: what it asks, the level it counts towards, its check."""

    id: str
    description: str
    level: str
    check: str
    parameters: Mapping[str, Any]
    spec: CheckSpec


@dataclass(frozen=True)
class PolicySet:
    levels: tuple[Level, ...]
    policies: tuple[Policy, ...]

    def level_reached(self, passed: set[str]) -> str | None:
        """The highest level whose policies, and those of every level below, all passed."""
        reached: str | None = None
        for level in self.levels:
            if all(p.id in passed for p in self.policies if p.level == level.id):
                reached = level.id
            else:
                break
        return reached


def load_policies(path: str = "") -> PolicySet:
    """The policies of the file at ``path`` (empty: the default file shipped here)."""
    where = Path(path) if path else DEFAULT_FILE
    name = "the default policy file" if not path else "the certification policy file"
    try:
        data = yaml.safe_load(where.read_text(encoding="utf-8"))
    except OSError:
        raise PolicyFileError(f"{name} cannot be read") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise PolicyFileError(f"{name} is not valid YAML{at}") from None
    return parse_policies(data)


def parse_policies(data: Any) -> PolicySet:
    """Check ``data`` (the file as parsed) and build the set; errors name policy and field."""
    if not isinstance(data, dict):
        raise PolicyFileError("policies file: expected a mapping with levels and policies")
    unknown = set(data) - {"levels", "policies"}
    if unknown:
        raise PolicyFileError(f"policies file: unknown key {sorted(unknown)[0]!r}")
    levels = _levels(data.get("levels"))
    raw = data.get("policies")
    if not isinstance(raw, list) or not raw:
        raise PolicyFileError("policies file: field 'policies' must be a non-empty list")
    if len(raw) > MAX_POLICIES:
        raise PolicyFileError(f"policies file: more than {MAX_POLICIES} policies")
    policies: list[Policy] = []
    for index, item in enumerate(raw):
        policy = _policy(item, index, {lv.id for lv in levels})
        if any(p.id == policy.id for p in policies):
            raise PolicyFileError(f"policy {policy.id!r}: field 'id' is used twice")
        policies.append(policy)
    return PolicySet(levels, tuple(policies))


def _levels(raw: Any) -> tuple[Level, ...]:
    if not isinstance(raw, list) or not raw:
        raise PolicyFileError("policies file: field 'levels' must be a non-empty list")
    levels: list[Level] = []
    for rank, item in enumerate(raw):
        if not isinstance(item, dict) or not _text(item.get("id")):
            raise PolicyFileError(f"level #{rank + 1}: field 'id' must be a non-empty string")
        extra = set(item) - _LEVEL_KEYS
        if extra:
            raise PolicyFileError(f"level {item['id']!r}: unknown field {sorted(extra)[0]!r}")
        if any(lv.id == item["id"] for lv in levels):
            raise PolicyFileError(f"level {item['id']!r}: field 'id' is used twice")
        levels.append(Level(item["id"], str(item.get("description") or ""), rank))
    return tuple(levels)


def _policy(item: Any, index: int, levels: set[str]) -> Policy:
    if not isinstance(item, dict) or not _text(item.get("id")):
        raise PolicyFileError(f"policy #{index + 1}: field 'id' must be a non-empty string")
    pid = item["id"]

    def wrong(field: str, expected: str) -> PolicyFileError:
        return PolicyFileError(f"policy {pid!r}: field {field!r}: {expected}")

    extra = set(item) - _POLICY_KEYS
    if extra:
        raise wrong(sorted(extra)[0], "unknown field")
    if not _text(item.get("description")):
        raise wrong("description", "expected a non-empty string")
    if item.get("level") not in levels:
        raise wrong("level", f"expected one of the levels {sorted(levels)}")
    check = item.get("check")
    spec = CHECKS.get(check) if isinstance(check, str) else None
    if spec is None:
        raise wrong("check", f"expected one of {sorted(CHECKS)}")
    given = item.get("parameters") or {}
    if not isinstance(given, dict):
        raise wrong("parameters", "expected a mapping")
    parameters = dict(spec.parameters)
    for key, value in given.items():
        if key not in spec.parameters:
            raise wrong(f"parameters.{key}", f"unknown parameter of check {item['check']}")
        default = spec.parameters[key]
        if not _same_kind(value, default):
            raise wrong(f"parameters.{key}", f"expected {_kind(default)}")
        parameters[key] = value
    return Policy(pid, item["description"], item["level"], item["check"], parameters, spec)


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _same_kind(value: Any, default: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, int):
        return isinstance(value, int) and value >= 0
    if isinstance(default, list):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, type(default))


def _kind(default: Any) -> str:
    """
    >>> _kind(3), _kind(["a"])
    ('an integer, 0 or more', 'a list of strings')
    """
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int):
        return "an integer, 0 or more"
    if isinstance(default, list):
        return "a list of strings"
    return f"a {type(default).__name__}"
