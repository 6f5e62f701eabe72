"""One real `parley serve` per test module, and helpers to run `parley` commands against it.

The server loads examples/, so the demo agent `linden-hotel` is deployed to every environment.
Starting one takes seconds; each module gets its own, so modules do not see each other's changes.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from parley.cli import app as cli_app
from parley.errors import CATALOGUE
from parley.sdk import Client
from tests.conftest import ADMIN_KEY, BASE_DATABASE_URL, OPERATOR_KEY
from tests.support.databases import drop_database, scratch_database
from tests.support.servers import running_servers

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEMO = "linden-hotel"


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    database_url = await scratch_database(BASE_DATABASE_URL, tmp_path_factory.mktemp("cli"), "cli")
    env = {
        "PARLEY_DATABASE_URL": database_url,
        "PARLEY_BOOTSTRAP_API_KEY": ADMIN_KEY,
        "PARLEY_BOOTSTRAP_OPERATOR_KEY": OPERATOR_KEY,
        "PARLEY_EXAMPLES_DIR": str(EXAMPLES),
        "PARLEY_REDIS_KEY_PREFIX": f"parley-test-{uuid.uuid4().hex[:8]}:",
    }
    try:
        with running_servers(env, 1, concurrent_start=False) as servers:
            yield servers[0].url
    finally:
        await drop_database(database_url, BASE_DATABASE_URL)


@pytest.fixture
def sdk(server: str) -> Iterator[Client]:
    with Client(server, ADMIN_KEY) as client:
        yield client


def code(name: str) -> str:
    """How the CLI names a catalogue error: its code and id."""
    return f"{name} ({CATALOGUE[name].spec.id})"


def parley(server: str, *args: str, stdin: str | None = None, key: str = ADMIN_KEY) -> Result:
    """Run the command with the server and key taken from the environment, as a user would set them."""
    env = {"PARLEY_URL": server, "PARLEY_API_KEY": key, "PARLEY_ACCOUNT": None}
    return CliRunner().invoke(cli_app, list(args), input=stdin, env=env)


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.exit_code, result.output, result.exception)
    return result.stdout


def failed(result: Result, text: str) -> str:
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert text in result.stderr, result.stderr
    assert "Traceback" not in result.output
    return result.stderr
