"""Observability results (OORS documents) from running a product's checks on its data.

Each quality check gives one ``criteria: dq`` result; each table gives one
``criteria: sla`` latency result: the age of its newest row against the contract's
``latency`` SLA. Ids are stable (uuid5 of product, element and rule), so a client can
follow one result over time.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, cast

from gateway.values import json_form
from productkit.answers import ObservabilityResult
from productkit.errors import BadInput, RuleTimedOut, StoreUnavailable
from productkit.quality import RULE_TIMEOUT_SECONDS, Check, checks_of, measure, passes
from productkit.sqlrules import RuleRefused
from productkit.stores.base import Store, TableStats
from productkit.tables import Table
from productkit.timefmt import iso

API_VERSION = "1.0.0"
EMITTER = "meshgate.product"
# The namespace of result ids: uuid5(DNS-free URL namespace, the kit's name).
RESULT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://meshgate.example/observability-result")


def result_id(product_id: str, element: str, rule: str) -> str:
    """The stable id of a result.

    >>> result_id("p", "t.c", "required") == result_id("p", "t.c", "required")
    True
    """
    return str(uuid.uuid5(RESULT_NAMESPACE, f"{product_id}\n{element}\n{rule}"))


def document(
    product_id: str,
    table: Table,
    *,
    rule: str,
    criteria: Literal["dq", "sla"],
    prop: str,
    value: Any,
    unit: str | None,
    element: str,
    passed: bool | None,
    now: datetime,
    extra: Mapping[str, Any] | None = None,
) -> ObservabilityResult:
    """One OORS document, with the contract it checks as context."""
    doc: ObservabilityResult = {
        "id": result_id(
            product_id, element, f"{table.contract.id}/{table.contract.version}/{rule}"
        ),
        "kind": "ObservabilityResult",
        "apiVersion": API_VERSION,
        "timestamp": iso(now),
        "emitter": f"{EMITTER}.{prop[:1].upper()}{prop[1:]}",
        "criteria": criteria,
        "property": prop,
        # A rule can measure NaN (an AVG over a NaN): JSON has no such number.
        "value": json_form.json_value(value),
        "unit": unit,
        "element": element,
        "passed": passed,
        "contractId": table.contract.id,
        "contractVersion": table.contract.version,
    }
    # Context keys only when known (ObservabilityResult lists each as NotRequired).
    cast(dict[str, Any], doc).update({k: v for k, v in (extra or {}).items() if v is not None})
    return doc


def dq_result(
    product_id: str,
    check: Check,
    store: Store,
    now: datetime,
    tables: Mapping[str, Table] | None = None,
    rule_timeout: float = RULE_TIMEOUT_SECONDS,
) -> ObservabilityResult:
    """Measure ``check`` on ``store``; a store failure gives ``value: null`` and ``error``.

    ``tables`` are the tables of the check's contract in ``store`` (what a SQL rule may
    read). A SQL rule refused by the checks or cut at ``rule_timeout`` seconds fails,
    with the reason in ``error`` and a stable ``errorCode`` (why fail rather than skip: a
    rule that cannot be verified must not let the product look compliant).
    """
    error = None
    code = None
    note = check.note
    value: float | int | None = None
    passed: bool | None = None
    try:
        value = measure(check, store, tables, rule_timeout)
        passed = passes(check, value)
    except StoreUnavailable as exc:
        error = exc.message
    except RuleTimedOut as exc:
        error, code, passed = exc.message, exc.code, False
    except RuleRefused as exc:
        error, code, passed = f"SQL rule refused: {exc}", "SQL_RULE_REFUSED", False
    return document(
        product_id,
        check.table,
        rule=check.source,
        criteria="dq",
        prop=check.name,
        value=value,
        unit=check.unit,
        element=check.element,
        passed=passed,
        now=now,
        extra={
            "dimension": check.rule.get("dimension"),
            "severity": check.rule.get("severity"),
            "note": note,
            "error": error,
            "errorCode": code,
        },
    )


def latency_result(
    product_id: str, table: Table, stats: TableStats | None, error: str | None, now: datetime
) -> ObservabilityResult:
    """The age of ``table``'s newest row, in the unit of its latency SLA (else seconds)."""
    column = table.freshness_column
    element = f"{table.name}.{column.name}" if column else table.name
    sla = table.latency
    value: float | None = None
    passed: bool | None = None
    if stats is not None and stats.last_updated is not None:
        age = max((now - stats.last_updated).total_seconds(), 0.0)
        value = round(age / (sla.seconds / sla.value), 6) if sla and sla.value else round(age, 3)
        passed = age <= sla.seconds if sla else None
    return document(
        product_id,
        table,
        rule="latency",
        criteria="sla",
        prop="latency",
        value=value,
        unit=sla.unit if sla else "s",
        element=element,
        passed=passed,
        now=now,
        extra={
            "threshold": sla.value if sla else None,
            "lastUpdated": iso(stats.last_updated) if stats and stats.last_updated else None,
            "note": None if sla else "the contract declares no latency SLA",
            "error": error,
        },
    )


def observe(
    product_id: str,
    tables: Sequence[Table],
    stores: Mapping[str, Store],
    stats: Mapping[str, TableStats | StoreUnavailable],
    now: datetime,
    rule_timeout: float = RULE_TIMEOUT_SECONDS,
) -> list[ObservabilityResult]:
    """Every result of the product: each table's checks, then its latency (blocking).

    A SQL rule may read the tables its own contract declares, held by the same store.
    """
    results: list[ObservabilityResult] = []
    for table in tables:
        store = stores[table.name]
        readable = {
            t.name: t for t in tables if stores[t.name] is store and t.contract is table.contract
        }
        results.extend(
            dq_result(product_id, check, store, now, readable, rule_timeout)
            for check in checks_of(table)
        )
        found = stats.get(table.name)
        if isinstance(found, StoreUnavailable):
            results.append(latency_result(product_id, table, None, found.message, now))
        else:
            results.append(latency_result(product_id, table, found, None, now))
    return results


MAX_RULE_CHARS = 200


def parse_since(raw: str | None) -> datetime | None:
    """The ``since`` query parameter: an ISO 8601 time (naive means UTC), or None.

    >>> parse_since("2026-01-02T03:04:05Z").isoformat()
    '2026-01-02T03:04:05+00:00'
    >>> parse_since(None) is None
    True
    """
    if raw is None or raw == "":
        return None
    text = raw.strip()
    text = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput("since: expected an ISO 8601 time", argument="since") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_rule(raw: str | None) -> str | None:
    """The ``rule`` query parameter: a rule or SLA property name (``rowCount``,
    ``latency``), at most :data:`MAX_RULE_CHARS` characters."""
    if raw is None or raw == "":
        return None
    if len(raw) > MAX_RULE_CHARS:
        raise BadInput(f"rule: at most {MAX_RULE_CHARS} characters", argument="rule")
    return raw


def matching(
    results: Sequence[ObservabilityResult], since: datetime | None, rule: str | None
) -> list[ObservabilityResult]:
    """The results measured at or after ``since`` whose rule (``property``) is ``rule``
    (case-insensitive); every result when both are None."""
    wanted = rule.lower() if rule is not None else None
    found: list[ObservabilityResult] = []
    for result in results:
        if wanted is not None and str(result.get("property", "")).lower() != wanted:
            continue
        if since is not None:
            stamp = parse_since(str(result.get("timestamp", "")))
            if stamp is None or stamp < since:
                continue
        found.append(result)
    return found
