"""`parley test run` against a real `parley serve` process that loaded the demo agent."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from parley.cli import app as cli_app
from parley.sdk import Client
from tests.conftest import ADMIN_KEY, BASE_DATABASE_URL, OPERATOR_KEY
from tests.support.databases import drop_database, scratch_database
from tests.support.servers import running_servers

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEMO = "linden-hotel"
DEMO_CASES = 6


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    database_url = await scratch_database(BASE_DATABASE_URL, tmp_path_factory.mktemp("cli"), "testcli")
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


def parley_test(server: str, *args: str) -> Result:
    env = {"PARLEY_URL": server, "PARLEY_API_KEY": ADMIN_KEY}
    return CliRunner().invoke(cli_app, ["test", "run", "--interval", "0.1", *args], env=env)


def test_the_demo_suite_passes(server: str) -> None:
    result = parley_test(server, "--agent", DEMO)
    assert result.exit_code == 0, result.output
    table = result.stdout.splitlines()
    assert table[0].split() == ["TEST", "CASE", "STATUS", "REASON"]
    assert sum(" PASSED " in line for line in table) == DEMO_CASES
    assert f"PASSED: {DEMO_CASES} passed, 0 failed, 0 errored, 0 timed out, of {DEMO_CASES}." in table
    assert "case(s) finished" in result.stderr  # progress goes to stderr, the table to stdout

    live = parley_test(server, "--agent", DEMO, "--environment", "live")
    assert live.exit_code == 0, live.output
    assert "against the live" in live.stderr


def test_a_broken_function_fails_with_a_readable_reason(server: str, sdk: Client) -> None:
    branch = str(sdk.branches.create(DEMO, f"broken-{uuid.uuid4().hex[:6]}")["branchId"])
    functions = sdk.functions.list(DEMO, branch)["functions"]
    send = next(f for f in functions if f["name"] == "send_directions")
    broken = (
        "def send_directions(conv):\n"
        "    conv.state.site = conv.variant.site_name\n"
        "    conv.state.address = conv.variant.address\n"
        "    raise ValueError('the address service is down')\n"
    )
    sdk.functions.update(DEMO, branch, send["id"], code=broken)
    result = parley_test(server, "--agent", DEMO, "--branch", branch)
    assert result.exit_code == 1, result.output
    failing = [line for line in result.stdout.splitlines() if " FAILED " in line]
    assert len(failing) == 1 and failing[0].startswith("Directions by text")
    assert "send_directions was called but failed: ValueError: the address service" in failing[0]
    assert "FAILED: 5 passed, 1 failed" in result.stdout


def test_errors_are_reported(server: str, sdk: Client) -> None:
    agent = f"empty-{uuid.uuid4().hex[:6]}"
    sdk.agents.create("default", name="Empty", greeting="Hi", agent_id=agent)
    result = parley_test(server, "--agent", agent)
    assert result.exit_code == 1
    assert "error: NoTestCasesHttp (30002)" in result.stderr
    result = parley_test(server, "--agent", DEMO, "--case", "TEST_CASE-NOPE")
    assert result.exit_code == 1
    assert "MissingTestCasesHttp (30001)" in result.stderr and "TEST_CASE-NOPE" in result.stderr
