"""Flows: lifecycle, names, the start step, cascade delete, main read-only, roles and tenancy."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from parley.models import BranchResource
from tests.flows.builders import add_entities, new_flow, new_function, new_step
from tests.support.envelope import assert_error
from tests.support.factories import account_admin, create_key, key_header


async def flows(client: httpx.AsyncClient, headers: dict[str, str], base: str) -> list[dict[str, Any]]:
    response = await client.get(f"{base}/flows", headers=headers)
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()["flows"]
    return listed


async def test_flow_lifecycle(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    assert await flows(client, admin, base) == []
    response = await client.post(
        f"{base}/flows", json={"name": "Booking", "description": "Books a table."}, headers=admin
    )
    assert response.status_code == 201, response.text
    flow = response.json()
    assert set(flow) == {"id", "name", "description", "startStep"}
    assert flow["id"].startswith("FLOW-") and flow["startStep"] is None
    assert (flow["name"], flow["description"]) == ("Booking", "Books a table.")

    assert await flows(client, admin, base) == [flow]
    got = await client.get(f"{base}/flows/{flow['id']}", headers=admin)
    assert got.status_code == 200 and got.json() == flow

    patched = await client.patch(
        f"{base}/flows/{flow['id']}", json={"name": "Table booking", "description": ""}, headers=admin
    )
    assert patched.status_code == 200, patched.text
    assert patched.json() == {**flow, "name": "Table booking", "description": ""}
    # An empty PATCH changes nothing.
    unchanged = await client.patch(f"{base}/flows/{flow['id']}", json={}, headers=admin)
    assert unchanged.status_code == 200 and unchanged.json() == patched.json()

    deleted = await client.delete(f"{base}/flows/{flow['id']}", headers=admin)
    assert deleted.status_code == 204 and deleted.content == b""
    error = assert_error(await client.get(f"{base}/flows/{flow['id']}", headers=admin), "FLOW_NOT_FOUND")
    assert flow["id"] in error["message"]
    assert await flows(client, admin, base) == []


async def test_flow_names_are_unique_in_the_branch(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    booking = await new_flow(client, admin, base, "Booking Flow")
    other = await new_flow(client, admin, base, "Cancel")
    # Unique after the ADK's clean_name, since both would be the folder flows/booking_flow.
    for name in ("Booking Flow", "booking-flow", "BOOKING  FLOW!"):
        response = await client.post(f"{base}/flows", json={"name": name}, headers=admin)
        assert_error(response, "FLOWS_NAME_ALREADY_EXISTS", 409)
    renamed = await client.patch(f"{base}/flows/{other['id']}", json={"name": "booking flow"}, headers=admin)
    assert_error(renamed, "FLOWS_NAME_ALREADY_EXISTS")
    assert [f["name"] for f in await flows(client, admin, base)] == ["Booking Flow", "Cancel"]
    # Renaming a flow to its own name in another case is not a clash with itself.
    same = await client.patch(f"{base}/flows/{booking['id']}", json={"name": "Booking flow"}, headers=admin)
    assert same.status_code == 200 and same.json()["name"] == "Booking flow"


async def test_start_step(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    # A new flow has no steps, so it cannot name a start step yet; nothing is created.
    response = await client.post(
        f"{base}/flows", json={"name": "IDNV", "startStep": "Collect Name"}, headers=admin
    )
    error = assert_error(response, "SCHEMA_VALIDATION_FAILED")
    assert error["data"]["errors"][0]["path"] == "/body/startStep"
    assert "no steps yet" in error["message"]
    assert await flows(client, admin, base) == []

    flow = await new_flow(client, admin, base, "IDNV")
    other = await new_flow(client, admin, base, "Other")
    await new_step(client, admin, base, flow["id"], name="Collect Name")
    await new_step(client, admin, base, other["id"], name="Elsewhere")
    path = f"{base}/flows/{flow['id']}"

    # Matched like the ADK's file names, stored in the step's own spelling.
    response = await client.patch(path, json={"startStep": "collect name"}, headers=admin)
    assert response.status_code == 200 and response.json()["startStep"] == "Collect Name"

    for missing in ("Nope", "Elsewhere"):
        error = assert_error(
            await client.patch(path, json={"startStep": missing}, headers=admin), "SCHEMA_VALIDATION_FAILED"
        )
        assert error["data"]["errors"] == [
            {"path": "/body/startStep", "message": error["message"], "type": "step_not_found"}
        ]
        assert missing in error["message"]
    assert (await client.get(path, headers=admin)).json()["startStep"] == "Collect Name"

    cleared = await client.patch(path, json={"startStep": None}, headers=admin)
    assert cleared.status_code == 200 and cleared.json()["startStep"] is None


BAD_FLOW_BODIES: list[tuple[dict[str, Any], str]] = [
    ({}, "/body/name"),
    ({"name": 7}, "/body/name"),
    ({"name": ""}, "/body/name"),
    ({"name": "x" * 101}, "/body/name"),
    ({"name": " padded"}, "/body/name"),
    ({"name": "line\nbreak"}, "/body/name"),
    ({"name": "nul\u0000byte"}, "/body/name"),
    ({"name": "!!!"}, "/body/name"),
    ({"name": None}, "/body/name"),
    ({"name": ["Booking"]}, "/body/name"),
    ({"name": "Booking", "description": "d" * 5001}, "/body/description"),
    ({"name": "Booking", "description": " leading space"}, "/body/description"),
    ({"name": "Booking", "description": 3}, "/body/description"),
    ({"name": "Booking", "steps": []}, "/body/steps"),
    ({"name": "Booking", "startStep": 5}, "/body/startStep"),
]


async def test_bad_flow_bodies(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    for body, pointer in BAD_FLOW_BODIES:
        response = await client.post(f"{base}/flows", json=body, headers=admin)
        error = assert_error(response, "SCHEMA_VALIDATION_FAILED")
        assert pointer in [e["path"] for e in error["data"]["errors"]], (body, error)
    assert await flows(client, admin, base) == []


async def test_bad_flow_patches_change_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    flow = await new_flow(client, admin, base, "Booking")
    path = f"{base}/flows/{flow['id']}"
    for body in ({"name": None}, {"description": None}, {"name": ""}, {"id": "FLOW-OTHER"}, {"name": 1}):
        error = assert_error(await client.patch(path, json=body, headers=admin), "SCHEMA_VALIDATION_FAILED")
        assert error["data"]["errors"], error
    for raw, content_type, code in (
        (b"{not json", "application/json", "SCHEMA_VALIDATION_FAILED"),
        (b"[]", "application/json", "SCHEMA_VALIDATION_FAILED"),
        (b'{"name": "x"}', "text/plain", "UNSUPPORTED_MEDIA_TYPE"),
    ):
        response = await client.patch(path, content=raw, headers={**admin, "content-type": content_type})
        assert_error(response, code)
    assert (await client.get(path, headers=admin)).json() == flow


async def test_unicode_and_injection_looking_names_are_plain_data(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    names = [
        "Réservation 🙂 日本語",
        "'; DROP TABLE branch_resource; --",
        "<script>alert(1)</script>",
        "{{fn:start_booking_flow}}",
        "../../etc/passwd",
        "e\u0301clair",  # decomposed: stored composed (NFC)
    ]
    for name in names:
        response = await client.post(f"{base}/flows", json={"name": name, "description": name}, headers=admin)
        assert response.status_code == 201, response.text
    listed = await flows(client, admin, base)
    assert [f["name"] for f in listed] == [*names[:-1], "éclair"]
    assert listed[0]["description"] == "Réservation 🙂 日本語"


async def test_unknown_flow_on_every_path(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    flow = f"{base}/flows/FLOW-MISSING1"
    calls = [
        ("GET", flow, None),
        ("PATCH", flow, {"name": "x"}),
        ("DELETE", flow, None),
        ("GET", f"{flow}/steps", None),
        ("POST", f"{flow}/steps", {"name": "S", "stepType": "advanced", "prompt": "p"}),
        ("GET", f"{flow}/steps/STEP-1", None),
        ("PATCH", f"{flow}/steps/STEP-1", {"prompt": "p"}),
        ("DELETE", f"{flow}/steps/STEP-1", None),
        ("GET", f"{flow}/functions", None),
        ("POST", f"{flow}/functions", {"name": "f", "code": "def f(conv, flow):\n    pass\n"}),
        ("GET", f"{flow}/functions/FLOW_FUNCTION-1", None),
        ("PATCH", f"{flow}/functions/FLOW_FUNCTION-1", {"description": "d"}),
        ("DELETE", f"{flow}/functions/FLOW_FUNCTION-1", None),
    ]
    for method, path, body in calls:
        error = assert_error(await client.request(method, path, json=body, headers=admin), "FLOW_NOT_FOUND")
        assert "FLOW-MISSING1" in error["message"], (method, path)


async def test_deleting_a_flow_deletes_its_steps_and_functions(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], base: str, branch: str
) -> None:
    doomed = await new_flow(client, admin, base, "Doomed")
    kept = await new_flow(client, admin, base, "Kept")
    for flow in (doomed, kept):
        await new_step(client, admin, base, flow["id"], name="Greet")
        await new_function(client, admin, base, flow["id"], "next_step")

    assert (await client.delete(f"{base}/flows/{doomed['id']}", headers=admin)).status_code == 204
    assert_error(await client.get(f"{base}/flows/{doomed['id']}/steps", headers=admin), "FLOW_NOT_FOUND")
    async with app.state.sessionmaker() as session:
        orphans = (
            await session.scalars(
                select(BranchResource).where(
                    BranchResource.branch_id == branch, BranchResource.parent_id == doomed["id"]
                )
            )
        ).all()
    assert orphans == []
    # The other flow is untouched, and a new flow of the old name starts empty.
    assert len((await client.get(f"{base}/flows/{kept['id']}/steps", headers=admin)).json()["steps"]) == 1
    assert (
        len((await client.get(f"{base}/flows/{kept['id']}/functions", headers=admin)).json()["functions"])
        == 1
    )
    again = await new_flow(client, admin, base, "Doomed")
    assert (await client.get(f"{base}/flows/{again['id']}/steps", headers=admin)).json() == {"steps": []}
    assert_error(await client.delete(f"{base}/flows/{doomed['id']}", headers=admin), "FLOW_NOT_FOUND")


async def test_main_is_read_only_and_merges_bring_flows_to_main(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, base: str, branch: str
) -> None:
    main = f"/v1/agents/{agent}/branches/main"
    flow = await new_flow(client, admin, base, "Greeting")
    step = await new_step(client, admin, base, flow["id"], name="Hello")
    function = await new_function(client, admin, base, flow["id"], "done")
    response = await client.patch(f"{base}/flows/{flow['id']}", json={"startStep": "Hello"}, headers=admin)
    assert response.status_code == 200, response.text
    merged = await client.post(f"/v1/agents/{agent}/branches/{branch}/merge", json={}, headers=admin)
    assert merged.status_code == 200, merged.text

    # main now has the flow, and reads work there.
    assert await flows(client, admin, main) == [{**flow, "startStep": "Hello"}]
    assert (await client.get(f"{main}/flows/{flow['id']}/steps", headers=admin)).json()["steps"] == [step]
    listed = (await client.get(f"{main}/flows/{flow['id']}/functions", headers=admin)).json()["functions"]
    assert listed == [function]

    writes = [
        ("POST", f"{main}/flows", {"name": "New"}),
        ("PATCH", f"{main}/flows/{flow['id']}", {"name": "Renamed"}),
        ("DELETE", f"{main}/flows/{flow['id']}", None),
        ("POST", f"{main}/flows/{flow['id']}/steps", {"name": "S", "stepType": "advanced", "prompt": "p"}),
        ("PATCH", f"{main}/flows/{flow['id']}/steps/{step['id']}", {"prompt": "Changed"}),
        ("DELETE", f"{main}/flows/{flow['id']}/steps/{step['id']}", None),
        (
            "POST",
            f"{main}/flows/{flow['id']}/functions",
            {"name": "g", "code": "def g(conv, flow):\n    pass\n"},
        ),
        ("PATCH", f"{main}/flows/{flow['id']}/functions/{function['id']}", {"description": "x"}),
        ("DELETE", f"{main}/flows/{flow['id']}/functions/{function['id']}", None),
    ]
    for method, path, body in writes:
        assert_error(await client.request(method, path, json=body, headers=admin), "BRANCH_MAIN_READ_ONLY")
    assert await flows(client, admin, main) == [{**flow, "startStep": "Hello"}]


async def test_unknown_branch(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> None:
    ghost = f"/v1/agents/{agent}/branches/BRANCH-GHOST"
    assert_error(await client.get(f"{ghost}/flows", headers=admin), "BRANCH_NOT_FOUND")
    assert_error(await client.post(f"{ghost}/flows", json={"name": "x"}, headers=admin), "BRANCH_NOT_FOUND")


def _every_path(base: str, flow: str, step: str, function: str) -> list[tuple[str, str, Any]]:
    f = f"{base}/flows/{flow}"
    return [
        ("GET", f"{base}/flows", None),
        ("POST", f"{base}/flows", {"name": "Stolen"}),
        ("GET", f, None),
        ("PATCH", f, {"name": "Stolen"}),
        ("DELETE", f, None),
        ("GET", f"{f}/steps", None),
        ("POST", f"{f}/steps", {"name": "Stolen", "stepType": "advanced", "prompt": "p"}),
        ("GET", f"{f}/steps/{step}", None),
        ("PATCH", f"{f}/steps/{step}", {"prompt": "Stolen"}),
        ("DELETE", f"{f}/steps/{step}", None),
        ("GET", f"{f}/functions", None),
        ("POST", f"{f}/functions", {"name": "stolen", "code": "def stolen(conv, flow):\n    pass\n"}),
        ("GET", f"{f}/functions/{function}", None),
        ("PATCH", f"{f}/functions/{function}", {"description": "Stolen"}),
        ("DELETE", f"{f}/functions/{function}", None),
    ]


async def test_roles(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    flow = await new_flow(client, admin, base, "Booking")
    step = await new_step(client, admin, base, flow["id"], name="Greet")
    function = await new_function(client, admin, base, flow["id"], "done")
    viewer = key_header((await create_key(client, admin, "default", "viewer"))["key"])
    external = key_header((await create_key(client, admin, "default", "external"))["key"])
    editor = key_header((await create_key(client, admin, "default", "editor"))["key"])

    for method, path, body in _every_path(base, flow["id"], step["id"], function["id"]):
        response = await client.request(method, path, json=body, headers=viewer)
        if method == "GET":
            assert response.status_code == 200, (path, response.text)
        else:
            assert_error(response, "USER_ACCESS_FORBIDDEN")
        assert_error(
            await client.request(method, path, json=body, headers=external), "EXTERNAL_USER_FORBIDDEN"
        )
        assert_error(await client.request(method, path, json=body), "AUTH_USER_UNAUTHORISED")

    # Editors write.
    response = await client.post(f"{base}/flows", json={"name": "By editor"}, headers=editor)
    assert response.status_code == 201, response.text
    # Nothing the refused calls tried happened.
    assert [f["name"] for f in await flows(client, admin, base)] == ["Booking", "By editor"]
    assert (await client.get(f"{base}/flows/{flow['id']}/steps/{step['id']}", headers=admin)).json() == step


async def test_other_tenants_see_nothing(
    client: httpx.AsyncClient, operator: dict[str, str], admin: dict[str, str], base: str
) -> None:
    flow = await new_flow(client, admin, base, "Private")
    step = await new_step(client, admin, base, flow["id"], name="Secret")
    function = await new_function(client, admin, base, flow["id"], "secret")
    intruder = await account_admin(client, operator, "intruder")

    for method, path, body in _every_path(base, flow["id"], step["id"], function["id"]):
        response = await client.request(method, path, json=body, headers=intruder)
        assert_error(response, "PROJECT_NOT_FOUND")
        assert "Private" not in response.text and "Secret" not in response.text

    assert await flows(client, admin, base) == [flow]
    assert (await client.get(f"{base}/flows/{flow['id']}/steps/{step['id']}", headers=admin)).json() == step
    got = await client.get(f"{base}/flows/{flow['id']}/functions/{function['id']}", headers=admin)
    assert got.json() == function


async def test_the_guide_example_merges(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], agent: str, base: str, branch: str
) -> None:
    """docs/flows.md's example, end to end: every step compiles, so the merge succeeds."""
    await add_entities(app, branch, "full_name")
    flow = await new_flow(client, admin, base, "IDNV")
    code = (
        "def confirm_identity(conv, flow, date_of_birth: str):\n"
        "    conv.state.dob = date_of_birth\n"
        '    flow.goto_step("Done")\n'
    )
    function = await new_function(client, admin, base, flow["id"], "confirm_identity", code)
    assert function["parameters"] == [{"name": "date_of_birth", "type": "str", "required": True}]
    await new_step(client, admin, base, flow["id"], name="Done", prompt="Thank the caller.")
    await new_step(
        client,
        admin,
        base,
        flow["id"],
        name="Check DOB",
        prompt="Ask for the date of birth, then call {{ft:confirm_identity}}.",
    )
    entry = 'def idnv_entry(conv, flow):\n    flow.goto_step("Collect Name")\n'
    await new_step(client, admin, base, flow["id"], name="IDNV Entry", stepType="function", code=entry)
    await new_step(
        client,
        admin,
        base,
        flow["id"],
        name="Collect Name",
        stepType="default",
        prompt="Ask for the caller's full name.",
        extractedEntities=["full_name"],
        conditions=[
            {
                "name": "Got name",
                "conditionType": "step",
                "description": "A name was given.",
                "childStep": "Check DOB",
                "requiredEntities": ["full_name"],
            },
            {"name": "Refused", "conditionType": "exit_flow", "description": "The caller will not say."},
        ],
    )
    started = await client.patch(
        f"{base}/flows/{flow['id']}", json={"startStep": "IDNV Entry"}, headers=admin
    )
    assert started.status_code == 200, started.text
    merged = await client.post(f"/v1/agents/{agent}/branches/{branch}/merge", json={}, headers=admin)
    assert merged.status_code == 200, merged.text
    main = f"/v1/agents/{agent}/branches/main/flows/{flow['id']}/steps"
    listed = (await client.get(main, headers=admin)).json()["steps"]
    # Sorted: a merge does not keep creation order in main (it lists by id).
    assert sorted(s["name"] for s in listed) == ["Check DOB", "Collect Name", "Done", "IDNV Entry"]
