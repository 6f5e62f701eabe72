"""Branches: copies of main, main read-only, three-way merge with conflicts and resolutions."""

from __future__ import annotations

import httpx
import pytest

from tests.support.envelope import assert_error
from tests.support.factories import account_admin, create_agent, create_key, key_header


@pytest.fixture
async def agent(client: httpx.AsyncClient, admin: dict[str, str]) -> str:
    await create_agent(client, admin, "default", "hotel")
    return "hotel"


async def new_branch(client: httpx.AsyncClient, headers: dict[str, str], agent: str, name: str) -> str:
    response = await client.post(f"/v1/agents/{agent}/branches", json={"branchName": name}, headers=headers)
    assert response.status_code == 201, response.text
    branch_id: str = response.json()["branchId"]
    return branch_id


async def set_behavior(
    client: httpx.AsyncClient, headers: dict[str, str], agent: str, branch: str, text: str
) -> httpx.Response:
    return await client.patch(
        f"/v1/agents/{agent}/branches/{branch}/behavior", json={"behavior": text}, headers=headers
    )


async def behavior(client: httpx.AsyncClient, headers: dict[str, str], agent: str, branch: str) -> str:
    response = await client.get(f"/v1/agents/{agent}/branches/{branch}/behavior", headers=headers)
    assert response.status_code == 200, response.text
    text: str = response.json()["behavior"]
    return text


