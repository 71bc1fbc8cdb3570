"""A warning of a document the gateway read: shown on a product and on a contract."""

from __future__ import annotations

import strawberry

from resolvers.odps import Finding


@strawberry.type(
    description="A finding in one of the product's documents that does not refuse it (the "
    "standard does not forbid it), computed by the gateway from the documents it read."
)
class DocumentWarning:
    document: str = strawberry.field(description="`descriptor` or `contract`.")
    contract_id: str | None = strawberry.field(description="The contract's id (a contract's).")
    contract_version: str | None = strawberry.field(description="The contract's version.")
    path: str = strawberry.field(description="Where in the document, e.g. `outputPorts[0]`.")
    message: str
    code: str | None = strawberry.field(description="A stable name, e.g. "
                                        "`deprecated_descriptor_form`.")  # fmt: skip
    expected: str | None

    @classmethod
    def of(cls, f: Finding) -> DocumentWarning:
        return cls(
            document=f.document,
            contract_id=f.contract_id,
            contract_version=f.contract_version,
            path=f.path,
            message=f.message,
            code=f.code,
            expected=f.expected,
        )
