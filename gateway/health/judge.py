"""The judge: a product's health from what it says, what it measured and what it promised.

Pure: given the evidence (:class:`Evidence`) and a time, it returns a
:class:`~gateway.health.model.Judgement`. The product's own status is one input among
others, never the verdict: a product that says UP while its results breach its contract
is DEGRADED. The rules, in the order they are applied, are in docs/health.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from gateway.health import model, rules, sla
from gateway.health.model import DEGRADED, DOWN, PAUSED, UP, Judgement, Reason, clip


@dataclass(frozen=True)
class Evidence:
    """What the gateway read from one product in one check.

    ``health`` is None when the product did not answer (``error`` says why, without
    hosts); ``results`` is None when its results could not be read (``results_error``).
    """

    product_id: str
    product_key: str
    health: Mapping[str, Any] | None
    error: str | None = None
    results: Sequence[Mapping[str, Any]] | None = None
    results_error: str | None = None
    results_truncated: bool = False
    contracts: Sequence[Mapping[str, Any]] = field(default_factory=tuple)


def judge(
    evidence: Evidence,
    now: datetime,
    *,
    previous: Judgement | None = None,
    max_reasons: int = 50,
) -> Judgement:
    """The product's health at ``now``; reasons already in ``previous`` keep their
    ``since`` (when the gateway first saw them) unless the evidence dates them."""
    health = evidence.health
    if health is None:
        found = [Reason(model.UNREACHABLE, DOWN, clip(evidence.error) or "no answer")]
        return _verdict(evidence, now, found, None, None, previous, max_reasons)
    reported = clip(health.get("status"), 40)
    state = clip(health.get("state"), 40)
    promises = [p for c in evidence.contracts for p in sla.promises(c)]
    contracts = {f"{c.get('id')}/{c.get('version')}": c for c in evidence.contracts}
    found = [
        *_run_state(state),
        *_reported(reported, health),
        *_freshness(health, promises, now),
        *_results(evidence, promises, contracts, now, budget=2 * max_reasons),
        *_lifecycle(promises, now),
    ]
    return _verdict(evidence, now, found, reported, state, previous, max_reasons)


def _verdict(
    evidence: Evidence,
    now: datetime,
    found: list[Reason],
    reported: str | None,
    state: str | None,
    previous: Judgement | None,
    max_reasons: int,
) -> Judgement:
    seen = {r.key: r.since for r in previous.reasons} if previous else {}
    unique: dict[tuple[str | None, ...], Reason] = {}
    for r in found:
        if r.key not in unique:
            since = r.since or seen.get(r.key) or now
            unique[r.key] = replace(r, since=since, message=clip(r.message) or "")
    ordered = sorted(unique.values(), key=lambda r: model.STATUSES.index(r.status))
    if len(ordered) > max_reasons:
        more = len(ordered) - max_reasons + 1
        ordered = ordered[: max_reasons - 1]
        ordered.append(Reason(model.REASONS_TRUNCATED, UP, f"{more} more reasons not shown",
                              since=now))  # fmt: skip
    statuses = {r.status for r in ordered}
    status = next((s for s in (DOWN, PAUSED, DEGRADED) if s in statuses), UP)
    return Judgement(
        product_id=evidence.product_id,
        product_key=evidence.product_key,
        status=status,
        checked_at=now,
        reasons=tuple(ordered),
        reported=reported,
        state=state,
    )


def _run_state(state: str | None) -> list[Reason]:
    if state == "paused":
        return [Reason(model.PRODUCT_PAUSED, PAUSED, "the product is paused: it serves no data")]
    if state == "stopped":
        return [Reason(model.PRODUCT_STOPPED, PAUSED, "the product is stopped (unavailable)")]
    return []


def _reported(reported: str | None, health: Mapping[str, Any]) -> list[Reason]:
    """Bad news from the product is believed; good news is checked by the other rules."""
    if reported not in (DOWN, DEGRADED):
        return []
    checks = health.get("checks")
    failing = [
        str(c.get("name"))
        for c in (checks if isinstance(checks, list) else [])[:100]
        if isinstance(c, Mapping) and c.get("status") not in (UP, None)
    ]
    detail = f": {', '.join(failing[:10])}" if failing else ""
    return [Reason(model.PRODUCT_REPORTED, reported, clip(f"the product reports {reported}"
                                                          f"{detail}") or "")]  # fmt: skip


def _freshness(
    health: Mapping[str, Any], promises: Sequence[sla.Promise], now: datetime
) -> list[Reason]:
    """Each table's newest data against the latency its contract promises."""
    found: list[Reason] = []
    tables = health.get("tables")
    for table in (tables if isinstance(tables, list) else [])[:1000]:
        if not isinstance(table, Mapping):
            continue
        name, updated = str(table.get("name", "")), sla.moment(table.get("lastUpdated"))
        if updated is None:
            continue
        for promise in promises:
            if promise.property != "latency" or promise.seconds is None:
                continue
            if (promise.element or "").split(".")[0] != name:
                continue
            age = (now - updated).total_seconds()
            if age > promise.seconds:
                found.append(
                    Reason(
                        model.LATE_DATA, DEGRADED,
                        f"the newest data of {clip(name, 100)} is older than the contract's "
                        "latency allows",
                        contract=promise.contract, property="latency",
                        observed=_in_unit(age, promise), promised=promise.text,
                        since=updated + timedelta(seconds=promise.seconds),
                    )
                )  # fmt: skip
    return found


