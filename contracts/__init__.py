"""Data contracts (ODCS v3), data products (Bitol ODPS, and meshgate's early descriptor)
and observability results.

Load a document, check it strictly, get a frozen object back, or a
:class:`DocumentInvalid` listing every :class:`DocumentIssue` (file, path inside the
document, what was wrong and what was expected). Plain Python: imports nothing from the
gateway.
"""

from __future__ import annotations

from contracts._issues import DocumentInvalid, DocumentIssue
from contracts.detect import KINDS, Verdict, check_file, validate_file
from contracts.odcs import (
    SUPPORTED_API_VERSIONS,
    ContractDocument,
    load_contract,
    parse_contract,
)
from contracts.odps import (
    ContractRef,
    ProductDescriptor,
    ProductVersion,
    default_slug,
    load_descriptor,
    parse_descriptor,
)
from contracts.odps_model import (
    AuthoritativeDefinition,
    CustomProperty,
    Description,
    InputPort,
    ManagementPort,
    OutputPort,
    SupportChannel,
    Team,
    TeamMember,
)
from contracts.odps_standard import StandardProduct, parse_product
from contracts.oors import ObservabilityResult, parse_result
from contracts.versions import version_key

__all__ = [
    "version_key",
    "KINDS",
    "SUPPORTED_API_VERSIONS",
    "ContractDocument",
    "ContractRef",
    "DocumentInvalid",
    "DocumentIssue",
    "ObservabilityResult",
    "ProductDescriptor",
    "ProductVersion",
    "default_slug",
    "load_contract",
    "load_descriptor",
    "parse_contract",
    "parse_descriptor",
    "parse_result",
    "validate_file",
    "check_file",
    "Verdict",
    "StandardProduct",
    "parse_product",
    "AuthoritativeDefinition",
    "CustomProperty",
    "Description",
    "InputPort",
    "ManagementPort",
    "OutputPort",
    "SupportChannel",
    "Team",
    "TeamMember",
]
