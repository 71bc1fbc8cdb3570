"""Every store test runs on both backends (see ``registry_url`` in conftest)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest

from gateway.errors import BadRequest, RegistryError
from gateway.registry import (
    ContractLink,
    ContractRef,
    RegisteredProduct,
    RegistryStore,
    VersionSummary,
    open_registry,
)
from gateway.registry.listing import ListingKey, listing_key
from gateway.registry.postgres import _ORDER as POSTGRES_ORDER
from gateway.registry.postgres import _SELECT as POSTGRES_SELECT
from gateway.registry.postgres import SCHEMA_VERSION as POSTGRES_VERSION
from gateway.registry.postgres import _where as postgres_where
from gateway.registry.rows import COLUMNS
from gateway.registry.sqlite import SCHEMA_VERSION as SQLITE_VERSION
from tests.registry import dbtools

T0 = datetime(2026, 11, 23, 20, 0, 0, 123456, tzinfo=UTC)


def product(
    id: str = "p-us",
    *,
    domain: str = "precipitation",
    slug: str = "us-precipitation",
    name: str = "US precipitation",
    description: str = "Daily precipitation at NOAA stations, in inches.",
    tags: tuple[str, ...] = ("precipitation", "noaa"),
    at: datetime = T0,
) -> RegisteredProduct:
    base = f"http://127.0.0.1:9/{slug}"
    return RegisteredProduct(
        id=id,
        slug=slug,
        domain=domain,
        name=name,
        description=description,
        owner_name="Ada Lovelace",
        owner_email="ada@climate-quantum.example",
        tags=tags,
        status="active",
        url=f"{base}/discover/metadata",
        base_url=base,
        versions=(
            VersionSummary("1.0.0", (), (ContractRef(f"{id}-out", "1.0.0"),)),
            VersionSummary(
                "2.0.0",
                (ContractRef("upstream-c", "1.2.0"),),
                (ContractRef(f"{id}-out", "2.0.0"),),
            ),
        ),
        contracts=(
            ContractLink(f"{id}-out", "1.0.0", "Daily", f"{base}/discover/contracts/x/1.0.0"),
            ContractLink(f"{id}-out", "2.0.0", "Daily", f"{base}/discover/contracts/x/2.0.0"),
        ),
        registered_at=at,
        updated_at=at,
        links=(("artifacts", "/discover/artifacts"), ("health", f"{base}/observe/health")),
    )


MESH = [
    product("p-us"),
    product(
        "p-fr",
        slug="france-precipitation",
        name="France precipitation",
        description="Météo-France stations, in mm.",
        tags=("precipitation", "Météo-France"),
    ),
    product(
        "p-global",
        slug="global-precipitation",
        name="global precipitation",
        description="Consumer-aligned 100% coverage_mm",
        tags=("consumer-aligned",),
    ),
    product(
        "p-city",
        domain="temperature",
        slug="city-temperatures",
        name="French city temperatures",
        description="Hourly.",
        tags=("temperature",),
    ),
    product(
        "p-air",
        domain="air-quality",
        slug="nyc-air-quality",
        name="NYC air quality",
        description="Ozone and PM2.5.",
        tags=(),
    ),
]


async def fill(store: RegistryStore) -> None:
    for p in MESH:
        await store.upsert(p)


async def test_upsert_then_get_by_id_and_by_key(store: RegistryStore) -> None:
    stored = await store.upsert(MESH[0])
    assert stored == MESH[0]
    assert await store.get("p-us") == MESH[0]
    assert await store.get("precipitation.us-precipitation") == MESH[0]
    assert await store.get("precipitation.nope") is None
    assert await store.get("nope") is None


async def test_times_come_back_aware_in_utc(store: RegistryStore) -> None:
    paris = timezone(timedelta(hours=1))
    await store.upsert(
        dataclasses.replace(
            MESH[0], registered_at=T0.astimezone(paris), updated_at=T0.astimezone(paris)
        )
    )
    got = await store.get("p-us")
    assert got is not None
    assert got.registered_at == T0 and got.registered_at.utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.upsert(dataclasses.replace(MESH[1], updated_at=datetime(2026, 1, 1)))


async def test_update_keeps_registered_at_and_changes_the_rest(store: RegistryStore) -> None:
    await store.upsert(MESH[0])
    later = T0 + timedelta(minutes=5)
    changed = dataclasses.replace(
        MESH[0], description="Now in mm.", tags=("rain",), registered_at=later, updated_at=later
    )
    stored = await store.upsert(changed)
    assert stored.registered_at == T0
    assert stored.updated_at == later
    assert (stored.description, stored.tags) == ("Now in mm.", ("rain",))
    assert await store.get("p-us") == stored
    assert await store.count() == 1


async def test_a_product_may_change_its_own_slug(store: RegistryStore) -> None:
    await store.upsert(MESH[0])
    await store.upsert(dataclasses.replace(MESH[0], slug="us-rain"))
    assert await store.get("precipitation.us-precipitation") is None
    assert (await store.get("precipitation.us-rain")) is not None


async def test_remove(store: RegistryStore) -> None:
    await fill(store)
    assert await store.remove("p-us") is True
    assert await store.remove("p-us") is False
    assert await store.get("p-us") is None
    assert await store.count() == len(MESH) - 1


async def test_list_orders_by_domain_then_name_ignoring_case(store: RegistryStore) -> None:
    for p in reversed(MESH):
        await store.upsert(p)
    keys = [p.id for p in await store.list()]
    assert keys == ["p-air", "p-fr", "p-global", "p-us", "p-city"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"domain": "precipitation"}, ["p-fr", "p-global", "p-us"]),
        ({"domain": "Precipitation"}, ["p-fr", "p-global", "p-us"]),  # keys ignore case
        ({"tag": "noaa"}, ["p-us"]),
        ({"tag": "NOAA"}, ["p-us"]),
        ({"tag": "météo-france"}, ["p-fr"]),
        ({"tag": "precip"}, []),  # a tag matches whole
        ({"text": "FRENCH"}, ["p-city"]),  # name
        ({"text": "météo"}, ["p-fr"]),  # description, non-ASCII case folding
        ({"text": "consumer-al"}, ["p-global"]),  # tag
        ({"text": "nyc-air"}, ["p-air"]),  # slug
        ({"text": "100%"}, ["p-global"]),  # '%' is literal, not a wildcard
        ({"text": "_mm"}, ["p-global"]),  # so is '_'
        ({"text": "%"}, ["p-global"]),
        ({"text": "precipitation"}, ["p-fr", "p-global", "p-us"]),
        ({"text": "ationnoaa"}, []),  # never matches across two fields
        ({"domain": "precipitation", "tag": "precipitation", "text": "france"}, ["p-fr"]),
        ({"domain": "temperature", "text": "ozone"}, []),
    ],
)
async def test_filters(store: RegistryStore, filters: dict[str, str], expected: list[str]) -> None:
    await fill(store)
    assert [p.id for p in await store.list(**filters)] == expected  # type: ignore[arg-type]
    assert await store.count(**filters) == len(expected)


async def test_limit_and_offset(store: RegistryStore) -> None:
    await fill(store)
    everything = [p.id for p in await store.list()]
    assert [p.id for p in await store.list(limit=2)] == everything[:2]
    assert [p.id for p in await store.list(limit=2, offset=2)] == everything[2:4]
    assert [p.id for p in await store.list(offset=4)] == everything[4:]
    assert await store.list(limit=0) == []
    assert await store.count() == len(MESH)
    with pytest.raises(BadRequest, match="limit must be 0 or more, got -1"):
        await store.list(limit=-1)
    with pytest.raises(BadRequest, match="offset must be 0 or more, got -3"):
        await store.list(offset=-3)


async def test_pages_after_a_listing_key_walk_the_list_in_order(store: RegistryStore) -> None:
    # Names that tie once case-folded, non-ASCII and a code-point order unlike a locale's.
    odd = [
        product("p-a1", domain="precipitation", slug="a1", name="rain"),
        product("p-a2", domain="precipitation", slug="a2", name="Rain"),
        product("p-a3", domain="precipitation", slug="a3", name="Édition"),
        product("p-a4", domain="Precipitation", slug="a4", name="zeta"),
    ]
    for p in [*MESH, *odd]:
        await store.upsert(p)
    everything = await store.list()
    expected = sorted(everything, key=listing_key)
    assert [p.id for p in everything] == [p.id for p in expected]
    walked: list[str] = []
    after = None
    while True:
        page = await store.list(limit=2, after=after)
        walked += [p.id for p in page]
        if len(page) < 2:
            break
        after = listing_key(page[-1])
    assert walked == [p.id for p in expected]
    # A filter and a key together; a key whose product is gone still places the page.
    middle = listing_key(expected[3])
    await store.remove(expected[3].id)
    rest = [p.id for p in expected[4:] if p.domain == "precipitation"]
    assert [p.id for p in await store.list(domain="precipitation", after=middle)] == rest
    beyond = ListingKey("\U0010ffff", "", "", "")
    assert await store.list(after=beyond) == []


async def test_domains(store: RegistryStore) -> None:
    assert await store.domains() == []
    await fill(store)
    assert await store.domains() == [("air-quality", 1), ("precipitation", 3), ("temperature", 1)]


async def test_another_id_cannot_take_a_domain_slug(store: RegistryStore) -> None:
    await store.upsert(MESH[0])
    impostor = dataclasses.replace(MESH[0], id="p-other", name="Other")
    with pytest.raises(RegistryError) as caught:
        await store.upsert(impostor)
    assert "p-us" in caught.value.message and "p-other" in caught.value.message
    assert "precipitation.us-precipitation" in caught.value.message
    assert caught.value.code == "REGISTRY_ERROR"
    # Nothing changed, and the refused product was not stored.
    assert await store.get("precipitation.us-precipitation") == MESH[0]
    assert await store.get("p-other") is None
    # Nor may an existing product move onto a taken key.
    await store.upsert(MESH[1])
    with pytest.raises(RegistryError, match="p-fr"):
        await store.upsert(dataclasses.replace(MESH[1], slug="us-precipitation"))


async def test_a_restart_loses_nothing(registry_url: str) -> None:
    first = await open_registry(registry_url)
    for p in MESH:
        await first.upsert(p)
    await first.remove("p-air")
    before = await first.list()
    await first.close()

    second = await open_registry(registry_url)
    try:
        assert await second.list() == before
        assert await second.get("temperature.city-temperatures") == MESH[3]
        assert await second.get("p-air") is None
        await second.upsert(MESH[4])
        assert await second.count() == len(MESH)
    finally:
        await second.close()


async def test_no_followed_links_is_not_unknown_links(store: RegistryStore) -> None:
    """``()``: the product gave none (the standard paths are read); None: not known, the
    product's metadata is read for them. The store keeps the two apart."""
    await store.upsert(dataclasses.replace(MESH[0], links=()))
    await store.upsert(dataclasses.replace(MESH[1], links=None))
    assert [(p.id, p.links) for p in await store.list()] == [("p-fr", None), ("p-us", ())]


