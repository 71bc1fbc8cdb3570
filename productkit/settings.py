"""The kit's limits, read from ``MESHGATE_PRODUCT_*`` variables (``product.env`` or the
process environment).

The kit is its own application: it does not read the mesh gateway's settings. Each limit
has a safe default and one line of help; a wrong value stops the start with
:class:`InvalidKitSetting` naming the variable and what was expected.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from productkit.errors import ProductConfigError

PREFIX = "MESHGATE_PRODUCT_"


class InvalidKitSetting(ProductConfigError, ValueError):
    """A kit setting's value is not one its help allows; the message names the variable."""


def _limit(default: int | float | str, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class KitSettings:
    """Every limit is a positive number (a count or seconds); the state path a file name."""

    max_subscriptions: int = _limit(
        100, "Most event subscriptions one product kit keeps (409 beyond)."
    )
    subscriptions_per_minute: int = _limit(
        10, "Subscriptions one client address may create per minute on a product kit (429)."
    )
    sql_rule_timeout_seconds: float = _limit(
        5.0, "A product kit's SQL quality rule running longer is cancelled (and fails)."
    )
    csv_copy_max_mb: int = _limit(
        64,
        "Local CSV tables are parsed once per version into the kit's memory while their "
        "files total at most this many MB, all tables together; the others at every query.",
    )
    state_path: str = _limit(
        ".state/kit.sqlite3",
        "SQLite file of the kit's subscriptions and run state (relative: in the product "
        "folder; :memory: keeps none).",
    )

    @property
    def csv_copy_max_bytes(self) -> int:
        """:attr:`csv_copy_max_mb` in bytes."""
        return self.csv_copy_max_mb * 1024 * 1024

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            kind = type(f.default)
            if kind is str:
                if not isinstance(value, str) or not value.strip() or "\0" in value:
                    raise InvalidKitSetting(f"{variable(f.name)}={value!r}: expected a file path")
                continue
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if not number or (kind is int and not isinstance(value, int)):
                number = False
            if not number or not math.isfinite(value) or value <= 0:
                what = "an integer" if kind is int else "a number of seconds"
                raise InvalidKitSetting(
                    f"{variable(f.name)}={value!r}: expected {what} greater than 0"
                )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> KitSettings:
        """Settings from ``MESHGATE_PRODUCT_<FIELD>`` variables of ``environ``.

        >>> KitSettings.from_env({"MESHGATE_PRODUCT_MAX_SUBSCRIPTIONS": "7"}).max_subscriptions
        7
        """
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(variable(f.name))
            if raw is None:
                continue
            kind: type[int] | type[float] | type[str] = (
                str if isinstance(f.default, str) else int if isinstance(f.default, int) else float
            )
            try:
                values[f.name] = kind(raw)
            except ValueError:
                raise InvalidKitSetting(
                    f"{variable(f.name)}={raw!r}: expected a {kind.__name__}"
                ) from None
        return cls(**values)

    @classmethod
    def help_text(cls) -> list[tuple[str, Any, str]]:
        """(variable, default, help) for every kit setting, for the docs."""
        return [(variable(f.name), f.default, f.metadata["help"]) for f in dataclasses.fields(cls)]


def variable(name: str) -> str:
    """The environment variable of setting ``name``.

    >>> variable("max_subscriptions")
    'MESHGATE_PRODUCT_MAX_SUBSCRIPTIONS'
    """
    return PREFIX + name.upper()
