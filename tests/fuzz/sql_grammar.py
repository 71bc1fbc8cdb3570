"""Hypothesis strategies for SQL over the demo mesh: a small grammar, and hostile pieces.

The grammar builds statements an analyst might write (joins, CTEs, subqueries, HAVING,
UNION, window functions) over the demo catalog's logical tables, and mixes in what an
attacker would try at every place a name or an expression goes: CTE names that shadow the
engine's system views or the registered files, table names of one to four parts in system
schemas or physical catalogs, file paths, forbidden functions, undeclared columns. Other
strategies send DDL, DML and several statements, and mutate the must-reject list (case,
comments, whitespace, quoting, Unicode look-alikes, nesting).
"""

from __future__ import annotations

from functools import cache

from hypothesis import strategies as st
from sqlglot.tokens import TokenType

from gateway.federation.planner.dialect import READ_DIALECT
from tests.federation.demo_catalog import ROOT, demo_catalog
from tests.federation.test_planner_reject import REJECT

# Names the engines know that no contract declares: system views and functions, physical
# catalogs and schemas, the registered files, and the names CTEs use to hide them.
SHADOW_NAMES = [
    "duckdb_settings", "duckdb_views", "duckdb_tables", "duckdb_columns", "duckdb_databases",
    "duckdb_secrets", "duckdb_extensions", "information_schema", "pg_user", "nodes", "tables",
    "us_stations", "us_daily_precipitation", "cities", "assets", "flood_prone_areas",
    "air_quality", "global_daily_precipitation_v1", "us_stations.parquet", "mesh", "a", "b",
]  # fmt: skip
CATALOGS = ["mesh", "memory", "system", "temp", "main", "demo_pg", "demo_mariadb", "_pg_0",
            "information_schema", "pg_catalog", "postgres", "tpch", "hive"]  # fmt: skip
SCHEMAS = ["main", "information_schema", "pg_catalog", "runtime", "metadata", "public",
           "precipitation_us_precipitation", "temperature_city_temperatures", "mysql",
           "sf1"]  # fmt: skip
FILES = [
    "/etc/passwd", "demo/data/us-precipitation/us_stations.parquet", "demo/data/*/*.parquet",
    "demo/data/flood-areas/flood_prone_areas.csv", "../../etc/hostname", "/proc/self/environ",
    "https://example.com/x.parquet", "s3://bucket/x.parquet", "~/.ssh/id_rsa", "*",
]  # fmt: skip
UNDECLARED = ["secret", "ctid", "rowid", "_rowid", "filename", "file_row_number", "value",
              "sql", "path", "name", "description", "setting", "oid", "xmin", "_col0"]  # fmt: skip
ALLOWED_CALLS = ["count({c})", "sum({c})", "max({c})", "min({c})", "avg({c})", "upper({c})",
                 "lower({c})", "length({c})", "coalesce({c}, {c})", "abs({c})",
                 "round({c}, 2)", "CAST({c} AS varchar)", "nullif({c}, {c})",
                 "count(DISTINCT {c})", "greatest({c}, {c})", "array_agg({c})",
                 "CASE WHEN {c} IS NULL THEN 0 ELSE 1 END", "trim(CAST({c} AS varchar))",
                 "date_trunc('month', CAST({c} AS date))", "approx_distinct({c})"]  # fmt: skip
