"""Federated SQL over the mesh: the catalog of product tables, the planner, the engines.

Plain Python: no Starlette, no Strawberry.
"""

from __future__ import annotations

from gateway.federation.catalog import (
    Catalog,
    CatalogColumn,
    CatalogTable,
    PhysicalLocation,
    StaticCatalog,
    build_catalog,
    load_product_folders,
)
from gateway.federation.planner import ALLOWED_FUNCTIONS, Plan, PlannerLimits, TableUse, plan

__all__ = [
    "ALLOWED_FUNCTIONS",
    "Catalog",
    "CatalogColumn",
    "CatalogTable",
    "PhysicalLocation",
    "Plan",
    "PlannerLimits",
    "StaticCatalog",
    "TableUse",
    "build_catalog",
    "load_product_folders",
    "plan",
]
