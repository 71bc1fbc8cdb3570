"""End to end: a hostile product's contract cannot make the gateway's engines read past
the operator's limits.

A real product gateway (the product kit under uvicorn) serves contracts whose first
servers point at /etc/passwd (absolute, through ``../``, a glob in the first part, a
``**`` glob, a symlink inside the data root), at Trino's ``system`` catalog or another
catalog, and at a database host off the list; it is registered in a real gateway next to
a demo product. Every such table is unavailable with its reason on the product, SQL over
it is refused with TABLE_UNAVAILABLE, and nothing of /etc/passwd comes back.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from gateway.settings import Settings
from productkit.http.app import create_product_app
from schema.asgi import create_app
from tests.fixtures.identity import TestIssuer
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running
from tests.graph.conftest import DEMO, ROOT, demo_product_dirs

PASSWD = Path("/etc/passwd").read_text().splitlines()
LEAVES = "local server path leaves the data roots"
CATALOG = "trino catalog is not one the operator allows"
PG_HOST = "postgres server host is not one the operator allows"

Mesh = tuple[str, Path, dict[str, str]]  # the gateway's URL, its data root, admin headers
TRINO = {"type": "trino", "host": "127.0.0.1", "port": 58080}

# table -> (the contract's first server, the engine it is refused on, the reason)
HOSTILE: dict[str, tuple[dict[str, Any], str, str]] = {
    "passwd_absolute": ({"type": "local", "path": "/etc/passwd"}, "duckdb", LEAVES),
    "passwd_dotdot": (
        {"type": "local", "path": "data/../../../../../../../../../../etc/passwd"},
        "duckdb",
        LEAVES,
    ),
    "passwd_glob_root": ({"type": "local", "path": "/*/passwd"}, "duckdb", LEAVES),
    "passwd_glob_deep": ({"type": "local", "path": "**/passwd.csv"}, "duckdb", LEAVES),
    "passwd_symlink": ({"type": "local", "path": "data/passwd.csv"}, "duckdb", LEAVES),
    "trino_system": ({**TRINO, "catalog": "system", "schema": "runtime"}, "trino", CATALOG),
    "trino_other": ({**TRINO, "catalog": "hive", "schema": "default"}, "trino", CATALOG),
    "pg_elsewhere": (
        {"type": "postgres", "host": "10.255.255.1", "port": 5432, "database": "hr",
         "schema": "public"},
        "trino",
        PG_HOST,
    ),
}  # fmt: skip


def hostile_product(folder: Path, kit_data: Path) -> None:
    """A product folder with one output contract per hostile table. Its kit reads its own
    server ``kit`` (a harmless CSV); the gateway takes the first server of each type."""
    template = yaml.safe_load((DEMO / "flood-areas" / "product.yaml").read_text())
    (folder / "contracts").mkdir(parents=True)
    kit_data.mkdir(parents=True)
    outputs = []
    for table, (server, _, _) in HOSTILE.items():
        contract_id = str(uuid.uuid4())
        (kit_data / f"{table}.csv").write_text(f"{PASSWD[0]}\nharmless\n")
        kit = {"server": "kit", "type": "local", "path": f"kit-data/{table}.csv", "format": "csv"}
        first = {"server": "evil", **server}
        if first["type"] == "local":
            first["format"] = "csv"
        contract = {
            "apiVersion": "v3.1.0",
            "kind": "DataContract",
            "id": contract_id,
            "name": table,
            "version": "1.0.0",
            "status": "active",
            "domain": "attack",
            "servers": [first, kit],
            "schema": [{
                "name": table,
                "physicalName": table,
                "physicalType": "table",
                "properties": [{
                    "name": "line",
                    "physicalName": PASSWD[0],  # /etc/passwd read as CSV: its first line
                    "logicalType": "string",
                    "physicalType": "varchar",
                }],
            }],
        }  # fmt: skip
        (folder / "contracts" / f"{table}-1.0.0.yaml").write_text(yaml.safe_dump(contract))
        outputs.append({"contractId": contract_id, "version": "1.0.0"})
    product = {
        **template,
        "id": str(uuid.uuid4()),
        "name": "Evil",
        "domain": "attack",
        "customProperties": [{"property": "slug", "value": "evil"}],
        "outputPorts": [
            {"name": f"port-{i}", "version": ref["version"], "contractId": ref["contractId"]}
            for i, ref in enumerate(outputs)
        ],
    }
    product.pop("inputPorts", None)
    (folder / "product.yaml").write_text(yaml.safe_dump(product))


@contextlib.contextmanager
def hostile_mesh(tmp: Path) -> Iterator[Mesh]:
    """The gateway (data root ``tmp/root``, demo data reached through a symlink into a
    second data root) with the hostile product and the flood-areas demo product."""
    root = tmp / "root"
    (root / "data").mkdir(parents=True)
    (root / "data" / "passwd.csv").symlink_to("/etc/passwd")
    (root / "demo").symlink_to(ROOT / "demo")
    hostile_product(tmp / "evil", tmp / "kit" / "kit-data")
    issuer = TestIssuer(tmp / "auth")
    settings = Settings(
        registry_url=f"sqlite:///{tmp / 'registry.db'}",
        data_root=str(root),
        sql_data_roots=f"{root},{ROOT / 'demo' / 'data'}",
        upstream_allowed_networks=LOOPBACK_ONLY,
        **issuer.settings(),
    )
    admin = issuer.headers()  # the product's owner may register it; an admin may read all
    with contextlib.ExitStack() as stack:
        evil = stack.enter_context(
            running(create_product_app(tmp / "evil", server="kit", root=tmp / "kit",
                                       token="t", env={}))
        )  # fmt: skip
        floods = stack.enter_context(running(create_product_app(DEMO / "flood-areas",
                                                                token="t", env={})))  # fmt: skip
        gateway = stack.enter_context(running(create_app(settings)))
        for base in (evil, floods):
            answer = httpx.post(
                f"{gateway}/registry/products", json={"url": f"{base}/discover/metadata"},
                headers=admin, timeout=30,
            )  # fmt: skip
            assert answer.status_code == 201, answer.text
        yield gateway, root, admin


def graphql(mesh: Mesh, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = httpx.post(
        f"{mesh[0]}/graphql",
        json={"query": query, "variables": variables},
        headers=mesh[2],
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


SQL = "query($q: String!, $e: SqlEngine) { sql(query: $q, engine: $e) { rows } }"
UNAVAILABLE = "{ product(id: $id) { sqlUnavailable { table version engine reason } } }"


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    demo_product_dirs()  # fails early without demo data
    with hostile_mesh(tmp_path_factory.mktemp("reach")) as started:
        yield started


def test_the_product_says_which_tables_are_unavailable_and_why(
    mesh: Mesh,
) -> None:
    query = "query($id: ID!) " + UNAVAILABLE
    body = graphql(mesh, query, {"id": "attack.evil"})
    assert "errors" not in body, body["errors"]
    found = {
        (u["table"], u["engine"], u["reason"]) for u in body["data"]["product"]["sqlUnavailable"]
    }
    wanted = {(f"attack.evil.{t}", engine, why) for t, (_, engine, why) in HOSTILE.items()}
    assert wanted <= found
    assert all(u["version"] == "1.0.0" for u in body["data"]["product"]["sqlUnavailable"])
    floods = graphql(mesh, query, {"id": "flood.flood-areas"})
    assert floods["data"]["product"]["sqlUnavailable"] == []


@pytest.mark.parametrize("table", sorted(HOSTILE))
def test_sql_over_a_table_out_of_reach_is_refused_and_reads_nothing(mesh: Mesh, table: str) -> None:
    root = mesh[1]
    _, engine, why = HOSTILE[table]
    body = graphql(mesh, SQL, {"q": f"SELECT line FROM attack.evil.{table}",
                                  "e": engine.upper()})  # fmt: skip
    assert body.get("data") is None or body["data"].get("sql") is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "TABLE_UNAVAILABLE", error
    assert error["message"] == f"attack.evil.{table} is unavailable on {engine}: {why}"
    assert error["extensions"]["productId"]
    text = json.dumps(body)
    assert str(root) not in text and "/etc/" not in text
    assert not any(line in text for line in PASSWD[1:] if line)


def test_no_spelling_reads_the_hostile_files_on_duckdb(mesh: Mesh) -> None:
    root = mesh[1]
    for statement in (
        "SELECT * FROM '/etc/passwd'",
        f"SELECT * FROM '{root}/data/passwd.csv'",
        "SELECT line FROM attack.evil.passwd_absolute UNION ALL SELECT line FROM "
        "attack.evil.passwd_symlink",
        "WITH x AS (SELECT line FROM attack.evil.passwd_glob_root) SELECT * FROM x",
    ):
        body = graphql(mesh, SQL, {"q": statement, "e": "DUCKDB"})
        assert body["errors"], statement
        text = json.dumps(body)
        assert not any(line in text for line in PASSWD[1:] if line), statement


def test_a_product_inside_the_roots_still_answers(mesh: Mesh) -> None:
    body = graphql(
        mesh,
        SQL,
        {"q": 'SELECT count(*) AS n FROM flood."flood-areas".flood_prone_areas', "e": "DUCKDB"},
    )
    assert "errors" not in body, body["errors"]
    assert body["data"]["sql"]["rows"][0][0] > 0