FORBIDDEN_CALLS = [
    "read_csv('/etc/passwd')", "read_text('/etc/passwd')", "pg_read_file('/etc/passwd')",
    "getenv('HOME')", "current_setting('allowed_paths')", "version()", "current_database()",
    "pg_sleep(1)", "system('id')", "load_file('/etc/passwd')", "set_config('a', 'b', false)",
    "duckdb_settings()", "glob('*')", "main.read_csv('/etc/passwd')", '"read_csv"(\'x\')',
    "read_blob('/etc/passwd')", "current_user", "sleep_ms(10)", "list_value({c})",
    "to_json({c})", "md5({c})", "h3_cell_to_parent({c}, 5)", "query('SELECT 1')",
    "query_table('duckdb_settings')", "json_extract({c}, '$')", "ReAd_CsV('/etc/passwd')",
]  # fmt: skip
FROM_FUNCTIONS = [
    "read_parquet('demo/data/*/*.parquet')", "read_csv_auto('/etc/passwd')", "duckdb_settings()",
    "duckdb_views()", "glob('/etc/*')", "range(3)", "query_table('duckdb_settings')",
    "TABLE(sequence(1, 3))", "UNNEST(ARRAY[1, 2]) AS u(x)", "pragma_database_list()",
]  # fmt: skip


@cache
def _tables() -> list[tuple[str, list[str]]]:
    """(written logical name, declared columns) of every demo table, versions included."""
    found = []
    for table in demo_catalog().tables():
        columns = [c.name for c in table.columns]
        domain, slug, name = table.logical.split(".")
        found.append((f'"{domain}"."{slug}".{name}', columns))
        found.append((f'{_q(domain)}.{_q(slug)}."{name}@{table.contract_version}"', columns))
    return found


def _q(part: str) -> str:
    return f'"{part}"' if "-" in part else part


def _quote_maybe(draw: st.DrawFn, name: str) -> str:
    style = draw(st.sampled_from(["plain", "plain", "double", "upper", "mixed"]))
    if style == "double" or not name.replace("_", "").isalnum():
        return '"' + name.replace('"', '""') + '"'
    if style == "upper":
        return name.upper()
    if style == "mixed":
        return "".join(c.upper() if i % 2 else c for i, c in enumerate(name))
    return name


@st.composite
def hostile_table(draw: st.DrawFn) -> str:
    """A name of one to four parts that no contract declares, or a file, or a function."""
    kind = draw(st.sampled_from(["parts", "file", "string-file", "function", "shadow"]))
    if kind == "file":
        return '"' + draw(st.sampled_from(FILES)) + '"'
    if kind == "string-file":
        return "'" + draw(st.sampled_from(FILES)) + "'"
    if kind == "function":
        return draw(st.sampled_from(FROM_FUNCTIONS))
    if kind == "shadow":
        return _quote_maybe(draw, draw(st.sampled_from(SHADOW_NAMES)))
    names = SHADOW_NAMES + [view for _, view in _view_names()]
    pools = {1: [names], 2: [CATALOGS + SCHEMAS, names], 3: [CATALOGS, SCHEMAS, names],
             4: [CATALOGS, CATALOGS, SCHEMAS, names]}[draw(st.integers(1, 4))]  # fmt: skip
    return ".".join(_quote_maybe(draw, draw(st.sampled_from(pool))) for pool in pools)


@cache
def _view_names() -> list[tuple[str, str]]:
    """(logical, last part of its physical name) for every location of every demo table."""
    return [
        (t.logical, loc.parts[-1]) for t in demo_catalog().tables() for loc in t.locations.values()
    ]


def chance(draw: st.DrawFn, percent: int) -> bool:
    """True ``percent`` times in a hundred (False is the simpler case Hypothesis shrinks to)."""
    return draw(st.integers(0, 99)) >= 100 - percent


class Scope:
    """The FROM items a SELECT can name: alias -> columns (declared or guessed)."""

    def __init__(self) -> None:
        self.items: dict[str, list[str]] = {}


@st.composite
def column(draw: st.DrawFn, scope: Scope) -> str:
    """A column reference: mostly a declared one of an item in scope."""
    if not scope.items or chance(draw, 4):
        return _quote_maybe(draw, draw(st.sampled_from(UNDECLARED)))
    alias = draw(st.sampled_from(sorted(scope.items)))
    columns = scope.items[alias] or UNDECLARED
    name = draw(st.sampled_from(columns))
    if draw(st.booleans()):
        return f'"{alias}".{_quote_maybe(draw, name)}'
    return _quote_maybe(draw, name)


