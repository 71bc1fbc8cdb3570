"""A spy on the engines' doors: every statement that reaches DuckDB or Trino is counted
and judged by the oracle before the engine gets it.

The spy wraps the engines' public entry points at class level (``execute``, ``explain``,
``run_sql``, ``stream_batches`` / ``stream``), so it sees what the gateway running in the
same process hands them, whichever path asked. A call made from inside another wrapped
call (DuckDB's ``execute`` runs ``run_sql``) is counted once.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from gateway.federation import Catalog
from gateway.federation.engines import DuckDBEngine
from gateway.federation.engines.trino_engine import TrinoEngine
from tests.fuzz.oracle import violations

_inside: contextvars.ContextVar[bool] = contextvars.ContextVar("inside_engine", default=False)


@dataclass
class Reached:
    """One statement an engine was given, and what the oracle found wrong with it."""

    engine: str
    sql: str
    problems: list[str]


@dataclass
class EngineSpy:
    """What reached the engines while the spy was installed."""

    catalog: Catalog
    masks: bool = False  # callers with access rules: mask rewrites' functions are expected
    reached: list[Reached] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def see(self, engine: str, sql: str) -> None:
        problems = violations(sql, engine, self.catalog, masks=self.masks)
        with self._lock:
            self.reached.append(Reached(engine, sql, problems))

    @property
    def bad(self) -> list[Reached]:
        return [r for r in self.reached if r.problems]

    def clear(self) -> None:
        with self._lock:
            self.reached.clear()


def _sql_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    first = args[0] if args else kwargs.get("plan", kwargs.get("sql"))
    return str(getattr(first, "sql", first))


def _wrap_async(spy: EngineSpy, engine: str, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _inside.get():
            return await method(self, *args, **kwargs)
        spy.see(engine, _sql_of(args, kwargs))
        token = _inside.set(True)
        try:
            return await method(self, *args, **kwargs)
        finally:
            _inside.reset(token)

    return wrapper


def _wrap_sync(spy: EngineSpy, engine: str, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not _inside.get():
            spy.see(engine, _sql_of(args, kwargs))
        return method(self, *args, **kwargs)

    return wrapper


@contextlib.contextmanager
def spying(
    monkeypatch: pytest.MonkeyPatch, catalog: Catalog, *, masks: bool = False
) -> Iterator[EngineSpy]:
    """Install the spy on both engine classes for the duration of the block."""
    spy = EngineSpy(catalog, masks)
    doors: list[tuple[type, str, str, bool]] = [
        (DuckDBEngine, "duckdb", "execute", True), (DuckDBEngine, "duckdb", "explain", True),
        (DuckDBEngine, "duckdb", "run_sql", True),
        (DuckDBEngine, "duckdb", "stream_batches", False),
        (TrinoEngine, "trino", "execute", True), (TrinoEngine, "trino", "explain", True),
        (TrinoEngine, "trino", "stream", False),
    ]  # fmt: skip
    for cls, engine, name, is_async in doors:
        method = getattr(cls, name, None)
        if method is None:
            continue
        wrap = _wrap_async if is_async else _wrap_sync
        monkeypatch.setattr(cls, name, wrap(spy, engine, method))
    yield spy
