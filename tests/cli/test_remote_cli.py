"""`parley deploy`, `parley chat` and `parley agent` against a real `parley serve` process.

One server for the module (the `server` fixture of conftest.py): it loads examples/, so the demo
agent `linden-hotel` is deployed to every environment. Tests that change deployments use agents of
their own, so they do not depend on each other's order.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from parley.cli import app as cli_app
from parley.sdk import ChatConversationEndedError, Client
from tests.cli.conftest import DEMO, code, failed, ok, parley
from tests.conftest import ADMIN_KEY, OPERATOR_KEY
from tests.support.servers import free_port

GREETING = "agent: Welcome to the Linden Hotel London! How can I help you today?"
BREAKFAST = "agent: Breakfast is served from 6:30am to 10:30am in the Garden Restaurant."
CONVERSATION_LINE = re.compile(r"^\[conversation (\S+)\]$", re.MULTILINE)


def new_agent(sdk: Client, agent_id: str) -> str:
    """An agent with a behavior merged to main (and so deployed to sandbox); a fresh branch's id."""
    sdk.agents.create("default", name=agent_id, greeting="Hi", agent_id=agent_id)
    branch: str = sdk.branches.create(agent_id, "first")["branchId"]
    sdk.behavior.update(agent_id, branch, "Be kind.")
    sdk.branches.merge(agent_id, branch)
    fresh: str = sdk.branches.create(agent_id, "next")["branchId"]
    return fresh


# --- chat ---------------------------------------------------------------------------------------


def test_chat_prints_greeting_and_replies_then_closes(server: str, sdk: Client) -> None:
    result = parley(server, "chat", "--agent", DEMO, stdin="what time is breakfast\nquit\nnever sent\n")
    assert ok(result).splitlines() == [GREETING, BREAKFAST, "[conversation closed]"]
    match = CONVERSATION_LINE.search(result.stderr)
    assert match is not None
    with pytest.raises(ChatConversationEndedError):
        sdk.chat.respond("default", DEMO, match.group(1), "still there?")


def test_chat_closes_at_end_of_input_and_skips_blank_lines(server: str, sdk: Client) -> None:
    result = parley(server, "chat", "--agent", DEMO, "-e", "sandbox", stdin="\n   \nwhat time is breakfast")
    assert ok(result).splitlines() == [GREETING, BREAKFAST, "[conversation closed]"]
    match = CONVERSATION_LINE.search(result.stderr)
    assert match is not None
    conversation = match.group(1)
    with pytest.raises(ChatConversationEndedError):
        sdk.chat.respond("default", DEMO, conversation, "hello?")


def test_chat_ends_when_the_agent_hands_off(server: str) -> None:
    lines = [
        "can I get a wake up call",
        "6:45am",
        "room 214",
        "I want to make a complaint about the noise",
        "this line is never sent",
    ]
    output = ok(parley(server, "chat", "--agent", DEMO, stdin="\n".join(lines) + "\n"))
    assert output.splitlines() == [
        GREETING,
        "agent: I can arrange a wake-up call for you.",
        "What time would you like your wake-up call?",
        "agent: What is your room number?",
        "agent: Done: room 214 will get a call at 06:45.",
        "agent: I'm sorry to hear that. Let me put you through to the duty manager.",
        "[handed off to duty_manager (complaint)]",
        "[conversation ended]",
    ]


def test_chat_on_a_branch_draft(server: str, sdk: Client, tmp_path: Path) -> None:
    branch = sdk.branches.create(DEMO, f"draft-{uuid.uuid4().hex[:6]}")["branchId"]
    sdk.topics.create(DEMO, branch, name="Rooftop bar", content="The rooftop bar opens at 5pm. 🍸")
    # Options instead of the environment, this time.
    result = CliRunner().invoke(
        cli_app,
        ["chat", "--agent", DEMO, "--branch", branch, "--url", server, "--key", ADMIN_KEY],
        input="when does the rooftop bar open\nexit\n",
        env={"PARLEY_URL": None, "PARLEY_API_KEY": None},
    )
    assert ok(result).splitlines() == [
        GREETING,
        "agent: The rooftop bar opens at 5pm. 🍸",
        "[conversation closed]",
    ]
    sdk.branches.delete(DEMO, branch)


