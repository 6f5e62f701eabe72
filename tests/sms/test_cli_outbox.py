"""`parley sms outbox` reads the messages a running app recorded, straight from the database."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from parley.cli import app as cli_app
from parley.config import get_settings, normalise_database_url
from tests.conftest import ADMIN_KEY, OPERATOR_KEY, make_settings, started_app
from tests.sms.support import GUEST, ask_for_directions, load_demo


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name in list(os.environ):
        if name.startswith("PARLEY_"):
            monkeypatch.delenv(name)
    url = f"sqlite:///{tmp_path / 'parley.db'}"
    monkeypatch.setenv("PARLEY_DATABASE_URL", url)
    monkeypatch.setenv("PARLEY_BOOTSTRAP_API_KEY", ADMIN_KEY)
    monkeypatch.setenv("PARLEY_BOOTSTRAP_OPERATOR_KEY", OPERATOR_KEY)
    get_settings.cache_clear()
    yield normalise_database_url(url)
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli_app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_outbox_lists_what_a_conversation_sent(database: str) -> None:
    assert run("db", "upgrade")[0] == 0

    async def converse() -> None:
        async for app in started_app(make_settings(database)):
            await load_demo(app)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as client:
                await ask_for_directions(client, {"x-api-key": ADMIN_KEY})

    asyncio.run(converse())
    code, out, _ = run("sms", "outbox", "linden-hotel")
    assert code == 0
    [message] = json.loads(out)["messages"]
    assert (message["status"], message["template"], message["to"]) == ("sent", "directions", GUEST)
    code, out, _ = run("sms", "outbox", "linden-hotel", "--status", "failed", "--limit", "5")
    assert (code, json.loads(out)) == (0, {"messages": []})
    code, out, _ = run("sms", "outbox", "linden-hotel", "--to", "+44 7911 123456", "--direction", "outbound")
    assert code == 0 and len(json.loads(out)["messages"]) == 1

    code, out, err = run("sms", "outbox", "no-such-agent")
    assert (code, out) == (1, "") and "error: PROJECT_NOT_FOUND (15001)" in err
    code, out, err = run("sms", "outbox", "linden-hotel", "--to", "nope")
    assert code == 1 and "PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT" in err
    assert run("sms", "outbox", "linden-hotel", "--status", "delivered")[0] == 2