async def test_products_stored_before_links_were_kept_have_unknown_links(
    registry_url: str,
) -> None:
    first = await open_registry(registry_url)
    await first.upsert(MESH[0])
    await first.close()
    # The database as the version before links left it (3 on SQLite; 4 on PostgreSQL,
    # whose search ranking rows came first): no links column.
    before = 3 if registry_url.startswith("sqlite") else 4
    dbtools.execute(registry_url, "ALTER TABLE products DROP COLUMN links")
    dbtools.execute(registry_url, f"UPDATE registry_schema SET version = {before}")
    second = await open_registry(registry_url)
    try:
        assert await second.get("p-us") == dataclasses.replace(MESH[0], links=None)
        await second.upsert(MESH[0])  # its next registration or refresh stores them
        assert await second.get("p-us") == MESH[0]
    finally:
        await second.close()
    assert dbtools.execute(registry_url, "SELECT version FROM registry_schema") == [
        (newest_version(registry_url),)
    ]


async def test_the_table_holds_links_and_summaries_only(
    store: RegistryStore, registry_url: str
) -> None:
    await fill(store)
    # contract_snapshots holds contract SHAPES, prose as digests (issue 9, test_versions.py);
    # search_places and search_docs the words search finds products by (issue 10), which
    # SQLite's FTS5 index keeps in its own search_fts* tables.
    found = dbtools.tables(registry_url)
    # PostgreSQL ranks from search_terms (a row per word and product).
    ranking = [] if registry_url.startswith("sqlite") else ["search_terms"]
    assert [t for t in found if not t.startswith("search_fts")] == [
        "contract_snapshots",
        "products",
        "registry_schema",
        "search_docs",
        "search_places",
        *ranking,
        "version_flags",
    ]
    if registry_url.startswith("sqlite"):
        assert "search_fts" in found
    assert dbtools.columns(registry_url, "products") == list(COLUMNS)
    [(contracts,)] = dbtools.execute(
        registry_url, "SELECT contracts FROM products WHERE id = 'p-us'"
    )
    # A link per contract (id, version, name, href), no schema, no quality, no servers.
    assert "href" in str(contracts) and "schema" not in str(contracts)
    assert dbtools.execute(registry_url, "SELECT version FROM registry_schema") == [
        (newest_version(registry_url),)
    ]


