"""Findings the standard does not forbid are warnings: reported, never a refusal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contracts import DocumentInvalid, load_contract, parse_contract, validate_file
from gateway.cli import main

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
WARNED = CORPUS / "warnings" / "pk-position-without-pk.yaml"
PATH = "schema[0].properties[1].primaryKeyPosition"


def test_primary_key_position_without_key_loads_with_a_warning() -> None:
    doc = load_contract(WARNED, env={})
    assert doc.id == "pk-pos"
    [warning] = doc.warnings
    assert (warning.path, warning.severity, warning.is_error) == (PATH, "warning", False)
    assert str(warning).endswith(
        f"{PATH}: warning: primaryKeyPosition 2 is set but primaryKey is not true"
    )


def test_validate_file_returns_the_warning() -> None:
    issues = validate_file(WARNED, env={})
    assert [(i.path, i.severity) for i in issues] == [(PATH, "warning")]


def test_two_key_columns_at_one_position_still_refused() -> None:
    with pytest.raises(DocumentInvalid) as caught:
        load_contract(CORPUS / "broken" / "pk-position-twice.yaml", env={})
    assert all(i.is_error for i in caught.value.issues)


def test_warning_and_error_together_refuse() -> None:
    text = WARNED.read_text(encoding="utf-8").replace("status: active", "status: 7")
    with pytest.raises(DocumentInvalid) as caught:
        parse_contract(text, env={})
    assert {i.severity for i in caught.value.issues} == {"error", "warning"}


def test_cli_shows_warnings_and_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(WARNED)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{WARNED}: {PATH}: warning: primaryKeyPosition 2 is set but primaryKey is not true",
        "1 documents, 0 invalid, 1 with warnings",
    ]


def test_cli_exits_one_when_an_error_is_among_warnings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    broken = CORPUS / "broken" / "pk-position-twice.yaml"
    assert main(["validate", str(WARNED), str(broken)]) == 1
    out = capsys.readouterr().out
    assert "warning:" in out
    assert out.endswith("2 documents, 1 invalid, 1 with warnings\n")


WARNINGS = sorted((CORPUS / "warnings").glob("*.yaml"))
_WARN = re.compile(r"^# warn: (\S+) (.+)$")


def test_warnings_corpus_is_there() -> None:
    assert WARNINGS


@pytest.mark.parametrize("path", WARNINGS, ids=[p.name for p in WARNINGS])
def test_warnings_corpus_loads_with_its_warnings(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    expected = [m.groups() for m in map(_WARN.match, lines) if m]
    assert expected, f"{path.name} has no '# warn:' line"
    issues = validate_file(path, env={})
    assert issues and not any(i.is_error for i in issues)
    for where, fragment in expected:
        assert any(i.path == where and fragment in i.message for i in issues), issues
