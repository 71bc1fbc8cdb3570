"""Helpers of ``bench/peer_gateways.py``: meshgate next to a peer gateway, same question.

The peer is GraphQL Mesh compose (OpenAPI sources) served by Hive Gateway, pinned in this
folder's package.json / package-lock.json (``npm ci`` into ``bench/peer/node_modules``).
Each module is one step: install, processes, upstreams, compose, question, load, report.
"""
