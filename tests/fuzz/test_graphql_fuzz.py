"""Property: whatever a caller POSTs to ``/graphql`` of a real running gateway with the
demo products registered, the answer is never a 5xx, always a JSON body, every error
carries ``extensions.code``, and no statement outside the rules reaches an engine.

The gateway runs under uvicorn in this process, so the engine spy sees what its
federation hands DuckDB. Trino is not configured here: TRINO requests are planned (and
must be refused or planned within the rules) and then answered ENGINE_UNAVAILABLE.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.federation.demo_catalog import demo_catalog
from tests.fuzz.conftest import graphql_settings
from tests.fuzz.engine_spy import EngineSpy, spying
from tests.fuzz.figures import FIGURES, Figures, assert_no_findings, fail_or_collect
from tests.fuzz.graphql_docs import requests
from tests.fuzz.regressions import GRAPHQL_REGRESSIONS
from tests.fuzz.sql_grammar import statements
from tests.graph.conftest import ROOT, Mesh, demo_product_dirs, start_mesh

# Who sends the requests: mostly an admin (every field answers, so the most reaches the
# engines), an analyst (contract roles, masks), anonymous and a forged token.
CALLERS = ["admin", "admin", "admin", "analyst", "anonymous", "forged"]


@pytest.fixture(scope="module")
def fuzz_mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    """The demo mesh with the embedded DuckDB over the checkout's demo data."""
    tmp: Path = tmp_path_factory.mktemp("fuzz-mesh")
    # Thousands of requests (forged tokens among them) from one address in the long run:
    # the rate limits (tests/http/test_rate_limit.py, tests/identity/test_doors.py) are
    # not what this suite is about, and would hide the paths behind them.
    with start_mesh(
        tmp,
        demo_product_dirs(),
        data_root=str(ROOT),
        rate_limit_per_minute=0,
        auth_failures_per_minute=0,
    ) as mesh:
        yield mesh


def fresh_client() -> httpx.Client:
    """A client opening one connection per request: an answer that ends its connection
    (a 500 does) must not fail the next example on a reused one."""
    return httpx.Client(timeout=60, headers={"Connection": "close"})


def problems_of(status: int, content_type: str, text: str) -> dict[str, list[str]]:
    """What is wrong with one HTTP answer of ``/graphql``, by property."""
    found: dict[str, list[str]] = {"5xx": [], "json": [], "codes": []}
    if status >= 500:
        found["5xx"].append(f"HTTP {status}: {text[:300]}")
    try:
        body: Any = json.loads(text)
    except ValueError:
        body = None
    if "json" not in content_type or body is None:
        found["json"].append(f"HTTP {status} not JSON ({content_type!r}): {text[:300]}")
        return found
    answers = body if isinstance(body, list) else [body]
    for answer in answers:
        if not isinstance(answer, dict):
            found["json"].append(f"answer is not an object: {str(answer)[:200]}")
            continue
        errors = answer.get("errors") or []
        if isinstance(answer.get("error"), dict):  # the HTTP layer's own error shape
            errors = [{"message": answer["error"].get("message"), "extensions": answer["error"]}]
        for error in errors:
            code = (error.get("extensions") or {}).get("code")
            if not isinstance(code, str) or not code:
                found["codes"].append(f"error without extensions.code: {str(error)[:300]}")
            elif code == "INTERNAL_ERROR":  # a stray exception, masked: no caller's fault named
                found["codes"].append(f"INTERNAL_ERROR for a request: {str(error)[:300]}")
    return found


