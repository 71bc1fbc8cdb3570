"""Loading a product folder, refusing an invalid one, and the CLI that serves it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from contracts import DocumentInvalid
from contracts.folder import load_product_folder, read_env_file
from gateway.cli import main
from productkit.errors import ProductConfigError
from productkit.http.app import create_product_app
from tests.product.builders import CONTRACT, CONTRACT_ID, DESCRIPTOR, build_product, variant


def test_env_file_fills_placeholders_and_the_process_env_wins(tmp_path: Path) -> None:
    folder = build_product(tmp_path)
    loaded = load_product_folder(folder, env={})
    assert loaded.outputs[0].raw["servers"][0]["path"].startswith(str(tmp_path / "data"))
    moved = load_product_folder(folder, env={"DATA_DIR": "/elsewhere"})
    assert moved.outputs[0].raw["servers"][0]["path"] == "/elsewhere/air_quality.parquet"


def test_env_file_syntax(tmp_path: Path) -> None:
    file = tmp_path / "product.env"
    file.write_text('# comment\n\nexport A=1\nB = "two words"\nC=\n')
    assert read_env_file(file) == {"A": "1", "B": "two words", "C": ""}
    file.write_text("just words\n")
    with pytest.raises(DocumentInvalid, match="line 1: not a KEY=VALUE line"):
        read_env_file(file)


def test_every_problem_of_the_folder_is_reported_together(tmp_path: Path) -> None:
    descriptor = variant(DESCRIPTOR)
    descriptor["versions"][0]["out"].append({"contractId": "missing", "version": "1.0.0"})
    folder = build_product(tmp_path, descriptor=descriptor)
    (folder / "contracts" / "broken.yaml").write_text("apiVersion: v3.0.2\nkind: DataContract\n")
    with pytest.raises(DocumentInvalid) as caught:
        load_product_folder(folder, env={})
    messages = [f"{i.path}: {i.message}" for i in caught.value.issues]
    assert any("id: required field missing" in m for m in messages)
    # An output port whose contract the folder does not hold is served with a warning (its
    # tables do not exist), not refused: ODPS products name contracts kept elsewhere.
    (folder / "contracts" / "broken.yaml").unlink()
    loaded = load_product_folder(folder, env={})
    missing = [w for w in loaded.warnings if w.code == "output_contract_missing"]
    assert [(w.path, w.is_error) for w in missing] == [("outputPorts[1].contractId", False)]
    assert "output contract missing version 1.0.0 has no file" in missing[0].message
    assert [c.id for c in loaded.outputs] == [CONTRACT_ID]


def test_a_contract_in_two_files_is_refused(tmp_path: Path) -> None:
    folder = build_product(tmp_path)
    text = (folder / "contracts" / "air_quality.yaml").read_text()
    (folder / "contracts" / "copy.yaml").write_text(text)
    with pytest.raises(DocumentInvalid, match=f"contract {CONTRACT_ID} version 1.0.0 is also in"):
        load_product_folder(folder, env={})


def test_missing_descriptor_or_folder(tmp_path: Path) -> None:
    with pytest.raises(DocumentInvalid, match="is not a folder"):
        load_product_folder(tmp_path / "nope")
    with pytest.raises(DocumentInvalid, match="product.yaml: \\$: file missing"):
        load_product_folder(tmp_path)


def test_unknown_server_name_is_refused(tmp_path: Path) -> None:
    folder = build_product(tmp_path)
    with pytest.raises(ProductConfigError, match="no output contract has a server named 'prod'"):
        create_product_app(folder, server="prod", env={})


def test_unreadable_server_type_is_refused(tmp_path: Path) -> None:
    contract = variant(CONTRACT)
    contract["servers"] = [{"server": "kafka", "type": "kafka", "host": "k:9092", "format": "json"}]
    folder = build_product(tmp_path, contract=contract)
    with pytest.raises(ProductConfigError, match="no server the kit can read"):
        create_product_app(folder, env={})


def test_cli_prints_every_issue_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    contract = variant(CONTRACT)
    contract["schema"][0]["properties"][0]["logicalType"] = "strin"
    folder = build_product(tmp_path, contract=contract)
    assert main(["product", "serve", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "cannot be served" in err
    assert "schema[0].properties[0].logicalType" in err


def test_cli_serves_the_folder(tmp_path: Path) -> None:
    folder = build_product(tmp_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "MESHGATE_PRODUCT_TOKEN"}
    cmd = [sys.executable, "-m", "gateway.cli", "product", "serve", str(folder),
           "--port", str(port), "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/observe/health", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "the product gateway did not start"
                time.sleep(0.1)
        assert health.json()["tables"][0]["rowCount"] == 5
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    token_line = next(line for line in err.splitlines() if line.startswith("control token"))
    assert len(token_line.split(": ", 1)[1]) >= 24
    assert f"http://127.0.0.1:{port}/discover/metadata" in err
