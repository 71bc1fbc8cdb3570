"""GraphiQL's assets are served locally and Strawberry's page is rewritten to use them.

No browser here: a small Starlette app of our own under uvicorn, read with httpx.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from gateway.http import graphiql
from tests.fixtures.uvicorn import running as serve

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = Path(strawberry.__file__).parent / "static" / "graphiql.html"
CDN_URL = re.compile(r'(?:src|href)="(https://unpkg\.com/((?:@[^/@]+/)?[^/@]+)@([^/]+)/([^"]+))"')


def page() -> str:
    return TEMPLATE.read_text()


def cdn_assets(html: str) -> list[tuple[str, str, str, str, str]]:
    """(url, package, version, path, integrity) of each CDN tag in ``html``."""
    found = []
    for tag in re.findall(r"<(?:script|link)\b[^>]*>", html):
        url = CDN_URL.search(tag)
        if url is None:
            continue
        integrity = re.search(r'integrity="([^"]+)"', tag)
        assert integrity is not None, tag
        found.append((*url.groups(), integrity.group(1)))
    return found


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


@pytest.fixture(scope="module")
def modules() -> Path:
    found = graphiql.graphiql_assets_dir(ROOT)
    if found is None:
        pytest.fail("node_modules is missing GraphiQL's files: run `npm ci` (make install)")
    return found


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graphiql, "_warned", set())


class LocalGraphQL(GraphQL):  # type: ignore[type-arg]
    """Strawberry's view with the page rewritten, as the gateway's own view does."""

    async def render_graphql_ide(self, request: Request) -> Response:
        available = graphiql.graphiql_assets_dir(ROOT) is not None
        return HTMLResponse(graphiql.localize_graphiql_html(self.graphql_ide_html, available))


@strawberry.type
class Query:
    hello: str = "world"


@pytest.fixture(scope="module")
def base_url(modules: Path) -> Iterator[str]:
    view = LocalGraphQL(strawberry.Schema(query=Query), graphql_ide="graphiql")
    app = Starlette(routes=[Route("/graphql", view), *graphiql.graphiql_routes(ROOT)])
    with serve(app) as url:
        yield url


def test_the_page_names_exactly_the_allow_listed_files() -> None:
    names = {f"{package}/{path}" for _, package, _, path, _ in cdn_assets(page())}
    assert names == set(graphiql.ASSET_FILES)


def test_package_json_pins_the_versions_the_page_names() -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]
    named = {package: version for _, package, version, _, _ in cdn_assets(page())}
    assert pinned == named


def test_installed_files_match_the_page_integrity_hashes(modules: Path) -> None:
    for _, package, version, path, integrity in cdn_assets(page()):
        installed = json.loads((modules / package / "package.json").read_text())["version"]
        assert installed == version, package
        assert sri((modules / package / path).read_bytes()) == integrity, f"{package}/{path}"


def test_served_page_loads_every_asset_locally_with_matching_integrity(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as client:
        html = client.get("/graphql", headers={"accept": "text/html"}).text
        assert "GraphiQL" in html
        assert "unpkg.com" not in html
        local = re.findall(r'(?:src|href)="(/assets/graphiql/[^"]+)"[^>]*integrity="([^"]+)"', html)
        assert len(local) == len(graphiql.ASSET_FILES)
        for url, integrity in local:
            got = client.get(url)
            assert got.status_code == 200, url
            assert sri(got.content) == integrity, url
        css = client.get("/assets/graphiql/graphiql/graphiql.min.css")
        assert css.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize(
    "path",
    [
        "/assets/graphiql/react/package.json",
        "/assets/graphiql/graphiql/graphiql.min.js.map",
        "/assets/graphiql/graphiql/esm/index.js",
        "/assets/graphiql/react/umd/react.development.js",
        "/assets/graphiql/../package.json",
        "/assets/graphiql/%2e%2e/%2e%2e/pyproject.toml",
        "/assets/graphiql/",
    ],
)
def test_nothing_outside_the_allow_list_is_served(base_url: str, path: str) -> None:
    got = httpx.get(base_url + path)
    assert got.status_code == 404, (path, got.text[:200])


def test_allow_listed_file_answers_head_and_conditional_get(base_url: str) -> None:
    url = base_url + "/assets/graphiql/react/umd/react.production.min.js"
    first = httpx.get(url)
    assert httpx.head(url).status_code == 200
    again = httpx.get(url, headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304


def test_missing_assets_keep_the_cdn_page_and_warn_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert graphiql.graphiql_assets_dir(tmp_path) is None
    assert graphiql.graphiql_routes(tmp_path) == []
    with caplog.at_level(logging.WARNING, logger=graphiql.__name__):
        first = graphiql.localize_graphiql_html(page(), assets_available=False)
        second = graphiql.localize_graphiql_html(page(), assets_available=False)
        third = graphiql.localize_graphiql_html(page(), assets_available=True, root=tmp_path)
    assert first == second == third == page()
    assert [r.getMessage() for r in caplog.records] == [graphiql.FALLBACK_WARNING]


def test_assets_dir_comes_from_the_environment(
    tmp_path: Path, modules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(graphiql.ASSETS_DIR_ENV, str(tmp_path))
    assert graphiql.graphiql_assets_dir() is None
    monkeypatch.setenv(graphiql.ASSETS_DIR_ENV, str(modules.parent))
    assert graphiql.graphiql_assets_dir() == modules


def test_a_partial_install_counts_as_missing(tmp_path: Path, modules: Path) -> None:
    for name in graphiql.ASSET_FILES[:-1]:
        (tmp_path / "node_modules" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(modules / name, tmp_path / "node_modules" / name)
    assert graphiql.graphiql_assets_dir(tmp_path) is None


def test_a_file_that_differs_from_the_page_hash_stays_on_the_cdn(
    tmp_path: Path, modules: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for name in graphiql.ASSET_FILES:
        (tmp_path / "node_modules" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(modules / name, tmp_path / "node_modules" / name)
    changed = "js-cookie/dist/js.cookie.min.js"
    with open(tmp_path / "node_modules" / changed, "a") as f:
        f.write("\n// changed\n")
    with caplog.at_level(logging.WARNING, logger=graphiql.__name__):
        html = graphiql.localize_graphiql_html(page(), assets_available=True, root=tmp_path)
    assert "https://unpkg.com/js-cookie@3.0.5/dist/js.cookie.min.js" in html
    assert html.count("https://unpkg.com/") == 1
    assert html.count('"/assets/graphiql/') == len(graphiql.ASSET_FILES) - 1
    assert len(caplog.records) == 1
    assert changed in caplog.records[0].getMessage()
