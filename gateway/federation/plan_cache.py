"""Plans already made, kept so the same statement from the same caller is not planned
again while nothing it depends on has changed.

Planning is pure: the same statement, engine and row cap, planned over the same catalog
state for the same caller, gives the same :class:`~gateway.federation.planner.Plan`
(frozen, so one can serve many requests). A plan is therefore kept under all of those:

* the statement's text, the engine and the row cap;
* the caller (the whole :class:`~gateway.identity.Principal`: subject, kind, roles and
  issuer), since the contracts' roles, masks and row filters are applied for them and the
  plan runs as them: an admin's plan is never another caller's;
* the catalog state (``catalog_key``: its generation, which moves whenever the tables do,
  and the products that are down), so a changed contract or an unregistered product is
  planned afresh and a product that went down is refused again.

Only plans are kept, never refusals: a statement refused is planned (and refused) each
time. The cache is bounded by the memory of the text it holds (the statement and the two
SQL texts of its plan), least recently used dropped first, so no caller can make it grow
without bound, only push older plans out.

>>> from gateway.federation.catalog import StaticCatalog
>>> from gateway.federation.planner import plan
>>> cache = PlanCache(max_bytes=10_000)
>>> key = cache.key("SELECT 1 AS one", "duckdb", 10, None, (1,))
>>> cache.get(key) is None
True
>>> cache.put(key, plan("SELECT 1 AS one", StaticCatalog([]), "duckdb", max_rows=10))
>>> cache.get(key).sql
'SELECT\\n  1 AS "one"\\nLIMIT 11'
>>> cache.get(cache.key("SELECT 1 AS one", "duckdb", 10, None, (2,))) is None
True
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Hashable

from gateway.federation.planner import Plan
from gateway.identity import Principal

PlanKey = tuple[str, str, int | None, Principal | None, Hashable]

ENTRY_OVERHEAD = 512
"""Bytes counted for an entry besides its texts (the key, the plan's objects)."""


class PlanCache:
    """Plans by :meth:`key`, at most ``max_bytes`` of text in all (0: keep nothing)."""

    def __init__(self, *, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._plans: OrderedDict[PlanKey, tuple[Plan, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(
        sql: str,
        engine: str,
        max_rows: int | None,
        principal: Principal | None,
        catalog_key: Hashable,
    ) -> PlanKey:
        """What a plan depends on besides the planner's limits (fixed per cache)."""
        return (sql, engine, max_rows, principal, catalog_key)

    @property
    def size(self) -> int:
        """Bytes held now (texts plus :data:`ENTRY_OVERHEAD` per plan)."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._plans)

    def get(self, key: PlanKey) -> Plan | None:
        """The plan kept under ``key``, made the most recently used; ``None`` if none."""
        with self._lock:
            found = self._plans.get(key)
            if found is None:
                self.misses += 1
                return None
            self._plans.move_to_end(key)
            self.hits += 1
            return found[0]

    def put(self, key: PlanKey, plan: Plan) -> None:
        """Keep ``plan`` under ``key``, dropping the least recently used past the bound;
        a plan larger than the whole bound is not kept."""
        cost = ENTRY_OVERHEAD + sum(map(sys.getsizeof, (key[0], plan.sql, plan.logical_sql)))
        if cost > self.max_bytes:
            return
        with self._lock:
            previous = self._plans.pop(key, None)
            if previous is not None:
                self._bytes -= previous[1]
            self._plans[key] = (plan, cost)
            self._bytes += cost
            while self._bytes > self.max_bytes:
                _, (_, dropped) = self._plans.popitem(last=False)
                self._bytes -= dropped
