"""The corpus: Bitol's released examples must load, each broken document must fail as
its ``# expect:`` lines say. (Every corpus file's verdict against its own version's schema,
including the pre-release and v2 examples, is checked in ``test_corpus_verdicts.py``.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contracts import DocumentInvalid, load_contract, validate_file

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
#: Released ODCS v3 examples (``v3.0.0-preview/`` predates the v3.0.0 schema and fails it).
BITOL = sorted(
    p for p in (CORPUS / "bitol").rglob("*.odcs.yaml") if p.parent.name != "v3.0.0-preview"
)
BROKEN = sorted((CORPUS / "broken").glob("*.yaml"))
_EXPECT = re.compile(r"^# expect: (\S+) (.+)$")


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(CORPUS)) for p in paths]


def test_corpus_is_there() -> None:
    # Guard against a glob that silently matches nothing.
    assert len(BITOL) >= 60
    assert len(BROKEN) >= 24
    assert {p.parent.name for p in BITOL} == {"v3.0.0", "v3.0.1", "v3.0.2", "main", "dev-v3.2.0"}


@pytest.mark.parametrize("path", BITOL, ids=_ids(BITOL))
def test_bitol_example_is_valid(path: Path) -> None:
    assert validate_file(path, env={}) == []
    doc = load_contract(path, env={})
    assert doc.api_version in path.read_text(encoding="utf-8")
    assert doc.model.id == doc.id


def _expectations(path: Path) -> list[tuple[str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [m.groups() for m in map(_EXPECT.match, lines) if m]
    return [(p, fragment) for p, fragment in found]


@pytest.mark.parametrize("path", BROKEN, ids=_ids(BROKEN))
def test_broken_document_reports_expected_issues(path: Path) -> None:
    expectations = _expectations(path)
    assert expectations, f"{path.name} has no '# expect:' line"
    issues = validate_file(path, env={})
    assert issues, "a broken document passed validation"
    assert all(issue.file == str(path) for issue in issues)
    for where, fragment in expectations:
        matching = [str(i) for i in issues if i.path == where and fragment in str(i)]
        assert matching, f"no issue at {where} with {fragment!r}; got:\n" + "\n".join(
            map(str, issues)
        )


@pytest.mark.parametrize(
    "name", ["bitol-all-data-types-v3.0.2.yaml", "bitol-basic-four-dpo-v3.0.2.yaml"]
)
def test_bitol_misversioned_examples_pass_as_v3_1_0(name: str) -> None:
    # They are broken only because they declare v3.0.2: under v3.1.0 they are valid.
    text = (CORPUS / "broken" / name).read_text(encoding="utf-8")
    with pytest.raises(DocumentInvalid):
        load_contract(CORPUS / "broken" / name, env={})
    from contracts import parse_contract

    fixed = text.replace("apiVersion: v3.0.2", "apiVersion: v3.1.0")
    assert parse_contract(fixed, source=name, env={}).api_version == "v3.1.0"