def test_chat_errors(server: str) -> None:
    stderr = failed(
        parley(server, "chat", "--agent", "ghost", stdin="hi\n"), "error: " + code("PROJECT_NOT_FOUND")
    )
    assert "correlation id: " in stderr
    failed(parley(server, "chat", "--agent", DEMO, "--branch", "ghost"), code("CHAT_DRAFT_NOT_EXIST"))
    failed(parley(server, "chat", "--agent", DEMO, "-e", "live", "-b", "x"), "--environment or --branch")
    failed(parley(server, "chat", "--agent", DEMO, key=""), "no API key")
    failed(
        parley(server, "chat", "--agent", DEMO, key="pk_wrong_0123456789abcdef"),
        code("AUTH_USER_UNAUTHORISED"),
    )
    usage = parley(server, "chat", "--agent", DEMO, "-e", "staging")
    assert usage.exit_code == 2 and "staging" in usage.output


def test_other_tenants_and_viewers(server: str, sdk: Client) -> None:
    with Client(server, OPERATOR_KEY) as operator:
        other = operator.accounts.create("globex", "Globex")
    outsider = other["adminKey"]["key"]
    failed(parley(server, "deploy", "active", "--agent", DEMO, key=outsider), code("PROJECT_NOT_FOUND"))
    failed(parley(server, "agent", "export", "--agent", DEMO, key=outsider), code("PROJECT_NOT_FOUND"))
    failed(parley(server, "chat", "--agent", DEMO, key=outsider, stdin="hi\n"), code("PROJECT_NOT_FOUND"))

    viewer = sdk.api_keys.create("default", name="viewer", role="viewer")["key"]
    assert json.loads(ok(parley(server, "deploy", "active", "--agent", DEMO, key=viewer)))
    failed(parley(server, "deploy", "publish", "--agent", DEMO, key=viewer), code("USER_ACCESS_FORBIDDEN"))


# --- deploy -------------------------------------------------------------------------------------


def deployed(result: Result) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(ok(result))
    deployment: dict[str, Any] = body["deployment"]
    return deployment


def test_deploy_lifecycle(server: str, sdk: Client) -> None:
    agent = "cli-deploy"
    branch = new_agent(sdk, agent)
    active = json.loads(ok(parley(server, "deploy", "active", "--agent", agent)))["activeDeployments"]
    assert active["sandbox"] is not None and active["pre-release"] is None and active["live"] is None
    first = active["sandbox"]

    # Without --deployment, promote takes what is active in the stage before the target.
    pre_release = deployed(parley(server, "deploy", "promote", "--agent", agent, "-m", "QA"))
    assert (pre_release["environment"], pre_release["version"]) == ("pre-release", first["version"])
    live = deployed(parley(server, "deploy", "promote", "--agent", agent, "--to", "live"))
    assert live["environment"] == "live"
    again = json.loads(
        ok(
            parley(
                server,
                "deploy",
                "promote",
                "--agent",
                agent,
                "--deployment",
                pre_release["id"],
                "--to",
                "live",
            )
        )
    )
    assert again["notice"]["code"] and again["deployment"]["id"] == live["id"]
    history = json.loads(ok(parley(server, "deploy", "list", "--agent", agent, "-e", "live")))["deployments"]
    assert [d["id"] for d in history] == [live["id"]]

    failed(parley(server, "deploy", "publish", "--agent", agent), code("DEPLOYMENTS_ALREADY_PUBLISHED"))
    sdk.behavior.update(agent, branch, "Be brief.")
    sdk.branches.merge(agent, branch)
    published = deployed(parley(server, "deploy", "publish", "--agent", agent, "-e", "pre-release"))
    assert published["version"] != first["version"]

    rolled = deployed(parley(server, "deploy", "rollback", "--agent", agent, "-e", "sandbox", "-m", "undo"))
    assert rolled["version"] == first["version"] and rolled["metadata"]["rolledBackFrom"]
    rolled = deployed(parley(server, "deploy", "rollback", "--agent", agent, "--deployment", published["id"]))
    assert rolled["version"] == published["version"]
    limited = json.loads(
        ok(parley(server, "deploy", "list", "--agent", agent, "-e", "sandbox", "--limit", "2"))
    )
    assert len(limited["deployments"]) == 2

    failed(parley(server, "deploy", "rollback", "--agent", agent), "exactly one of")
    failed(parley(server, "deploy", "rollback", "--agent", agent, "-e", "live"), "no earlier version")
    failed(
        parley(server, "deploy", "rollback", "--agent", agent, "--deployment", "nope"),
        code("DEPLOYMENT_NOT_FOUND"),
    )
    assert parley(server, "deploy", "list", "--agent", agent, "-e", "staging").exit_code == 2

    sdk.agents.create("default", name="Empty", greeting="Hi", agent_id="cli-empty")
    failed(parley(server, "deploy", "promote", "--agent", "cli-empty"), "nothing is deployed to sandbox")


