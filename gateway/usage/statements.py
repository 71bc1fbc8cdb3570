"""The aggregation SQL of the usage figures, written once for SQLite and PostgreSQL.

The two backends differ in three places only: the parameter marker, how a JSON array
of column names becomes rows, and how a time is compared. Every figure is computed by
the database (``count``, ``sum``, ``max``, ``GROUP BY``); Python only shapes the few
rows that come back.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.usage.model import OK


@dataclass(frozen=True)
class Dialect:
    param: str  # the parameter marker: "?" or "%s"
    column_names: str  # FROM-item turning ``r.columns`` into rows with a ``value`` column


SQLITE = Dialect(param="?", column_names="json_each(r.columns) AS c")
POSTGRES = Dialect(param="%s", column_names="jsonb_array_elements_text(r.columns) AS c(value)")


def _window(d: Dialect, since: bool) -> str:
    return f" AND q.at >= {d.param}" if since else ""


def _read_by(d: Dialect) -> str:
    # The queries that read the product: an index on (product_id, query_id) answers it.
    return f"q.id IN (SELECT r0.query_id FROM usage_reads r0 WHERE r0.product_id = {d.param})"


def totals(d: Dialect, *, since: bool) -> str:
    """Answered queries of one product: count, rows, last time, distinct callers.

    Parameters: product id[, since].
    """
    return (
        "SELECT count(*) AS queries, coalesce(sum(q.row_count), 0) AS rows_served, "
        "max(q.at) AS last_at, count(DISTINCT q.caller) AS callers "
        f"FROM usage_queries q WHERE q.outcome = '{OK}' AND {_read_by(d)}{_window(d, since)}"
    )


def by_table(d: Dialect, *, since: bool) -> str:
    """Answered queries per table of one product (``column_name`` NULL) and per column.

    Parameters: product id[, since], product id[, since].
    """
    where = f"WHERE q.outcome = '{OK}' AND r.product_id = {d.param}{_window(d, since)}"
    join = "FROM usage_reads r JOIN usage_queries q ON q.id = r.query_id"
    return (
        # DISTINCT: a query reading two contract versions of a table counts once.
        f"SELECT r.table_name, NULL AS column_name, count(DISTINCT q.id) AS queries "
        f"{join} {where} "
        "GROUP BY r.table_name "
        "UNION ALL "
        f"SELECT r.table_name, c.value AS column_name, count(DISTINCT q.id) AS queries "
        f"{join}, {d.column_names} {where} GROUP BY r.table_name, c.value"
    )


def recent(d: Dialect, *, since: bool) -> str:
    """The latest queries that read one product, whatever their outcome.

    Parameters: product id[, since], limit.
    """
    return (
        "SELECT q.at, q.caller, q.engine, q.outcome, q.row_count, q.elapsed_ms, q.sql_text "
        f"FROM usage_queries q WHERE {_read_by(d)}{_window(d, since)} "
        f"ORDER BY q.at DESC, q.id DESC LIMIT {d.param}"
    )


def log(d: Dialect, *, since: bool) -> str:
    """The latest queries of the whole mesh, refused ones included (the audit trail).

    Parameters: [since,] limit.
    """
    where = f"WHERE q.at >= {d.param} " if since else ""
    return (
        "SELECT q.id, q.at, q.caller, q.engine, q.outcome, q.row_count, q.elapsed_ms, "
        f"q.sql_text FROM usage_queries q {where}ORDER BY q.at DESC, q.id DESC LIMIT {d.param}"
    )


def readers(d: Dialect) -> str:
    """Who read one product through answered queries: per caller and table (``column_name``
    NULL), and per caller, table and column, with the number of queries. Signed-in callers
    only (an anonymous query names nobody). Parameters: product id, product id, limit.
    """
    where = f"WHERE q.outcome = '{OK}' AND q.caller IS NOT NULL AND r.product_id = {d.param}"
    join = "FROM usage_reads r JOIN usage_queries q ON q.id = r.query_id"
    return (
        "SELECT * FROM ("
        f"SELECT q.caller, r.table_name, NULL AS column_name, count(DISTINCT q.id) AS queries "
        f"{join} {where} GROUP BY q.caller, r.table_name "
        "UNION ALL "
        f"SELECT q.caller, r.table_name, c.value AS column_name, count(DISTINCT q.id) AS queries "
        f"{join}, {d.column_names} {where} GROUP BY q.caller, r.table_name, c.value"
        f") AS x ORDER BY queries DESC, caller, table_name, column_name LIMIT {d.param}"
    )


def reads_of(d: Dialect, count: int) -> str:
    """The table reads of ``count`` queries. Parameters: their ids."""
    ids = ", ".join(d.param for _ in range(count))
    return (
        "SELECT r.query_id, r.product_id, r.table_name, r.contract_id, r.contract_version, "
        f"r.columns FROM usage_reads r WHERE r.query_id IN ({ids}) "
        "ORDER BY r.query_id"
    )


def purge(d: Dialect) -> str:
    """Delete the queries older than a time; their table reads go with them (the foreign
    key cascades). Parameter: time."""
    return f"DELETE FROM usage_queries WHERE at < {d.param}"