async def test_create_list_delete(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> None:
    response = await client.post(
        f"/v1/agents/{agent}/branches", json={"branchName": "feature"}, headers=admin
    )
    assert response.status_code == 201
    created = response.json()
    assert set(created) == {"branchId", "sequenceId"} and created["branchId"].startswith("BRANCH-")
    listed = (await client.get(f"/v1/agents/{agent}/branches", headers=admin)).json()["branches"]
    assert [b["branchId"] for b in listed] == ["main", created["branchId"]]
    assert listed[0]["isMain"] is True and listed[1]["name"] == "feature"
    deleted = await client.delete(f"/v1/agents/{agent}/branches/{created['branchId']}", headers=admin)
    assert deleted.status_code == 200 and set(deleted.json()) == {"sequence", "message"}
    assert int(deleted.json()["sequence"]) > int(created["sequenceId"])
    assert_error(
        await client.delete(f"/v1/agents/{agent}/branches/{created['branchId']}", headers=admin),
        "BRANCH_NOT_FOUND",
    )
    agents = (await client.get("/v1/accounts/default/agents", headers=admin)).json()
    assert agents[0]["branchCount"] == 1


async def test_branch_names_are_unique(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> None:
    await new_branch(client, admin, agent, "feature")
    for name in ("feature", "main"):
        response = await client.post(f"/v1/agents/{agent}/branches", json={"branchName": name}, headers=admin)
        assert_error(response, "BRANCH_NAME_ALREADY_EXISTS")
    for body in ({}, {"branchName": ""}, {"branchName": "x" * 101}, {"branchName": 3}):
        response = await client.post(f"/v1/agents/{agent}/branches", json=body, headers=admin)
        assert_error(response, "SCHEMA_VALIDATION_FAILED")


async def test_main_is_read_only(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> None:
    assert_error(await set_behavior(client, admin, agent, "main", "Be nice."), "BRANCH_MAIN_READ_ONLY")
    assert_error(
        await client.delete(f"/v1/agents/{agent}/branches/main", headers=admin), "BRANCH_MAIN_READ_ONLY"
    )
    assert_error(
        await client.post(f"/v1/agents/{agent}/branches/main/merge", headers=admin), "BRANCH_MAIN_READ_ONLY"
    )
    assert await behavior(client, admin, agent, "main") == ""


async def test_unknown_branch_and_agent(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> None:
    assert_error(
        await client.get(f"/v1/agents/{agent}/branches/BRANCH-NOPE/behavior", headers=admin),
        "BRANCH_NOT_FOUND",
    )
    assert_error(await set_behavior(client, admin, agent, "BRANCH-NOPE", "x"), "BRANCH_NOT_FOUND")
    assert_error(await client.get("/v1/agents/ghost/branches", headers=admin), "PROJECT_NOT_FOUND")
    assert_error(
        await client.get("/v1/agents/ghost/branches/main/behavior", headers=admin), "PROJECT_NOT_FOUND"
    )


async def test_edit_then_merge_updates_main(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    branch = await new_branch(client, admin, agent, "rules")
    response = await set_behavior(client, admin, agent, branch, "Always greet guests warmly. 🙂")
    assert response.status_code == 200 and response.json() == {"behavior": "Always greet guests warmly. 🙂"}
    assert await behavior(client, admin, agent, "main") == ""
    merged = await client.post(f"/v1/agents/{agent}/branches/{branch}/merge", json={}, headers=admin)
    assert merged.status_code == 200, merged.text
    assert set(merged.json()) == {"sequence", "message", "testRunIds"} and merged.json()["testRunIds"] == []
    assert await behavior(client, admin, agent, "main") == "Always greet guests warmly. 🙂"
    # A merged branch is closed.
    assert_error(
        await client.get(f"/v1/agents/{agent}/branches/{branch}/behavior", headers=admin), "BRANCH_NOT_FOUND"
    )


async def test_new_branch_starts_from_current_main(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    first = await new_branch(client, admin, agent, "one")
    await set_behavior(client, admin, agent, first, "Version one")
    await client.post(f"/v1/agents/{agent}/branches/{first}/merge", headers=admin)
    second = await new_branch(client, admin, agent, "two")
    assert await behavior(client, admin, agent, second) == "Version one"


async def test_conflicting_edits_are_reported_then_resolved(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    left = await new_branch(client, admin, agent, "left")
    right = await new_branch(client, admin, agent, "right")
    await set_behavior(client, admin, agent, left, "Left rules")
    await set_behavior(client, admin, agent, right, "Right rules")
    assert (await client.post(f"/v1/agents/{agent}/branches/{left}/merge", headers=admin)).status_code == 200

    response = await client.post(f"/v1/agents/{agent}/branches/{right}/merge", headers=admin)
    error = assert_error(response, "BRANCH_MERGE_CONFLICT")
    assert error["data"]["conflicts"] == [
        {
            "path": ["behavior", "behavior", "behavior"],
            "base": None,
            "ours": "Right rules",
            "theirs": "Left rules",
        }
    ]
    assert await behavior(client, admin, agent, "main") == "Left rules"

    resolution = {
        "conflictResolutions": [{"path": ["behavior", "behavior", "behavior"], "strategy": "theirs"}]
    }
    response = await client.post(f"/v1/agents/{agent}/branches/{right}/merge", json=resolution, headers=admin)
    assert response.status_code == 200, response.text
    assert await behavior(client, admin, agent, "main") == "Left rules"


async def test_resolution_with_explicit_value(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    left = await new_branch(client, admin, agent, "left")
    right = await new_branch(client, admin, agent, "right")
    await set_behavior(client, admin, agent, left, "Left")
    await set_behavior(client, admin, agent, right, "Right")
    await client.post(f"/v1/agents/{agent}/branches/{left}/merge", headers=admin)
    body = {
        "conflictResolutions": [
            {"path": ["behavior", "behavior", "behavior"], "strategy": "ours", "value": "Both, combined"}
        ]
    }
    assert (
        await client.post(f"/v1/agents/{agent}/branches/{right}/merge", json=body, headers=admin)
    ).status_code == 200
    assert await behavior(client, admin, agent, "main") == "Both, combined"


async def test_merge_body_validation(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> None:
    branch = await new_branch(client, admin, agent, "b")
    for body in (
        {"conflictResolutions": [{"path": ["x"], "strategy": "ours"}]},
        {"conflictResolutions": [{"path": ["a", "b"], "strategy": "mine"}]},
        {"unknown": True},
    ):
        response = await client.post(f"/v1/agents/{agent}/branches/{branch}/merge", json=body, headers=admin)
        assert_error(response, "SCHEMA_VALIDATION_FAILED")


async def test_roles(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> None:
    viewer = key_header((await create_key(client, admin, "default", "viewer"))["key"])
    external = key_header((await create_key(client, admin, "default", "external"))["key"])
    assert (await client.get(f"/v1/agents/{agent}/branches", headers=viewer)).status_code == 200
    response = await client.post(f"/v1/agents/{agent}/branches", json={"branchName": "v"}, headers=viewer)
    assert_error(response, "USER_ACCESS_FORBIDDEN")
    assert_error(
        await client.get(f"/v1/agents/{agent}/branches", headers=external), "EXTERNAL_USER_FORBIDDEN"
    )
    branch = await new_branch(client, admin, agent, "b")
    assert_error(await set_behavior(client, viewer, agent, branch, "x"), "USER_ACCESS_FORBIDDEN")
    assert_error(
        await client.post(f"/v1/agents/{agent}/branches/{branch}/merge", headers=viewer),
        "USER_ACCESS_FORBIDDEN",
    )


async def test_other_tenant_cannot_see_branches(
    client: httpx.AsyncClient, admin: dict[str, str], operator: dict[str, str], agent: str
) -> None:
    branch = await new_branch(client, admin, agent, "secret")
    intruder = await account_admin(client, operator, "intruder")
    for method, path in [
        ("GET", f"/v1/agents/{agent}/branches"),
        ("POST", f"/v1/agents/{agent}/branches"),
        ("DELETE", f"/v1/agents/{agent}/branches/{branch}"),
        ("POST", f"/v1/agents/{agent}/branches/{branch}/merge"),
        ("GET", f"/v1/agents/{agent}/branches/{branch}/behavior"),
        ("PATCH", f"/v1/agents/{agent}/branches/{branch}/behavior"),
    ]:
        body = {"branchName": "x"} if method == "POST" and path.endswith("branches") else None
        if method == "PATCH":
            body = {"behavior": "stolen"}
        assert_error(await client.request(method, path, json=body, headers=intruder), "PROJECT_NOT_FOUND")


async def test_duplicate_agent_copies_main(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    branch = await new_branch(client, admin, agent, "b")
    await set_behavior(client, admin, agent, branch, "Original rules")
    await client.post(f"/v1/agents/{agent}/branches/{branch}/merge", headers=admin)
    response = await client.post(
        f"/v1/agents/{agent}/duplicate",
        json={"newAgentName": "Copy", "newAgentId": "hotel-copy"},
        headers=admin,
    )
    assert response.status_code == 200
    assert await behavior(client, admin, "hotel-copy", "main") == "Original rules"
