from __future__ import annotations

from gateway.search import score, terms_of

CONTRACT = {
    "schema": [
        {
            "name": "daily_precipitation",
            "description": "Daily totals per station",
            "properties": [
                {"name": "h3_cell", "description": "H3 hexagon of the station"},
                {"name": "precipitation_in", "businessName": "Rainfall", "description": "inches"},
            ],
        }
    ]
}


def test_terms_are_lowercase_words() -> None:
    assert terms_of("  Rain, H3_cell & snow ") == ["rain", "h3_cell", "snow"]


def test_name_outranks_column_description() -> None:
    by_name = score(["inches"], name="Inches", domain="d", description=None, tags=[])
    by_column = score(
        ["inches"], name="x", domain="d", description=None, tags=[], contracts=[CONTRACT]
    )
    assert by_name.score > by_column.score > 0


def test_matches_name_the_element() -> None:
    scored = score(
        ["h3_cell"], name="x", domain="d", description=None, tags=[], contracts=[CONTRACT]
    )
    assert [(m.field, m.element) for m in scored.matches] == [
        ("column", "daily_precipitation.h3_cell")
    ]


def test_no_match_scores_zero() -> None:
    scored = score(
        ["ozone"], name="x", domain="d", description="rain", tags=["t"], contracts=[CONTRACT]
    )
    assert scored.score == 0 and scored.matches == ()


def test_every_term_counts() -> None:
    one = score(["daily"], name="n", domain="d", description=None, tags=[], contracts=[CONTRACT])
    two = score(
        ["daily", "rainfall"], name="n", domain="d", description=None, tags=[], contracts=[CONTRACT]
    )
    assert two.score > one.score
