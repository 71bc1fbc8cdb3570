"""contracts.lifecycle: end of support / end of life read from a contract's SLA."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts.lifecycle import lifecycle_notices

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def notices(value: object, prop: str = "endOfSupport", days: int = 30) -> list[str]:
    doc = {"id": "c", "version": "1.0.0", "slaProperties": [{"property": prop, "value": value}]}
    return [n.code for n in lifecycle_notices(doc, NOW, days)]


@pytest.mark.parametrize(
    ("value", "prop", "days", "codes"),
    [
        ("2026-05-31T00:00:00Z", "endOfSupport", 30, ["end_of_support_passed"]),
        ("2026-06-01T12:00:00Z", "endOfLife", 30, ["end_of_life_passed"]),  # the very moment
        ("2026-06-20", "endOfSupport", 30, ["end_of_support_near"]),
        ("2026-06-20T00:00:00+02:00", "endOfLife", 30, ["end_of_life_near"]),
        ("2026-06-20", "endOfSupport", 0, []),  # 0 days: only once passed
        ("2026-08-01", "endOfSupport", 30, []),
        ("2026-06-01T11:00:00", "endOfSupport", 30, ["end_of_support_passed"]),  # no zone: UTC
        ("soon", "endOfSupport", 30, []),
        (20260101, "endOfSupport", 30, []),
        ("2020-01-01", "retention", 30, []),
        ("9" * 100, "endOfSupport", 30, []),
    ],
)
def test_notices(value: object, prop: str, days: int, codes: list[str]) -> None:
    assert notices(value, prop, days) == codes


def test_malformed_sla_lists_give_no_notice() -> None:
    for sla in (None, "x", [1, None, {"property": 3}], {"property": "endOfLife"}):
        assert lifecycle_notices({"slaProperties": sla}, NOW, 30) == []


def test_the_message_names_the_contract_and_the_date() -> None:
    sla = [{"property": "endOfLife", "value": "2026-01-01T00:00:00Z"}]
    doc = {"id": "c9", "version": "2.1.0", "slaProperties": sla}
    [notice] = lifecycle_notices(doc, NOW, 30)
    assert notice.path == "slaProperties[0]"
    assert notice.message.startswith("contract c9 version 2.1.0 is past its end of life")
    assert "2026-01-01T00:00:00Z" in notice.message
