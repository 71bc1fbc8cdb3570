"""Outbound connections only to allowed addresses: the network guard of both applications.

The gateway calls product gateways, and the product kit calls subscribers' webhooks and
registries, at addresses that untrusted input names. Both go through this one guard. It
imports nothing of the gateway but the error tree, so the kit can use it without loading
the gateway (``tests/test_arrows.py`` keeps it that way).
"""
