"""`parley build` against a real `parley serve` (the `server` fixture of conftest.py).

The tests edit branches of the demo agent `linden-hotel`, each on a branch of its own; only
`test_branch_lifecycle` merges into main.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from parley.sdk import Client
from tests.cli.conftest import DEMO, code, failed, ok, parley


def as_json(output: str) -> Any:
    return json.loads(output)


def write(tmp_path: Path, name: str, body: object) -> str:
    file = tmp_path / name
    file.write_text(json.dumps(body), encoding="utf-8")
    return str(file)


def new_branch(server: str) -> str:
    created = as_json(
        ok(parley(server, "build", "branches", "create", f"cli-{uuid.uuid4().hex[:6]}", "--agent", DEMO))
    )
    branch: str = created["branchId"]
    return branch


def test_branch_lifecycle(server: str, sdk: Client, tmp_path: Path) -> None:
    branch = new_branch(server)
    listed = as_json(ok(parley(server, "build", "branches", "list", "--agent", DEMO)))["branches"]
    assert branch in [b["branchId"] for b in listed]

    ok(parley(server, "build", "behavior", "set", "Be warm and brief.", "--agent", DEMO, "--branch", branch))
    shown = as_json(ok(parley(server, "build", "behavior", "get", "--agent", DEMO, "-b", branch)))
    assert shown == {"behavior": "Be warm and brief."}
    # From stdin, too.
    ok(parley(server, "build", "behavior", "set", "-", "--agent", DEMO, "-b", branch, stdin="Be warm.\n"))
    assert sdk.behavior.get(DEMO, branch)["behavior"].strip() == "Be warm."

    topic = write(tmp_path, "topic.json", {"name": "Spa", "content": "The spa opens at 7am."})
    ok(parley(server, "build", "topics", "create", "--file", topic, "--agent", DEMO, "-b", branch))

    failed(
        parley(server, "build", "branches", "merge", branch, "--agent", DEMO, "--resolutions", topic),
        "must hold a JSON list",
    )
    merged = as_json(ok(parley(server, "build", "branches", "merge", branch, "--agent", DEMO, "-m", "spa")))
    assert merged
    assert sdk.behavior.get(DEMO, "main")["behavior"].strip() == "Be warm."
    assert "Spa" in [t["name"] for t in sdk.topics.list(DEMO, "main")]

    other = new_branch(server)
    ok(parley(server, "build", "branches", "delete", other, "--agent", DEMO))
    listed = as_json(ok(parley(server, "build", "branches", "list", "--agent", DEMO)))["branches"]
    assert other not in [b["branchId"] for b in listed]


def test_topic_crud(server: str, sdk: Client, tmp_path: Path) -> None:
    branch = new_branch(server)
    scope = ("--agent", DEMO, "--branch", branch)
    body = {
        "name": "Valet",
        "content": "Valet parking costs £40 a night.",
        "exampleQueries": ["where do I park"],
    }
    created = as_json(
        ok(parley(server, "build", "topics", "create", "-f", write(tmp_path, "t.json", body), *scope))
    )
    topic_id = created["id"]
    assert created["exampleQueries"] == {"queries": ["where do I park"]}

    listed = as_json(ok(parley(server, "build", "topics", "list", *scope)))
    assert topic_id in [t["id"] for t in listed]
    shown = as_json(ok(parley(server, "build", "topics", "get", topic_id, *scope)))
    assert shown == created

    # The API's own shape (exampleQueries wrapped in {queries}) is accepted too; from stdin.
    patch = json.dumps(
        {"content": "Valet parking costs £45 a night.", "exampleQueries": {"queries": ["parking"]}}
    )
    assert ok(parley(server, "build", "topics", "update", topic_id, "--file", "-", *scope, stdin=patch)) == ""
    changed = sdk.topics.get(DEMO, branch, topic_id)
    assert changed["content"] == "Valet parking costs £45 a night."
    assert changed["exampleQueries"] == {"queries": ["parking"]}

    assert ok(parley(server, "build", "topics", "delete", topic_id, *scope)) == ""
    failed(
        parley(server, "build", "topics", "get", topic_id, *scope),
        "error: " + code("KNOWLEDGE_BASE_TOPIC_NOT_FOUND"),
    )
    failed(
        parley(server, "build", "topics", "delete", topic_id, *scope), code("KNOWLEDGE_BASE_TOPIC_NOT_FOUND")
    )


def test_topics_csv_round_trip(server: str, tmp_path: Path) -> None:
    branch = new_branch(server)
    exported = ok(parley(server, "build", "topics", "export", "--agent", DEMO, "-b", branch))
    assert exported.startswith("name,")
    file = tmp_path / "topics.csv"
    file.write_text(exported, encoding="utf-8")
    result = as_json(
        ok(parley(server, "build", "topics", "import", str(file), "--agent", DEMO, "-b", branch))
    )
    assert result["created"] == 0 and result["updated"] == len(result["topics"]) > 0


def test_entity_crud(server: str, sdk: Client, tmp_path: Path) -> None:
    branch = new_branch(server)
    scope = ("--agent", DEMO, "-b", branch)
    body = {"name": "guest_count", "type": "number", "description": "How many guests"}
    created = as_json(
        ok(parley(server, "build", "entities", "create", "-f", write(tmp_path, "e.json", body), *scope))
    )
    entity_id = created["id"]
    assert (created["name"], created["type"]) == ("guest_count", "number")

    listed = as_json(ok(parley(server, "build", "entities", "list", *scope)))["entities"]
    assert entity_id in [e["id"] for e in listed]
    assert as_json(ok(parley(server, "build", "entities", "get", entity_id, *scope)))["name"] == "guest_count"

    patch = write(tmp_path, "patch.json", {"description": "Guests in the party"})
    updated = as_json(ok(parley(server, "build", "entities", "update", entity_id, "-f", patch, *scope)))
    assert updated["description"] == "Guests in the party"

    ok(parley(server, "build", "entities", "delete", entity_id, *scope))
    assert entity_id not in [e["id"] for e in sdk.entities.list(DEMO, branch)["entities"]]
    failed(parley(server, "build", "entities", "get", entity_id, *scope), code("ENTITY_NOT_FOUND"))


def test_flow_scoped_resources_need_flow(server: str, tmp_path: Path) -> None:
    branch = new_branch(server)
    scope = ("--agent", DEMO, "-b", branch)
    flow = as_json(
        ok(
            parley(
                server,
                "build",
                "flows",
                "create",
                "-f",
                write(tmp_path, "f.json", {"name": "Late checkout"}),
                *scope,
            )
        )
    )
    step = {"name": "ask", "stepType": "default", "prompt": "Ask what time they would like to leave."}
    created = as_json(
        ok(
            parley(
                server,
                "build",
                "steps",
                "create",
                "-f",
                write(tmp_path, "s.json", step),
                "--flow",
                flow["id"],
                *scope,
            )
        )
    )
    steps = as_json(ok(parley(server, "build", "steps", "list", "--flow", flow["id"], *scope)))["steps"]
    assert [s["id"] for s in steps] == [created["id"]]
    # null clears startStep, where leaving the field out leaves it as it is.
    start = write(tmp_path, "start.json", {"startStep": "ask"})
    assert (
        as_json(ok(parley(server, "build", "flows", "update", flow["id"], "-f", start, *scope)))["startStep"]
        == "ask"
    )

    assert parley(server, "build", "steps", "list", *scope).exit_code == 2  # --flow is required
    assert (
        parley(server, "build", "topics", "list", "--flow", flow["id"], *scope).exit_code == 2
    )  # and only there


def test_body_errors(server: str, tmp_path: Path) -> None:
    branch = new_branch(server)
    scope = ("--agent", DEMO, "-b", branch)
    # The server's validation error, with the per-field details.
    bad = write(tmp_path, "bad.json", {"name": "Pool", "content": "", "isActive": "yes"})
    stderr = failed(
        parley(server, "build", "topics", "create", "-f", bad, *scope), code("KNOWLEDGE_BASE_TOPICS_INVALID")
    )
    assert "isActive" in stderr
    wrong_type = write(tmp_path, "type.json", {"name": "pool_lane", "type": "colour"})
    stderr = failed(
        parley(server, "build", "entities", "create", "-f", wrong_type, *scope),
        code("SCHEMA_VALIDATION_FAILED"),
    )
    assert "/body/type" in stderr

    # Caught before any request: fields the command does not take, missing ones, and bad files.
    unknown = write(tmp_path, "unknown.json", {"name": "Pool", "content": "x", "colour": "blue"})
    stderr = failed(
        parley(server, "build", "topics", "create", "-f", unknown, *scope), "unknown field colour"
    )
    assert "exampleQueries" in stderr
    missing = write(tmp_path, "missing.json", {"name": "Pool"})
    failed(parley(server, "build", "topics", "create", "-f", missing, *scope), "missing field content")
    listed = write(tmp_path, "list.json", [1, 2])
    failed(parley(server, "build", "entities", "create", "-f", listed, *scope), "must hold a JSON object")
    failed(
        parley(server, "build", "entities", "create", "-f", "-", *scope, stdin="{"), "is not a JSON document"
    )
    failed(
        parley(server, "build", "entities", "create", "-f", str(tmp_path / "no.json"), *scope), "cannot read"
    )


def test_main_is_read_only(server: str, tmp_path: Path) -> None:
    body = write(tmp_path, "topic.json", {"name": "Gym", "content": "The gym is open all day."})
    failed(
        parley(server, "build", "topics", "create", "-f", body, "--agent", DEMO, "--branch", "main"),
        code("BRANCH_MAIN_READ_ONLY"),
    )
    failed(
        parley(server, "build", "behavior", "set", "x", "--agent", DEMO, "--branch", "main"),
        code("BRANCH_MAIN_READ_ONLY"),
    )
    # Reads default to main.
    assert as_json(ok(parley(server, "build", "topics", "list", "--agent", DEMO)))
    failed(
        parley(server, "build", "topics", "list", "--agent", DEMO, "-b", "ghost"), code("BRANCH_NOT_FOUND")
    )


def test_real_time_configs(server: str, tmp_path: Path) -> None:
    schema = {"type": "object", "properties": {"open": {"type": "boolean"}}}
    args = ("--agent", DEMO)
    ok(
        parley(
            server,
            "build",
            "real-time-configs",
            "set-schema",
            "sandbox",
            write(tmp_path, "s.json", schema),
            *args,
        )
    )
    values = write(tmp_path, "v.json", {"open": True})
    ok(parley(server, "build", "real-time-configs", "set-variables", "sandbox", values, *args))
    page: dict[str, Any] = as_json(ok(parley(server, "build", "real-time-configs", "get", "sandbox", *args)))
    assert page["variables"]["open"] is True and page["schema"] == schema
    wrong = write(tmp_path, "w.json", {"open": "yes"})
    failed(parley(server, "build", "real-time-configs", "set-variables", "sandbox", wrong, *args), "error: ")
    assert parley(server, "build", "real-time-configs", "get", "staging", *args).exit_code == 2
