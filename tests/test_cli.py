"""The `parley` command line against a real SQLite file, and its effects on a running app.

The CLI calls asyncio.run itself, so every invocation happens in a sync test; the app side of a
test runs in its own asyncio.run after the command has finished.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.script import ScriptDirectory
from click.testing import Result
from typer.testing import CliRunner

from parley.app import create_app
from parley.cli import app as cli_app
from parley.config import get_settings, normalise_database_url
from parley.errors import CATALOGUE
from parley.kit.migrate import alembic_config
from tests.conftest import ADMIN_KEY, OPERATOR_KEY, make_settings
from tests.support.envelope import assert_error

KEY_LINE = re.compile(
    r"^\s*(operator key|admin key for account 'default')[^:]*:\s*(pk_\S+)\s*$", re.MULTILINE
)
API_PATH = "/v1/accounts/default/agents"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh SQLite file that every `parley` invocation of the test (and nothing else) uses."""
    for name in list(os.environ):
        if name.startswith("PARLEY_"):
            monkeypatch.delenv(name)
    # The plain driver-less form, as an operator would type it.
    url = f"sqlite:///{tmp_path / 'parley.db'}"
    monkeypatch.setenv("PARLEY_DATABASE_URL", url)
    # get_settings is cached for the process: drop whatever an earlier test left in it.
    get_settings.cache_clear()
    yield normalise_database_url(url)
    get_settings.cache_clear()


@pytest.fixture
def known_keys(database: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The same database, bootstrapped by `db upgrade` with the suite's fixed keys."""
    monkeypatch.setenv("PARLEY_BOOTSTRAP_API_KEY", ADMIN_KEY)
    monkeypatch.setenv("PARLEY_BOOTSTRAP_OPERATOR_KEY", OPERATOR_KEY)
    get_settings.cache_clear()
    output = ok_stderr("db", "upgrade")
    assert dict((m[1], m[2]) for m in KEY_LINE.finditer(output)) == {
        "operator key": OPERATOR_KEY,
        "admin key for account 'default'": ADMIN_KEY,
    }
    return database


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli_app, list(args))


