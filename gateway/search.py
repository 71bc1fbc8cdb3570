"""Ranking products for a text search, over their summaries and their contracts.

Plain functions: the graph gathers the documents, this module scores them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# What a hit in each place is worth: a name says more than a description.
WEIGHTS = {
    "name": 10.0,
    "tag": 6.0,
    "domain": 5.0,
    "table": 5.0,
    "column": 4.0,
    "description": 3.0,
    "table description": 2.0,
    "column description": 1.0,
}


@dataclass(frozen=True)
class Match:
    field: str  # one of WEIGHTS
    text: str  # the text that matched
    element: str | None = None  # table or table.column


@dataclass(frozen=True)
class Scored:
    score: float
    matches: tuple[Match, ...]


def terms_of(text: str) -> list[str]:
    """The lower-case words of a query.

    >>> terms_of("US  Precipitation!")
    ['us', 'precipitation']
    """
    return re.findall(r"[\w-]+", text.lower())


def score(
    terms: list[str],
    *,
    name: str,
    domain: str,
    description: str | None,
    tags: Iterable[str],
    contracts: Iterable[Mapping[str, Any]] = (),
) -> Scored:
    """Score one product; each term adds the weight of every place it is found.

    >>> score(["rain"], name="Rain", domain="x", description=None, tags=[]).score
    10.0
    """
    places: list[Match] = [Match("name", name), Match("domain", domain)]
    places += [Match("tag", t) for t in tags]
    if description:
        places.append(Match("description", description))
    for contract in contracts:
        places += list(contract_places(contract))
    total = 0.0
    matches: list[Match] = []
    for place in places:
        words = set(terms_of(place.text))
        hits = [t for t in terms if t in words or (len(t) > 3 and t in place.text.lower())]
        if hits:
            total += WEIGHTS[place.field] * len(hits)
            matches.append(place)
    return Scored(total, tuple(matches))


def contract_places(contract: Mapping[str, Any]) -> Iterable[Match]:
    """The places of one contract document: its tables, columns and their descriptions."""
    for obj in contract.get("schema") or []:
        if not isinstance(obj, Mapping):
            continue
        table = str(obj.get("name", ""))
        yield Match("table", table, table)
        if obj.get("description"):
            yield Match("table description", str(obj["description"]), table)
        for prop in obj.get("properties") or []:
            if not isinstance(prop, Mapping):
                continue
            element = f"{table}.{prop.get('name', '')}"
            yield Match("column", str(prop.get("name", "")), element)
            if prop.get("businessName"):
                yield Match("column", str(prop["businessName"]), element)
            if prop.get("description"):
                yield Match("column description", str(prop["description"]), element)
