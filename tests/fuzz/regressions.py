"""What the fuzz found, minimised, replayed by every run (``test_*_regression_*``).

Each entry is a reproducer of a finding: it fails until the code it points at is fixed,
and is never marked xfail. Keep the shortest form Hypothesis (or the collecting long run)
gave.
"""

from __future__ import annotations

ST = 'precipitation."us-precipitation".us_stations'

# (id, statement): the planner must refuse it or plan it within the rules, and nothing
# outside the rules may reach DuckDB.
SQL_REGRESSIONS: list[tuple[str, str]] = [
    # An unqualified undeclared column under HAVING is left unchecked and reaches the
    # engine as written (issue 6 hole 5; on Trino it reads the physical table).
    ("having-undeclared-aggregate",
     f"SELECT station_id FROM {ST} GROUP BY station_id HAVING max(secret) IS NOT NULL"),
    ("having-undeclared-bare",
     f"SELECT station_id FROM {ST} GROUP BY station_id HAVING secret > 0"),
]  # fmt: skip

# (id, JSON body POSTed to /graphql): no 5xx, a JSON body, a code on every error.
GRAPHQL_REGRESSIONS: list[tuple[str, object]] = [
    # Strawberry reads .get on the parsed body: a JSON string or number is a 500.
    ("body-is-a-json-string", "string"),
    ("body-is-a-json-number", 1),
    # Strawberry's own 400s are text/plain, without a code.
    ("body-without-query", {}),
    ("variables-not-an-object", {"query": "{ domains { name } }", "variables": "x"}),
    ("batch-of-requests", [{"query": "{ domains { name } }"}]),
    # Validation and limit errors carry no extensions.code.
    ("fragment-cycle", {"query": "query { ...A } fragment A on Query { ...A }"}),
    ("too-many-aliases", {"query": "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"}),
    ("unknown-field", {"query": "{ nope }"}),
]  # fmt: skip
