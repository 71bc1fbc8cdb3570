"""Pages of a SQL result: an OFFSET/LIMIT window put on the checked tree, opaque cursors.

A page re-runs the query with ``OFFSET n``; the window is applied to the sqlglot tree of
the planned statement (never by pasting text), on the outermost query when its own
LIMIT/OFFSET are literals, else around it as a subquery. A cursor is base64 of JSON
holding the offset and a hash of the checked statement and engine, so a cursor handed to
another query is refused.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json

import sqlglot
from sqlglot import exp

from gateway.errors import BadRequest
from gateway.federation.planner import Plan
from gateway.federation.planner.dialect import ENGINE_DIALECTS
from gateway.federation.planner.transpile import to_engine_sql


def window(checked: Plan, limit: int, offset: int) -> Plan:
    """``checked`` (planned without a row cap) returning rows ``offset`` to ``offset+limit``.

    >>> from gateway.federation.catalog import StaticCatalog
    >>> from gateway.federation.planner import plan
    >>> p = plan("SELECT 1 AS x ORDER BY 1 LIMIT 50", StaticCatalog([]), "duckdb", max_rows=None)
    >>> " ".join(window(p, 11, 45).sql.split())
    'SELECT 1 AS "x" ORDER BY "x" LIMIT 5 OFFSET 45'
    """
    tree = sqlglot.parse_one(checked.sql, read=ENGINE_DIALECTS[checked.engine])
    if not _window_in_place(tree, limit, offset):
        alias = exp.TableAlias(this=exp.to_identifier("paged", quoted=True))
        tree = exp.select(exp.Star()).from_(exp.Subquery(this=tree, alias=alias))
        tree.set("limit", exp.Limit(expression=exp.Literal.number(limit)))
        tree.set("offset", exp.Offset(expression=exp.Literal.number(offset)))
    return dataclasses.replace(
        checked, sql=to_engine_sql(tree, checked.engine), row_cap=max(limit - 1, 0)
    )


def _window_in_place(tree: exp.Expr, limit: int, offset: int) -> bool:
    # In place keeps the ORDER BY where it orders the result: Trino ignores the ORDER BY
    # of a subquery, so wrapping an ordered query would lose its order there.
    if not isinstance(tree, exp.Select | exp.SetOperation):
        return False
    own_limit = _count(tree.args.get("limit"))
    own_offset = _count(tree.args.get("offset"))
    if own_limit is False or own_offset is False:
        return False
    if isinstance(own_limit, int):
        limit = max(0, min(limit, own_limit - offset))
    tree.set("limit", exp.Limit(expression=exp.Literal.number(limit)))
    tree.set("offset", exp.Offset(expression=exp.Literal.number((own_offset or 0) + offset)))
    return True


def _count(node: exp.Expr | None) -> int | None | bool:
    """The literal row count of a LIMIT/FETCH/OFFSET; None when absent; False otherwise."""
    if node is None:
        return None
    value = node.args.get("count") if isinstance(node, exp.Fetch) else node.expression
    if isinstance(node, exp.Fetch) and node.args.get("limit_options"):
        return False
    if isinstance(value, exp.Literal) and not value.is_string and value.this.isdigit():
        return int(value.this)
    return False


def query_key(checked: Plan, engine: str) -> str:
    """What a cursor is bound to: the checked statement (normalised) and the engine."""
    text = f"{engine}\n{checked.logical_sql}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def encode_cursor(offset: int, key: str) -> str:
    """The opaque cursor of the row at ``offset`` of the query ``key``.

    >>> decode_cursor(encode_cursor(30, "k"), "k")
    30
    """
    raw = json.dumps({"o": offset, "q": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, key: str) -> int:
    """The offset in ``cursor``; ``BAD_REQUEST`` naming ``after`` unless it is one of ours
    for the query ``key``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        offset, bound = data["o"], data["q"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise BadRequest("after: not a cursor this API returned", argument="after") from None
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise BadRequest("after: not a cursor this API returned", argument="after")
    if bound != key:
        raise BadRequest("after: the cursor belongs to another query or engine", argument="after")
    return offset
