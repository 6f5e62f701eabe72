"""One database per test module, with the demo agent and a connector already in it.

Building the agent (branch, topics, function, merge, deploy) costs about a second, so it is done
once per module, by an app that then serves the module's tests (``chat``). A test that needs other
settings starts an app of its own on the same database (``support.webchat``), as a second worker
would. Every test makes its own sessions, independent of every other test's.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from parley.config import DatabaseSettings
from parley.kit.db import create_engine
from parley.kit.migrate import upgrade_to_head
from tests.conftest import BASE_DATABASE_URL
from tests.messaging.support import Seed, Webchat, create_connector, demo_agent, running, webchat_settings
from tests.support.databases import drop_database, is_postgres, scratch_database


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def module_database(
    migrated_database: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    tmp = tmp_path_factory.mktemp("messaging")
    if not is_postgres(migrated_database):
        copy = tmp / "messaging.db"
        shutil.copyfile(Path(migrated_database.removeprefix("sqlite+aiosqlite:///")), copy)
        yield f"sqlite+aiosqlite:///{copy}"
        return
    url = await scratch_database(BASE_DATABASE_URL, tmp, "messaging")
    engine = create_engine(DatabaseSettings(url=url))
    await upgrade_to_head(engine)
    await engine.dispose()
    yield url
    await drop_database(url, BASE_DATABASE_URL)


@pytest.fixture(scope="module")
def _seeded(module_database: str) -> Iterator[tuple[Seed, Webchat]]:
    with running(webchat_settings(module_database)) as client:
        demo_agent(client)
        connector = create_connector(client)
        seed = Seed(module_database, connector["token"], connector["connectorId"])
        yield seed, Webchat(client, seed.connector_token)


@pytest.fixture(scope="module")
def seed(_seeded: tuple[Seed, Webchat]) -> Seed:
    return _seeded[0]


@pytest.fixture
def chat(_seeded: tuple[Seed, Webchat]) -> Webchat:
    """A client of the module's app (default test settings). Tests needing other settings use
    ``support.webchat(seed, ...)`` to start an app (a worker) of their own on the same database."""
    return _seeded[1]
