"""A test that uses a server fixture is marked ``services`` without anyone remembering to."""

from __future__ import annotations

import pytest

from tests.fixtures import services, trino
from tests.fixtures.markers import SERVER_FIXTURES

pytest_plugins = ["pytester"]

INI = """\
[pytest]
addopts = --strict-markers
asyncio_default_fixture_loop_scope = function
markers =
    services: needs servers
"""

CONFTEST = """\
import pytest

pytest_plugins = ["tests.fixtures.markers"]

@pytest.fixture
def postgres_dsn(): return "postgresql://x"

@pytest.fixture
def mariadb_dsn(): return "mysql://x"

@pytest.fixture
def redis_url(): return "redis://x"

@pytest.fixture
def trino_url(): return "http://x"

@pytest.fixture
def store(postgres_dsn): return postgres_dsn
"""

TESTS = """\
import pytest

def test_plain(): pass
def test_pg(postgres_dsn): pass
def test_maria(mariadb_dsn): pass
def test_redis(redis_url): pass
def test_trino(trino_url): pass
def test_through_a_fixture(store): pass
@pytest.mark.services
def test_marked_by_hand(): pass
@pytest.mark.parametrize("n", [1, 2])
def test_parametrized(n, trino_url): pass
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_servers=TESTS)
    return pytester


def test_the_server_fixtures_are_ones_the_suite_defines() -> None:
    # A renamed fixture would silently stop marking its tests.
    defined = {name for name in SERVER_FIXTURES if hasattr(services, name) or hasattr(trino, name)}
    assert defined == SERVER_FIXTURES


def test_tests_without_servers_are_all_that_not_services_keeps(project: pytest.Pytester) -> None:
    result = project.runpytest("-m", "not services", "-q")
    result.assert_outcomes(passed=1, deselected=8)
    result.stdout.fnmatch_lines(["*1 passed, 8 deselected*"])


def test_every_test_using_a_server_is_selected_by_the_marker(project: pytest.Pytester) -> None:
    result = project.runpytest("-m", "services", "--collect-only", "-q")
    selected = {line.split("::")[1] for line in result.outlines if "::" in line}
    assert selected == {
        "test_pg",
        "test_maria",
        "test_redis",
        "test_trino",
        "test_through_a_fixture",
        "test_marked_by_hand",
        "test_parametrized[1]",
        "test_parametrized[2]",
    }
