"""Lineage across the demo mesh: product level (ODPS in/out) and column level (ODCS)."""

from __future__ import annotations

from graphlib import TopologicalSorter

from tests.demo.documents import products

EDGES = {
    ("precipitation.global-precipitation", "precipitation.us-precipitation"),
    ("precipitation.global-precipitation", "precipitation.france-precipitation"),
    ("temperature.metropolitan-temperatures", "temperature.city-temperatures"),
    ("physical-risk.physical-risk", "flood.flood-areas"),
    ("disclosure-reporting.disclosure-reporting", "physical-risk.physical-risk"),
}


def publishers() -> dict[tuple[str, str], str]:
    """Product key by the (contract id, version) it lists in ``out``."""
    found: dict[tuple[str, str], str] = {}
    for product in products().values():
        for version in product.descriptor.versions:
            for ref in version.outputs:
                assert found.setdefault((ref.contract_id, ref.version), product.key) == product.key
    return found


def consumes() -> dict[str, set[str]]:
    """Product key -> the product keys it consumes, by matching ``in`` to ``out`` refs."""
    out = publishers()
    graph: dict[str, set[str]] = {}
    for product in products().values():
        graph[product.key] = set()
        for version in product.descriptor.versions:
            for ref in version.inputs:
                assert (ref.contract_id, ref.version) in out, (
                    f"{product.key}: {ref} has no publisher"
                )
                graph[product.key].add(out[(ref.contract_id, ref.version)])
    return graph


def test_product_lineage_is_the_designed_one() -> None:
    graph = consumes()
    edges = {(consumer, source) for consumer, sources in graph.items() for source in sources}
    assert edges == EDGES
    order = list(TopologicalSorter(graph).static_order())  # raises on a cycle
    assert order.index("flood.flood-areas") < order.index(
        "disclosure-reporting.disclosure-reporting"
    )


def test_every_version_of_global_consumes_both_sources() -> None:
    out = publishers()
    for version in products()["global-precipitation"].descriptor.versions:
        assert {out[(r.contract_id, r.version)] for r in version.inputs} == {
            "precipitation.us-precipitation",
            "precipitation.france-precipitation",
        }


def test_alignment_matches_lineage() -> None:
    graph = consumes()
    for product in products().values():
        if product.descriptor.alignment == "source-aligned":
            assert not graph[product.key], product.key
        else:
            assert graph[product.key], product.key


def columns_by_product() -> dict[str, set[str]]:
    """``domain.product.table.column`` of every published column, by product key."""
    found: dict[str, set[str]] = {}
    for product in products().values():
        names = found.setdefault(product.key, set())
        for contract in product.outputs():
            for obj in contract.raw["schema"]:
                names.update(f"{product.key}.{obj['name']}.{p['name']}" for p in obj["properties"])
    return found


def test_column_lineage_names_columns_of_consumed_products() -> None:
    graph = consumes()
    columns = columns_by_product()
    for product in products().values():
        allowed = set().union(*(columns[p] for p in graph[product.key] | {product.key}))
        for contract in product.outputs():
            for obj in contract.raw["schema"]:
                for prop in obj["properties"]:
                    for source in prop.get("transformSourceObjects", []):
                        assert source in allowed, f"{product.key}.{obj['name']}.{prop['name']}"


def test_derived_products_explain_their_columns() -> None:
    graph = consumes()
    for product in products().values():
        if not graph[product.key]:
            continue
        upstream = set().union(*(columns_by_product()[p] for p in graph[product.key]))
        drawn: set[str] = set()
        for contract in product.outputs():
            for obj in contract.raw["schema"]:
                for prop in obj["properties"]:
                    if prop.get("transformSourceObjects"):
                        where = f"{contract.label} {obj['name']}.{prop['name']}"
                        assert prop.get("transformLogic"), where
                        assert prop.get("transformDescription"), where
                        drawn.update(prop["transformSourceObjects"])
            # Every output contract draws on the product's inputs, not only on itself.
            assert drawn & upstream, contract.label
