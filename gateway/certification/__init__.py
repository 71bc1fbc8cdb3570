"""Certification: the mesh's policies (one YAML file), checked by the gateway on each
product's own documents, on a schedule and on demand, and kept with history.

See docs/certification.md.
"""

from __future__ import annotations

from gateway.certification.model import (
    MESH,
    NOT_COMPLIANT,
    OK,
    PRODUCT,
    Certification,
    PolicyResult,
)
from gateway.certification.policies import PolicyFileError, PolicySet, load_policies
from gateway.certification.service import CertificationChanged, Certifier
from gateway.certification.store import (
    CertificationError,
    CertificationPage,
    CertificationStore,
    open_certification_store,
)

__all__ = [
    "CertificationChanged",
    "MESH",
    "NOT_COMPLIANT",
    "OK",
    "PRODUCT",
    "Certification",
    "CertificationError",
    "CertificationPage",
    "CertificationStore",
    "Certifier",
    "PolicyFileError",
    "PolicyResult",
    "PolicySet",
    "load_policies",
    "open_certification_store",
]
