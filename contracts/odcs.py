"""ODCS v3 data contracts: load, resolve placeholders, validate strictly, build the model."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic
from open_data_contract_standard.model import OpenDataContractStandard

from contracts._bounded import bounded_schema_issues
from contracts._issues import (
    DocumentInvalid,
    DocumentIssue,
    errors_of,
    finalize,
    format_path,
    warnings_of,
)
from contracts._placeholders import plain, resolve_servers
from contracts._reader import read_document
from contracts._rules import contract_issues
from contracts._schemas import ODCS_SCHEMAS

SUPPORTED_API_VERSIONS: tuple[str, ...] = tuple(ODCS_SCHEMAS)


@dataclass(frozen=True)
class ContractDocument:
    """A valid ODCS contract.

    ``raw`` is the document as JSON-ready data, as its author wrote it (YAML dates kept
    as the strings written, server placeholders resolved); ``model`` is the official
    package's pydantic model of it. ``warnings`` are the findings the standard does not
    forbid (e.g. ``primaryKeyPosition`` on a column outside the key): the contract loads,
    and whoever shows it can show them.
    """

    raw: dict[str, Any]
    model: OpenDataContractStandard
    id: str
    version: str
    api_version: str
    name: str | None
    status: str | None
    domain: str | None
    source: str
    warnings: tuple[DocumentIssue, ...] = ()


def load_contract(path: str | Path, env: Mapping[str, str] | None = None) -> ContractDocument:
    """Read and validate the contract file at ``path``; raise :class:`DocumentInvalid`.

    ``env`` fills ``${VAR}`` placeholders in ``servers`` (default: ``os.environ``).
    """
    path = Path(path)
    return parse_contract(path.read_bytes(), source=str(path), env=env)


def parse_contract(
    data: str | bytes | Mapping[str, Any],
    source: str = "<string>",
    env: Mapping[str, str] | None = None,
) -> ContractDocument:
    """Validate a contract given as YAML/JSON text or an already parsed mapping.

    >>> doc = parse_contract("apiVersion: v3.0.2\\nkind: DataContract\\nid: c1\\n"
    ...                      "version: 1.0.0\\nstatus: active\\n")
    >>> doc.id, doc.api_version
    ('c1', 'v3.0.2')
    """
    document = read_document(data, source)
    resolved = resolve_servers(document, os.environ if env is None else env)
    issues = contract_schema_issues(resolved, source)
    if errors_of(issues):
        raise DocumentInvalid(issues)
    raw: dict[str, Any] = plain(resolved)
    try:
        model = OpenDataContractStandard.model_validate(raw)
    except pydantic.ValidationError as exc:
        # The JSON Schema passed, so this is the package's models being stricter than the
        # schema of an older apiVersion; say so rather than hide it.
        raise DocumentInvalid(_model_issues(exc, source)) from None
    return ContractDocument(
        raw=raw,
        model=model,
        id=raw["id"],
        version=raw["version"],
        api_version=raw["apiVersion"],
        name=raw.get("name"),
        status=raw.get("status"),
        domain=raw.get("domain"),
        source=source,
        warnings=tuple(warnings_of(issues)),
    )


def contract_schema_issues(doc: dict[str, Any], source: str) -> list[DocumentIssue]:
    """All issues of contract ``doc``: its apiVersion, its own version's schema, our rules.

    Warnings are included (see :attr:`DocumentIssue.severity`): use
    :func:`contracts._issues.errors_of` to decide whether the contract is refused.
    """
    api_version = doc.get("apiVersion")
    schema = ODCS_SCHEMAS.get(api_version) if isinstance(api_version, str) else None
    if schema is None:
        supported = ", ".join(SUPPORTED_API_VERSIONS)
        message = (
            "apiVersion is missing"
            if api_version is None
            else f"unsupported ODCS apiVersion {api_version!r}"
        )
        return [DocumentIssue(source, "apiVersion", message, f"one of {supported}")]
    found = bounded_schema_issues(schema, doc, source)
    # Where the schema already reported a place, our own rules add nothing there.
    reported = {issue.path for issue in found}
    found.extend(i for i in contract_issues(doc, source) if i.path not in reported)
    return finalize(found)


def _model_issues(exc: pydantic.ValidationError, source: str) -> list[DocumentIssue]:
    return [
        DocumentIssue(
            source,
            format_path([p for p in err["loc"] if isinstance(p, str | int)]),
            f"rejected by the ODCS model: {err['msg']}",
        )
        for err in exc.errors()
    ]
