"""The row cap: the engine returns at most ``cap + 1`` rows, so it can tell truncation.

A literal ``LIMIT n`` (or ``FETCH FIRST n ROWS ONLY``) of the outermost query becomes
``LIMIT min(n, cap + 1)``; a query without one gets ``LIMIT cap + 1``; anything else (a
bare VALUES, a limit that is not a literal) is wrapped in ``SELECT * FROM (...) LIMIT``.
"""

from __future__ import annotations

from sqlglot import exp

from gateway.errors import SqlNotAllowed


def apply_row_cap(tree: exp.Expr, cap: int | None) -> exp.Expr:
    """``tree`` returning at most ``cap + 1`` rows; ``None`` leaves it uncapped.

    >>> import sqlglot
    >>> apply_row_cap(sqlglot.parse_one("SELECT 1 LIMIT 500"), 100).sql()
    'SELECT 1 LIMIT 101'
    >>> apply_row_cap(sqlglot.parse_one("SELECT 1 LIMIT 5"), 100).sql()
    'SELECT 1 LIMIT 5'
    >>> apply_row_cap(sqlglot.parse_one("SELECT 1"), 100).sql()
    'SELECT 1 LIMIT 101'
    """
    for fetch in tree.find_all(exp.Fetch):
        if not _plain_fetch(fetch):
            # DuckDB has no FETCH ... WITH TIES / PERCENT: the engines would disagree.
            raise SqlNotAllowed("FETCH ... WITH TIES and FETCH ... PERCENT are not supported")
    if cap is None:
        return tree
    most = cap + 1
    if isinstance(tree, exp.Select | exp.SetOperation):
        limit = tree.args.get("limit")
        if limit is None:
            tree.set("limit", exp.Limit(expression=exp.Literal.number(most)))
            return tree
        if isinstance(limit, exp.Limit):
            wanted = _literal(limit.expression)
            if wanted is not None:
                limit.set("expression", exp.Literal.number(min(wanted, most)))
                return tree
        if isinstance(limit, exp.Fetch) and _plain_fetch(limit):
            wanted = _literal(limit.args.get("count"))
            if wanted is not None:
                # LIMIT means the same in both engines; FETCH FIRST is Trino's spelling.
                tree.set("limit", exp.Limit(expression=exp.Literal.number(min(wanted, most))))
                return tree
    alias = exp.TableAlias(this=exp.to_identifier("capped", quoted=True))
    wrapped = exp.select(exp.Star()).from_(exp.Subquery(this=tree, alias=alias))
    wrapped.set("limit", exp.Limit(expression=exp.Literal.number(most)))
    return wrapped


def _literal(node: exp.Expr | None) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string and node.this.isdigit():
        return int(node.this)
    return None


def _plain_fetch(fetch: exp.Fetch) -> bool:
    """``FETCH FIRST n ROWS ONLY``: not WITH TIES, not PERCENT."""
    options = fetch.args.get("limit_options")
    return options is None or not (options.args.get("with_ties") or options.args.get("percent"))
