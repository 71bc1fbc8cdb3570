"""The NYC air quality product, shaped like NYC Open Data's "Air Quality" (c3uy-2p5r).

Same columns, indicators, geographies (community districts, UHF 42 neighbourhoods,
boroughs, citywide) and periods (annual averages, summers, winters) as the NYC Community
Air Survey publishes; values are synthetic: each pollutant has a citywide level that
declines over the years (as measured since 2009), scaled by borough and neighbourhood.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from demo.datagen import tables
from demo.datagen.run import Run

YEARS = 15  # the survey's published history

BOROUGHS = {1: "Bronx", 2: "Brooklyn", 3: "Manhattan", 4: "Queens", 5: "Staten Island"}
# Community districts are numbered borough-wise: 1xx Manhattan, 2xx Bronx, 3xx Brooklyn...
_CD_BOROUGH = {1: 3, 2: 1, 3: 2, 4: 4, 5: 5}
COMMUNITY_DISTRICTS = {
    101: "Financial District", 102: "Greenwich Village and Soho",
    103: "Lower East Side and Chinatown", 104: "Clinton and Chelsea", 105: "Midtown",
    106: "Stuyvesant Town and Turtle Bay", 107: "Upper West Side", 108: "Upper East Side",
    109: "Morningside Heights and Hamilton Heights", 110: "Central Harlem", 111: "East Harlem",
    112: "Washington Heights and Inwood", 201: "Mott Haven and Melrose",
    202: "Hunts Point and Longwood", 203: "Morrisania and Crotona",
    204: "Highbridge and Concourse", 205: "Fordham and University Heights",
    206: "Belmont and East Tremont", 207: "Kingsbridge Heights and Bedford",
    208: "Riverdale and Fieldston", 209: "Parkchester and Soundview",
    210: "Throgs Neck and Co-op City", 211: "Morris Park and Bronxdale",
    212: "Williamsbridge and Baychester", 301: "Greenpoint and Williamsburg",
    302: "Fort Greene and Brooklyn Heights", 303: "Bedford Stuyvesant", 304: "Bushwick",
    305: "East New York and Starrett City", 306: "Park Slope and Carroll Gardens",
    307: "Sunset Park", 308: "Crown Heights North and Prospect Heights",
    309: "Crown Heights South", 310: "Bay Ridge and Dyker Heights", 311: "Bensonhurst",
    312: "Borough Park", 313: "Coney Island", 314: "Flatbush and Midwood",
    315: "Sheepshead Bay", 316: "Brownsville", 317: "East Flatbush",
    318: "Flatlands and Canarsie", 401: "Long Island City and Astoria",
    402: "Woodside and Sunnyside", 403: "Jackson Heights", 404: "Elmhurst and Corona",
    405: "Ridgewood and Maspeth", 406: "Rego Park and Forest Hills",
    407: "Flushing and Whitestone", 408: "Hillcrest and Fresh Meadows",
    409: "Kew Gardens and Woodhaven", 410: "South Ozone Park and Howard Beach",
    411: "Bayside and Little Neck", 412: "Jamaica and Hollis", 413: "Queens Village",
    414: "Rockaway and Broad Channel", 501: "St. George and Stapleton",
    502: "South Beach and Willowbrook", 503: "Tottenville and Great Kills",
}  # fmt: skip
UHF42 = {
    101: "Kingsbridge - Riverdale", 102: "Northeast Bronx", 103: "Fordham - Bronx Pk",
    104: "Pelham - Throgs Neck", 105: "Crotona -Tremont", 106: "High Bridge - Morrisania",
    107: "Hunts Point - Mott Haven", 201: "Greenpoint", 202: "Downtown - Heights - Slope",
    203: "Bedford Stuyvesant - Crown Heights", 204: "East New York", 205: "Sunset Park",
    206: "Borough Park", 207: "East Flatbush - Flatbush", 208: "Canarsie - Flatlands",
    209: "Bensonhurst - Bay Ridge", 210: "Coney Island - Sheepshead Bay",
    211: "Williamsburg - Bushwick", 301: "Washington Heights",
    302: "Central Harlem - Morningside Heights", 303: "East Harlem", 304: "Upper West Side",
    305: "Upper East Side", 306: "Chelsea - Clinton", 307: "Gramercy Park - Murray Hill",
    308: "Greenwich Village - SoHo", 309: "Union Square - Lower East Side",
    310: "Lower Manhattan", 401: "Long Island City - Astoria", 402: "West Queens",
    403: "Flushing - Clearview", 404: "Bayside - Little Neck", 405: "Ridgewood - Forest Hills",
    406: "Fresh Meadows", 407: "Southwest Queens", 408: "Jamaica", 409: "Southeast Queens",
    410: "Rockaways", 501: "Port Richmond", 502: "Stapleton - St. George", 503: "Willowbrook",
    504: "South Beach - Tottenville",
}  # fmt: skip
# Pollution relative to the city: Manhattan's traffic, Staten Island's open space.
BOROUGH_FACTOR = {1: 1.05, 2: 0.98, 3: 1.25, 4: 0.92, 5: 0.78}


@dataclass(frozen=True)
class Indicator:
    """One published measure: its id, name, units, periods and typical citywide level."""

    indicator_id: int
    name: str
    measure: str
    measure_info: str
    periods: tuple[str, ...]  # annual | summer | winter
    level_2009: float  # citywide value in the first year
    yearly_change: float  # relative change per year (negative: improving)
    ozone_like: bool = False  # higher away from traffic (titration by NO)


_SEASONS = ("annual", "summer", "winter")
_AVERAGE = "Annual average concentration"
INDICATORS: tuple[Indicator, ...] = (
    Indicator(365, "Fine particles (PM 2.5)", "Mean", "mcg/m3", _SEASONS, 11.2, -0.045),
    Indicator(375, "Nitrogen dioxide (NO2)", "Mean", "ppb", _SEASONS, 24.5, -0.030),
    Indicator(386, "Ozone (O3)", "Mean", "ppb", ("summer",), 29.5, 0.004, ozone_like=True),
    Indicator(383, "Sulfur dioxide (SO2)", "Mean", "ppb", ("winter",), 6.8, -0.160),
    Indicator(646, "Outdoor Air Toxics - Benzene", _AVERAGE, "mcg/m3", ("annual",), 1.9, -0.030),
    Indicator(
        647, "Outdoor Air Toxics - Formaldehyde", _AVERAGE, "mcg/m3", ("annual",), 2.8, -0.010
    ),
)


def geographies() -> list[tuple[str, int, str, int]]:
    """(GeoTypeName, GeoJoinID, GeoPlaceName, borough number) of every published place."""
    places = [("Citywide", 1, "New York City", 0)]
    places += [("Borough", n, name, n) for n, name in BOROUGHS.items()]
    for code, name in COMMUNITY_DISTRICTS.items():
        places.append(("CD", code, f"{name} (CD{code % 100})", _CD_BOROUGH[code // 100]))
    places += [("UHF42", code, name, code // 100) for code, name in UHF42.items()]
    return places


def periods(end: date, kind: str) -> list[tuple[str, date, int]]:
    """(TimePeriod, StartDate, year index) of the complete periods of ``kind`` before ``end``."""
    last = end.year
    found = []
    for year in range(last - YEARS, last + 1):
        index = year - (last - YEARS)
        if kind == "annual" and date(year, 12, 31) < end:
            found.append((f"Annual Average {year}", date(year, 1, 1), index))
        elif kind == "summer" and date(year, 8, 31) < end:
            found.append((f"Summer {year}", date(year, 6, 1), index))
        elif kind == "winter" and date(year + 1, 2, 28) < end:
            found.append((f"Winter {year}-{(year + 1) % 100:02d}", date(year, 12, 1), index))
    return found


def write_air_quality(run: Run) -> None:
    """``air_quality`` (CSV), one row per indicator, place and period."""
    rng = run.rng("nyc-air-quality")
    places = geographies()
    local = {(t, g): rng.uniform(0.85, 1.15) for t, g, _, _ in places if t in ("CD", "UHF42")}
    unique_id = 100_000 + rng.randrange(50_000)
    with run.sink(tables.AIR_QUALITY, tables.AIR_QUALITY_SCHEMA) as sink:
        for ind in INDICATORS:
            for kind in ind.periods:
                season = {"annual": 1.0, "summer": 0.9, "winter": 1.15}[kind]
                for label, start, index in periods(run.end_date, kind):
                    level = ind.level_2009 * (1 + ind.yearly_change) ** index * season
                    for geo_type, join_id, place, borough in places:
                        factor = BOROUGH_FACTOR.get(borough, 1.0)
                        factor *= local.get((geo_type, join_id), 1.0)
                        if ind.ozone_like:  # ozone is lowest where traffic is highest
                            factor = 2.0 - factor
                        value = round(max(0.01, level * factor * rng.uniform(0.95, 1.05)), 2)
                        unique_id += rng.randint(1, 40)
                        sink.add((
                            unique_id, ind.indicator_id, ind.name, ind.measure, ind.measure_info,
                            geo_type, join_id, place, label, start, value, None,
                        ))  # fmt: skip
