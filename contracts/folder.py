"""Read a product folder: ``product.yaml``, ``contracts/*.yaml`` and ``product.env``.

Every document is validated by the ``contracts`` package. All problems are gathered and
raised together as one :class:`contracts.DocumentInvalid`, so an owner fixes them in one go.

An output port whose contract the folder does not hold is a warning
(:data:`MISSING_CONTRACT`), not a refusal: ODPS products routinely name contracts kept
elsewhere (Bitol's own examples ship none), and such a port simply has no tables. The
warning's path is the port in the served ODPS v1.0.0 document
(``outputPorts[i].contractId``), which the registry reads to skip that port's link.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from contracts import (
    ContractDocument,
    ContractRef,
    DocumentInvalid,
    DocumentIssue,
    ProductDescriptor,
    load_contract,
    load_descriptor,
)
from contracts._issues import WARNING, finalize

DESCRIPTOR_FILE = "product.yaml"
ENV_FILE = "product.env"
CONTRACTS_DIR = "contracts"
CONTRACT_SUFFIXES = (".yaml", ".yml", ".json")
#: Stable code of the warning of an output port whose contract the folder does not hold.
MISSING_CONTRACT = "output_contract_missing"


@dataclass(frozen=True)
class ProductFolder:
    """A valid product folder.

    ``contracts`` holds every contract file of the folder by ``(id, version)``;
    ``outputs`` the ones the descriptor publishes, in descriptor order, once each;
    ``warnings`` every finding that did not refuse the folder (the descriptor's, the
    contracts', and output ports without a contract file).
    """

    path: Path
    descriptor: ProductDescriptor
    contracts: Mapping[tuple[str, str], ContractDocument]
    outputs: tuple[ContractDocument, ...]
    env: Mapping[str, str]
    warnings: tuple[DocumentIssue, ...] = ()


def read_env_file(path: Path) -> dict[str, str]:
    """Parse ``KEY=VALUE`` lines; blank lines, ``#`` comments and ``export`` are allowed.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "product.env"
    >>> _ = p.write_text("# db\\nexport PG_HOST=db\\nPG_PORT='5432'\\n")
    >>> read_env_file(p)
    {'PG_HOST': 'db', 'PG_PORT': '5432'}
    """
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        text = text.removeprefix("export ").strip()
        key, sep, value = text.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key.replace("_", "a").isalnum() or key[0].isdigit():
            raise DocumentInvalid(
                [DocumentIssue(str(path), f"line {number}", "not a KEY=VALUE line", "KEY=VALUE")]
            )
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def product_env(folder: Path, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``product.env`` of ``folder`` overlaid by ``env`` (default: the process environment).

    The process wins, as with docker-compose: a deployment overrides what the folder ships.
    """
    file = folder / ENV_FILE
    values = read_env_file(file) if file.is_file() else {}
    values.update(os.environ if env is None else env)
    return values


def load_product_folder(path: str | Path, env: Mapping[str, str] | None = None) -> ProductFolder:
    """Load and check the product folder at ``path``; raise :class:`DocumentInvalid`.

    ``env`` replaces the process environment (``product.env`` is always read).
    """
    folder = Path(path)
    descriptor_path = folder / DESCRIPTOR_FILE
    if not folder.is_dir():
        raise DocumentInvalid([DocumentIssue(str(folder), "$", "is not a folder")])
    if not descriptor_path.is_file():
        raise DocumentInvalid(
            [DocumentIssue(str(descriptor_path), "$", "file missing", "an ODPS descriptor")]
        )
    resolved_env = product_env(folder, env)
    issues: list[DocumentIssue] = []
    descriptor: ProductDescriptor | None = None
    try:
        descriptor = load_descriptor(descriptor_path)
    except DocumentInvalid as exc:
        issues.extend(exc.issues)
    contracts, found = _load_contracts(folder / CONTRACTS_DIR, resolved_env)
    issues.extend(found)
    if descriptor is None or issues:
        raise DocumentInvalid(issues)
    outputs = [
        contracts[(r.contract_id, r.version)]
        for r in output_refs(descriptor)
        if (r.contract_id, r.version) in contracts
    ]
    warnings = [*descriptor.warnings, *(w for c in contracts.values() for w in c.warnings)]
    warnings.extend(missing_contracts(descriptor, contracts, str(descriptor_path)))
    return ProductFolder(
        folder, descriptor, contracts, tuple(outputs), resolved_env, tuple(finalize(warnings))
    )


def missing_contracts(
    descriptor: ProductDescriptor,
    contracts: Mapping[tuple[str, str], ContractDocument],
    source: str,
) -> list[DocumentIssue]:
    """A warning for each output port naming a contract the folder does not hold."""
    found = []
    for index, port in enumerate(descriptor.output_ports):
        if port.contract_id is None or (port.contract_id, port.version) in contracts:
            continue
        found.append(
            DocumentIssue(
                source,
                f"outputPorts[{index}].contractId",
                f"output contract {port.contract_id} version {port.version} has no file in "
                f"{CONTRACTS_DIR}/: the port is served without tables",
                "a contract with this id and version",
                severity=WARNING,
                code=MISSING_CONTRACT,
            )
        )
    return found


def output_refs(descriptor: ProductDescriptor) -> list[ContractRef]:
    """Every output port over all versions, once each, in descriptor order."""
    seen: dict[ContractRef, None] = {}
    for version in descriptor.versions:
        for ref in version.outputs:
            seen.setdefault(ref, None)
    return list(seen)


def _load_contracts(
    folder: Path, env: Mapping[str, str]
) -> tuple[dict[tuple[str, str], ContractDocument], list[DocumentIssue]]:
    contracts: dict[tuple[str, str], ContractDocument] = {}
    issues: list[DocumentIssue] = []
    files = sorted(p for p in folder.glob("*") if p.suffix in CONTRACT_SUFFIXES and p.is_file())
    for file in files:
        try:
            doc = load_contract(file, env=env)
        except DocumentInvalid as exc:
            issues.extend(exc.issues)
            continue
        key = (doc.id, doc.version)
        if key in contracts:
            issues.append(
                DocumentIssue(
                    str(file),
                    "id",
                    f"contract {doc.id} version {doc.version} is also in {contracts[key].source}",
                )
            )
            continue
        contracts[key] = doc
    return contracts, issues
