"""The SQL planner: one read-only statement over logical names, checked rule by rule
(one module per rule) and rewritten to an engine's physical names and dialect.

Order: size limits on the text (limits), exactly one read-only query (statement), table
names (tables), functions (functions), columns (columns), the contracts' access rules
(access), operators typed as the mesh's dialect types them (column_types, then
integer_division and date_arithmetic), physical names with each stored column read as its
logical type (tables, logical_types), the row cap (rowcap), the engine's dialect
(transpile).
"""

from __future__ import annotations

from gateway.federation.planner.functions import ALLOWED_FUNCTIONS
from gateway.federation.planner.limits import PlannerLimits
from gateway.federation.planner.plan import Plan, TableUse, plan

__all__ = ["ALLOWED_FUNCTIONS", "Plan", "PlannerLimits", "TableUse", "plan"]
