"""The quality rules of a table, as checks the kit can measure against its store.

A contract states rules two ways, and both become a :class:`Check`:

* explicit ``quality`` entries on a property or a table: ``nullCheck`` / ``nullValues`` /
  ``missingValues``, ``duplicateCount`` / ``duplicateValues`` / ``unique``, ``rowCount``,
  ``invalidValues`` (``arguments.validValues``), or any other named rule with operators
  (``rangeCheck: mustBeBetween [0, 500]``), which the column's values must meet;
* property flags: ``required: true`` (no nulls) and ``unique: true`` (no duplicates).

* ``type: sql`` rules: their query's single value, once checked and rewritten by
  :mod:`productkit.sqlrules`.

Metric and SQL rules compare the measured number with their operators (default: none
found, or for ``rowCount`` more than zero); value rules count the rows whose value breaks
them. ``text`` and ``custom`` rules are listed as not evaluated.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from productkit.sqlrules import prepare
from productkit.stores.base import Store, column_ref, count_rows
from productkit.tables import Column, Table

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "mustBe": operator.eq,
    "mustNotBe": operator.ne,
    "mustBeGreaterThan": operator.gt,
    "mustBeGreaterOrEqualTo": operator.ge,
    "mustBeLessThan": operator.lt,
    "mustBeLessOrEqualTo": operator.le,
    "mustBeBetween": lambda v, b: b[0] <= v <= b[1],
    "mustNotBeBetween": lambda v, b: not b[0] <= v <= b[1],
}

_KINDS = {
    "nullcheck": "nulls", "nullvalues": "nulls", "missingvalues": "nulls", "notnull": "nulls",
    "duplicatecount": "duplicates", "duplicatevalues": "duplicates", "unique": "duplicates",
    "uniquecheck": "duplicates", "uniqueness": "duplicates",
    "rowcount": "rows",
    "invalidvalues": "invalid", "validvalues": "invalid",
}  # fmt: skip


@dataclass(frozen=True)
class Check:
    """One measurable rule about a table or one of its columns.

    ``name`` is the rule as the contract names it (``nullCheck``, ``rangeCheck``...) or
    ``required`` / ``unique`` for the property flags. ``kind`` says what is measured:
    ``nulls``, ``duplicates``, ``rows``, ``invalid``, ``violations`` (rows breaking a value
    rule), ``sql`` or ``unsupported``.
    """

    table: Table
    column: Column | None
    name: str
    kind: str
    rule: Mapping[str, Any]
    source: str
    unit: str

    @property
    def element(self) -> str:
        """``table.column`` or ``table``, as in an observability result."""
        return f"{self.table.name}.{self.column.name}" if self.column else self.table.name

    @property
    def note(self) -> str | None:
        """Why an unsupported check is not evaluated."""
        if self.kind != "unsupported":
            return None
        rule_type = self.rule.get("type")
        if rule_type in ("sql", "text", "custom"):
            return f"{rule_type} rules without a runnable query are not run by the kit"
        return f"rule {self.name!r} is not known to the product gateway kit"


def checks_of(table: Table) -> list[Check]:
    """Every check of ``table``: its own rules, then each column's flags and rules."""
    checks = [_explicit(table, None, rule, f"quality[{i}]") for i, rule in enumerate(table.quality)]
    for column in table.columns:
        if column.required:
            checks.append(Check(table, column, "required", "nulls", {}, "required", "percent"))
        if column.unique:
            checks.append(Check(table, column, "unique", "duplicates", {}, "unique", "rows"))
        checks.extend(
            _explicit(table, column, rule, f"quality[{i}]") for i, rule in enumerate(column.quality)
        )
    return checks


def _explicit(table: Table, column: Column | None, rule: Mapping[str, Any], source: str) -> Check:
    name = str(rule.get("metric") or rule.get("rule") or rule.get("name") or rule.get("type"))
    kind = _KINDS.get(name.lower().replace("_", ""))
    if rule.get("type") == "sql":
        kind = "sql" if isinstance(rule.get("query"), str) else "unsupported"
    has_operators = any(k in rule for k in OPERATORS)
    if kind is None:
        kind = "violations" if column is not None and has_operators else "unsupported"
    if not _measurable(table, column, rule, kind):
        kind = "unsupported"
    default_unit = "percent" if kind == "nulls" else "rows"
    unit = str(rule.get("unit") or default_unit)
    return Check(table, column, name, kind, rule, source, unit)


def _measurable(table: Table, column: Column | None, rule: Mapping[str, Any], kind: str) -> bool:
    """Whether the kit can measure a rule of ``kind`` written this way."""
    if kind == "sql":
        return True
    if rule.get("type") in ("sql", "text", "custom"):
        return False
    if kind in ("nulls", "invalid") and column is None:
        return False
    if kind == "invalid" and not isinstance(_arguments(rule).get("validValues"), list):
        return False
    return not (kind == "duplicates" and column is None and not _argument_columns(table, rule))


def _arguments(rule: Mapping[str, Any]) -> Mapping[str, Any]:
    args = rule.get("arguments")
    return args if isinstance(args, dict) else {}


