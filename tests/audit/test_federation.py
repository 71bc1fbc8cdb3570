"""Every SQL query through the federation is audited, answered or refused, with who asked,
the tables and columns its plan read, the rows it returned and how it ended."""

from __future__ import annotations

import logging

import pytest

from gateway.audit import AuditEvent
from gateway.errors import BadRequest, Forbidden, SqlNotAllowed, TableNotFound
from tests.audit.mesh import (
    ANALYST,
    ASSETS,
    FLOOD_KEY,
    INTERN,
    JOIN,
    RISK_ANALYST,
    RISK_KEY,
    Gateway,
)


async def product_id(gw: Gateway, key: str) -> str:
    return (await gw.services.registry.require(key)).id


async def sql_events(gw: Gateway, key: str) -> list[AuditEvent]:
    page = await gw.services.audit.for_product(await product_id(gw, key), first=100)
    return [e for e in page.events if e.action.startswith("sql.")]


async def test_an_answered_query_is_audited_with_who_what_and_rows(gateway: Gateway) -> None:
    fed = gateway.services.federation
    answer = await fed.run(JOIN, principal=RISK_ANALYST, request_id="req-1", caller="10.1.1.1")
    assert answer.result.rows
    for key, table, columns in (
        (RISK_KEY, "physical-risk.physical-risk.assets", ("company_name", "h3_cell")),
        (FLOOD_KEY, "flood.flood-areas.flood_prone_areas", ("flood_type", "h3_cell")),
    ):
        [event] = await sql_events(gateway, key)
        assert (event.action, event.outcome, event.rows) == (
            "sql.query", "ok", len(answer.result.rows),
        )  # fmt: skip
        assert (event.actor.subject, event.actor.kind, event.actor.roles) == (
            "rita", "user", ("analyst", "risk_analyst"),
        )  # fmt: skip
        assert (event.request_id, event.address, event.detail) == ("req-1", "10.1.1.1", JOIN)
        assert {p.key for p in event.products} == {RISK_KEY, FLOOD_KEY}
        by_table = {t.table: set(t.columns) for t in event.tables}
        assert by_table[table] == set(columns)
        assert all(t.masked == () for t in event.tables)  # read in clear


async def test_masked_columns_are_in_the_event(gateway: Gateway) -> None:
    sql = 'SELECT asset_id, h3_cell, latitude FROM "physical-risk"."physical-risk".assets'
    await gateway.services.federation.run(sql, principal=ANALYST, max_rows=3)
    await gateway.services.federation.run(sql, principal=RISK_ANALYST, max_rows=3)
    clear, masked = await sql_events(gateway, RISK_KEY)
    assert (masked.actor.subject, clear.actor.subject) == ("ana", "rita")
    [table] = masked.tables
    assert set(table.columns) == {"asset_id", "h3_cell", "latitude"}
    # As the contract classifies them: all three restricted or confidential.
    assert set(table.masked) == {"asset_id", "h3_cell", "latitude"}
    assert clear.tables[0].masked == ()


async def test_an_access_refusal_is_in_the_products_log(gateway: Gateway) -> None:
    with pytest.raises(Forbidden):
        await gateway.services.federation.run(ASSETS, principal=INTERN)
    [event] = await sql_events(gateway, RISK_KEY)
    assert (event.outcome, event.rows, event.actor.subject) == ("FORBIDDEN", 0, "ivan")
    assert [p.id for p in event.products] == [await product_id(gateway, RISK_KEY)]


async def test_a_refused_query_is_audited_with_its_code(gateway: Gateway) -> None:
    fed = gateway.services.federation
    with pytest.raises(SqlNotAllowed):
        await fed.run('DELETE FROM "physical-risk"."physical-risk".assets', principal=ANALYST)
    with pytest.raises(TableNotFound):
        await fed.run('SELECT * FROM flood."flood-areas".nope', principal=ANALYST)
    # Refused before planning: no product is known, the event is kept all the same.
    rows = gateway.rows(
        "SELECT action, outcome, actor_subject, row_count, products FROM audit_events "
        "WHERE action LIKE 'sql.%' ORDER BY id"
    )
    assert rows == [
        ("sql.query", "SQL_NOT_ALLOWED", "ana", 0, "[]"),
        ("sql.query", "TABLE_NOT_FOUND", "ana", 0, "[]"),
    ]


async def test_a_page_refused_before_it_runs_is_audited(gateway: Gateway) -> None:
    fed = gateway.services.federation
    with pytest.raises(BadRequest):
        await fed.page(ASSETS, principal=ANALYST, after="bm90LWEtY3Vyc29y")
    # Planned, then its cursor refused: the event names what it would have read.
    [event] = await sql_events(gateway, RISK_KEY)
    assert (event.outcome, event.rows, event.actor.subject) == ("BAD_REQUEST", 0, "ana")
    assert [t.table for t in event.tables] == ["physical-risk.physical-risk.assets"]


async def test_a_page_after_the_first_is_audited_too(gateway: Gateway) -> None:
    fed = gateway.services.federation
    first = await fed.page(ASSETS, principal=ANALYST, max_rows=2)
    await fed.page(ASSETS, principal=ANALYST, max_rows=2, after=first.end_cursor)
    events = await sql_events(gateway, RISK_KEY)
    assert [(e.action, e.outcome, e.rows) for e in events] == [("sql.query", "ok", 2)] * 2


async def test_a_stream_and_an_explain_are_audited(gateway: Gateway) -> None:
    fed = gateway.services.federation
    stream = await fed.stream(ASSETS, principal=ANALYST, request_id="req-s")
    rows = 0
    async for batch in stream.batches():
        rows += batch.num_rows
    await stream.aclose()
    plan_text = await fed.explain(ASSETS, principal=ANALYST, request_id="req-e")
    assert plan_text
    events = await sql_events(gateway, RISK_KEY)
    assert [(e.action, e.outcome, e.rows, e.request_id) for e in events] == [
        ("sql.explain", "ok", 0, "req-e"),
        ("sql.stream", "ok", rows, "req-s"),
    ]
    assert all(
        {t.table for t in e.tables} == {"physical-risk.physical-risk.assets"} for e in events
    )
    # An explain reads no data: it is not usage.
    assert (await gateway.services.usage.log())[0].sql == ASSETS
    assert len(await gateway.services.usage.log()) == 1


async def test_a_failing_audit_store_does_not_fail_the_query_but_logs_an_error(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    await gateway.services.audit.store.close()  # the database goes away under the gateway
    with caplog.at_level(logging.ERROR):
        answer = await gateway.services.federation.run(ASSETS, principal=ANALYST, max_rows=3)
    assert len(answer.result.rows) == 3
    lost = [r for r in caplog.records if r.levelno == logging.ERROR and "audit" in r.getMessage()]
    assert lost, caplog.text
    assert "sql.query" in lost[0].getMessage()