def _results(
    evidence: Evidence,
    promises: Sequence[sla.Promise],
    contracts: Mapping[str, Mapping[str, Any]],
    now: datetime,
    *,
    budget: int,
) -> list[Reason]:
    """Each result against the contract; past ``budget`` reasons, failing results are
    only counted (a product sending thousands of failures costs a bounded verdict)."""
    if evidence.results is None:
        message = clip(evidence.results_error) or "the results could not be read"
        return [Reason(model.RESULTS_UNAVAILABLE, DEGRADED,
                       f"observability results unavailable: {message}")]  # fmt: skip
    found: list[Reason] = []
    if evidence.results_truncated:
        note = "only the first results were judged (the product sent more)"
        found.append(Reason(model.RESULTS_TRUNCATED, UP, note))
    newest: datetime | None = None
    uncounted = 0
    for result in evidence.results:
        if not isinstance(result, Mapping):
            continue
        stamp = sla.moment(result.get("timestamp"))
        if stamp is not None and (newest is None or stamp > newest):
            newest = stamp
        if len(found) >= budget:
            uncounted += result.get("passed") is False
            continue
        contract = f"{result.get('contractId')}/{result.get('contractVersion')}"
        if result.get("criteria") == "dq":
            found.extend(_quality(result, contract, contracts.get(contract)))
        elif result.get("criteria") == "sla":
            found.extend(_service_level(result, contract, promises))
    if uncounted:
        found.append(Reason(model.REASONS_TRUNCATED, DEGRADED,
                            f"{uncounted} more failing results not judged one by one"))  # fmt: skip
    found.extend(_stale_results(newest, promises, now, bool(evidence.results)))
    return found


def _quality(
    result: Mapping[str, Any], contract: str, document: Mapping[str, Any] | None
) -> Iterable[Reason]:
    rule = clip(result.get("property"), 100) or "?"
    element = clip(result.get("element"), 200) or ""
    passed, error = result.get("passed"), result.get("error")
    if passed is False:
        dimension = rules.dimension(document, element, rule) or clip(result.get("dimension"), 40)
        yield Reason(
            model.QUALITY_RULE_FAILED, DEGRADED,
            f"quality rule {rule} on {element} fails" + (f" ({dimension})" if dimension else ""),
            contract=contract, rule=rule, property=element,
            observed=clip(result.get("value")),
            promised=rules.promised(document, element, rule) or clip(result.get("threshold")),
        )  # fmt: skip
    elif passed is None and error:
        yield Reason(
            model.QUALITY_RULE_UNVERIFIED, DEGRADED,
            f"quality rule {rule} on {element} could not be measured: {clip(error, 200)}",
            contract=contract, rule=rule, property=element,
        )  # fmt: skip


def _service_level(
    result: Mapping[str, Any], contract: str, promises: Sequence[sla.Promise]
) -> Iterable[Reason]:
    prop = clip(result.get("property"), 100) or "?"
    promise = sla.find(promises, contract, prop)
    observed_text = f"{clip(result.get('value'), 60)} {clip(result.get('unit'), 20) or ''}".strip()
    breached = result.get("passed") is False
    if promise is not None:
        breached = breached or _breaks(result, promise)
    if not breached:
        return
    code = model.LATE_DATA if prop in ("latency", "frequency") else model.SLA_BREACHED
    promised = promise.text if promise else clip(result.get("threshold"))
    yield Reason(
        code, DEGRADED,
        f"{prop} of {clip(result.get('element'), 200)} breaks the contract's SLA",
        contract=contract, property=prop, observed=observed_text, promised=promised,
    )  # fmt: skip


def _breaks(result: Mapping[str, Any], promise: sla.Promise) -> bool:
    """Whether the measured value is outside the promise, whatever ``passed`` says."""
    value = result.get("value")
    if promise.seconds is not None:
        observed = sla.seconds(value, result.get("unit"))
        if observed is None:
            return False
        # latency and frequency are maxima; retention is a minimum.
        return (
            observed < promise.seconds
            if promise.property == "retention"
            else (observed > promise.seconds)
        )
    if promise.property == "availability" and isinstance(value, int | float):
        return not isinstance(value, bool) and value < promise.value
    return False


def _stale_results(
    newest: datetime | None, promises: Sequence[sla.Promise], now: datetime, any_results: bool
) -> list[Reason]:
    """The product's newest result against the most frequent refresh it promises."""
    frequencies = [p for p in promises if p.property == "frequency" and p.seconds]
    if not frequencies or not any_results:
        return []
    tightest = min(frequencies, key=lambda p: p.seconds or 0.0)
    assert tightest.seconds is not None
    if newest is not None and (now - newest).total_seconds() <= tightest.seconds:
        return []
    age = (now - newest).total_seconds() if newest else None
    return [
        Reason(
            model.STALE_RESULTS, DEGRADED,
            "the product's newest observability result is older than the refresh "
            "frequency its contract promises",
            contract=tightest.contract, property="frequency",
            observed=_in_unit(age, tightest) if age is not None else "no timestamp",
            promised=tightest.text,
            since=newest + timedelta(seconds=tightest.seconds) if newest else None,
        )
    ]  # fmt: skip


def _lifecycle(promises: Sequence[sla.Promise], now: datetime) -> list[Reason]:
    found: list[Reason] = []
    for p in promises:
        if p.date is None or p.date > now:
            continue
        code = model.END_OF_LIFE if p.property == "endOfLife" else model.END_OF_SUPPORT
        found.append(
            Reason(
                code, DEGRADED, f"the contract's {p.property} date has passed",
                contract=p.contract, property=p.property, observed=now.isoformat(),
                promised=clip(p.value), since=p.date,
            )
        )  # fmt: skip
    return found


def _in_unit(age_seconds: float, promise: sla.Promise) -> str:
    """An age in the promise's unit: ``4.2 d`` beside a promise of ``3 d``."""
    unit = promise.unit or "s"
    factor = sla.seconds(1, unit) or 1.0
    return f"{age_seconds / factor:.2f} {unit}"