@st.composite
def expression(draw: st.DrawFn, scope: Scope, depth: int = 0) -> str:
    """A scalar expression: a column, a literal, a call (allowed or not), a subquery."""
    choices = ["column", "column", "column", "literal", "call", "call"]
    if depth < 2:
        choices += ["arith", "scalar-subquery"]
    kind = draw(st.sampled_from(choices))
    if chance(draw, 4):
        kind = "forbidden"
    if kind == "column":
        return draw(column(scope))
    if kind == "literal":
        return draw(st.sampled_from(["1", "'x'", "NULL", "2.5", "DATE '2024-01-01'", "true"]))
    if kind == "call":
        return draw(st.sampled_from(ALLOWED_CALLS)).format(c=draw(column(scope)))
    if kind == "forbidden":
        return draw(st.sampled_from(FORBIDDEN_CALLS)).format(c=draw(column(scope)))
    if kind == "arith":
        op = draw(st.sampled_from(["+", "-", "*", "||", "="]))
        left = draw(expression(scope, depth + 1))
        return f"({left} {op} {draw(expression(scope, depth + 1))})"
    return f"({draw(query(depth + 1, scalar=True))})"


@st.composite
def condition(draw: st.DrawFn, scope: Scope, depth: int = 0) -> str:
    kind = draw(st.sampled_from(["cmp", "cmp", "in", "exists", "null", "and"]))
    if kind == "cmp":
        return f"{draw(expression(scope, depth + 1))} > {draw(expression(scope, depth + 1))}"
    if kind == "null":
        return f"{draw(column(scope))} IS NOT NULL"
    if kind == "and" and depth < 2:
        return f"({draw(condition(scope, depth + 1))} AND {draw(condition(scope, depth + 1))})"
    if depth >= 2:
        return "1 = 1"
    sub = draw(query(depth + 1, scalar=True))
    if kind == "in":
        return f"{draw(column(scope))} IN ({sub})"
    return f"EXISTS ({sub})"


@st.composite
def from_item(draw: st.DrawFn, scope: Scope, depth: int, ctes: list[str]) -> str:
    """One FROM item with an alias, added to ``scope``."""
    kinds = ["table", "table", "table"]
    if ctes:
        kinds += ["cte", "cte"]
    if depth < 2:
        kinds.append("derived")
    kind = draw(st.sampled_from(kinds))
    if chance(draw, 5):
        kind = "hostile"
    alias = draw(st.sampled_from(["t", "u", "s", "x", "y", "z", "duckdb_settings", "us_stations"]))
    while alias in scope.items:
        alias += "2"
    if kind == "table":
        name, columns = draw(st.sampled_from(_tables()))
        scope.items[alias] = columns
        return (
            f"{name} AS {alias}"
            if draw(st.integers(0, 4))
            else name_without_alias(scope, alias, name, columns)
        )
    if kind == "cte":
        name = draw(st.sampled_from(ctes))
        scope.items[alias] = ["c0"] if chance(draw, 90) else ["value", "name", "station_id"]
        return f"{_quote_maybe(draw, name)} AS {alias}"
    if kind == "hostile":
        scope.items[alias] = ["name", "value", "sql", "station_id", "column0"]
        return f"{draw(hostile_table())} AS {alias}"
    scope.items[alias] = ["c0"]
    return f"({draw(query(depth + 1))}) AS {alias}"


def name_without_alias(scope: Scope, alias: str, name: str, columns: list[str]) -> str:
    # Unaliased: the table is named by its last part, as SQL says.
    del scope.items[alias]
    last = name.rsplit(".", 1)[-1].strip('"').split("@")[0]
    scope.items[last] = columns
    return name


