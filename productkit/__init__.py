"""The product gateway kit: serve one data product from a folder (plain Python part).

A second application beside the mesh gateway: it shares with it only ``contracts`` and
the gateway's leaf base (the error tree, value forms, the network guard), and talks to
it only over HTTP, as any third-party product gateway would.

``open_product(folder)`` loads the folder (ODPS descriptor, ODCS contracts,
``product.env``), opens the stores its output contracts point at, and returns a
:class:`ProductRuntime` that answers every interface of a product gateway: discover,
observe, certify, control and consume. ``productkit.http.app`` puts HTTP on it.
"""

from __future__ import annotations

from contracts.folder import ProductFolder, load_product_folder, read_env_file
from productkit.runtime import ProductRuntime, open_product
from productkit.tables import Column, Table, tables_of

__all__ = [
    "Column",
    "ProductFolder",
    "ProductRuntime",
    "Table",
    "load_product_folder",
    "open_product",
    "read_env_file",
    "tables_of",
]
