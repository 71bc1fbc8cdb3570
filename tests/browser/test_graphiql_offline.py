"""GraphiQL works in a real browser that cannot reach any host but 127.0.0.1.

The real gateway app runs under uvicorn; headless Debian Chromium opens /graphql with
every other host unresolvable, types ``{ __typename }``, runs it and reads the answer.
The screenshot is left in ``.run/graphiql.png`` to look at.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Request, sync_playwright

from gateway.http import graphiql
from gateway.settings import Settings
from schema.asgi import create_app
from tests.fixtures.identity import TestIssuer
from tests.fixtures.uvicorn import running as serve

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = ROOT / ".run" / "graphiql.png"

# Flags for a root, sandbox-less, offline machine: no background calls home, and every
# host name but 127.0.0.1 fails to resolve, so a CDN fetch cannot succeed by accident.
CHROMIUM_ARGS = [
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        subprocess.run(["bash", str(ROOT / "scripts" / "chromium.sh")], check=False)
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing and scripts/chromium.sh could not install it")
    return CHROMIUM


@pytest.fixture
def issuer(tmp_path: Path) -> TestIssuer:
    return TestIssuer(tmp_path / "auth")


@pytest.fixture
def gateway_url(tmp_path: Path, issuer: TestIssuer) -> Iterator[str]:
    if graphiql.graphiql_assets_dir() is None:
        pytest.fail("GraphiQL assets are missing: run `npm ci` (make install)")
    settings = Settings(registry_url=f"sqlite:///{tmp_path / 'registry.db'}", **issuer.settings())
    with serve(create_app(settings)) as url:
        yield url


@pytest.fixture
def browser(chromium: Path, tmp_path: Path) -> Iterator[BrowserContext]:
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh, empty profile each run
            executable_path=str(chromium),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800},
        )
        try:
            yield context
        finally:
            context.close()


def run_query(page: Page, query: str, wait_for: str = '"__typename"') -> str:
    """Put ``query`` in GraphiQL's editor, run it, return the result pane's text.

    The text is set through the editor's own API: typing it key by key raced GraphiQL's
    auto-closed brackets and its restoring of the last query on a loaded machine.
    """
    editor = page.locator(".graphiql-query-editor .CodeMirror")
    editor.wait_for(state="visible", timeout=30_000)
    editor.click()
    page.evaluate(
        "q => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(q)",
        query,
    )
    typed = page.evaluate(
        "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()"
    )
    assert typed == query
    page.locator("button.graphiql-execute-button").click()
    result = page.locator(".graphiql-response .CodeMirror")
    result.get_by_text(wait_for).wait_for(timeout=15_000)
    return str(
        page.evaluate(
            "document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()"
        )
    )


def test_graphiql_runs_a_query_with_no_network(browser: BrowserContext, gateway_url: str) -> None:
    requests: list[str] = []
    failed: list[str] = []
    errors: list[str] = []
    page = browser.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: failed.append(f"{r.url}: {_failure(r)}"))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: _console_error(m, errors))

    page.goto(f"{gateway_url}/graphql", wait_until="load")
    answer = run_query(page, "{ __typename }")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))

    assert '"__typename": "Query"' in answer, answer
    assert errors == []
    assert failed == []
    hosts = {urlsplit(url).hostname for url in requests if not url.startswith("data:")}
    assert hosts == {"127.0.0.1"}
    assets = {url.removeprefix(gateway_url) for url in requests if "/assets/graphiql/" in url}
    assert assets == {f"{graphiql.MOUNT_PATH}/{name}" for name in graphiql.ASSET_FILES}


def test_graphiql_sends_the_token_of_its_headers_link(
    browser: BrowserContext, gateway_url: str, issuer: TestIssuer
) -> None:
    # What `make serve` prints: a GraphiQL link with the analyst's token in its headers.
    query = '{ sql(query: "SELECT 41 + 1 AS answer") { rows } }'
    page = browser.new_page()
    page.goto(f"{gateway_url}/graphql", wait_until="load")
    assert "UNAUTHENTICATED" in run_query(page, query, wait_for='"errors"')
    headers = json.dumps({"Authorization": f"Bearer {issuer.token('ana', ['analyst'])}"})
    page.goto(f"{gateway_url}/graphql?headers={quote(headers)}", wait_until="load")
    answer = run_query(page, query, wait_for='"rows"')
    assert json.loads(answer) == {"data": {"sql": {"rows": [[42]]}}}, answer


def _failure(request: Request) -> str:
    return request.failure or "failed"


def _console_error(message: ConsoleMessage, errors: list[str]) -> None:
    if message.type == "error":
        errors.append(f"console: {message.text}")