def ok(*args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, (args, result.output, result.stderr, result.exception)
    return result.stdout


def ok_stderr(*args: str) -> str:
    """The bootstrap banner goes to stderr, so that stdout stays parseable JSON."""
    result = invoke(*args)
    assert result.exit_code == 0, (args, result.output, result.stderr, result.exception)
    assert "pk_" not in result.stdout
    return result.stderr


def ok_json(*args: str) -> Any:
    return json.loads(ok(*args))


def fails_with(code: str, *args: str) -> Result:
    """The command exits 1 and names the catalogue code and id on stderr, nothing on stdout."""
    result = invoke(*args)
    spec = CATALOGUE[code].spec
    assert result.exit_code == 1, (args, result.output, result.stderr, result.exception)
    assert f"error: {code} ({spec.id}):" in result.stderr, result.stderr
    assert result.stdout == ""
    return result


def call_app(database_url: str, *requests: tuple[str, str, dict[str, str]]) -> list[httpx.Response]:
    """Send requests, in order, to a freshly built app on the database the CLI has been changing."""

    async def run() -> list[httpx.Response]:
        app = create_app(make_settings(database_url))
        responses = []
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as client:
                for method, path, headers in requests:
                    responses.append(await client.request(method, path, headers=headers))
        return responses

    return asyncio.run(run())


def parley_subprocess(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "parley", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- db ---------------------------------------------------------------------------------------


def test_db_upgrade_bootstraps_once_and_prints_the_keys_once(database: str) -> None:
    first = invoke("db", "upgrade")
    keys = {m[1]: m[2] for m in KEY_LINE.finditer(first.stderr)}
    assert set(keys) == {"operator key", "admin key for account 'default'"}
    assert "database is at head" in first.stdout and "pk_" not in first.stdout

    second = ok("db", "upgrade")
    assert "database is at head" in second
    assert "pk_" not in second and "bootstrap" not in second

    # The printed keys are the real ones: the operator sees every account, the admin its own.
    accounts, agents = call_app(
        database,
        ("GET", "/v1/accounts", {"x-api-key": keys["operator key"]}),
        ("GET", API_PATH, {"x-api-key": keys["admin key for account 'default'"]}),
    )
    assert accounts.status_code == 200, accounts.text
    assert [a["accountId"] for a in accounts.json()["accounts"]] == ["default"]
    assert agents.status_code == 200, agents.text


def test_db_current_shows_the_head_revision_only_after_upgrade(database: str) -> None:
    head = ScriptDirectory.from_config(alembic_config(database)).get_current_head()
    assert head
    # A subprocess, because alembic prints to the sys.stdout it saw at import, which CliRunner
    # cannot capture.
    before = parley_subprocess("db", "current")
    assert before.returncode == 0, before.stderr
    assert head not in before.stdout

    ok("db", "upgrade")
    after = parley_subprocess("db", "current")
    assert after.returncode == 0, after.stderr
    assert f"Rev: {head} (head)" in after.stdout
    assert invoke("db", "current").exit_code == 0


def test_db_check_fails_before_upgrade_and_passes_after(database: str) -> None:
    # Not at head yet: nothing can be compared, so the check must not pass. In a subprocess, because
    # this failure path leaves an aiosqlite connection unclosed (migrations/env.py does not dispose
    # its engine when alembic raises), which would fail an unrelated later test here.
    before = parley_subprocess("db", "check")
    assert before.returncode != 0
    assert "no pending model changes" not in before.stdout

    ok("db", "upgrade")
    # Passing needs the models and the migrations to agree (as scripts/alembic_check.py checks).
    assert "no pending model changes" in ok("db", "check")


# --- admin accounts ---------------------------------------------------------------------------


def test_accounts_create_prints_a_working_admin_key_and_list_shows_it(known_keys: str) -> None:
    created = ok_json("admin", "accounts", "create", "acme", "Acme Inc", "--admin-email", "ops@acme.test")
    assert created["accountId"] == "acme"
    assert created["adminUserId"]
    assert created["adminKey"].startswith("pk_")

    listed = ok_json("admin", "accounts", "list")
    assert listed == [
        {"accountId": "default", "name": "Default account"},
        {"accountId": "acme", "name": "Acme Inc"},
    ]

    account, users, other = call_app(
        known_keys,
        ("GET", "/v1/accounts/acme", {"x-api-key": created["adminKey"]}),
        ("GET", "/v1/accounts/acme/users", {"x-api-key": created["adminKey"]}),
        ("GET", "/v1/accounts/default", {"x-api-key": created["adminKey"]}),
    )
    assert account.status_code == 200 and account.json()["name"] == "Acme Inc"
    assert [(u["id"], u["email"], u["role"]) for u in users.json()["users"]] == [
        (created["adminUserId"], "ops@acme.test", "admin")
    ]
    # A new account's key is confined to it.
    assert_error(other, "ACCOUNT_NOT_FOUND")


def test_accounts_create_refuses_invalid_taken_and_similar_ids(known_keys: str) -> None:
    invalid = fails_with("ACCOUNT_CREATE_INVALID_ID", "admin", "accounts", "create", "not valid!", "X")
    assert '"accountId": "not valid!"' in invalid.stderr
    fails_with("ACCOUNT_CREATE_EXISTING_ID", "admin", "accounts", "create", "default", "X")

    ok("admin", "accounts", "create", "lindenhotel", "Linden")
    similar = fails_with("ACCOUNT_CREATE_INVALID_ID", "admin", "accounts", "create", "lindenhotle", "X")
    assert '"similarTo": "lindenhotel"' in similar.stderr

    ids = [a["accountId"] for a in ok_json("admin", "accounts", "list")]
    assert ids == ["default", "lindenhotel"]


# --- admin users ------------------------------------------------------------------------------


def test_users_create_list_delete(known_keys: str) -> None:
    user = ok_json("admin", "users", "create", "default", "Bob@Example.test", "Bob", "--role", "viewer")
    assert (user["accountId"], user["email"], user["name"], user["role"]) == (
        "default",
        "bob@example.test",
        "Bob",
        "viewer",
    )
    listed = ok_json("admin", "users", "list", "default")
    assert user["id"] in [u["id"] for u in listed]
    assert {u["role"] for u in listed} == {"admin", "viewer"}

    fails_with("AUTH_USER_ALREADY_EXISTS", "admin", "users", "create", "default", "bob@example.test", "B2")

    # A key owned by the user stops working when the user is deleted.
    key = ok_json(
        "admin", "keys", "create", "default", "bob-key", "--role", "viewer", "--user-id", user["id"]
    )
    assert ok("admin", "users", "delete", "default", user["id"]).strip() == f"deleted {user['id']}"
    assert user["id"] not in [u["id"] for u in ok_json("admin", "users", "list", "default")]
    fails_with("AUTH_USER_NOT_FOUND", "admin", "users", "delete", "default", user["id"])

    (response,) = call_app(known_keys, ("GET", API_PATH, {"x-api-key": key["key"]}))
    assert_error(response, "AUTH_USER_UNAUTHORISED")


# --- admin keys -------------------------------------------------------------------------------


def test_keys_create_list_rotate_revoke(known_keys: str) -> None:
    created = ok_json("admin", "keys", "create", "default", "ci", "--role", "editor")
    assert (created["name"], created["role"]) == ("ci", "editor")
    assert created["key"].startswith("pk_")

    listed = {k["id"]: k for k in ok_json("admin", "keys", "list", "default")}
    assert created["id"] in listed
    # Values are shown at creation only.
    assert all("key" not in k for k in listed.values())
    assert listed[created["id"]]["keyHint"] == f"{created['key'][:3]}...{created['key'][-4:]}"

    rotated = ok_json("admin", "keys", "rotate", "default", created["id"])
    assert rotated["id"] != created["id"] and rotated["key"] != created["key"]
    assert (rotated["name"], rotated["role"]) == ("ci", "editor")
    ids = [k["id"] for k in ok_json("admin", "keys", "list", "default")]
    assert rotated["id"] in ids and created["id"] not in ids

    old, new = call_app(
        known_keys,
        ("GET", API_PATH, {"x-api-key": created["key"]}),
        ("GET", API_PATH, {"x-api-key": rotated["key"]}),
    )
    assert_error(old, "USER_ACCESS_FORBIDDEN")
    assert "rotated" in old.json()["error"]["message"]
    assert new.status_code == 200, new.text

    assert ok("admin", "keys", "revoke", "default", rotated["id"]).strip() == f"revoked {rotated['id']}"
    assert rotated["id"] not in [k["id"] for k in ok_json("admin", "keys", "list", "default")]
    (revoked,) = call_app(known_keys, ("GET", API_PATH, {"x-api-key": rotated["key"]}))
    assert_error(revoked, "AUTH_USER_UNAUTHORISED")

    fails_with("API_KEY_NOT_FOUND", "admin", "keys", "revoke", "default", rotated["id"])
    fails_with("API_KEY_NOT_FOUND", "admin", "keys", "rotate", "default", "KEY-DOESNOTEXIST")


def test_keys_rotate_with_a_grace_period_keeps_the_old_key_working(known_keys: str) -> None:
    created = ok_json("admin", "keys", "create", "default", "deploy", "--role", "viewer")
    rotated = ok_json("admin", "keys", "rotate", "default", created["id"], "--grace-period-seconds", "3600")
    old, new = call_app(
        known_keys,
        ("GET", API_PATH, {"x-api-key": created["key"]}),
        ("GET", API_PATH, {"x-api-key": rotated["key"]}),
    )
    assert old.status_code == 200, old.text
    assert new.status_code == 200, new.text


# --- admin maintenance ------------------------------------------------------------------------


def test_maintenance_on_status_off_end_to_end(known_keys: str) -> None:
    admin = {"x-api-key": ADMIN_KEY}
    assert ok("admin", "maintenance", "status").strip() == "off"

    out = ok("admin", "maintenance", "on", "--message", "Upgrading the database", "--retry-after", "120")
    assert out.strip() == "maintenance mode on"
    assert ok("admin", "maintenance", "status").strip() == "on"

    api, unauthenticated, health = call_app(
        known_keys, ("GET", API_PATH, admin), ("GET", API_PATH, {}), ("GET", "/health", {})
    )
    error = assert_error(api, "SERVICE_UNAVAILABLE")
    assert error["message"] == "Upgrading the database"
    assert api.headers["retry-after"] == "120"
    # Maintenance answers before authentication: no key needed to learn the server is down.
    assert_error(unauthenticated, "SERVICE_UNAVAILABLE")
    assert health.status_code == 200, health.text
    assert health.json()["status"] == "ok"

    assert ok("admin", "maintenance", "off").strip() == "maintenance mode off"
    assert ok("admin", "maintenance", "status").strip() == "off"
    (api,) = call_app(known_keys, ("GET", API_PATH, admin))
    assert api.status_code == 200, api.text
    assert "retry-after" not in api.headers


def test_maintenance_on_refuses_a_retry_after_below_one(known_keys: str) -> None:
    result = invoke("admin", "maintenance", "on", "--retry-after", "0")
    assert result.exit_code == 2, result.output
    assert ok("admin", "maintenance", "status").strip() == "off"