def test_no_5xx_and_nothing_outside_the_rules_reaches_an_engine(
    fuzz_mesh: Mesh, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(fuzz_mesh, monkeypatch, "5xx", 1.0)


def test_every_answer_is_a_json_body(fuzz_mesh: Mesh, monkeypatch: pytest.MonkeyPatch) -> None:
    _run(fuzz_mesh, monkeypatch, "json", 0.5)


def test_every_graphql_error_carries_a_code(
    fuzz_mesh: Mesh, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Validation and limit errors too: a client tells them apart by code, not by text;
    and never INTERNAL_ERROR, which says the gateway did not know what went wrong."""
    _run(fuzz_mesh, monkeypatch, "codes", 0.5)


def _run(mesh: Mesh, monkeypatch: pytest.MonkeyPatch, check: str, share: float) -> None:
    """Run the requests property for one kind of problem (the engine spy always counts):
    one test per kind, so a known failure of one kind does not stop the others exploring."""
    figures = FIGURES[f"graphql-{check}"]
    client = fresh_client()
    with spying(monkeypatch, demo_catalog(), masks=True) as spy:

        @graphql_settings(share)
        @given(body=requests(), caller=st.sampled_from(CALLERS))
        def prop(body: Any, caller: str) -> None:
            post_and_check(client, mesh, spy, body, check, figures, caller)

        try:
            prop()
        finally:
            client.close()
    assert_no_findings(f"graphql-{check}")


def caller_headers(mesh: Mesh, caller: str) -> dict[str, str]:
    """The credentials of one kind of caller of the mesh's gateway."""
    assert mesh.issuer is not None
    if caller == "admin":
        return mesh.issuer.headers()
    if caller == "analyst":
        return mesh.issuer.headers("fuzz-analyst", ["analyst"])
    if caller == "forged":
        return {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9."}
    return {}


def post_and_check(
    client: httpx.Client,
    mesh: Mesh,
    spy: EngineSpy,
    body: Any,
    check: str,
    figures: Figures,
    caller: str = "admin",
) -> None:
    """POST one body; fail (or collect) on a problem of kind ``check`` or any statement
    outside the rules that reached an engine."""
    spy.clear()
    figures.tried += 1
    try:
        answer = client.post(
            f"{mesh.gateway}/graphql", json=body, headers=caller_headers(mesh, caller)
        )
    except httpx.RemoteProtocolError as exc:  # each request has its own connection
        figures.statuses[0] += 1
        fail_or_collect(f"graphql-{check}", json.dumps(body), [f"no HTTP answer: {exc}"])
        return
    figures.statuses[answer.status_code] += 1
    found = problems_of(answer.status_code, answer.headers.get("content-type", ""), answer.text)
    _count_codes(figures, answer.text)
    figures.reached_engine += len(spy.reached)
    problems = found[check] + [f"reached {r.engine}: {r.sql!r}: {r.problems}" for r in spy.bad]
    figures.violations += len(problems)
    spy.clear()
    fail_or_collect(f"graphql-{check}", json.dumps(body), problems)


@pytest.mark.parametrize("check", ["5xx", "json", "codes"])
@pytest.mark.parametrize(
    "body", [r[1] for r in GRAPHQL_REGRESSIONS], ids=[r[0] for r in GRAPHQL_REGRESSIONS]
)
def test_graphql_regression(
    body: Any, check: str, fuzz_mesh: Mesh, monkeypatch: pytest.MonkeyPatch
) -> None:
    with spying(monkeypatch, demo_catalog(), masks=True) as spy, fresh_client() as client:
        post_and_check(client, fuzz_mesh, spy, body, check, Figures())


def _count_codes(figures: Figures, text: str) -> None:
    try:
        body = json.loads(text)
    except ValueError:
        return
    answers = body if isinstance(body, list) else [body]
    codes = {
        str((e.get("extensions") or {}).get("code") or "(no code)")
        for a in answers if isinstance(a, dict)
        for e in (a.get("errors") or []) if isinstance(e, dict)
    }  # fmt: skip
    for code in codes:
        figures.refuse(code)
    if not codes:
        figures.accepted += 1


def test_sql_stream_answers_with_a_code_and_runs_only_what_the_rules_allow(
    fuzz_mesh: Mesh, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``POST /sql/stream`` with fuzzed SQL: never a 500, a refusal is JSON with a code,
    and nothing outside the rules reaches an engine (the first chunk of a result is read,
    then the connection closed: a client leaving is part of the path)."""
    figures = FIGURES["sql-stream"]
    client = fresh_client()
    with spying(monkeypatch, demo_catalog(), masks=True) as spy:

        @graphql_settings(0.5)
        @given(sql=statements(), fmt=st.sampled_from(["csv", "jsonl", "arrow", "xml"]))
        def prop(sql: str, fmt: str) -> None:
            spy.clear()
            figures.tried += 1
            body = {"query": sql, "engine": "duckdb", "format": fmt}
            problems: list[str] = []
            headers = caller_headers(fuzz_mesh, "admin")
            with client.stream(
                "POST", f"{fuzz_mesh.gateway}/sql/stream", json=body, headers=headers
            ) as answer:
                figures.statuses[answer.status_code] += 1
                if answer.status_code == 200:
                    figures.accepted += 1
                    next(answer.iter_raw(), b"")
                else:
                    text = answer.read().decode(errors="replace")
                    if answer.status_code == 500:
                        problems.append(f"HTTP 500: {text[:300]}")
                    try:
                        code = json.loads(text)["error"]["code"]
                        figures.refuse(str(code))
                    except (ValueError, KeyError, TypeError):
                        problems.append(
                            f"HTTP {answer.status_code} without a JSON code: {text[:300]}"
                        )
            figures.reached_engine += len(spy.reached)
            problems += [f"reached {r.engine}: {r.sql!r}: {r.problems}" for r in spy.bad]
            figures.violations += len(problems)
            spy.clear()
            fail_or_collect("sql-stream", json.dumps(body), problems)

        try:
            prop()
        finally:
            client.close()
    assert_no_findings("sql-stream")