async def test_a_newer_schema_is_refused(registry_url: str) -> None:
    store = await open_registry(registry_url)
    await store.close()
    dbtools.execute(registry_url, "UPDATE registry_schema SET version = 99")
    newer = f"schema version 99, newer than this gateway's {newest_version(registry_url)}"
    with pytest.raises(RegistryError, match=newer):
        await open_registry(registry_url)


async def test_a_closed_store_says_so(registry_url: str) -> None:
    store = await open_registry(registry_url)
    await store.close()
    with pytest.raises(RegistryError):
        await store.get("p-us")


async def test_concurrent_stores_let_one_id_win_a_key(registry_url: str) -> None:
    # Two gateways (two connections) registering two ids under one key at once: one
    # wins, the other gets a clear RegistryError, never a raw driver error.
    first, second = await open_registry(registry_url), await open_registry(registry_url)
    try:
        for round in range(5):
            slug = f"contested-{round}"
            a = dataclasses.replace(MESH[0], id=f"a-{round}", slug=slug)
            b = dataclasses.replace(MESH[0], id=f"b-{round}", slug=slug)
            outcomes = await asyncio.gather(
                first.upsert(a), second.upsert(b), return_exceptions=True
            )
            errors = [o for o in outcomes if isinstance(o, BaseException)]
            assert len(errors) == 1 and isinstance(errors[0], RegistryError), outcomes
            winner = await first.get(f"precipitation.{slug}")
            assert winner is not None and winner.id in errors[0].message
    finally:
        await first.close()
        await second.close()


