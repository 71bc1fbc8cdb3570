"""What every SQL engine offers the federation layer: the :class:`Engine` protocol.

An engine runs a :class:`~gateway.federation.planner.Plan` (SQL already checked,
resolved to physical names and transpiled to the engine's dialect) and answers a
:class:`Result`. Engines translate their driver's exceptions into
:mod:`gateway.errors` at this one boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from gateway.federation.planner import Plan


@dataclass(frozen=True)
class Result:
    """The answer to one query.

    ``columns`` are ``(name, engine type)`` pairs in select-list order; ``truncated`` is
    true when the engine had more than ``max_rows`` rows and only the first ``max_rows``
    are in ``rows``.
    """

    columns: tuple[tuple[str, str], ...]
    rows: list[tuple[Any, ...]]
    truncated: bool
    elapsed_ms: float


class Engine(Protocol):
    """A SQL engine the gateway can run plans on (``"duckdb"`` or ``"trino"``)."""

    name: str

    async def execute(
        self, plan: Plan, *, timeout_s: float, max_rows: int, max_bytes: int | None = None
    ) -> Result:
        """Run ``plan``; at most ``max_rows`` rows, interrupted after ``timeout_s``;
        ``SQL_RESULT_TOO_LARGE`` once the rows pass ``max_bytes`` (None: no byte cap)."""
        ...

    async def explain(self, plan: Plan) -> str:
        """The engine's plan for ``plan`` as text, without running it."""
        ...

    async def close(self) -> None:
        """Release the engine's connections and threads."""
        ...