def test_unreachable_server() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    failed(parley(url, "deploy", "publish", "--agent", DEMO), f"cannot reach the server at {url}")


# --- agent export / import ----------------------------------------------------------------------


def test_agent_export_then_import(server: str, sdk: Client, tmp_path: Path) -> None:
    exported = ok(parley(server, "agent", "export", "--agent", DEMO))
    document = json.loads(exported)
    assert document == sdk.branches.export(DEMO, "main")
    file = tmp_path / "agent.json"
    file.write_text(exported, encoding="utf-8")

    sdk.agents.create("default", name="Copy", greeting="Hi", agent_id="cli-copy")
    branch = sdk.branches.create("cli-copy", "import")["branchId"]
    imported = json.loads(
        ok(parley(server, "agent", "import", str(file), "--agent", "cli-copy", "--branch", branch))
    )
    assert imported["imported"]["topics"] == len(document["topics"])
    assert sdk.branches.export("cli-copy", branch) == document

    # From standard input.
    piped = sdk.branches.create("cli-copy", "piped")["branchId"]
    ok(parley(server, "agent", "import", "-", "--agent", "cli-copy", "-b", piped, stdin=exported))
    assert json.loads(ok(parley(server, "agent", "export", "--agent", "cli-copy", "-b", piped))) == document


def test_agent_import_errors_change_nothing(server: str, sdk: Client, tmp_path: Path) -> None:
    before = sdk.branches.export(DEMO, "main")
    exported = json.dumps(before)
    file = tmp_path / "agent.json"
    file.write_text(exported, encoding="utf-8")
    failed(
        parley(server, "agent", "import", str(file), "--agent", DEMO, "-b", "main"),
        code("BRANCH_MAIN_READ_ONLY"),
    )
    failed(
        parley(server, "agent", "import", str(file), "--agent", DEMO, "-b", "ghost"), code("BRANCH_NOT_FOUND")
    )

    branch = sdk.branches.create(DEMO, f"bad-{uuid.uuid4().hex[:6]}")["branchId"]
    broken = tmp_path / "broken.json"
    broken.write_text('{"topics": [', encoding="utf-8")
    failed(
        parley(server, "agent", "import", str(broken), "--agent", DEMO, "-b", branch),
        "is not a JSON document",
    )
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]", encoding="utf-8")
    failed(
        parley(server, "agent", "import", str(listed), "--agent", DEMO, "-b", branch),
        "must hold a JSON object",
    )
    missing = tmp_path / "missing.json"
    failed(parley(server, "agent", "import", str(missing), "--agent", DEMO, "-b", branch), "cannot read")
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps({**before, "formatVersion": 999, "behavior": "x"}), encoding="utf-8")
    stderr = failed(
        parley(server, "agent", "import", str(invalid), "--agent", DEMO, "-b", branch),
        code("SCHEMA_VALIDATION_FAILED"),
    )
    assert "formatVersion" in stderr  # the per-field details are printed too

    assert sdk.branches.export(DEMO, branch) == before
    assert sdk.branches.export(DEMO, "main") == before
    sdk.branches.delete(DEMO, branch)