@st.composite
def select(draw: st.DrawFn, depth: int = 0, ctes: list[str] | None = None,
           scalar: bool = False, tail: bool = True) -> str:  # fmt: skip
    """One SELECT block (FROM, joins, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT)."""
    ctes = ctes or []
    scope = Scope()
    items = [draw(from_item(scope, depth, ctes))]
    joins = []
    for _ in range(draw(st.integers(0, 0 if scalar or depth else 2))):
        item = draw(from_item(scope, depth, ctes))
        kind = draw(st.sampled_from(["JOIN", "LEFT JOIN", "CROSS JOIN", "NATURAL JOIN", ","]))
        if kind in ("JOIN", "LEFT JOIN"):
            on = f"{draw(column(scope))} = {draw(column(scope))}"
            joins.append(f" {kind} {item} ON {on}")
        elif kind == ",":
            joins.append(f", {item}")
        else:
            joins.append(f" {kind} {item}")
    if scalar:
        projection = [draw(expression(scope, depth + 1))]
    elif depth == 0 and chance(draw, 15):
        projection = [draw(st.sampled_from(["*", f"{sorted(scope.items)[0]}.*"]))]
    else:
        projection = [
            f"{draw(expression(scope, depth))} AS c{i}" if depth or draw(st.booleans())
            else draw(expression(scope, depth))
            for i in range(draw(st.integers(1, 3)))
        ]  # fmt: skip
        if draw(st.integers(0, 4)) == 0:
            col = draw(column(scope))
            window = draw(st.sampled_from(["row_number()", "lag({c})", "sum({c})", "rank()",
                                           "first_value({c})", "ntile(4)"]))  # fmt: skip
            projection.append(
                f"{window.format(c=col)} OVER (PARTITION BY {draw(column(scope))} "
                f"ORDER BY {draw(column(scope))}) AS w"
            )
    sql = f"SELECT {'DISTINCT ' if draw(st.integers(0, 6)) == 0 else ''}"
    sql += ", ".join(projection) + " FROM " + items[0] + "".join(joins)
    if draw(st.booleans()):
        sql += f" WHERE {draw(condition(scope, depth))}"
    if not scalar and draw(st.integers(0, 3)) == 0:
        sql += f" GROUP BY {draw(column(scope))}"
        if draw(st.booleans()):
            having = draw(st.sampled_from(["count(*) > 1", "max({c}) IS NOT NULL",
                                           "{c} IS NOT NULL", "sum({c}) > 0"]))  # fmt: skip
            sql += " HAVING " + having.format(c=draw(column(scope)))
    if tail and not scalar and draw(st.integers(0, 3)) == 0:
        sql += f" ORDER BY {draw(column(scope))}"
    if tail and draw(st.integers(0, 3)) == 0:
        sql += f" LIMIT {draw(st.integers(0, 1000))}"
    return sql


@st.composite
def query(draw: st.DrawFn, depth: int = 0, scalar: bool = False) -> str:
    """A query: a SELECT, a set operation, or a WITH over either, CTEs nested at any depth."""
    ctes: list[str] = []
    prefix = ""
    if depth < 2 and chance(draw, 25 if depth == 0 else 10):
        defs = []
        for _ in range(draw(st.integers(1, 3))):
            name = draw(st.sampled_from(SHADOW_NAMES))
            # The body sees only the CTEs before it (and the shadowed name itself!).
            body = (
                draw(query(depth + 1))
                if chance(draw, 30)
                else draw(select(depth + 1, ctes=[*ctes, name]))
            )
            defs.append(f"{_quote_maybe(draw, name)} AS ({body})")
            ctes.append(name)
        recursive = "RECURSIVE " if draw(st.integers(0, 9)) == 0 else ""
        prefix = f"WITH {recursive}" + ", ".join(defs) + " "
    if not scalar and chance(draw, 15):
        op = draw(st.sampled_from(["UNION", "UNION ALL", "INTERSECT", "EXCEPT"]))
        first = draw(select(depth, ctes=ctes, tail=False))
        return f"{prefix}{first} {op} {draw(select(depth, ctes=ctes, scalar=True, tail=False))}"
    body = draw(select(depth, ctes=ctes, scalar=scalar))
    return prefix + body


