"""The registry's search index: the places a product can be found by, and how a search
text becomes an index query that is never parsed as query syntax.

Search used to rank every product in Python over its summary and its contracts, fetched
live, on each request. Now each product's *places* (its name, domain, tags, description,
and each table, column and their descriptions of its output contracts as served at
registration or refresh) are rows of a table in the registry's database with a full-text
index over them (SQLite FTS5, PostgreSQL tsvector + GIN), replaced on each register and
refresh and dropped on unregister. The score follows the weights of
:data:`gateway.search.WEIGHTS`: SQLite's is FTS5's ``bm25`` with one weight per kind of
place; PostgreSQL's is the old formula itself (each term adds the weight of each place a
word it finds is in), summed from one row per word and product (:func:`word_weights`),
because ``ts_rank`` reads the text of every product a common word matches.

Both backends index the same words: Python splits the text into runs of letters and
digits (case-folded), and the index only ever sees those runs separated by spaces. A
search term is turned into a quoted phrase of such runs (a prefix on its last run when the
term is longer than three characters), so ``"``, ``*``, ``NEAR(``, ``OR``, ``name:`` or
``&|!:*`` are never operators: they are not letters or digits, hence not in any run.
"""

from __future__ import annotations

import functools
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

    @functools.cached_property  # read three times per place when a product is written
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

    def matches(self, words: str) -> bool:
        """Whether this term is found in ``words`` (a place's runs, space-separated), as
        the index finds it: its runs one after the other, the last maybe as a prefix.

        >>> Term(("precip",), True).matches("us precipitation")
        True
        >>> Term(("us", "rain"), False).matches("us rainfall")
        False
        """
        if self.runs[0] not in words:  # cheap test first: most places do not match
            return False
        return self._pattern.search(words) is not None

    @functools.cached_property
    def _pattern(self) -> re.Pattern[str]:
        phrase = " ".join(map(re.escape, self.runs))
        return re.compile(rf"(?:^| ){phrase}" + ("" if self.prefix else "(?: |$)"))


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
    product: RegisteredProduct,
    score: float,
    places: Iterable[tuple[Place, str]],
    wanted: list[Term],
) -> Found:
    """A :class:`Found` with the places (read back from the index with their words) that
    ``wanted`` matches."""
    matched = []
    for place, words in places:
        if any(term.matches(words) for term in wanted):
            matched.append(Match(place.field, place.text, place.element))
    return Found(product, score, tuple(matched))


# The index's columns, one per kind of place, in the order of their weight.
FIELDS = tuple(WEIGHTS)
# The classes (A to D) of the kinds of place in PostgreSQL's tsvector, which finds the
# phrases of a search (its ranking adds up :func:`word_weights` rows instead).
PG_CLASSES = {
    "name": "A",
    "tag": "B",
    "domain": "B",
    "table": "B",
    "column": "C",
    "description": "C",
    "table description": "D",
    "column description": "D",
}


def word_weights(places: Iterable[Place]) -> dict[str, float]:
    """Each word of ``places`` with the summed weight of the places it is found in (once
    per place): PostgreSQL's ranking rows (a search adds up those of the words it finds).

    >>> word_weights([Place("name", "Rain rain"), Place("tag", "rain"), Place("tag", "uk")])
    {'rain': 16.0, 'uk': 6.0}
    """
    found: dict[str, float] = {}
    for place in places:
        for word in set(place.words.split()):
            found[word] = found.get(word, 0.0) + WEIGHTS[place.field]
    return dict(sorted(found.items()))


def field_words(places: Iterable[Place]) -> list[str]:
    """The words of each field (in :data:`FIELDS` order), its places' words one after
    another: what one product's row of the index holds."""
    words: dict[str, list[str]] = {field: [] for field in FIELDS}
    for place in places:
        words[place.field].append(place.words)
    return [" ".join(words[field]) for field in FIELDS]


def fts5_query(wanted: Sequence[Term]) -> str:
    """The FTS5 query of a search: any of its terms (each a quoted phrase).

    >>> fts5_query(terms("NEAR( ozone OR"))
    '"near" * OR "ozone" * OR "or"'
    """
    return " OR ".join(term.fts5() for term in wanted)


def candidates(wanted: Sequence[Term]) -> list[str]:
    """The first run of each term: a place whose words contain none of them as a substring
    cannot match (the cheap filter of the places read back to name the matches)."""
    return sorted({term.runs[0] for term in wanted})


def fts5_weights() -> str:
    """The arguments of FTS5's ``bm25`` after the table: each column's weight."""
    return ", ".join(repr(WEIGHTS[field]) for field in FIELDS)
