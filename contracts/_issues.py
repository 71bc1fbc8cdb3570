"""What a validation reports: one :class:`DocumentIssue` per problem found in a document."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# A path segment that can be written after a dot; anything else is quoted in brackets.
_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")

#: The path of the whole document (an issue about the document as a whole).
ROOT = "$"

#: Severity of an issue that refuses the document (what the standard forbids).
ERROR = "error"
#: Severity of a finding the standard does not forbid: reported, the document still loads.
WARNING = "warning"


@dataclass(frozen=True, order=True)
class DocumentIssue:
    """One problem in one document.

    ``path`` points inside the document the way a reader finds it, e.g.
    ``schema[0].properties[3].logicalType`` (``$`` for the document as a whole);
    ``expected`` says what would have been accepted, when that can be said briefly.
    ``severity`` is :data:`ERROR` (the document is refused) or :data:`WARNING` (the
    standard does not forbid it: reported, the document still loads); ``code`` is a
    stable name for issues a program may want to tell apart (e.g. the time budget).

    >>> str(DocumentIssue("c.yaml", "schema[0].name", "1 is not of type 'string'", "string"))
    "c.yaml: schema[0].name: 1 is not of type 'string' (expected string)"
    """

    file: str
    path: str
    message: str
    expected: str | None = None
    severity: str = ERROR
    code: str | None = None

    def __str__(self) -> str:
        tail = f" (expected {self.expected})" if self.expected else ""
        head = "warning: " if self.severity == WARNING else ""
        return f"{self.file}: {self.path}: {head}{self.message}{tail}"

    @property
    def is_error(self) -> bool:
        """True when this issue refuses the document."""
        return self.severity != WARNING


class DocumentInvalid(Exception):
    """A document failed validation; ``issues`` lists every problem found in it."""

    def __init__(self, issues: Sequence[DocumentIssue]) -> None:
        self.issues: list[DocumentIssue] = sorted(set(issues), key=issue_sort_key)
        first = str(self.issues[0]) if self.issues else "invalid document"
        more = len(self.issues) - 1
        super().__init__(first + (f" (and {more} more issues)" if more > 0 else ""))


def errors_of(issues: Iterable[DocumentIssue]) -> list[DocumentIssue]:
    """The issues that refuse a document (warnings left out)."""
    return [issue for issue in issues if issue.is_error]


def warnings_of(issues: Iterable[DocumentIssue]) -> list[DocumentIssue]:
    """The findings the standard does not forbid."""
    return [issue for issue in issues if not issue.is_error]


def format_path(segments: Iterable[str | int]) -> str:
    """Render a JSON path as ``schema[0].properties[3].logicalType`` (``$`` when empty).

    >>> format_path(["schema", 0, "properties", 3, "logicalType"])
    'schema[0].properties[3].logicalType'
    >>> format_path(["customProperties", "my key"])
    'customProperties["my key"]'
    >>> format_path([])
    '$'
    """
    out = ""
    for seg in segments:
        if isinstance(seg, int):
            out += f"[{seg}]"
        elif _PLAIN_KEY.match(seg):
            out += f".{seg}" if out else seg
        else:
            out += '["' + seg.replace("\\", "\\\\").replace('"', '\\"') + '"]'
    return out or ROOT


def _natural(path: str) -> tuple[tuple[int, int | str], ...]:
    # Sort list indices numerically so schema[10] comes after schema[2].
    parts = re.split(r"(\d+)", path)
    return tuple((1, int(p)) if p.isdigit() else (0, p) for p in parts)


def issue_sort_key(issue: DocumentIssue) -> tuple[object, ...]:
    """Order issues by file, then by position in the document, then by message."""
    return (issue.file, _natural(issue.path), issue.message, issue.expected or "")


def finalize(issues: Iterable[DocumentIssue]) -> list[DocumentIssue]:
    """Deduplicate and sort issues for reporting."""
    return sorted(set(issues), key=issue_sort_key)
