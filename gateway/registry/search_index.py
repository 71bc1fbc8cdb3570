"""The registry's search index: the places a product can be found by, and how a search
text becomes an index query that is never parsed as query syntax.

Search used to rank every product in Python over its summary and its contracts, fetched
live, on each request. Now each product's *places* (its name, domain, tags, description,
and each table, column and their descriptions of its output contracts as served at
registration or refresh) are rows of a table in the registry's database with a full-text
index over them (SQLite FTS5, PostgreSQL tsvector + GIN), replaced on each register and
refresh and dropped on unregister. The score keeps the old formula: each term adds the
weight of each place it matches (:data:`gateway.search.WEIGHTS`).

Both backends index the same words: Python splits the text into runs of letters and
digits (case-folded), and the index only ever sees those runs separated by spaces. A
search term is turned into a quoted phrase of such runs (a prefix on its last run when the
term is longer than three characters), so ``"``, ``*``, ``NEAR(``, ``OR``, ``name:`` or
``&|!:*`` are never operators: they are not letters or digits, hence not in any run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.errors import BadRequest
from gateway.registry.model import RegisteredProduct
from gateway.search import WEIGHTS, Match, contract_places, terms_of

# A search with more words than this is refused: each word is one index lookup.
MAX_TERMS = 32
_RUN = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Place:
    """One text a product can be found by; ``field`` is a key of :data:`WEIGHTS`."""

    field: str
    text: str
    element: str | None = None

    @property
    def words(self) -> str:
        """What the index holds for this place: its runs of letters and digits."""
        return " ".join(runs(self.text))


@dataclass(frozen=True)
class Term:
    """One search word as the index reads it: a phrase of runs, maybe a prefix."""

    runs: tuple[str, ...]
    prefix: bool

    def fts5(self) -> str:
        """The FTS5 query of this term: a quoted phrase (runs hold no quote), maybe ``*``.

        >>> Term(("h3", "cell"), True).fts5()
        '"h3 cell" *'
        """
        return '"' + " ".join(self.runs) + '"' + (" *" if self.prefix else "")

    def tsquery(self) -> str:
        """The PostgreSQL tsquery text of this term: quoted lexemes followed by each other.

        >>> Term(("h3", "cell"), False).tsquery()
        "'h3' <-> 'cell'"
        """
        quoted = [f"'{run}'" for run in self.runs]
        if self.prefix:
            quoted[-1] += ":*"
        return " <-> ".join(quoted)

    def matches(self, words: Sequence[str]) -> bool:
        """Whether this term is found in ``words`` (the runs of a place), as the index finds it.

        >>> Term(("precip",), True).matches(["us", "precipitation"])
        True
        """
        size = len(self.runs)
        for start in range(len(words) - size + 1):
            window = words[start : start + size]
            if list(window[:-1]) == list(self.runs[:-1]) and (
                window[-1] == self.runs[-1]
                or (self.prefix and window[-1].startswith(self.runs[-1]))
            ):
                return True
        return False


def runs(text: str) -> list[str]:
    """The case-folded runs of letters and digits of ``text``.

    >>> runs("H3_cell & US-Precipitation")
    ['h3', 'cell', 'us', 'precipitation']
    """
    return _RUN.findall(text.casefold())


def terms(text: str) -> list[Term]:
    """The index terms of a search text; raises ``BadRequest`` when it has no word or
    more than :data:`MAX_TERMS`.

    >>> [t.fts5() for t in terms('ozone "x" NEAR(')]
    ['"ozone" *', '"x"', '"near" *']
    """
    found = []
    for word in terms_of(text):
        parts = runs(word)
        if parts:
            found.append(Term(tuple(parts), prefix=len(word) > 3))
    if not found:
        raise BadRequest("text: expected at least one word", argument="text")
    if len(found) > MAX_TERMS:
        raise BadRequest(
            f"text: at most {MAX_TERMS} words, got {len(found)}", argument="text", limit=MAX_TERMS
        )
    return found


def places_of(product: RegisteredProduct, contracts: Iterable[Mapping[str, Any]]) -> list[Place]:
    """The places of ``product`` and of its contract documents ``contracts``, in the order
    the old search listed its matches."""
    found = [Place("name", product.name), Place("domain", product.domain)]
    found += [Place("tag", tag) for tag in product.tags]
    if product.description:
        found.append(Place("description", product.description))
    for contract in contracts:
        found += [Place(m.field, m.text, m.element) for m in contract_places(contract)]
    return [p for p in found if p.words]


def served_contracts(
    product: RegisteredProduct, documents: Mapping[tuple[str, str], object]
) -> list[Mapping[str, Any]]:
    """The documents of ``product``'s contract links, in link order (those found)."""
    found = [documents.get((link.id, link.version)) for link in product.contracts]
    return [d for d in found if isinstance(d, Mapping)]


@dataclass(frozen=True)
class Found:
    """A product a search found, its score and the places that matched."""

    product: RegisteredProduct
    score: float
    matches: tuple[Match, ...]


def judge(
    product: RegisteredProduct, score: float, places: Iterable[Place], wanted: list[Term]
) -> Found:
    """A :class:`Found` with the places (read back from the index) that ``wanted`` matches."""
    matched = []
    for place in places:
        words = place.words.split()
        if any(term.matches(words) for term in wanted):
            matched.append(Match(place.field, place.text, place.element))
    return Found(product, score, tuple(matched))


def weight_case(column: str = "field") -> str:
    """A SQL ``CASE`` giving each field its weight (constants of this module only)."""
    whens = " ".join(f"WHEN '{field}' THEN {weight!r}" for field, weight in WEIGHTS.items())
    return f"(CASE {column} {whens} ELSE 0.0 END)"
