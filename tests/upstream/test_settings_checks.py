"""Every number setting is checked when settings are built (so at start-up), against
what its help says: a wrong value stops the start with the variable's name."""

from __future__ import annotations

import dataclasses
import doctest
import re

import pytest

import gateway.settings
from gateway.settings import InvalidSetting, Settings

FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
TIMES = sorted(n for n in FIELDS if n.endswith(("_seconds", "_timeout", "_days")))
NUMBERS = sorted(n for n, f in FIELDS.items() if type(f.default) in (int, float))


def zero_means(name: str) -> str | None:
    found = re.search(r"\(0: [^)]+\)", FIELDS[name].metadata["help"])
    return found.group(0) if found else None


def test_the_time_settings_are_found() -> None:
    # The rule below must see the time settings this change gave a meaning for 0.
    assert {
        "cache_ttl_seconds",
        "stale_ttl_seconds",
        "upstream_total_timeout",
        "upstream_breaker_cooldown_seconds",
        "audit_retention_days",
    } <= set(TIMES)


@pytest.mark.parametrize("name", NUMBERS)
@pytest.mark.parametrize("value", [-1, float("nan"), float("inf"), float("-inf")])
def test_negative_nan_and_infinite_are_refused(name: str, value: float) -> None:
    kind = type(FIELDS[name].default)
    bad = int(value) if kind is int and value == -1 else value
    with pytest.raises(InvalidSetting, match=rf"^MESHGATE_{name.upper()}=.*: expected "):
        Settings(**{name: bad})


@pytest.mark.parametrize("name", TIMES)
def test_zero_time_is_refused_unless_the_help_says_what_it_means(name: str) -> None:
    meaning = zero_means(name)
    if meaning is None:
        with pytest.raises(InvalidSetting, match=r"expected .* greater than 0$"):
            Settings(**{name: 0})
    else:
        assert getattr(Settings(**{name: 0}), name) == 0


@pytest.mark.parametrize(
    "name", ["cache_max_bytes", "cache_max_entries", "upstream_breaker_threshold"]
)
def test_bounds_and_thresholds_must_be_positive(name: str) -> None:
    with pytest.raises(InvalidSetting, match=rf"^MESHGATE_{name.upper()}=0: expected an integer"):
        Settings(**{name: 0})


def test_the_message_names_the_setting_and_what_was_expected() -> None:
    with pytest.raises(InvalidSetting) as raised:
        Settings(stale_ttl_seconds=-5)
    assert str(raised.value) == (
        "MESHGATE_STALE_TTL_SECONDS=-5: expected a number of seconds, 0 or more "
        "(0: no stale copies)"
    )
    with pytest.raises(InvalidSetting) as raised:
        Settings(sql_timeout_seconds=0)
    assert str(raised.value) == (
        "MESHGATE_SQL_TIMEOUT_SECONDS=0: expected a number of seconds greater than 0"
    )


@pytest.mark.parametrize(
    ("variable", "raw", "message"),
    [
        ("MESHGATE_STALE_TTL_SECONDS", "nan", "MESHGATE_STALE_TTL_SECONDS=nan: expected"),
        ("MESHGATE_CACHE_TTL_SECONDS", "-1", "MESHGATE_CACHE_TTL_SECONDS=-1.0: expected"),
        ("MESHGATE_UPSTREAM_TOTAL_TIMEOUT", "1e999", "=inf: expected a number of seconds"),
        ("MESHGATE_UPSTREAM_READ_TIMEOUT", "0", "=0.0: expected a number of seconds greater"),
        ("MESHGATE_AUDIT_RETENTION_DAYS", "-3", "=-3: expected an integer of days, 0 or more"),
        ("MESHGATE_CACHE_MAX_BYTES", "0", "MESHGATE_CACHE_MAX_BYTES=0: expected an integer"),
        ("MESHGATE_SQL_TIMEOUT_SECONDS", "soon", "=.soon.: expected a float"),
    ],
)
def test_environment_values_are_checked_at_start(variable: str, raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.from_env({variable: raw})


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("port", "8000", "an integer"),
        ("port", 80.5, "an integer"),
        ("sql_max_rows", True, "an integer"),
        ("cache_ttl_seconds", "15", "a number of seconds"),
    ],
)
def test_values_of_the_wrong_kind_are_refused(name: str, value: object, expected: str) -> None:
    with pytest.raises(InvalidSetting, match=f"expected {expected}"):
        Settings(**{name: value})


def test_defaults_and_documented_zeros_are_accepted() -> None:
    Settings()
    Settings(cache_ttl_seconds=0, stale_ttl_seconds=0, audit_retention_days=0, port=0)
    Settings(upstream_total_timeout=0.25, cache_ttl_seconds=1)  # ints where floats go


def test_docstring_examples() -> None:
    result = doctest.testmod(gateway.settings)
    assert result.failed == 0 and result.attempted > 0
