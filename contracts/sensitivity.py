"""Which columns of a contract look personal or proprietary.

One check shared by the product kit (its certification policy wants such columns
classified) and the gateway (it masks them for callers without a privileged role), so the
two never disagree about a column. Plain Python over a contract property as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Column names that usually hold personal or proprietary data (why: contracts often
# forget to flag them, and an unflagged personal column is the costly mistake).
SENSITIVE_NAME = re.compile(
    r"e_?mail|phone|mobile|ssn|social_security|passport|birth|dob|address|street|"
    r"first_?name|last_?name|full_?name|surname|person|iban|account_?number|card_?number|"
    r"salary|ip_?address|tax_?id|owner_?name|asset_?value"
)
SENSITIVE_TAGS = frozenset({"pii", "personal", "sensitive", "confidential", "proprietary"})


def looks_sensitive(name: str, prop: Mapping[str, Any]) -> bool:
    """Whether the property ``prop`` called ``name`` looks personal or proprietary: flagged
    as a critical data element, tagged so, or named like personal data.

    >>> looks_sensitive("contact_email", {})
    True
    >>> looks_sensitive("station_id", {"tags": ["Proprietary"]})
    True
    >>> looks_sensitive("station_id", {"criticalDataElement": False})
    False
    """
    tags = {str(t).lower() for t in prop.get("tags") or []}
    return (
        prop.get("criticalDataElement") is True
        or bool(tags & SENSITIVE_TAGS)
        or SENSITIVE_NAME.search(name.lower()) is not None
    )
