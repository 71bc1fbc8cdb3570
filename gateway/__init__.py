"""meshgate: one GraphQL graph over a data mesh.

The ``gateway`` package holds the server side that knows nothing of GraphQL types:
settings, errors, the registry, the upstream client, the cache and the HTTP edge. The
product-gateway sidecar kit is its own application, the ``productkit`` package.
"""

from __future__ import annotations

__version__ = "0.1.0"
