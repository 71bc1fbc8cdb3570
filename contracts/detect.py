"""Validate any document of the mesh, telling contracts, descriptors and results apart."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts._issues import DocumentInvalid, DocumentIssue
from contracts._reader import read_document
from contracts.odcs import SUPPORTED_API_VERSIONS, parse_contract
from contracts.odps import parse_descriptor
from contracts.odps_standard import product_form, standard_name
from contracts.oors import parse_result

#: What each ``kind`` is checked with: the same parsers that load documents, so
#: ``validate_file`` accepts exactly what the loaders accept.
#: Each returns the warnings of a valid document (findings the standard does not forbid).


def _contract(doc: dict[str, Any], source: str, env: Mapping[str, str]) -> list[DocumentIssue]:
    return list(parse_contract(doc, source, env).warnings)


def _product(doc: dict[str, Any], source: str, env: Mapping[str, str]) -> list[DocumentIssue]:
    """Bitol ODPS against its own version's schema, or meshgate's early descriptor
    (converted, with its deprecation warning)."""
    return list(parse_descriptor(doc, source).warnings)


def _result(doc: dict[str, Any], source: str, env: Mapping[str, str]) -> list[DocumentIssue]:
    parse_result(doc, source)
    return []


_CHECKS: dict[str, Callable[[dict[str, Any], str, Mapping[str, str]], list[DocumentIssue]]] = {
    "DataContract": _contract,
    "DataProduct": _product,
    "ObservabilityResult": _result,
}

KINDS: tuple[str, ...] = tuple(_CHECKS)


@dataclass(frozen=True)
class Verdict:
    """The issues of one document (empty if valid) and the standard it was checked
    against (e.g. ``ODPS v1.0.0 (Bitol schema)``), None when it could not be told."""

    issues: list[DocumentIssue]
    standard: str | None


def validate_file(path: str | Path, env: Mapping[str, str] | None = None) -> list[DocumentIssue]:
    """Every issue of the document at ``path`` (empty if clean), whatever its ``kind``.

    Warnings (``issue.is_error`` false) do not make the document invalid: a valid
    document may still return its warnings.

    The document's ``kind`` picks the check: ``DataContract`` (ODCS, against its own
    apiVersion's schema), ``DataProduct`` (Bitol ODPS against its own apiVersion's schema,
    or meshgate's early descriptor) or ``ObservabilityResult``. An unreadable file is
    reported as an issue too, not raised.
    """
    return check_file(path, env).issues


def check_file(path: str | Path, env: Mapping[str, str] | None = None) -> Verdict:
    """Like :func:`validate_file`, also saying which standard and version a valid
    document was checked against."""
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        issue = DocumentIssue(source, "$", f"cannot read the file: {exc.strerror or exc}")
        return Verdict([issue], None)
    try:
        doc = read_document(data, source)
    except DocumentInvalid as exc:
        return Verdict(exc.issues, None)
    kind = doc.get("kind")
    check = _CHECKS.get(kind) if isinstance(kind, str) else None
    if check is None:
        message = "kind is missing" if kind is None else f"unknown document kind {kind!r}"
        return Verdict([DocumentIssue(source, "kind", message, "one of " + ", ".join(KINDS))], None)
    standard = _standard_of(str(kind), doc)
    try:
        return Verdict(check(doc, source, os.environ if env is None else env), standard)
    except DocumentInvalid as exc:
        return Verdict(exc.issues, standard)


def _standard_of(kind: str, doc: dict[str, Any]) -> str | None:
    """The standard and version a document of ``kind`` is judged by, None if unknown."""
    api_version = doc.get("apiVersion")
    if kind == "DataContract":
        known = isinstance(api_version, str) and api_version in SUPPORTED_API_VERSIONS
        return f"ODCS {api_version}" if known else None
    if kind == "DataProduct":
        form = product_form(doc)
        return standard_name(form) if form else None
    return "meshgate observability result"
