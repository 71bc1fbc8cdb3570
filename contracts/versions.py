"""Ordering contract and product versions (semantic versions, numerically)."""

from __future__ import annotations

import re


def version_key(version: str) -> tuple[tuple[int, str], ...]:
    """A sort key ordering semantic versions numerically; a pre-release part sorts
    before a number.

    >>> sorted(["1.10.0", "1.9.0", "2.0.0"], key=version_key)
    ['1.9.0', '1.10.0', '2.0.0']
    """
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in re.split(r"[.+-]", version))