@pytest.mark.services
async def test_postgres_reconnects_after_losing_its_connection(
    fresh_postgres_dsn: str,
) -> None:
    store = await open_registry(fresh_postgres_dsn)
    try:
        await store.upsert(MESH[0])
        # Kill every other session on this database, as a server restart would.
        dbtools.execute(
            fresh_postgres_dsn,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        assert await store.get("p-us") == MESH[0]
        await store.upsert(MESH[1])
        assert await store.count() == 2
    finally:
        await store.close()


@pytest.mark.services
async def test_postgres_finds_a_deep_page_through_the_listing_index(
    fresh_postgres_dsn: str,
) -> None:
    store = await open_registry(fresh_postgres_dsn)
    try:
        for n in range(300):
            await store.upsert(product(f"p{n:03}", slug=f"s{n:03}", name=f"N{n:03}"))
        deep = listing_key((await store.list(offset=280, limit=1))[0])
        dbtools.execute(fresh_postgres_dsn, "ANALYZE products")
        where, params = postgres_where(None, None, None, deep)
        plan = "\n".join(
            row[0]
            for row in dbtools.execute_args(
                fresh_postgres_dsn,
                f"EXPLAIN {POSTGRES_SELECT} {where} {POSTGRES_ORDER} LIMIT 51",
                params,
            )
        )
        # Before keyset pages the store skipped 280 rows (OFFSET) read from the table.
        assert "Index Cond" in plan and "products_listing" in plan, plan
        assert "Sort" not in plan, plan
        assert [p.id for p in await store.list(limit=51, after=deep)] == [
            f"p{n:03}" for n in range(281, 300)
        ]
    finally:
        await store.close()


def newest_version(registry_url: str) -> int:
    """The schema version this code migrates ``registry_url``'s kind of database to."""
    return SQLITE_VERSION if registry_url.startswith("sqlite") else POSTGRES_VERSION
