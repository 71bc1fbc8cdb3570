"""meshgate: one GraphQL graph over a data mesh.

The ``gateway`` package holds the server side that knows nothing of GraphQL types:
settings, errors, the registry, the upstream client, the cache, the HTTP edge and the
product-gateway sidecar kit.
"""

from __future__ import annotations

__version__ = "0.1.0"
