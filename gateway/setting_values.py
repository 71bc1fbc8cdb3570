"""How a setting's text becomes its value, and which values a setting allows.

Every value is checked when :class:`gateway.settings.Settings` is built (so at start-up),
against what its help says, and a wrong one stops the start with an
:class:`InvalidSetting` naming the variable and what was expected:

- a number is finite and not negative;
- a time (a name ending in ``_seconds``, ``_timeout`` or ``_days``) is greater than 0
  unless its help says what 0 means, as ``(0: ...)``; so is a count marked
  ``positive`` (a cache bound, a breaker threshold).

Text and switches are checked where they are used (the cache's backend by the cache,
the event loop by ``meshgate serve``).
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any


class InvalidSetting(ValueError):
    """A setting's value is not one its help allows; the message names the variable."""


def setting(default: Any, help: str, *, positive: bool = False) -> Any:
    """A field of the settings: its default, one line of help, whether 0 is refused."""
    return dataclasses.field(default=default, metadata={"help": help, "positive": positive})


def parse(name: str, raw: str, kind: type) -> Any:
    """``raw``, the text of ``MESHGATE_<NAME>``, as a value of ``kind``."""
    try:
        if kind is bool:
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        return kind(raw)
    except ValueError:
        raise ValueError(f"MESHGATE_{name.upper()}={raw!r}: expected a {kind.__name__}") from None


_TIME_UNITS = {"_seconds": "seconds", "_timeout": "seconds", "_days": "days"}
_ZERO_MEANS = re.compile(r"\(0: [^)]+\)")


def check(f: dataclasses.Field[Any], value: Any) -> None:
    """Raise :class:`InvalidSetting` unless ``value`` is one ``f``'s help allows.

    >>> from gateway.settings import Settings
    >>> Settings(stale_ttl_seconds=0).stale_ttl_seconds  # its help says what 0 means
    0
    >>> try:
    ...     Settings(upstream_total_timeout=0)
    ... except InvalidSetting as exc:
    ...     print(exc)
    MESHGATE_UPSTREAM_TOTAL_TIMEOUT=0: expected a number of seconds greater than 0
    """
    kind = type(f.default)
    if kind not in (int, float):  # text and switches are checked where they are used
        return
    unit = next((u for suffix, u in _TIME_UNITS.items() if f.name.endswith(suffix)), None)
    zero = _ZERO_MEANS.search(f.metadata["help"])
    positive = (unit is not None or f.metadata.get("positive", False)) and zero is None
    what = "an integer" if kind is int else "a number"
    if unit is not None:
        what = f"{what} of {unit}"
    expected = f"{what} greater than 0" if positive else f"{what}, 0 or more"
    if zero is not None:
        expected = f"{expected} {zero.group(0)}"
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if (
        not number
        or (kind is int and not isinstance(value, int))
        or not math.isfinite(value)
        or value < 0
        or (positive and value == 0)
    ):
        raise InvalidSetting(f"MESHGATE_{f.name.upper()}={value!r}: expected {expected}")