DDL_DML = [
    "INSERT INTO {t} SELECT * FROM {t}", "DELETE FROM {t}", "UPDATE {t} SET x = 1",
    "CREATE TABLE x AS SELECT * FROM {t}", "CREATE VIEW {t} AS SELECT 1",
    "CREATE MACRO m(a) AS a", "CREATE OR REPLACE VIEW mesh.{t} AS SELECT 1", "DROP VIEW {t}",
    "ATTACH '/tmp/x.db' AS x", "DETACH mesh", "COPY (SELECT * FROM {t}) TO '/tmp/out.csv'",
    "EXPORT DATABASE '/tmp/db'", "INSTALL httpfs", "LOAD httpfs",
    "SET enable_external_access = true",
    "SET allowed_paths = ['/']", "RESET lock_configuration", "PRAGMA database_list",
    "CALL pragma_version()", "CHECKPOINT", "VACUUM", "USE mesh", "SUMMARIZE {t}",
    "DESCRIBE {t}", "SHOW TABLES", "EXPLAIN SELECT * FROM {t}", "PIVOT {t} ON x USING sum(y)",
    "FROM {t}", "SELECT * INTO y FROM {t}", "BEGIN TRANSACTION", "ROLLBACK",
    "SELECT * FROM {t} FOR UPDATE", "TRUNCATE {t}",
    "MERGE INTO {t} USING {t} s ON true WHEN MATCHED THEN DELETE",
    "CREATE SECRET (TYPE s3, KEY_ID 'a', SECRET 'b')", "EXECUTE p", "PREPARE p AS SELECT 1",
]  # fmt: skip


@st.composite
def statement_not_a_query(draw: st.DrawFn) -> str:
    """DDL, DML, session commands, and several statements in one string."""
    table = draw(st.sampled_from([n for n, _ in _tables()] + SHADOW_NAMES))
    first = draw(st.sampled_from(DDL_DML)).format(t=table)
    shape = draw(st.sampled_from(["alone", "after-select", "before-select", "comment"]))
    if shape == "after-select":
        return f"{draw(query())}; {first}"
    if shape == "before-select":
        return f"{first}; {draw(query())}"
    if shape == "comment":
        return f"SELECT 1 /* ; */ ; -- x\n {first}"
    return first


# Look-alikes of ASCII letters and spaces that a careless normaliser could fold.
LOOKALIKES = {"e": "\u0435", "a": "\u0430", "o": "\u043e", "c": "\u0441", "s": "\u0455",
              "E": "\u0415", "S": "\uff33", "T": "\u0422", " ": "\u00a0",
              "_": "\uff3f"}  # fmt: skip
COMMENTS = ["/* x */", "/**/", "-- c\n", "/* ; DROP */", "/*+ hint */"]


@cache
def _reject_tokens() -> list[list[tuple[str, str]]]:
    """The must-reject statements (bounded in size) as (token type, text) lists."""
    found = []
    for _, sql, _, _ in REJECT:
        if len(sql) > 2000:
            continue
        try:
            tokens = READ_DIALECT.tokenize(sql)
        except Exception:  # noqa: BLE001 - some entries are meant not to tokenize
            continue
        found.append([(t.token_type.name, t.text) for t in tokens])
    return found


def _render(kind: str, text: str) -> str:
    if kind == TokenType.STRING.name:
        return "'" + text.replace("'", "''") + "'"
    if kind == TokenType.IDENTIFIER.name:
        return '"' + text.replace('"', '""') + '"'
    return text