def _argument_columns(table: Table, rule: Mapping[str, Any]) -> list[Column]:
    names = _arguments(rule).get("properties")
    if not isinstance(names, list):
        return []
    columns = [table.column(str(n)) for n in names]
    return [c for c in columns if c is not None] if all(columns) else []


#: Seconds a SQL rule may run when no limit is given (the kit's setting overrides it).
RULE_TIMEOUT_SECONDS = 5.0


def measure(
    check: Check,
    store: Store,
    tables: Mapping[str, Table] | None = None,
    rule_timeout: float = RULE_TIMEOUT_SECONDS,
) -> float | int | None:
    """The check's number, measured on ``store`` (a count, or a percent of the rows).

    ``tables`` are the tables of the check's contract in ``store`` that a SQL rule may
    read (default: the check's own table). A SQL rule that cannot be run raises
    ``RuleRefused``; one running past ``rule_timeout`` seconds raises ``RuleTimedOut``.
    """
    if check.kind == "unsupported":
        return None
    if check.kind == "sql":
        readable = tables if tables is not None else {check.table.name: check.table}
        query = prepare(str(check.rule["query"]), check.table, check.column, readable, store)
        value = store.rule_scalar(query, rule_timeout)
        return value if isinstance(value, int | float) else _number(value)
    relation = store.relation(check.table)
    if check.kind == "rows":
        return int(store.scalar(count_rows(relation)) or 0)
    if check.kind == "duplicates":
        columns = [check.column] if check.column else _argument_columns(check.table, check.rule)
        count = int(store.scalar(_duplicates(relation, columns)) or 0)
    else:
        count = int(store.scalar(count_rows(relation, _bad_rows(check))) or 0)
    if check.unit != "percent":
        return count
    total = int(store.scalar(count_rows(relation)) or 0)
    return round(count * 100.0 / total, 6) if total else 0.0


def _number(value: Any) -> float | int | None:
    """A SQL rule's value as a number (drivers return decimals or text for some types)."""
    if value is None or isinstance(value, bool):
        return None if value is None else int(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else number


def passes(check: Check, value: float | int | None) -> bool | None:
    """Whether ``value`` meets the check (``None`` when nothing was measured)."""
    if value is None or check.kind == "unsupported":
        return None
    if check.kind == "violations":
        return value == 0
    found = {k: v for k, v in check.rule.items() if k in OPERATORS}
    if not found:
        found = {"mustBeGreaterThan": 0} if check.kind == "rows" else {"mustBe": 0}
    try:
        return all(OPERATORS[k](value, bound) for k, bound in found.items())
    except TypeError:  # a bound of another type than a number: the rule cannot hold
        return False


def _bad_rows(check: Check) -> exp.Expr:
    """The condition that marks a row as failing a null, invalid or value check."""
    assert check.column is not None
    col = column_ref(check.column)
    if check.kind == "nulls":
        missing = _arguments(check.rule).get("missingValues")
        cond: exp.Expr = col.is_(exp.null())
        if isinstance(missing, list) and missing:
            cond = exp.or_(cond, col.copy().isin(*(exp.convert(v) for v in missing)))
        return cond
    present = exp.not_(col.copy().is_(exp.null()))
    if check.kind == "invalid":
        valid = _arguments(check.rule)["validValues"]
        return exp.and_(present, exp.not_(col.copy().isin(*(exp.convert(v) for v in valid))))
    conditions = [_condition(col.copy(), k, v) for k, v in check.rule.items() if k in OPERATORS]
    return exp.and_(present, exp.not_(exp.paren(exp.and_(*conditions))))


def _condition(col: exp.Expr, key: str, bound: Any) -> exp.Expr:
    """``col <op> bound`` for one operator; bounds become literals, never text."""
    if key in ("mustBeBetween", "mustNotBeBetween"):
        between = exp.Between(this=col, low=exp.convert(bound[0]), high=exp.convert(bound[1]))
        return between if key == "mustBeBetween" else exp.not_(between)
    builders: dict[str, type[exp.Binary]] = {
        "mustBe": exp.EQ,
        "mustNotBe": exp.NEQ,
        "mustBeGreaterThan": exp.GT,
        "mustBeGreaterOrEqualTo": exp.GTE,
        "mustBeLessThan": exp.LT,
        "mustBeLessOrEqualTo": exp.LTE,
    }
    return builders[key](this=col, expression=exp.convert(bound))


def _duplicates(relation: exp.Expr, columns: Sequence[Column]) -> exp.Select:
    """Rows beyond the first of each group of equal (non-null) values of ``columns``."""
    refs = [column_ref(c) for c in columns]
    groups = (
        exp.select(exp.Count(this=exp.Star()).as_("n"))
        .from_(exp.alias_(relation, "t", table=True))
        .where(exp.and_(*(exp.not_(r.copy().is_(exp.null())) for r in refs)))
        .group_by(*refs)
        .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
    )
    total = exp.Sum(this=exp.Sub(this=exp.column("n"), expression=exp.Literal.number(1)))
    return exp.select(exp.Coalesce(this=total, expressions=[exp.Literal.number(0)])).from_(
        groups.subquery("d")
    )
