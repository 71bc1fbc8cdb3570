"""The judge, rule by rule, on the demo's US precipitation contract (real ODCS v3 SLA
properties and quality rules): what each breach gives, and that a product's own word
never hides one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from gateway.health import Evidence, Judgement, judge
from gateway.health.model import MAX_TEXT

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = yaml.safe_load(
    (
        ROOT / "demo/products/us-precipitation/contracts/us-daily-precipitation-1.0.0.yaml"
    ).read_text()
)
CID = f"{CONTRACT['id']}/{CONTRACT['version']}"
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
TABLE = "us_daily_precipitation"


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def result(**fields: Any) -> dict[str, Any]:
    base = {
        "id": "r", "kind": "ObservabilityResult", "apiVersion": "1.0.0",
        "timestamp": stamp(NOW), "emitter": "t", "criteria": "dq", "property": "rowCount",
        "value": 10, "unit": "rows", "element": TABLE, "passed": True,
        "contractId": CONTRACT["id"], "contractVersion": CONTRACT["version"],
    }  # fmt: skip
    return {**base, **fields}


def health(status: str = "UP", state: str = "running", updated: datetime = NOW) -> dict[str, Any]:
    return {
        "status": status, "state": state, "checkedAt": stamp(NOW), "checks": [],
        "tables": [{"name": TABLE, "rowCount": 10, "lastUpdated": stamp(updated)}],
    }  # fmt: skip


def verdict(
    results: list[dict[str, Any]] | None = None,
    the_health: dict[str, Any] | None = None,
    **kw: Any,
) -> Judgement:
    found = Evidence(
        "p1", "precipitation.us", the_health if the_health is not None else health(),
        results=[result()] if results is None else results, contracts=[CONTRACT],
    )  # fmt: skip
    return judge(found, kw.pop("now", NOW), **kw)


def codes(j: Judgement) -> set[str]:
    return {r.code for r in j.reasons}


def test_a_product_keeping_its_promises_is_up() -> None:
    j = verdict()
    assert (j.status, j.reasons, j.reported) == ("UP", (), "UP")


def test_a_product_saying_up_while_its_latency_breaks_the_contract_is_degraded() -> None:
    # The product claims the check passed; 10 days is more than the 3 d the contract allows.
    lying = result(criteria="sla", property="latency", value=10, unit="d", passed=True,
                   element=f"{TABLE}.observation_date")  # fmt: skip
    j = verdict([lying])
    assert j.status == "DEGRADED" and j.reported == "UP"
    (reason,) = j.reasons
    assert (reason.code, reason.contract, reason.property) == ("LATE_DATA", CID, "latency")
    assert (reason.observed, reason.promised) == ("10 d", "3 d")
    assert j.out_of_sla


def test_old_data_in_the_health_answer_is_late_since_the_promise_ran_out() -> None:
    updated = NOW - timedelta(days=5)
    j = verdict(the_health=health(updated=updated))
    (reason,) = j.reasons
    assert (j.status, reason.code, reason.property, reason.promised) == (
        "DEGRADED",
        "LATE_DATA",
        "latency",
        "3 d",
    )
    assert reason.observed == "5.00 d"
    assert reason.since == updated + timedelta(days=3)


def test_a_failing_quality_rule_names_the_rule_and_its_threshold() -> None:
    j = verdict([result(value=0, passed=False)])
    (reason,) = j.reasons
    assert (j.status, reason.code, reason.rule, reason.property) == (
        "DEGRADED",
        "QUALITY_RULE_FAILED",
        "rowCount",
        TABLE,
    )
    assert (reason.observed, reason.promised, reason.contract) == ("0", "mustBeGreaterThan 0", CID)
    assert "completeness" in reason.message
    assert not j.out_of_sla  # a quality breach, not a service level one


def test_results_older_than_the_promised_frequency_are_stale() -> None:
    old = NOW - timedelta(days=2)
    j = verdict([result(timestamp=stamp(old))])
    (reason,) = j.reasons
    assert (reason.code, reason.property, reason.promised, reason.observed) == (
        "STALE_RESULTS",
        "frequency",
        "1 d",
        "2.00 d",
    )
    assert reason.since == old + timedelta(days=1)


def test_past_end_of_life_and_support_dates_degrade() -> None:
    j = verdict(now=datetime(2034, 1, 1, tzinfo=UTC), results=[])
    assert codes(j) >= {"END_OF_SUPPORT", "END_OF_LIFE"}
    assert j.status == "DEGRADED"


def test_paused_stopped_and_silent_products() -> None:
    assert verdict(the_health=health(state="paused")).status == "PAUSED"
    assert verdict(the_health=health(state="stopped", status="STOPPED")).status == "PAUSED"
    down = judge(Evidence("p1", "k", None, error="UPSTREAM_TIMEOUT: slow"), NOW)
    assert (down.status, codes(down)) == ("DOWN", {"UNREACHABLE"})


def test_bad_news_from_the_product_is_believed() -> None:
    j = verdict(the_health={**health(status="DOWN"), "checks": [{"name": "store",
                                                                  "status": "DOWN"}]})  # fmt: skip
    assert j.status == "DOWN" and "store" in j.reasons[0].message


def test_unreadable_results_degrade() -> None:
    found = Evidence("p1", "k", health(), results=None, results_error="UPSTREAM_TOO_LARGE: big",
                     contracts=[CONTRACT])  # fmt: skip
    j = judge(found, NOW)
    assert (j.status, codes(j)) == ("DEGRADED", {"RESULTS_UNAVAILABLE"})


def test_a_reason_keeps_the_time_it_was_first_seen() -> None:
    failing = [result(value=0, passed=False)]
    first = verdict(failing)
    later = verdict(failing, now=NOW + timedelta(minutes=5), previous=first)
    assert later.reasons[0].since == first.reasons[0].since == NOW


def test_hostile_results_give_a_bounded_verdict() -> None:
    many = [result(property=f"rule{i}", passed=False) for i in range(100_000)]
    many[0] = result(property="x" * 1_000_000, element="y" * 1_000_000, passed=False)
    j = verdict(many, max_reasons=20)
    assert len(j.reasons) == 20 and j.reasons[-1].code == "REASONS_TRUNCATED"
    assert all(len(r.message) <= MAX_TEXT and len(r.rule or "") <= 100 for r in j.reasons)
