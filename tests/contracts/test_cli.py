"""``meshgate validate`` through the console entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.cli import main

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

VALID = """\
apiVersion: v3.1.0
kind: DataContract
id: ok
version: 1.0.0
status: active
"""


def test_valid_folder_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    # Bitol's released v3 examples (its v2 and pre-release ones are invalid for meshgate).
    folders = [CORPUS / "bitol" / v for v in ("v3.0.0", "v3.0.1", "v3.0.2", "main", "dev-v3.2.0")]
    count = sum(len(list(f.rglob("*.yaml"))) for f in folders)
    assert main(["validate", *map(str, folders)]) == 0
    out = capsys.readouterr().out
    assert out == f"{count} documents, 0 invalid\n"


def test_invalid_documents_print_one_issue_per_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "ok.yaml").write_text(VALID, encoding="utf-8")
    nested = tmp_path / "more" / "deeper"
    nested.mkdir(parents=True)
    (nested / "bad.yml").write_text(
        VALID.replace("id: ok\n", "") + "schema:\n  - name: t\n    properties:\n"
        "      - {name: a, logicalType: strin}\n",
        encoding="utf-8",
    )
    (tmp_path / "notes.txt").write_text("not a document", encoding="utf-8")
    code = main(["validate", str(tmp_path)])
    out = capsys.readouterr().out.splitlines()
    bad = nested / "bad.yml"
    assert code == 1
    assert out[0] == f"{bad}: id: required field missing"
    assert out[1].startswith(f"{bad}: schema[0].properties[0].logicalType: 'strin' is not one of")
    assert out[-1] == "2 documents, 1 invalid"
    assert len(out) == 3


def test_files_and_folders_mix(capsys: pytest.CaptureFixture[str]) -> None:
    broken = sorted((CORPUS / "broken").glob("*.yaml"))[:2]
    code = main(["validate", str(CORPUS / "bitol" / "main"), *map(str, broken)])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert (
        out[-1]
        == f"{len(list((CORPUS / 'bitol' / 'main').glob('*.yaml'))) + 2} documents, 2 invalid"
    )
    assert {line.split(":")[0] for line in out[:-1]} == {str(p) for p in broken}


def test_missing_path_exits_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "ok.yaml").write_text(VALID, encoding="utf-8")
    assert main(["validate", str(tmp_path / "ok.yaml"), str(tmp_path / "nope")]) == 2
    captured = capsys.readouterr()
    assert "nope: no such file or folder" in captured.err
    assert captured.out == ""


def test_placeholders_from_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    contract = tmp_path / "pg.yaml"
    contract.write_text(
        VALID + "servers:\n  - {server: pg, type: postgres, host: h, port: '${PORT}',"
        " database: d, schema: s}\n",
        encoding="utf-8",
    )
    monkeypatch.delenv("PORT", raising=False)
    assert main(["validate", str(contract)]) == 0  # unresolved: not judged
    monkeypatch.setenv("PORT", "not-a-port")
    assert main(["validate", str(contract)]) == 1
    assert "servers[0].port: 'not-a-port' is not of type integer" in capsys.readouterr().out


def test_product_folder_env_file_fills_placeholders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As the product kit does: DIR/product.env, overlaid by the process environment.
    (tmp_path / "contracts").mkdir()
    contract = tmp_path / "contracts" / "pg.yaml"
    contract.write_text(
        VALID + "servers:\n  - {server: pg, type: postgres, host: h, port: '${PORT}',"
        " database: d, schema: s}\n",
        encoding="utf-8",
    )
    monkeypatch.delenv("PORT", raising=False)
    (tmp_path / "product.env").write_text("PORT=not-a-port\n", encoding="utf-8")
    assert main(["validate", str(contract)]) == 1
    assert "servers[0].port: 'not-a-port' is not of type integer" in capsys.readouterr().out
    monkeypatch.setenv("PORT", "5432")  # the environment wins over the file
    assert main(["validate", str(tmp_path)]) == 0
    (tmp_path / "product.env").write_text("not a line\n", encoding="utf-8")
    assert main(["validate", str(contract)]) == 1
    assert "product.env: line 1: not a KEY=VALUE line" in capsys.readouterr().out


def test_verbose_names_the_standard_of_each_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    simple = CORPUS / "bitol-odps" / "simple-data-product.odps.yaml"
    product = tmp_path / "product.odps.yaml"
    product.write_text(
        simple.read_text(encoding="utf-8").replace("apiVersion: v0.9.0", "apiVersion: v1.0.0"),
        encoding="utf-8",
    )
    (tmp_path / "contract.yaml").write_text(VALID, encoding="utf-8")
    assert main(["validate", "--verbose", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{tmp_path / 'contract.yaml'}: valid against ODCS v3.1.0",
        f"{product}: valid against ODPS v1.0.0 (Bitol schema)",
        "2 documents, 0 invalid",
    ]


def test_v1_0_0_product_is_accepted_and_unknown_version_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (CORPUS / "bitol-odps" / "customer-data-product.odps.yaml").read_text(encoding="utf-8")
    product = tmp_path / "product.yaml"
    product.write_text(text.replace("apiVersion: v0.9.0", "apiVersion: v1.0.0"), encoding="utf-8")
    assert main(["validate", str(product)]) == 0
    assert capsys.readouterr().out == "1 documents, 0 invalid\n"
    product.write_text(text.replace("apiVersion: v0.9.0", "apiVersion: v1.1.0"), encoding="utf-8")
    assert main(["validate", str(product)]) == 1
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(f"{product}: apiVersion: unknown ODPS apiVersion 'v1.1.0'")
    assert "v0.9.0, v1.0.0 (Bitol ODPS)" in first
