"""The policy file: the default loads, a wrong file stops the gateway's start naming the
policy and the field (never the file's path), and the level follows the policies passed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.certification import PolicyFileError, load_policies
from gateway.certification.checks import CHECKS
from gateway.certification.policies import DEFAULT_FILE, parse_policies
from gateway.services import open_services
from gateway.settings import Settings

REQUIRED_CHECKS = {
    "contract.valid", "product.owner_and_support", "columns.described",
    "columns.key_definitions", "contract.sla_declared", "results.passing",
    "product.lineage_declared", "product.licence_stated", "columns.sensitive_classified",
}  # fmt: skip


def default() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEFAULT_FILE.read_text())
    return data


def test_the_default_file_covers_every_policy_of_the_issue() -> None:
    policies = load_policies()
    assert {p.check for p in policies.policies} == REQUIRED_CHECKS
    assert [lv.id for lv in policies.levels] == ["bronze", "silver", "gold"]
    quality = next(p for p in policies.policies if p.check == "results.passing")
    assert quality.parameters == {"last": 20, "min_results": 1}  # N is data, from the file
    for p in policies.policies:
        assert p.description and p.level in {"bronze", "silver", "gold"}


def _broken(change: Any) -> dict[str, Any]:
    data = default()
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d["policies"][1].update(check="product.owner"),
         "policy 'owner-and-support': field 'check'"),
        (lambda d: d["policies"][0].update(level="platinum"),
         "policy 'valid-contract': field 'level'"),
        (lambda d: d["policies"][4]["parameters"].update(last="twenty"),
         "policy 'quality-passing': field 'parameters.last'"),
        (lambda d: d["policies"][4]["parameters"].update(last=-1),
         "policy 'quality-passing': field 'parameters.last'"),
        (lambda d: d["policies"][3]["parameters"].update(within=3),
         "policy 'sla-declared': field 'parameters.within'"),
        (lambda d: d["policies"][2].pop("description"),
         "policy 'columns-described': field 'description'"),
        (lambda d: d["policies"][2].update(id="valid-contract"),
         "policy 'valid-contract': field 'id' is used twice"),
        (lambda d: d["policies"][5].update(owner="x"),
         "policy 'sensitive-classified': field 'owner'"),
        (lambda d: d["policies"][0].pop("id"), "policy #1: field 'id'"),
        (lambda d: d.update(levels=[]), "field 'levels'"),
    ],
)  # fmt: skip
def test_a_wrong_policy_names_the_policy_and_the_field(change: Any, named: str) -> None:
    with pytest.raises(PolicyFileError) as caught:
        parse_policies(_broken(change))
    assert named in caught.value.message
    assert caught.value.code == "INVALID_POLICIES"


async def test_a_bad_policy_file_stops_the_start(tmp_path: Path) -> None:
    bad = tmp_path / "secret-dir" / "policies.yaml"
    bad.parent.mkdir()
    data = default()
    data["policies"][4]["parameters"]["last"] = "all"
    bad.write_text(yaml.safe_dump(data))
    settings = Settings(
        registry_url=f"sqlite:///{tmp_path / 'registry.db'}", certification_policies_file=str(bad)
    )
    with pytest.raises(PolicyFileError) as caught:
        await open_services(settings)
    assert "policy 'quality-passing': field 'parameters.last'" in caught.value.message
    assert "secret-dir" not in caught.value.message  # never the file's path
    assert not (tmp_path / "registry.db").exists()  # stopped before any store opened


async def test_a_missing_or_broken_file_stops_the_start(tmp_path: Path) -> None:
    for text in (None, "levels: [\n"):
        path = tmp_path / "p.yaml"
        if text is not None:
            path.write_text(text)
        settings = Settings(
            registry_url=f"sqlite:///{tmp_path / 'r.db'}", certification_policies_file=str(path)
        )
        with pytest.raises(PolicyFileError) as caught:
            await open_services(settings)
        assert str(tmp_path) not in caught.value.message


def test_the_level_is_the_highest_whose_policies_and_those_below_all_pass() -> None:
    policies = load_policies()
    by_level = {
        lv.id: {p.id for p in policies.policies if p.level == lv.id} for lv in policies.levels
    }
    assert policies.level_reached(set()) is None
    assert policies.level_reached(by_level["bronze"]) == "bronze"
    assert policies.level_reached(by_level["bronze"] | by_level["silver"]) == "silver"
    everything = set().union(*by_level.values())
    assert policies.level_reached(everything) == "gold"
    # gold's policies without all of silver's: still bronze, levels do not skip
    one_silver_missing = everything - {next(iter(by_level["silver"]))}
    assert policies.level_reached(one_silver_missing) == "bronze"


def test_every_check_has_a_module_function() -> None:
    for name, spec in CHECKS.items():
        family = name.split(".")[0]
        assert spec.run.__module__ == f"gateway.certification.checks.{family}"
