"""Reference data of the demo mesh: real stations, cities and neighbourhoods.

Station identifiers, names and coordinates are those of NOAA GHCN-Daily first-order
stations and of Météo-France synoptic stations; city codes are INSEE commune codes;
populations are INSEE legal populations (2021), rounded. Climate figures (annual
precipitation, wet-day frequency, temperature normals) are approximate 1991-2020 normals
that drive the synthetic series; they are not measurements. Companies are fictitious.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Station:
    """A precipitation station and the climate its synthetic series follows.

    ``annual`` is the mean yearly total (inches in the US, mm in France), ``wet_share``
    the share of wet days, ``seasonality`` how much wetter the wettest month is than the
    mean (0 = none, 0.9 = a dry summer climate), ``wettest_month`` 1-12.
    """

    station_id: str
    name: str
    region: str  # US state code or French département code
    latitude: float
    longitude: float
    elevation_m: float
    annual: float
    wet_share: float
    seasonality: float
    wettest_month: int
    snowy: bool = False


@dataclass(frozen=True)
class FloodProfile:
    """How flood-prone the surroundings of a place are, and by what kind of flood."""

    place: str
    country_code: str
    station_id: str  # the station the place is centred on
    flood_type: str  # coastal | riverine | pluvial
    base_hazard: float  # 0..1 at the centre


@dataclass(frozen=True)
class City:
    """A French city with its metropolitan area and its temperature normals (°C)."""

    insee_code: str
    name: str
    department_code: str
    latitude: float
    longitude: float
    population: int
    metropolitan_area: str
    metropolitan_population: int
    mean_c: float  # annual mean temperature
    half_range_c: float  # (July mean - January mean) / 2
    diurnal_range_c: float  # mean tmax - tmin


@dataclass(frozen=True)
class Company:
    """An asset owner that discloses its physical risk (fictitious)."""

    lei_stem: str  # 18 characters; the two check digits are computed (ISO 17442)
    name: str
    country_code: str
    focus: str  # the asset type most of its assets are: building | transport | energy
    places: tuple[str, ...]  # FloodProfile.place values where its assets are


US_STATIONS: tuple[Station, ...] = (
    Station("USW00094728", "NY CITY CENTRAL PARK", "NY", 40.77898, -73.96925, 42.7, 49.5, 0.33, 0.10, 7, True),
    Station("USW00014732", "NEW YORK LAGUARDIA AIRPORT", "NY", 40.77945, -73.88027, 3.4, 44.0, 0.32, 0.10, 7, True),
    Station("USW00094789", "NEW YORK JFK INTERNATIONAL AIRPORT", "NY", 40.63915, -73.76390, 3.4, 43.0, 0.32, 0.10, 7, True),
    Station("USW00014739", "BOSTON LOGAN INTERNATIONAL AIRPORT", "MA", 42.36060, -71.00970, 3.7, 43.8, 0.33, 0.10, 11, True),
    Station("USW00013739", "PHILADELPHIA INTERNATIONAL AIRPORT", "PA", 39.87330, -75.22680, 2.1, 44.1, 0.31, 0.12, 7, True),
    Station("USW00013743", "WASHINGTON REAGAN NATIONAL AIRPORT", "VA", 38.84720, -77.03450, 3.0, 41.8, 0.31, 0.12, 7, True),
    Station("USW00013881", "CHARLOTTE DOUGLAS AIRPORT", "NC", 35.22360, -80.95520, 221.9, 43.6, 0.30, 0.10, 7),
    Station("USW00013874", "ATLANTA HARTSFIELD JACKSON AIRPORT", "GA", 33.63010, -84.44180, 307.9, 50.4, 0.30, 0.15, 3),
    Station("USW00012839", "MIAMI INTERNATIONAL AIRPORT", "FL", 25.78810, -80.31690, 8.8, 61.9, 0.36, 0.60, 8),
    Station("USW00012916", "NEW ORLEANS INTERNATIONAL AIRPORT", "LA", 29.99330, -90.25110, 1.2, 64.2, 0.31, 0.25, 7),
    Station("USW00012960", "HOUSTON INTERCONTINENTAL AIRPORT", "TX", 29.98000, -95.36000, 29.0, 49.8, 0.29, 0.20, 6),
    Station("USW00012921", "SAN ANTONIO INTERNATIONAL AIRPORT", "TX", 29.54430, -98.48390, 239.6, 32.3, 0.22, 0.35, 6),
    Station("USW00003927", "DALLAS FORT WORTH AIRPORT", "TX", 32.89780, -97.01890, 164.0, 37.6, 0.22, 0.35, 5),
    Station("USW00094846", "CHICAGO OHARE INTERNATIONAL AIRPORT", "IL", 41.99500, -87.93360, 201.8, 38.0, 0.31, 0.30, 6, True),
    Station("USW00094847", "DETROIT METRO AIRPORT", "MI", 42.23140, -83.33080, 192.3, 33.5, 0.33, 0.20, 6, True),
    Station("USW00014922", "MINNEAPOLIS ST PAUL AIRPORT", "MN", 44.88310, -93.22890, 265.8, 30.6, 0.30, 0.60, 6, True),
    Station("USW00003017", "DENVER INTERNATIONAL AIRPORT", "CO", 39.83280, -104.65750, 1650.2, 14.3, 0.20, 0.55, 5, True),
    Station("USW00023183", "PHOENIX SKY HARBOR AIRPORT", "AZ", 33.42780, -112.00360, 337.4, 7.2, 0.09, 0.50, 8),
    Station("USW00023174", "LOS ANGELES INTERNATIONAL AIRPORT", "CA", 33.93810, -118.38890, 29.6, 12.8, 0.10, 0.95, 1),
    Station("USW00023188", "SAN DIEGO LINDBERGH FIELD", "CA", 32.73360, -117.18310, 4.6, 10.3, 0.11, 0.95, 1),
    Station("USW00023234", "SAN FRANCISCO INTERNATIONAL AIRPORT", "CA", 37.61970, -122.36470, 2.4, 20.7, 0.17, 0.95, 1),
    Station("USW00024233", "SEATTLE TACOMA AIRPORT", "WA", 47.44440, -122.31390, 112.8, 39.3, 0.42, 0.65, 12),
    Station("USW00024229", "PORTLAND INTERNATIONAL AIRPORT", "OR", 45.59580, -122.60930, 5.8, 36.9, 0.42, 0.65, 12),
)  # fmt: skip

FR_STATIONS: tuple[Station, ...] = (
    Station("75114001", "PARIS-MONTSOURIS", "75", 48.82170, 2.33780, 75, 637, 0.31, 0.10, 5),
    Station("13054001", "MARIGNANE", "13", 43.43770, 5.21600, 9, 515, 0.16, 0.55, 10),
    Station("69029001", "LYON-BRON", "69", 45.72170, 4.94900, 198, 832, 0.28, 0.15, 10),
    Station("31069001", "TOULOUSE-BLAGNAC", "31", 43.62100, 1.37880, 151, 638, 0.27, 0.15, 5),
    Station("06088001", "NICE", "06", 43.64830, 7.20900, 2, 733, 0.17, 0.55, 11),
    Station("44020001", "NANTES-BOUGUENAIS", "44", 47.15000, -1.60880, 26, 820, 0.34, 0.30, 12),
    Station("67124001", "STRASBOURG-ENTZHEIM", "67", 48.54950, 7.64050, 150, 665, 0.32, 0.25, 6),
    Station("34154001", "MONTPELLIER-AEROPORT", "34", 43.57670, 3.96300, 2, 629, 0.16, 0.60, 10),
    Station("33281001", "BORDEAUX-MERIGNAC", "33", 44.83070, -0.69130, 47, 944, 0.33, 0.25, 12),
    Station("59343001", "LILLE-LESQUIN", "59", 50.57000, 3.09750, 47, 742, 0.35, 0.15, 10),
    Station("35281001", "RENNES-ST JACQUES", "35", 48.06880, -1.73400, 36, 694, 0.33, 0.25, 12),
    Station("51449002", "REIMS-PRUNAY", "51", 49.20920, 4.15530, 95, 600, 0.32, 0.10, 6),
    Station("29075001", "BREST-GUIPAVAS", "29", 48.44420, -4.41200, 94, 1210, 0.45, 0.35, 12),
    Station("38384001", "GRENOBLE-ST GEOIRS", "38", 45.36320, 5.31300, 384, 930, 0.30, 0.15, 10),
    Station("21473001", "DIJON-LONGVIC", "21", 47.26780, 5.08830, 219, 760, 0.32, 0.15, 5),
    Station("63113001", "CLERMONT-FD", "63", 45.78670, 3.14930, 331, 580, 0.28, 0.30, 5),
    Station("37179001", "TOURS", "37", 47.44450, 0.72720, 108, 700, 0.31, 0.20, 12),
    Station("64549001", "PAU-UZEIN", "64", 43.38000, -0.41830, 183, 1070, 0.36, 0.15, 4),
    Station("20004002", "AJACCIO", "2A", 41.91800, 8.79270, 5, 630, 0.17, 0.55, 11),
    Station("76116001", "ROUEN-BOOS", "76", 49.38330, 1.18170, 151, 850, 0.36, 0.20, 12),
)  # fmt: skip

FLOOD_PROFILES: tuple[FloodProfile, ...] = (
    FloodProfile("New York", "US", "USW00094728", "coastal", 0.60),
    FloodProfile("Queens", "US", "USW00094789", "coastal", 0.70),
    FloodProfile("Boston", "US", "USW00014739", "coastal", 0.50),
    FloodProfile("Philadelphia", "US", "USW00013739", "riverine", 0.45),
    FloodProfile("Washington", "US", "USW00013743", "riverine", 0.45),
    FloodProfile("Charlotte", "US", "USW00013881", "pluvial", 0.25),
    FloodProfile("Atlanta", "US", "USW00013874", "pluvial", 0.25),
    FloodProfile("Miami", "US", "USW00012839", "coastal", 0.85),
    FloodProfile("New Orleans", "US", "USW00012916", "coastal", 0.90),
    FloodProfile("Houston", "US", "USW00012960", "pluvial", 0.80),
    FloodProfile("San Antonio", "US", "USW00012921", "pluvial", 0.35),
    FloodProfile("Dallas", "US", "USW00003927", "pluvial", 0.30),
    FloodProfile("Chicago", "US", "USW00094846", "riverine", 0.35),
    FloodProfile("Detroit", "US", "USW00094847", "riverine", 0.30),
    FloodProfile("Minneapolis", "US", "USW00014922", "riverine", 0.35),
    FloodProfile("Denver", "US", "USW00003017", "pluvial", 0.20),
    FloodProfile("Phoenix", "US", "USW00023183", "pluvial", 0.20),
    FloodProfile("Los Angeles", "US", "USW00023174", "coastal", 0.25),
    FloodProfile("San Diego", "US", "USW00023188", "coastal", 0.20),
    FloodProfile("San Francisco", "US", "USW00023234", "coastal", 0.45),
    FloodProfile("Seattle", "US", "USW00024233", "coastal", 0.30),
    FloodProfile("Portland", "US", "USW00024229", "riverine", 0.40),
    FloodProfile("Paris", "FR", "75114001", "riverine", 0.55),
    FloodProfile("Marseille", "FR", "13054001", "coastal", 0.35),
    FloodProfile("Lyon", "FR", "69029001", "riverine", 0.45),
    FloodProfile("Toulouse", "FR", "31069001", "riverine", 0.40),
    FloodProfile("Nice", "FR", "06088001", "pluvial", 0.45),
    FloodProfile("Nantes", "FR", "44020001", "riverine", 0.50),
    FloodProfile("Strasbourg", "FR", "67124001", "riverine", 0.40),
    FloodProfile("Montpellier", "FR", "34154001", "pluvial", 0.50),
    FloodProfile("Bordeaux", "FR", "33281001", "riverine", 0.45),
    FloodProfile("Lille", "FR", "59343001", "pluvial", 0.20),
    FloodProfile("Rennes", "FR", "35281001", "riverine", 0.30),
    FloodProfile("Brest", "FR", "29075001", "coastal", 0.30),
    FloodProfile("Grenoble", "FR", "38384001", "riverine", 0.45),
    FloodProfile("Tours", "FR", "37179001", "riverine", 0.50),
    FloodProfile("Ajaccio", "FR", "20004002", "coastal", 0.30),
    FloodProfile("Rouen", "FR", "76116001", "riverine", 0.45),
)

CITIES: tuple[City, ...] = (
    City("75056", "Paris", "75", 48.8566, 2.3522, 2133111, "Métropole du Grand Paris", 7075028, 12.4, 7.7, 7.5),
    City("13055", "Marseille", "13", 43.2965, 5.3698, 873076, "Métropole d'Aix-Marseille-Provence", 1903173, 15.5, 8.5, 9.0),
    City("69123", "Lyon", "69", 45.7640, 4.8357, 522250, "Métropole de Lyon", 1424069, 12.5, 9.3, 9.5),
    City("31555", "Toulouse", "31", 43.6047, 1.4442, 504078, "Toulouse Métropole", 806171, 13.6, 8.0, 10.0),
    City("06088", "Nice", "06", 43.7102, 7.2620, 348085, "Métropole Nice Côte d'Azur", 555349, 16.0, 7.4, 7.5),
    City("44109", "Nantes", "44", 47.2184, -1.5536, 323204, "Nantes Métropole", 683372, 12.5, 6.9, 8.5),
    City("34172", "Montpellier", "34", 43.6108, 3.8767, 302454, "Montpellier Méditerranée Métropole", 499761, 15.2, 8.4, 10.0),
    City("67482", "Strasbourg", "67", 48.5734, 7.7521, 291313, "Eurométropole de Strasbourg", 508102, 11.0, 9.3, 8.5),
    City("33063", "Bordeaux", "33", 44.8378, -0.5792, 261804, "Bordeaux Métropole", 826275, 13.8, 7.5, 9.5),
    City("59350", "Lille", "59", 50.6292, 3.0573, 236710, "Métropole Européenne de Lille", 1179191, 11.0, 7.5, 7.5),
    City("35238", "Rennes", "35", 48.1173, -1.6778, 225081, "Rennes Métropole", 466269, 12.0, 6.7, 8.5),
    City("51454", "Reims", "51", 49.2583, 4.0317, 181194, "Grand Reims", 294540, 10.9, 8.0, 8.5),
    City("83137", "Toulon", "83", 43.1242, 5.9280, 180452, "Métropole Toulon Provence Méditerranée", 441739, 16.3, 7.5, 8.0),
    City("42218", "Saint-Étienne", "42", 45.4397, 4.3872, 173089, "Saint-Étienne Métropole", 404104, 10.8, 8.7, 9.5),
    City("38185", "Grenoble", "38", 45.1885, 5.7245, 157650, "Grenoble-Alpes Métropole", 451752, 11.9, 9.5, 10.5),
    City("21231", "Dijon", "21", 47.3220, 5.0415, 159106, "Dijon Métropole", 256251, 11.2, 9.2, 9.0),
    City("63113", "Clermont-Ferrand", "63", 45.7772, 3.0870, 147284, "Clermont Auvergne Métropole", 296514, 11.7, 8.5, 10.5),
    City("29019", "Brest", "29", 48.3904, -4.4861, 139619, "Brest Métropole", 211385, 11.5, 4.9, 6.0),
    City("37261", "Tours", "37", 47.3941, 0.6848, 136463, "Tours Métropole Val de Loire", 298389, 12.0, 7.7, 9.0),
    City("76540", "Rouen", "76", 49.4432, 1.0999, 114083, "Métropole Rouen Normandie", 493681, 10.9, 6.9, 7.5),
)  # fmt: skip

#: Metropolitan temperatures keep the cities whose metropolitan area has this many people.
METRO_MIN_POPULATION = 500_000
METRO_MAX_POPULATION = 1_500_000

COMPANIES: tuple[Company, ...] = (
    Company("5493001KJTIIGC8Y1R", "Hudson Freight Corp", "US", "transport", ("New York", "Queens", "Philadelphia", "Boston")),
    Company("549300GKFG0RYRRQ1K", "Gulf Coast Power Co", "US", "energy", ("Houston", "New Orleans", "San Antonio", "Dallas")),
    Company("5493000IBP32UQZ0KL", "Lakeshore Realty Trust", "US", "building", ("Chicago", "Detroit", "Minneapolis")),
    Company("549300XQFX8FNB77HY", "Pacific Rail Holdings", "US", "transport", ("Los Angeles", "San Francisco", "Seattle", "Portland", "San Diego")),
    Company("549300MLUDYVRQOOXS", "Sunbelt Logistics Inc", "US", "building", ("Miami", "Atlanta", "Charlotte", "Phoenix")),
    Company("549300WOTC9L6FP6DY", "Front Range Energy Cooperative", "US", "energy", ("Denver", "Minneapolis", "Dallas", "Washington")),
    Company("969500KSV493XWY0PS", "Seine Valley Utilities SA", "FR", "energy", ("Paris", "Rouen")),
    Company("9695005MSX1OYEMGDF", "Rhône Logistique SAS", "FR", "transport", ("Lyon", "Marseille", "Grenoble")),
    Company("969500UP76J52A9OXU", "Garonne Énergie SA", "FR", "energy", ("Toulouse", "Bordeaux")),
    Company("96950001WI712W7PQG", "Loire Immobilier SCI", "FR", "building", ("Nantes", "Tours", "Rennes")),
    Company("969500TJ5KRTCJQWXH", "Compagnie Ferroviaire du Nord", "FR", "transport", ("Lille", "Strasbourg", "Paris")),
    Company("969500Q2MA9VBQ8BG8", "Azur Ports et Terminaux", "FR", "transport", ("Nice", "Marseille", "Ajaccio", "Montpellier", "Brest")),
)  # fmt: skip


def lei(stem: str) -> str:
    """A Legal Entity Identifier: ``stem`` plus its ISO 17442 (mod 97-10) check digits.

    >>> code = lei("5493001KJTIIGC8Y1R")
    >>> code, int("".join(str(int(ch, 36)) for ch in code)) % 97  # 1 means valid
    ('5493001KJTIIGC8Y1R12', 1)
    """
    digits = "".join(str(int(ch, 36)) for ch in stem + "00")
    return f"{stem}{98 - int(digits) % 97:02d}"
