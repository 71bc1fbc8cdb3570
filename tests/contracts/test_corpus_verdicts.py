"""``meshgate validate`` over the whole corpus agrees with each document's own-version
schema verdict, recorded in ``tests/corpus-verdicts.yaml``.

The recorded verdicts come from ``tests.contracts.corpus_judge`` (plain ``jsonschema``
against the schema the document's ``kind``/``apiVersion`` names, not meshgate's validator).
The few documents where meshgate's verdict differs are listed in the manifest, each with
the standard's words for the check the schema cannot express (``exceptions``), or as ODCS
v2 documents meshgate does not read (``unsupported``); both are checked here too.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from contracts.detect import check_file
from gateway.cli import main
from tests.contracts.corpus_judge import CORPUS, documents, judge, manifest, name_of

_MANIFEST = manifest()
FILES: dict[str, dict[str, str]] = _MANIFEST["files"]
EXCEPTIONS: dict[str, dict[str, str]] = _MANIFEST["exceptions"]
UNSUPPORTED: dict[str, dict[str, str]] = _MANIFEST["unsupported"]
DOCUMENTS = documents()
NAMES = [name_of(p) for p in DOCUMENTS]
_LINE = re.compile(r"^(.+): (valid|invalid) against (.+)$")

#: Files too big for plain jsonschema in a fast test (the nested 88 KB one takes minutes);
#: ``python -m tests.contracts.corpus_judge --check`` rechecks them.
_RECHECK_LIMIT = 60_000


def meshgate_verdict(name: str) -> str:
    """What meshgate must say of ``name``: the schema's verdict, unless listed otherwise."""
    return "invalid" if name in EXCEPTIONS or name in UNSUPPORTED else FILES[name]["verdict"]


@pytest.fixture(scope="module")
def cli_verdicts() -> dict[str, str]:
    """One ``meshgate validate --verbose tests/corpus`` run: each file's printed verdict."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["validate", "--verbose", str(CORPUS)])
    lines = out.getvalue().splitlines()
    verdicts = {}
    for line in lines:
        match = _LINE.match(line)
        if match and Path(match.group(1)).is_file():
            verdicts[name_of(Path(match.group(1)))] = match.group(2)
    invalid = sum(v == "invalid" for v in verdicts.values())
    assert code == (1 if invalid else 0)
    assert re.search(rf"^{len(verdicts)} documents, {invalid} invalid", lines[-1])
    return verdicts


def test_manifest_lists_every_document() -> None:
    # No document of the corpus goes unjudged, and no verdict names a vanished file.
    assert len(DOCUMENTS) >= 240
    assert set(FILES) == set(NAMES)
    assert set(EXCEPTIONS) <= set(FILES) and set(UNSUPPORTED) <= set(FILES)
    assert not set(EXCEPTIONS) & set(UNSUPPORTED)
    for entry in FILES.values():
        assert entry["verdict"] in ("valid", "invalid")
        assert ("reason" in entry) is (entry["verdict"] == "invalid")


def test_every_source_keeps_its_licence_and_readme() -> None:
    for folder in ("bitol", "bitol-odps", "datacontract-cli"):
        assert (CORPUS / folder / "LICENSE").is_file()
        readme = (CORPUS / folder / "README.md").read_text(encoding="utf-8")
        assert re.search(r"\b[0-9a-f]{40}\b", readme), f"{folder}/README.md names no commit"


def test_the_cli_judged_every_document(cli_verdicts: dict[str, str]) -> None:
    assert set(cli_verdicts) == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_meshgate_agrees_with_own_version_schema(name: str, cli_verdicts: dict[str, str]) -> None:
    assert cli_verdicts[name] == meshgate_verdict(name), FILES[name]


@pytest.mark.parametrize("name", sorted(EXCEPTIONS))
def test_exception_is_the_recorded_check(name: str) -> None:
    # The schema accepts the document; meshgate refuses it for the recorded check, at the
    # recorded place.
    entry = EXCEPTIONS[name]
    assert FILES[name]["verdict"] == "valid"
    assert entry["words"] and entry["standard"]
    errors = [i for i in check_file(CORPUS / name, env={}).issues if i.is_error]
    assert any(i.path == entry["path"] and entry["message"] in i.message for i in errors), errors


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_odcs_v2_is_refused_by_its_version(name: str) -> None:
    # ODCS v2 documents (valid under Bitol's v2 schema) are refused for their version
    # alone, with the versions meshgate reads named.
    (issue,) = check_file(CORPUS / name, env={}).issues
    assert issue.path == "apiVersion"
    assert issue.message == UNSUPPORTED[name]["message"]
    assert issue.expected == "one of v3.0.0, v3.0.1, v3.0.2, v3.1.0, v3.2.0"


_SMALL = [n for p, n in zip(DOCUMENTS, NAMES, strict=True) if p.stat().st_size < _RECHECK_LIMIT]


def test_recorded_verdicts_are_the_schema_verdicts() -> None:
    # Recomputed with plain jsonschema, so a hand edit of the manifest cannot hide a
    # disagreement (the few large files are rechecked by the judge's --check).
    assert len(_SMALL) >= len(NAMES) - 8
    wrong = {}
    for name in _SMALL:
        verdict = judge(CORPUS / name)
        recorded = FILES[name]
        if (verdict["schema"], verdict["verdict"]) != (recorded["schema"], recorded["verdict"]):
            wrong[name] = (recorded, verdict)
    assert not wrong
