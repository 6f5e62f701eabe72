"""Steps: the three step types, conditions, entity and step names, prompt references, renames."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.flows.builders import add_entities, new_flow, new_function, new_step
from tests.support.envelope import assert_error


@pytest.fixture
async def flow(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> dict[str, Any]:
    return await new_flow(client, admin, base, "IDNV")


@pytest.fixture
def steps_path(base: str, flow: dict[str, Any]) -> str:
    return f"{base}/flows/{flow['id']}/steps"


async def steps(client: httpx.AsyncClient, admin: dict[str, str], steps_path: str) -> list[dict[str, Any]]:
    response = await client.get(steps_path, headers=admin)
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()["steps"]
    return listed


async def test_default_step_lifecycle(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    branch: str,
    base: str,
    flow: dict[str, Any],
    steps_path: str,
) -> None:
    await add_entities(app, branch, "full_name", "date_of_birth")
    verify = await new_step(client, admin, base, flow["id"], name="Verify")
    body = {
        "name": "Collect Name",
        "stepType": "default",
        "prompt": "Ask for the caller's full name. Say {{entity:full_name}} back.",
        "extractedEntities": ["Full_Name", "date_of_birth"],
        "conditions": [
            {
                "name": "Got name",
                "conditionType": "step",
                "description": "The caller gave a name.",
                "childStep": "verify",
                "requiredEntities": ["full_name"],
            },
            {"name": "Gave up", "conditionType": "exit_flow", "description": "The caller refuses."},
        ],
    }
    response = await client.post(steps_path, json=body, headers=admin)
    assert response.status_code == 201, response.text
    step = response.json()
    assert step["id"].startswith("STEP-")
    # Names of steps and entities are matched like ADK file names and stored in their own spelling.
    assert step == {
        "id": step["id"],
        "name": "Collect Name",
        "stepType": "default",
        "prompt": body["prompt"],
        "extractedEntities": ["full_name", "date_of_birth"],
        "conditions": [
            {
                "name": "Got name",
                "conditionType": "step",
                "description": "The caller gave a name.",
                "childStep": "Verify",
                "requiredEntities": ["full_name"],
            },
            {
                "name": "Gave up",
                "conditionType": "exit_flow",
                "description": "The caller refuses.",
                "requiredEntities": [],
            },
        ],
    }
    assert await steps(client, admin, steps_path) == [verify, step]
    got = await client.get(f"{steps_path}/{step['id']}", headers=admin)
    assert got.status_code == 200 and got.json() == step

    patched = await client.patch(f"{steps_path}/{step['id']}", json={"prompt": "Ask again."}, headers=admin)
    assert patched.status_code == 200 and patched.json() == {**step, "prompt": "Ask again."}

    assert (await client.delete(f"{steps_path}/{step['id']}", headers=admin)).status_code == 204
    error = assert_error(await client.get(f"{steps_path}/{step['id']}", headers=admin), "FLOW_STEP_NOT_FOUND")
    assert step["id"] in error["message"] and "Step" in error["message"]
    assert_error(await client.delete(f"{steps_path}/{step['id']}", headers=admin), "FLOW_STEP_NOT_FOUND")
    assert await steps(client, admin, steps_path) == [verify]


async def test_advanced_and_function_steps(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, flow: dict[str, Any], steps_path: str
) -> None:
    await new_function(client, admin, base, flow["id"], "confirm_identity")
    advanced = await new_step(
        client, admin, base, flow["id"], name="Confirm", prompt="When sure, call {{ft:confirm_identity}}."
    )
    assert advanced == {
        "id": advanced["id"],
        "name": "Confirm",
        "stepType": "advanced",
        "prompt": "When sure, call {{ft:confirm_identity}}.",
    }
    code = "def idnv_entry(conv, flow):\n    flow.goto_step('Confirm')\n"
    response = await client.post(
        steps_path, json={"name": "IDNV Entry", "stepType": "function", "code": code}, headers=admin
    )
    assert response.status_code == 201, response.text
    # The code defines clean_name(step name), as the ADK's function_steps/<name>.py does.
    assert response.json() == {
        "id": response.json()["id"],
        "name": "IDNV Entry",
        "stepType": "function",
        "code": code,
        "functionName": "idnv_entry",
    }
    # Accented names give Python identifiers too.
    code = "def vérifier_client(conv, flow):\n    conv.exit_flow()\n"
    response = await client.post(
        steps_path, json={"name": "Vérifier client", "stepType": "function", "code": code}, headers=admin
    )
    assert response.status_code == 201 and response.json()["functionName"] == "vérifier_client"


async def test_step_names_are_unique_in_their_flow_only(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, flow: dict[str, Any], steps_path: str
) -> None:
    first = await new_step(client, admin, base, flow["id"], name="Greet")
    second = await new_step(client, admin, base, flow["id"], name="Farewell")
    for name in ("Greet", "greet", "GREET."):
        body = {"name": name, "stepType": "advanced", "prompt": "Hi"}
        error = assert_error(
            await client.post(steps_path, json=body, headers=admin), "FLOW_STEP_NAME_ALREADY_EXISTS"
        )
        assert "step" in error["message"]
    error = assert_error(
        await client.patch(f"{steps_path}/{second['id']}", json={"name": "greet"}, headers=admin),
        "FLOW_STEP_NAME_ALREADY_EXISTS",
    )
    assert await steps(client, admin, steps_path) == [first, second]
    # Another flow may have a step of the same name.
    other = await new_flow(client, admin, base, "Other")
    assert (await new_step(client, admin, base, other["id"], name="Greet"))["name"] == "Greet"


async def test_a_step_belongs_to_one_flow(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, flow: dict[str, Any]
) -> None:
    step = await new_step(client, admin, base, flow["id"], name="Greet")
    other = await new_flow(client, admin, base, "Other")
    wrong = f"{base}/flows/{other['id']}/steps/{step['id']}"
    for method, body in (("GET", None), ("PATCH", {"prompt": "Hijacked"}), ("DELETE", None)):
        error = assert_error(
            await client.request(method, wrong, json=body, headers=admin), "FLOW_STEP_NOT_FOUND"
        )
        assert step["id"] in error["message"]
    assert (await client.get(f"{base}/flows/{flow['id']}/steps/{step['id']}", headers=admin)).json() == step


BAD_STEP_BODIES: list[tuple[dict[str, Any], str]] = [
    ({"stepType": "advanced", "prompt": "p"}, "/body/name"),
    ({"name": "S", "prompt": "p"}, "/body/stepType"),
    ({"name": "S", "stepType": "default_step", "prompt": "p"}, "/body/stepType"),
    ({"name": "S", "stepType": "advanced"}, "/body/prompt"),
    ({"name": "S", "stepType": "default"}, "/body/prompt"),
    ({"name": "S", "stepType": "function"}, "/body/code"),
    ({"name": "S", "stepType": "advanced", "prompt": "   "}, "/body/prompt"),
    ({"name": "S", "stepType": "advanced", "prompt": "p" * 50_001}, "/body/prompt"),
    ({"name": "S", "stepType": "advanced", "prompt": None}, "/body/prompt"),
    ({"name": "S", "stepType": "advanced", "prompt": ["p"]}, "/body/prompt"),
    ({"name": "S", "stepType": "advanced", "prompt": "p", "code": "x"}, "/body/code"),
    ({"name": "S", "stepType": "advanced", "prompt": "p", "conditions": []}, "/body/conditions"),
    ({"name": "S", "stepType": "function", "code": "x", "prompt": "p"}, "/body/prompt"),
    ({"name": "S", "stepType": "default", "prompt": "p", "code": "x"}, "/body/code"),
    (
        {"name": "S", "stepType": "advanced", "prompt": "p", "keyphraseBoosting": {}},
        "/body/keyphraseBoosting",
    ),
    ({"name": "S", "stepType": "advanced", "prompt": "p", "functionName": "f"}, "/body/functionName"),
    ({"name": "Step 🙂", "stepType": "advanced", "prompt": "p"}, "/body/name"),
    ({"name": "<script>", "stepType": "advanced", "prompt": "p"}, "/body/name"),
    ({"name": "a;b", "stepType": "advanced", "prompt": "p"}, "/body/name"),
    ({"name": "x" * 101, "stepType": "advanced", "prompt": "p"}, "/body/name"),
    ({"name": "tab\tname", "stepType": "advanced", "prompt": "p"}, "/body/name"),
    ({"name": "S", "stepType": "advanced", "prompt": "nul \u0000"}, "/body/prompt"),
    ({"name": "S", "stepType": "function", "code": "def s(conv, flow):\n    pass\u0000\n"}, "/body/code"),
    (
        {"name": "S", "stepType": "default", "prompt": "p", "extractedEntities": "name"},
        "/body/extractedEntities",
    ),
    (
        {"name": "S", "stepType": "default", "prompt": "p", "extractedEntities": ["a", "A"]},
        "/body/extractedEntities",
    ),
    (
        {"name": "S", "stepType": "default", "prompt": "p", "extractedEntities": ["e"] * 51},
        "/body/extractedEntities",
    ),
    ({"name": "S", "stepType": "default", "prompt": "p", "conditions": {}}, "/body/conditions"),
]


async def test_bad_step_bodies(client: httpx.AsyncClient, admin: dict[str, str], steps_path: str) -> None:
    for body, pointer in BAD_STEP_BODIES:
        error = assert_error(
            await client.post(steps_path, json=body, headers=admin), "SCHEMA_VALIDATION_FAILED"
        )
        assert any(e["path"].startswith(pointer) for e in error["data"]["errors"]), (body, error)
    assert await steps(client, admin, steps_path) == []


def _condition(**fields: Any) -> dict[str, Any]:
    return {"name": "Next", "conditionType": "step", "childStep": "Target", **fields}


BAD_CONDITIONS: list[tuple[dict[str, Any], str, str]] = [
    (_condition(childStep=None), "/body/conditions/0", "needs childStep"),
    ({"name": "Next", "conditionType": "step"}, "/body/conditions/0", "needs childStep"),
    (_condition(conditionType="exit_flow"), "/body/conditions/0", "no childStep"),
    (_condition(conditionType="step_condition"), "/body/conditions/0/conditionType", ""),
    (_condition(name=""), "/body/conditions/0/name", ""),
    (_condition(name="n" * 51), "/body/conditions/0/name", ""),
    (_condition(description=" padded"), "/body/conditions/0/description", ""),
    (_condition(childStep="Nowhere"), "/body/conditions/0/childStep", "Nowhere"),
    (_condition(requiredEntities=["ghost"]), "/body/conditions/0/requiredEntities/0", "ghost"),
    (_condition(requiredEntities=["age", "AGE"]), "/body/conditions/0/requiredEntities", "twice"),
    (_condition(label="x"), "/body/conditions/0/label", ""),
]


async def test_bad_conditions(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    branch: str,
    base: str,
    flow: dict[str, Any],
    steps_path: str,
) -> None:
    await add_entities(app, branch, "age")
    target = await new_step(client, admin, base, flow["id"], name="Target")
    for condition, pointer, wording in BAD_CONDITIONS:
        body = {"name": "Ask", "stepType": "default", "prompt": "Ask their age.", "conditions": [condition]}
        error = assert_error(
            await client.post(steps_path, json=body, headers=admin), "SCHEMA_VALIDATION_FAILED"
        )
        assert pointer in [e["path"] for e in error["data"]["errors"]], (condition, error)
        assert any(wording in e["message"] for e in error["data"]["errors"]), (condition, error)
    assert await steps(client, admin, steps_path) == [target]


async def test_condition_names_are_unique_in_a_step(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, flow: dict[str, Any], steps_path: str
) -> None:
    await new_step(client, admin, base, flow["id"], name="Target")
    conditions = [_condition(name="Done"), _condition(name="done")]
    body = {"name": "Ask", "stepType": "default", "prompt": "p", "conditions": conditions}
    error = assert_error(await client.post(steps_path, json=body, headers=admin), "SCHEMA_VALIDATION_FAILED")
    assert error["data"]["errors"][0]["path"] == "/body/conditions"


async def test_every_missing_name_is_reported_at_once(
    client: httpx.AsyncClient, admin: dict[str, str], steps_path: str
) -> None:
    body = {
        "name": "Ask",
        "stepType": "default",
        "prompt": "p",
        "extractedEntities": ["age", "city"],
        "conditions": [_condition(childStep="Nowhere", requiredEntities=["age"])],
    }
    error = assert_error(await client.post(steps_path, json=body, headers=admin), "SCHEMA_VALIDATION_FAILED")
    assert [e["path"] for e in error["data"]["errors"]] == [
        "/body/extractedEntities/0",
        "/body/extractedEntities/1",
        "/body/conditions/0/childStep",
        "/body/conditions/0/requiredEntities/0",
    ]
    assert error["message"].endswith("(and 3 more)")


async def test_a_condition_may_lead_back_to_its_own_step(
    client: httpx.AsyncClient, admin: dict[str, str], steps_path: str
) -> None:
    body = {
        "name": "Ask",
        "stepType": "default",
        "prompt": "Ask their age.",
        "conditions": [_condition(name="Unclear", childStep="ask")],
    }
    response = await client.post(steps_path, json=body, headers=admin)
    assert response.status_code == 201, response.text
    assert response.json()["conditions"][0]["childStep"] == "Ask"


BAD_PROMPTS: list[tuple[str, str, str]] = [
    ("default", "Then call {{fn:book}}.", "not_allowed"),
    ("default", "Then call {{ft:next_step}}.", "not_allowed"),
    ("advanced", "Then call {{fn:missing_global}}.", "not_found"),
    ("advanced", "Then call {{ft:elsewhere}}.", "not_found"),
    ("advanced", "Hand off with {{ho:nobody}}.", "not_found"),
    ("advanced", "Say {{entity:ghost}}.", "not_found"),
    ("advanced", "Broken {{fn:book", "malformed"),
    ("advanced", "Unknown {{tn:greeting}} kind.", "unknown_kind"),
]


async def test_bad_prompt_references(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, flow: dict[str, Any], steps_path: str
) -> None:
    await new_function(client, admin, base, flow["id"], "next_step")
    other = await new_flow(client, admin, base, "Other")
    # A transition function is only visible from its own flow.
    await new_function(client, admin, base, other["id"], "elsewhere")
    for step_type, prompt, reason in BAD_PROMPTS:
        body = {"name": "Ask", "stepType": step_type, "prompt": prompt}
        response = await client.post(steps_path, json=body, headers=admin)
        error = assert_error(response, "KNOWLEDGE_BASE_RICH_TEXT_INVALID")
        assert [r["reason"] for r in error["data"]["references"]] == [reason], (prompt, error)
        assert error["data"]["path"] == "/body/prompt"
        if step_type == "default":
            assert error["message"].startswith("Default steps cannot reference functions"), error
    assert await steps(client, admin, steps_path) == []


async def test_good_prompt_references(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    branch: str,
    base: str,
    flow: dict[str, Any],
) -> None:
    await add_entities(app, branch, "party_size")
    await new_function(client, admin, base, flow["id"], "next_step")
    default = await new_step(
        client,
        admin,
        base,
        flow["id"],
        name="Ask size",
        stepType="default",
        prompt="Ask for the party size; repeat {{entity:party_size}}.",
    )
    assert default["extractedEntities"] == [] and default["conditions"] == []
    advanced = await new_step(
        client, admin, base, flow["id"], name="Go", prompt="Call {{ft:next_step}} with {{entity:party_size}}."
    )
    assert advanced["prompt"].startswith("Call {{ft:next_step}}")


BAD_FUNCTION_STEPS: list[tuple[str, str, str, int | None]] = [
    ("Entry", "def entry(conv, flow, slot: int):\n    pass\n", "FUNCTION_FAILED_TO_PARSE", 1),
    ("Entry", "def entry(conv, flow, *, flag: bool):\n    pass\n", "FUNCTION_FAILED_TO_PARSE", 1),
    ("Entry", "def entry(conv, flow, flow2):\n    pass\n", "FUNCTION_FAILED_TO_PARSE", 1),
    ("Entry", "def entry(conv):\n    pass\n", "FUNCTION_FAILED_TO_PARSE", 1),
    ("Entry", "def other(conv, flow):\n    pass\n", "FUNCTION_FAILED_TO_PARSE", 1),
    ("Entry", "def entry(conv, flow):\n    return (\n", "FUNCTION_FAILED_TO_PARSE", 2),
    ("Entry", "async def entry(conv, flow):\n    pass\n", "FUNCTION_FAILED_TO_PARSE", 1),
    (
        "Entry",
        "def entry(conv, flow):\n    return " + "-" * 60_000 + "1\n",
        "FUNCTION_FAILED_TO_PARSE",
        None,
    ),
    ("Print", "def print(conv, flow):\n    pass\n", "FLOWS_RESERVED_FUNCTION_NAME", None),
    ("If", "def if_(conv, flow):\n    pass\n", "FLOWS_RESERVED_FUNCTION_NAME", None),
    ("End Function", "def end_function(conv, flow):\n    pass\n", "FLOWS_RESERVED_FUNCTION_NAME", None),
]


async def test_function_step_code(client: httpx.AsyncClient, admin: dict[str, str], steps_path: str) -> None:
    for name, code, expected, line in BAD_FUNCTION_STEPS:
        body = {"name": name, "stepType": "function", "code": code}
        error = assert_error(await client.post(steps_path, json=body, headers=admin), expected)
        if expected == "FUNCTION_FAILED_TO_PARSE":
            assert error["data"]["line"] == line and set(error["data"]) == {"line", "column"}, (code, error)
    assert await steps(client, admin, steps_path) == []


async def test_function_step_names_must_give_an_identifier(
    client: httpx.AsyncClient, admin: dict[str, str], steps_path: str
) -> None:
    body = {"name": "1st check", "stepType": "function", "code": "def x(conv, flow):\n    pass\n"}
    error = assert_error(await client.post(steps_path, json=body, headers=admin), "SCHEMA_VALIDATION_FAILED")
    assert error["data"]["errors"][0]["path"] == "/body/name" and "1st_check" in error["message"]
    # The same name is fine for a step without code.
    body = {"name": "1st check", "stepType": "advanced", "prompt": "p"}
    assert (await client.post(steps_path, json=body, headers=admin)).status_code == 201


async def test_changing_the_step_type(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    branch: str,
    base: str,
    flow: dict[str, Any],
    steps_path: str,
) -> None:
    await add_entities(app, branch, "age")
    step = await new_step(
        client,
        admin,
        base,
        flow["id"],
        name="Ask",
        stepType="default",
        prompt="Ask.",
        extractedEntities=["age"],
    )
    path = f"{steps_path}/{step['id']}"
    # Without code a function step is incomplete; the step is left as it was.
    error = assert_error(
        await client.patch(path, json={"stepType": "function"}, headers=admin), "SCHEMA_VALIDATION_FAILED"
    )
    assert error["data"]["errors"] == [{"path": "/body/code", "message": error["message"], "type": "missing"}]
    # Fields of another type are refused rather than silently dropped.
    error = assert_error(
        await client.patch(path, json={"stepType": "advanced", "extractedEntities": []}, headers=admin),
        "SCHEMA_VALIDATION_FAILED",
    )
    assert error["data"]["errors"][0]["path"] == "/body/extractedEntities"
    assert (await client.get(path, headers=admin)).json() == step

    advanced = await client.patch(path, json={"stepType": "advanced"}, headers=admin)
    assert advanced.status_code == 200, advanced.text
    # The prompt carries over; the default-only fields are gone.
    assert advanced.json() == {"id": step["id"], "name": "Ask", "stepType": "advanced", "prompt": "Ask."}

    code = "def ask(conv, flow):\n    flow.goto_step('Ask')\n"
    function = await client.patch(path, json={"stepType": "function", "code": code}, headers=admin)
    assert function.status_code == 200, function.text
    assert function.json() == {
        "id": step["id"],
        "name": "Ask",
        "stepType": "function",
        "code": code,
        "functionName": "ask",
    }
    assert (await client.get(path, headers=admin)).json() == function.json()

    # Back to default: the old prompt is gone with the advanced type, so one must be sent.
    error = assert_error(
        await client.patch(path, json={"stepType": "default"}, headers=admin), "SCHEMA_VALIDATION_FAILED"
    )
    assert error["data"]["errors"][0]["path"] == "/body/prompt"
    # A prompt carried into a default step is checked against the default rules.
    await new_function(client, admin, base, flow["id"], "next_step")
    advanced = await client.patch(
        path, json={"stepType": "advanced", "prompt": "Call {{ft:next_step}}."}, headers=admin
    )
    assert advanced.status_code == 200, advanced.text
    assert_error(
        await client.patch(path, json={"stepType": "default"}, headers=admin),
        "KNOWLEDGE_BASE_RICH_TEXT_INVALID",
    )


async def test_renaming_a_step_follows_its_references(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, flow: dict[str, Any], steps_path: str
) -> None:
    target = await new_step(client, admin, base, flow["id"], name="Target")
    loop = {"name": "Again", "conditionType": "step", "childStep": "Target"}
    source = await new_step(
        client,
        admin,
        base,
        flow["id"],
        name="Source",
        stepType="default",
        prompt="p",
        conditions=[{"name": "Go", "conditionType": "step", "childStep": "Target"}],
    )
    target_default = await client.patch(
        f"{steps_path}/{target['id']}",
        json={"stepType": "default", "conditions": [loop]},
        headers=admin,
    )
    assert target_default.status_code == 200, target_default.text
    await client.patch(f"{base}/flows/{flow['id']}", json={"startStep": "target"}, headers=admin)

    renamed = await client.patch(f"{steps_path}/{target['id']}", json={"name": "Destination"}, headers=admin)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["conditions"][0]["childStep"] == "Destination"
    assert (await client.get(f"{base}/flows/{flow['id']}", headers=admin)).json()[
        "startStep"
    ] == "Destination"
    got = (await client.get(f"{steps_path}/{source['id']}", headers=admin)).json()
    assert got["conditions"][0]["childStep"] == "Destination"

    # Sent conditions are checked against the new names: the old one no longer exists.
    error = assert_error(
        await client.patch(
            f"{steps_path}/{source['id']}", json={"conditions": [{**loop, "name": "Old"}]}, headers=admin
        ),
        "SCHEMA_VALIDATION_FAILED",
    )
    assert error["data"]["errors"][0]["path"] == "/body/conditions/0/childStep"


async def test_deleting_a_referenced_step_is_allowed(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, flow: dict[str, Any], steps_path: str
) -> None:
    target = await new_step(client, admin, base, flow["id"], name="Target")
    source = await new_step(
        client,
        admin,
        base,
        flow["id"],
        name="Source",
        stepType="default",
        prompt="p",
        conditions=[_condition()],
    )
    await client.patch(f"{base}/flows/{flow['id']}", json={"startStep": "Target"}, headers=admin)
    assert (await client.delete(f"{steps_path}/{target['id']}", headers=admin)).status_code == 204
    # The names stay (compile reports them) and do not block unrelated edits of the step.
    assert (await client.get(f"{base}/flows/{flow['id']}", headers=admin)).json()["startStep"] == "Target"
    edited = await client.patch(f"{steps_path}/{source['id']}", json={"prompt": "Changed"}, headers=admin)
    assert edited.status_code == 200, edited.text
    assert edited.json()["conditions"] == source["conditions"]


async def test_bad_step_patches_change_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, flow: dict[str, Any], steps_path: str
) -> None:
    step = await new_step(client, admin, base, flow["id"], name="Greet")
    path = f"{steps_path}/{step['id']}"
    for body in (
        {"name": None},
        {"prompt": None},
        {"stepType": None},
        {"code": "def greet(conv, flow):\n    pass\n"},
        {"stepType": "other"},
        {"prompt": 42},
        {"id": "STEP-OTHER"},
    ):
        assert_error(await client.patch(path, json=body, headers=admin), "SCHEMA_VALIDATION_FAILED")
    assert_error(
        await client.patch(f"{steps_path}/STEP-NOPE", json={"prompt": "x"}, headers=admin),
        "FLOW_STEP_NOT_FOUND",
    )
    assert (await client.get(path, headers=admin)).json() == step


async def test_injection_looking_prompts_are_plain_text(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, flow: dict[str, Any], steps_path: str
) -> None:
    prompt = "Robert'); DROP TABLE branch_resource;-- <img src=x onerror=alert(1)> ${jndi:ldap://x} 🙂"
    step = await new_step(client, admin, base, flow["id"], name="Odd", prompt=prompt)
    assert (await client.get(f"{steps_path}/{step['id']}", headers=admin)).json()["prompt"] == prompt
