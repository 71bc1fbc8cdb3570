"""The newest version is chosen by semantic-version precedence, releases first.

Each pair below is written by hand from semver.org 2.0.0 (§11) plus the two rules of
:mod:`contracts.versions` (a release beats any pre-release; a string that is not a version
ranks below every version), never derived from the key under test.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.versions import is_release, major, version_key

OLDER_NEWER = [
    ("1.0.0-rc1", "1.0.0"),  # a pre-release precedes its release
    ("1.0.0-alpha", "1.0.0-alpha.1"),
    ("1.0.0-alpha.1", "1.0.0-alpha.beta"),
    ("1.0.0-alpha.beta", "1.0.0-beta"),
    ("1.0.0-beta.2", "1.0.0-beta.11"),  # numeric identifiers compare as numbers
    ("1.0.0-rc.9", "1.0.0-rc.10"),
    ("1.9.0", "1.10.0"),
    ("0.9.9", "1.0.0"),
    ("1.0.0+build.99", "1.0.1"),  # build metadata adds nothing
    ("1.0.0-rc1+zzz", "1.0.0"),
    ("1.0.0-rc1", "1.0.0+exp.sha.5114f85"),  # the old key read "+exp" as a pre-release
    ("2.0.0-rc1", "1.0.0"),  # any release beats any pre-release
    ("2.0.0-rc.1", "1.9.9+build"),
    ("latest", "0.0.1"),  # a string that is no version ranks below every version
    ("nightly", "0.0.1-alpha"),
    ("1.0", "1.1.0"),  # loose forms read as the version they abbreviate
    ("v1.9.0", "v1.10.0"),
    ("1.0.0", "v2"),
    ("1.1-rc1", "1.0"),
    ("alpha", "beta"),  # non-versions among themselves: by text
]


@pytest.mark.parametrize(("older", "newer"), OLDER_NEWER)
def test_newest_is_chosen_by_precedence_releases_first(older: str, newer: str) -> None:
    assert version_key(older) < version_key(newer)
    assert max([older, newer], key=version_key) == newer
    assert max([newer, older], key=version_key) == newer


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("1.0.0+build.9", "1.0.0+build.10"),
        ("1.0.0+a", "1.0.0"),
        ("1.0.0-rc.1+x", "1.0.0-rc.1+y"),
        ("v2", "2.0.0"),
        ("1.0", "1.0.0"),
    ],
)
def test_build_metadata_and_loose_spelling_do_not_change_the_order(one: str, other: str) -> None:
    assert version_key(one) == version_key(other)
    # Equal keys: a stable sort keeps the order given, whichever comes first.
    assert sorted([one, other], key=version_key) == [one, other]
    assert sorted([other, one], key=version_key) == [other, one]


def test_the_newest_is_never_a_pre_release_when_a_release_exists() -> None:
    versions = ["1.0.0", "1.1.0-rc.1", "2.0.0-alpha", "1.0.1-beta+b.7", "0.9.0"]
    assert max(versions, key=version_key) == "1.0.0"
    assert max(["2.0.0-alpha", "2.0.0-beta", "1.0.0-rc1"], key=version_key) == "2.0.0-beta"


@pytest.mark.parametrize(
    ("version", "release", "number"),
    [
        ("1.4.2", True, 1),
        ("1.4.2+b", True, 1),
        ("v3", True, 3),
        ("0.1.0-rc1", False, 0),
        ("12.0", True, 12),
        ("latest", False, None),
        ("01.0.0", False, None),  # a leading zero is not semantic versioning
    ],
)
def test_release_and_major(version: str, release: bool, number: int | None) -> None:
    assert (is_release(version), major(version)) == (release, number)


numbers = st.integers(min_value=0, max_value=10_000)


@given(st.tuples(numbers, numbers, numbers), st.tuples(numbers, numbers, numbers))
def test_releases_follow_the_numbers(a: tuple[int, int, int], b: tuple[int, int, int]) -> None:
    first, second = ".".join(map(str, a)), ".".join(map(str, b))
    assert (version_key(first) < version_key(second)) == (a < b)
    assert (version_key(first) == version_key(second + "+meta")) == (a == b)