@st.composite
def mutated_reject(draw: st.DrawFn) -> str:
    """A must-reject statement with its tokens re-cased, commented, spaced, quoted,
    made of look-alike characters, or the whole nested in a query."""
    tokens = draw(st.sampled_from(_reject_tokens()))
    out = []
    for kind, text in tokens:
        piece = _render(kind, text)
        action = draw(st.sampled_from(["keep"] * 6 + ["case", "comment", "space", "quote",
                                                       "lookalike"]))  # fmt: skip
        if action == "case":
            piece = piece.swapcase()
        elif action == "comment":
            piece = piece + draw(st.sampled_from(COMMENTS))
        elif action == "space":
            piece = piece + draw(st.sampled_from(["\t", "\n", "\r\n", "  ", "\u3000", "\x0b"]))
        elif action == "quote" and kind in ("VAR", TokenType.IDENTIFIER.name):
            piece = '"' + text + '"'
        elif action == "lookalike":
            piece = "".join(LOOKALIKES.get(c, c) if draw(st.booleans()) else c for c in piece)
        out.append(piece)
    sql = " ".join(out)
    nest = draw(st.sampled_from(["none", "none", "derived", "cte", "paren", "scalar", "exists"]))
    if nest == "derived":
        return f"SELECT * FROM ({sql}) AS n"
    if nest == "cte":
        return f"WITH n AS ({sql}) SELECT * FROM n"
    if nest == "paren":
        return f"({sql})"
    if nest == "scalar":
        return f"SELECT ({sql}) AS n"
    if nest == "exists":
        return f"SELECT 1 WHERE EXISTS ({sql})"
    return sql


@cache
def _file_names() -> list[str]:
    """The registered files as the engine may open them: relative and absolute paths."""
    found = []
    for table in demo_catalog().tables():
        location = table.locations.get("duckdb")
        path = str(location.source.get("path", "")) if location else ""
        if path:
            found += [path, str(ROOT / path)]
    return found


@st.composite
def scope_confusion(draw: st.DrawFn) -> str:
    """A CTE defined in one scope and its name used as a table in another: a sibling
    subquery, the outer query, its own body, or a later CTE; named like a system view or
    a registered file."""
    name = _quote_maybe(draw, draw(st.sampled_from(SHADOW_NAMES + _file_names())))
    if name[0] != '"' and not name.replace("_", "").isalnum():
        name = f'"{name}"'
    table, columns = draw(st.sampled_from(_tables()))
    col = draw(st.sampled_from(columns))
    hidden = f"(WITH {name} AS (SELECT {col} AS x FROM {table}) SELECT 1)"
    use = draw(st.sampled_from(["count(*)", "1", "*", f"{name}.x", "x"]))
    shapes = [
        f"SELECT {hidden} AS y, {use} FROM {name}",
        f"SELECT {use} FROM {name} WHERE EXISTS {hidden}",
        f"SELECT {use} FROM {name}, {hidden[:-1]} ) AS d",
        f"SELECT {use} FROM {name} WHERE 1 IN {hidden}",
        f"SELECT {use} FROM {table} AS t JOIN {name} ON true WHERE EXISTS {hidden}",
        f"WITH {name} AS (SELECT {use} FROM {name}) SELECT * FROM {name}",
        f"WITH a AS (SELECT {use} FROM {name}), {name} AS (SELECT {col} AS x FROM {table}) "
        f"SELECT * FROM a",
        f"SELECT * FROM (SELECT {use} FROM {name}) AS d WHERE EXISTS {hidden}",
        f"SELECT (SELECT count(*) FROM {name}) AS n FROM {table} WHERE EXISTS {hidden}",
    ]
    return draw(st.sampled_from(shapes))


def statements() -> st.SearchStrategy[str]:
    """Every kind of statement the fuzz sends, queries weighted most."""
    return st.one_of(
        query(), query(), query(), query(), query(), query(), statement_not_a_query(),
        mutated_reject(), scope_confusion(),
        st.text(max_size=80),
    )  # fmt: skip
