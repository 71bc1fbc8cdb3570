"""The reference verdict of each corpus document: its own version's JSON Schema, plain
``jsonschema``, nothing of meshgate's validator.

``tests/corpus-verdicts.yaml`` records these verdicts; ``test_corpus_verdicts.py`` checks
that ``meshgate validate`` agrees with them. They are computed here, independently of
``contracts`` (its schema files are read, not its code), so that a bug in meshgate's
validator cannot make the reference agree with it:

    .venv/bin/python -m tests.contracts.corpus_judge          # print the verdicts
    .venv/bin/python -m tests.contracts.corpus_judge --check  # compare with the recorded verdicts

Rules (the same a person would follow with Bitol's published schemas):

* The document's ``kind`` and ``apiVersion`` name the schema: ``DataContract`` with
  ``v3.x.y`` -> ``contracts/schemas/odcs/odcs-json-schema-v3.x.y.json``; ``DataProduct``
  with ``v0.9.0``/``v1.0.0`` -> ``contracts/schemas/odps/``, any other product -> meshgate's
  early descriptor schema; ``ObservabilityResult`` -> meshgate's result schema. ODCS v2
  examples (Bitol tags v2.2.1, v2.2.2) -> the schema Bitol published at that tag
  (``tests/reference-schemas/``), which meshgate does not read.
* YAML is read as JSON would carry it: timestamps stay the text written (Bitol's CI
  converts YAML to JSON before validating). A file that is not one YAML/JSON mapping, or
  whose ``kind``/``apiVersion`` names no schema, is invalid with that reason.
* Formats ``date``, ``date-time`` and ``uri`` are asserted, as Bitol's CI does with
  ajv-formats; no other format is.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft201909Validator, FormatChecker
from jsonschema.protocols import Validator

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus"
#: Beside the corpus, not in it: ``meshgate validate tests/corpus`` would read it.
MANIFEST = ROOT / "tests" / "corpus-verdicts.yaml"
SCHEMAS = ROOT / "contracts" / "schemas"
REFERENCE = ROOT / "tests" / "reference-schemas"
DOCUMENT_SUFFIXES = (".yaml", ".yml", ".json")

#: ODCS v2 examples: Bitol published them with the schema of their tag.
_V2_FOLDERS = {
    "bitol/v2.2.1": "odcs-json-schema-v2.2.1.json",
    "bitol/v2.2.2": "odcs-json-schema-v2.2.2.json",
}


def documents() -> list[Path]:
    """Every document of the corpus (what ``meshgate validate tests/corpus`` reads)."""
    return sorted(
        p for p in CORPUS.rglob("*") if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES
    )


def manifest() -> dict[str, Any]:
    """The recorded verdicts: ``files``, ``exceptions`` and ``unsupported``."""
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return loaded


def name_of(path: Path) -> str:
    """The manifest key of ``path``: its path under ``tests/corpus``."""
    return path.relative_to(CORPUS).as_posix()


class _Loader(yaml.SafeLoader):
    """YAML as JSON carries it: timestamps stay strings."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: str(node.value))


def _date_time(value: object) -> bool:
    pattern = r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:?\d\d)"
    return not isinstance(value, str) or bool(re.fullmatch(pattern, value))


def _date(value: object) -> bool:
    return not isinstance(value, str) or bool(re.fullmatch(r"\d{4}-\d\d-\d\d", value))


def _uri(value: object) -> bool:
    return not isinstance(value, str) or bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:\S*", value))


_FORMATS = FormatChecker(formats=())
_FORMATS.checkers["date"] = (_date, ())
_FORMATS.checkers["date-time"] = (_date_time, ())
_FORMATS.checkers["uri"] = (_uri, ())


@cache
def _validator(schema_file: Path) -> Validator:
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    validator: Validator = Draft201909Validator(schema, format_checker=_FORMATS)
    return validator


def schema_file(rel: str, doc: dict[str, Any]) -> tuple[Path | None, str]:
    """The schema that judges ``doc`` (file ``rel`` of the corpus) and its name, or None and
    why no schema applies."""
    kind, api = doc.get("kind"), doc.get("apiVersion")
    folder = rel.rsplit("/", 1)[0]
    if kind == "DataContract" and folder in _V2_FOLDERS:
        name = _V2_FOLDERS[folder]
        return REFERENCE / name, f"ODCS {name[17:-5]} (Bitol, tag)"
    if kind == "DataContract":
        path = SCHEMAS / "odcs" / f"odcs-json-schema-{api}.json"
        if isinstance(api, str) and path.is_file():
            return path, f"ODCS {api}"
        return None, f"no published ODCS schema for apiVersion {api!r}"
    if kind == "DataProduct":
        path = SCHEMAS / "odps" / f"odps-json-schema-{api}.json"
        if isinstance(api, str) and path.is_file() and "versions" not in doc:
            return path, f"ODPS {api}"
        return SCHEMAS / "odps-descriptor.json", "meshgate early descriptor"
    if kind == "ObservabilityResult":
        return SCHEMAS / "observability-result.json", "meshgate observability result"
    return None, f"kind {kind!r} names no schema"


def _load(path: Path) -> tuple[dict[str, Any] | None, str]:
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".json":
            docs = [json.loads(text)]
        else:
            docs = list(yaml.load_all(text, Loader=_Loader))  # noqa: S506 (a SafeLoader)
    except (yaml.YAMLError, ValueError) as exc:
        return None, f"not YAML/JSON: {type(exc).__name__}"
    if len(docs) != 1:
        return None, f"{len(docs)} documents in one file"
    if not isinstance(docs[0], dict):
        return None, f"the top level is {type(docs[0]).__name__}, not a mapping"
    return docs[0], ""


def _short(error: Any) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "$"
    message = str(error.message)
    return f"{where}: {message[:110]}{'...' if len(message) > 110 else ''}"


def judge(path: Path) -> dict[str, str]:
    """``{"schema": ..., "verdict": "valid"|"invalid"[, "reason": ...]}`` for ``path``."""
    doc, why = _load(path)
    if doc is None:
        return {"schema": "none", "verdict": "invalid", "reason": why}
    schema, label = schema_file(name_of(path), doc)
    if schema is None:
        return {"schema": "none", "verdict": "invalid", "reason": label}
    errors = sorted(_validator(schema).iter_errors(doc), key=lambda e: list(map(str, e.path)))
    if not errors:
        return {"schema": label, "verdict": "valid"}
    tail = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return {"schema": label, "verdict": "invalid", "reason": _short(errors[0]) + tail}


def judge_all() -> Iterator[tuple[str, dict[str, str]]]:
    for path in documents():
        yield name_of(path), judge(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the recorded verdicts")
    args = parser.parse_args()
    if not args.check:
        for name, verdict in judge_all():
            print(json.dumps({name: verdict}))
        return 0
    recorded = manifest()["files"]
    wrong = 0
    for name, verdict in judge_all():
        entry = recorded.get(name)
        if (
            entry is None
            or entry["verdict"] != verdict["verdict"]
            or entry["schema"] != verdict["schema"]
        ):
            wrong += 1
            print(f"{name}: recorded {entry}, schema says {verdict}")
    print(f"{len(recorded)} recorded, {wrong} differ")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
