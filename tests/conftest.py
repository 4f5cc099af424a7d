from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.live import create_database
from tests.harness.process import require_services, required_tool
from tests.harness.template import Bakery
from tests.harness.venvs import project_venv

# Fixtures made once per worker for a module (or class): the tests using one must share the worker.
MODULE_SCOPES = {"package", "module", "class"}


def xdist_group(item: pytest.Item) -> str | None:
    """The tests that must share a worker, or None for a test pytest-xdist may send anywhere.

    `make test` runs under pytest-xdist with `--dist loadgroup`. A module-scoped fixture (a
    bake) is made once per worker that asks for it, so the tests using one go to one worker:
    a module's, split by the values of its module-scoped parameters (tests/test_bake.py's
    bakes spread over the workers). A test with only session and function fixtures has no
    group and goes to whichever worker is free.
    """
    definitions = item._fixtureinfo.name2fixturedefs
    scopes = {name: definitions[name][-1].scope for name in item.fixturenames if name in definitions}
    if not MODULE_SCOPES & set(scopes.values()):
        return None
    group = item.nodeid.split("::", 1)[0]
    callspec = getattr(item, "callspec", None)
    for name, value in sorted(callspec.params.items() if callspec else ()):
        if scopes.get(name) in MODULE_SCOPES | {"session"}:
            group += f"[{name}={json.dumps(value, sort_keys=True, default=str)}]"
    return group


def cost(item: pytest.Item) -> int:
    """A rough weight: a generated suite or `make ci` counts a hundred plain tests."""
    marker = item.get_closest_marker("heavy")
    return 1 + (100 * marker.args[0] if marker else 0)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    groups = {item.nodeid: xdist_group(item) for item in items}
    for item in items:
        if groups[item.nodeid] is not None:
            item.add_marker(pytest.mark.xdist_group(groups[item.nodeid]))
    # What xdist schedules as one unit: a group, or a test of no group on its own.
    units = {nodeid: group or nodeid for nodeid, group in groups.items()}
    if not hasattr(config, "workerinput"):  # collected by a pytest-xdist worker: the order is the schedule
        return
    # Heaviest work first (the Makefile turns off xdist's own order, by test count): a long
    # group started last would run on alone while the other workers have nothing left.
    weights: Counter[str] = Counter()
    for item in items:
        weights[units[item.nodeid]] += cost(item)
    items.sort(key=lambda item: -weights[units[item.nodeid]])


@pytest.fixture(scope="session", autouse=True)
def shared_mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One mypy cache for every bake a worker checks: the stubs of Django and DRF are analysed once.

    mypy validates each cached module against its source's hash, so a bake's own modules
    are still checked (and a change in one invalidates its dependents); only unchanged
    modules, in practice the third-party stubs in the shared virtualenv, come from the cache.
    The bakes run mypy through `python -m mypy` or `make`, both of which read MYPY_CACHE_DIR.
    """
    previous = os.environ.get("MYPY_CACHE_DIR")
    os.environ["MYPY_CACHE_DIR"] = str(tmp_path_factory.mktemp("mypy-cache"))
    yield
    if previous is None:
        del os.environ["MYPY_CACHE_DIR"]
    else:
        os.environ["MYPY_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def cookies_session(tmp_path_factory) -> Bakery:
    """Bakes for every test module, through the harness's one `bake()` (see tests.harness.template.Bakery)."""
    return Bakery(tmp_path_factory.mktemp("cookies"))


@pytest.fixture(scope="session")
def project_python() -> Path:
    """The virtualenv every baked project runs in (see tests.harness.venvs.project_venv)."""
    return project_venv()


def _service_url(variable: str, service: str) -> str:
    """A real service started by scripts/services.sh: skipped locally without one, an error in CI."""
    url = os.environ.get(variable)
    if not url:
        if require_services():
            pytest.fail(f"REQUIRE_SERVICES is set but {variable} is not: run scripts/services.sh first")
        pytest.skip(f"no {variable}: start {service} with scripts/services.sh to run this test")
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return _service_url("TEST_DATABASE_URL", "PostgreSQL")


@pytest.fixture(scope="session")
def redis_url() -> str:
    return _service_url("TEST_REDIS_URL", "Redis")


@pytest.fixture(scope="session")
def redis_server_binary() -> str:
    return required_tool("redis-server", "redis-server")


@pytest.fixture(scope="session")
def wrk() -> str:
    return required_tool("wrk", "wrk")


@pytest.fixture
def fresh_database(project_python: Path, postgres_url: str) -> Iterator[str]:
    """A database of its own on the test server, dropped afterwards: tests may run side by side."""
    url, drop = create_database(project_python, postgres_url)
    yield url
    drop()
