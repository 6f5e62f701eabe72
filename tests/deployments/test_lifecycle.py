"""sandbox -> pre-release -> live: publish, promote, rollback, every Deployments code."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from parley.branches import kinds
from parley.branches.store import ResourceKind, ResourceStore
from parley.errors import FunctionNameAlreadyExists, FunctionNotFound
from tests.support.envelope import assert_error
from tests.support.factories import account_admin, create_agent, create_key, key_header

AGENT = "hotel"
BASE = f"/v1/agents/{AGENT}/deployments"
DEPLOYMENT_KEYS = {
    "id",
    "accountId",
    "agentId",
    "environment",
    "artifactVersion",
    "version",
    "createdBy",
    "createdAt",
    "metadata",
}


@pytest.fixture(autouse=True)
async def agent(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    await create_agent(client, admin, "default", AGENT)


async def change_main(client: httpx.AsyncClient, admin: dict[str, str], behavior: str) -> None:
    """Edit main through a branch merge (which also publishes to sandbox)."""
    response = await client.post(
        f"/v1/agents/{AGENT}/branches", json={"branchName": behavior[:50]}, headers=admin
    )
    branch = response.json()["branchId"]
    await client.patch(
        f"/v1/agents/{AGENT}/branches/{branch}/behavior", json={"behavior": behavior}, headers=admin
    )
    merged = await client.post(f"/v1/agents/{AGENT}/branches/{branch}/merge", json={}, headers=admin)
    assert merged.status_code == 200, merged.text


async def publish(client: httpx.AsyncClient, admin: dict[str, str], **body: Any) -> httpx.Response:
    return await client.post(f"{BASE}/publish", json=body, headers=admin)


async def active(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, Any]:
    response = await client.get(f"{BASE}/active", headers=admin)
    assert response.status_code == 200
    result: dict[str, Any] = response.json()["activeDeployments"]
    return result


async def test_full_lifecycle(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    assert await active(client, admin) == {"sandbox": None, "pre-release": None, "live": None}
    response = await publish(client, admin, deploymentMessage="first cut")
    assert response.status_code == 201, response.text
    sandbox = response.json()["deployment"]
    assert set(sandbox) == DEPLOYMENT_KEYS and response.json()["testRunIds"] == []
    assert (
        sandbox["environment"] == "sandbox"
        and sandbox["agentId"] == AGENT
        and sandbox["accountId"] == "default"
    )
    assert sandbox["metadata"]["deployment_message"] == "first cut"
    assert sandbox["createdBy"] == "admin@default.local" and sandbox["artifactVersion"] == "1"
    assert len(sandbox["version"]) == 64

    response = await client.post(f"{BASE}/{sandbox['id']}/promote", json={}, headers=admin)
    assert response.status_code == 200, response.text
    pre = response.json()["deployment"]
    assert (
        pre["environment"] == "pre-release"
        and pre["version"] == sandbox["version"]
        and pre["id"] != sandbox["id"]
    )

    response = await client.post(
        f"{BASE}/{pre['id']}/promote", json={"targetEnvironment": "live"}, headers=admin
    )
    assert response.status_code == 200
    live = response.json()["deployment"]
    assert live["environment"] == "live" and live["version"] == sandbox["version"]

    now = await active(client, admin)
    assert {env: d["id"] for env, d in now.items()} == {
        "sandbox": sandbox["id"],
        "pre-release": pre["id"],
        "live": live["id"],
    }


async def test_publish_unchanged_main_is_409(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    first = await publish(client, admin)
    assert first.status_code == 201
    error = assert_error(await publish(client, admin), "DEPLOYMENTS_ALREADY_PUBLISHED")
    assert error["data"]["deploymentId"] == first.json()["deployment"]["id"]
    await change_main(client, admin, "Changed")  # merge publishes the new version to sandbox
    assert_error(await publish(client, admin, environment="sandbox"), "DEPLOYMENTS_ALREADY_PUBLISHED")
    assert (await publish(client, admin, environment="pre-release")).status_code == 201


@pytest.mark.parametrize("environment", ["production", "LIVE", "", "draft", "sandbox; DROP TABLE deployment"])
async def test_invalid_environment(
    client: httpx.AsyncClient, admin: dict[str, str], environment: str
) -> None:
    assert_error(await publish(client, admin, environment=environment), "DEPLOYMENTS_INVALID_ENVIRONMENT")
    response = await client.get(BASE, params={"environment": environment}, headers=admin)
    assert_error(response, "DEPLOYMENTS_INVALID_ENVIRONMENT")


async def test_list_needs_an_environment(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    assert_error(await client.get(BASE, headers=admin), "DEPLOYMENTS_INVALID_ENVIRONMENT")
    assert_error(
        await client.get(BASE, params={"environment": "sandbox", "limit": 0}, headers=admin),
        "DEPLOYMENTS_VALIDATION_FAILED",
    )


async def test_live_requires_pre_release(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    assert_error(await publish(client, admin, environment="live"), "ErrPreReleaseNotReady")
    sandbox = (await publish(client, admin)).json()["deployment"]
    response = await client.post(
        f"{BASE}/{sandbox['id']}/promote", json={"targetEnvironment": "live"}, headers=admin
    )
    assert_error(response, "ErrPreReleaseNotReady")
    assert (await active(client, admin))["live"] is None
    # Once the version ran in pre-release, publishing it straight to live is allowed.
    await client.post(f"{BASE}/{sandbox['id']}/promote", json={}, headers=admin)
    assert (await publish(client, admin, environment="live")).status_code == 201


async def test_promote_to_earlier_or_equal_stage(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    sandbox = (await publish(client, admin)).json()["deployment"]
    pre = (await client.post(f"{BASE}/{sandbox['id']}/promote", headers=admin)).json()["deployment"]
    response = await client.post(
        f"{BASE}/{pre['id']}/promote", json={"targetEnvironment": "pre-release"}, headers=admin
    )
    assert_error(response, "DEPLOYMENTS_VALIDATION_FAILED")
    response = await client.post(
        f"{BASE}/{pre['id']}/promote", json={"targetEnvironment": "sandbox"}, headers=admin
    )
    assert_error(response, "DEPLOYMENTS_VALIDATION_FAILED")
    live = (await client.post(f"{BASE}/{pre['id']}/promote", headers=admin)).json()["deployment"]
    assert_error(
        await client.post(f"{BASE}/{live['id']}/promote", headers=admin), "DEPLOYMENTS_VALIDATION_FAILED"
    )


async def test_promote_same_version_again_is_a_200_notice(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    sandbox = (await publish(client, admin)).json()["deployment"]
    first = (await client.post(f"{BASE}/{sandbox['id']}/promote", headers=admin)).json()["deployment"]
    again = await client.post(f"{BASE}/{sandbox['id']}/promote", headers=admin)
    assert again.status_code == 200
    assert again.json()["deployment"]["id"] == first["id"]
    assert again.json()["notice"]["code"] == "DEPLOYMENTS_ENVIRONMENT_ALREADY_PUBLISHED"
    assert again.json()["notice"]["id"] == 6002
    history = (await client.get(BASE, params={"environment": "pre-release"}, headers=admin)).json()[
        "deployments"
    ]
    assert len(history) == 1


async def test_precedence_stage_then_pre_release_then_idempotent(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    sandbox = (await publish(client, admin)).json()["deployment"]
    to_live = {"targetEnvironment": "live"}
    # A later stage, but the version never ran in pre-release: 412.
    assert_error(
        await client.post(f"{BASE}/{sandbox['id']}/promote", json=to_live, headers=admin),
        "ErrPreReleaseNotReady",
    )
    pre = (await client.post(f"{BASE}/{sandbox['id']}/promote", headers=admin)).json()["deployment"]
    live = (await client.post(f"{BASE}/{pre['id']}/promote", headers=admin)).json()["deployment"]
    # Now live runs it: promoting the sandbox deployment again is the idempotent 200.
    again = await client.post(f"{BASE}/{sandbox['id']}/promote", json=to_live, headers=admin)
    assert again.status_code == 200 and again.json()["notice"]["id"] == 6002
    # From live there is no later stage: 400 wins although live already runs this version.
    assert_error(
        await client.post(f"{BASE}/{live['id']}/promote", json=to_live, headers=admin),
        "DEPLOYMENTS_VALIDATION_FAILED",
    )


async def test_unknown_deployment(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    for action in ("promote", "rollback"):
        assert_error(await client.post(f"{BASE}/nope/{action}", headers=admin), "DEPLOYMENT_NOT_FOUND")


async def test_rollback(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    first = (await publish(client, admin)).json()["deployment"]
    await change_main(client, admin, "Second version")
    second = (await active(client, admin))["sandbox"]
    assert second["version"] != first["version"]
    response = await client.post(
        f"{BASE}/{first['id']}/rollback", json={"deploymentMessage": "oops"}, headers=admin
    )
    assert response.status_code == 200, response.text
    rolled = response.json()["deployment"]
    assert rolled["version"] == first["version"] and rolled["id"] not in (first["id"], second["id"])
    assert rolled["metadata"]["rolledBackFrom"] == second["id"]
    assert rolled["metadata"]["deployment_message"] == "oops"
    assert (await active(client, admin))["sandbox"]["id"] == rolled["id"]
    history = (await client.get(BASE, params={"environment": "sandbox"}, headers=admin)).json()["deployments"]
    assert [d["id"] for d in history] == [rolled["id"], second["id"], first["id"]]
    limited = (await client.get(BASE, params={"environment": "sandbox", "limit": 1}, headers=admin)).json()
    assert [d["id"] for d in limited["deployments"]] == [rolled["id"]]
    again = await client.post(f"{BASE}/{first['id']}/rollback", headers=admin)
    assert again.status_code == 200 and again.json()["notice"]["id"] == 6002


async def test_artifacts_are_immutable(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await change_main(client, admin, "Version one")
    deployed = (await active(client, admin))["sandbox"]
    branch = (
        await client.post(f"/v1/agents/{AGENT}/branches", json={"branchName": "b"}, headers=admin)
    ).json()
    await client.patch(
        f"/v1/agents/{AGENT}/branches/{branch['branchId']}/behavior",
        json={"behavior": "Edited"},
        headers=admin,
    )
    async with app.state.sessionmaker() as session:
        loaded = await app.state.artifacts.active(session, AGENT, "sandbox")
    assert loaded is not None
    assert loaded[0].id == deployed["id"] and loaded[1]["behavior"] == "Version one"


async def test_compile_errors_block_publish_and_merge(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    branch = (
        await client.post(f"/v1/agents/{AGENT}/branches", json={"branchName": "bad"}, headers=admin)
    ).json()
    branch_id = branch["branchId"]
    functions = ResourceKind(
        kinds.FUNCTION, "FUNCTION", "Function", FunctionNotFound, FunctionNameAlreadyExists
    )
    async with app.state.sessionmaker() as session:
        store = ResourceStore(session, branch_id, functions)
        await store.create({"name": "broken", "code": "def broken(conv):\n    return (\n"})
        await store.create({"name": "jumper", "code": "def jumper(conv):\n    conv.goto_flow('Nowhere')\n"})
        await session.commit()
    await client.patch(
        f"/v1/agents/{AGENT}/branches/{branch_id}/behavior",
        json={"behavior": "Use {{fn:missing_fn}}"},
        headers=admin,
    )
    response = await client.post(f"/v1/agents/{AGENT}/branches/{branch_id}/merge", headers=admin)
    error = assert_error(response, "FUNCTIONS_DEPLOYMENT_HAS_ERRORS")
    paths = sorted(e["path"] for e in error["data"]["errors"])
    assert paths == ["behavior", "functions/broken", "functions/jumper"]
    broken = next(e for e in error["data"]["errors"] if e["path"] == "functions/broken")
    assert broken["details"]["line"] == 2
    # Nothing was merged or deployed.
    assert (await client.get(f"/v1/agents/{AGENT}/branches/main/behavior", headers=admin)).json()[
        "behavior"
    ] == ""
    assert (await active(client, admin))["sandbox"] is None


async def test_roles_and_tenancy(
    client: httpx.AsyncClient, admin: dict[str, str], operator: dict[str, str]
) -> None:
    sandbox = (await publish(client, admin)).json()["deployment"]
    viewer = key_header((await create_key(client, admin, "default", "viewer"))["key"])
    assert (await client.get(f"{BASE}/active", headers=viewer)).status_code == 200
    assert_error(await publish(client, viewer), "USER_ACCESS_FORBIDDEN")
    assert_error(
        await client.post(f"{BASE}/{sandbox['id']}/promote", headers=viewer), "USER_ACCESS_FORBIDDEN"
    )
    intruder = await account_admin(client, operator, "intruder")
    for method, path in [
        ("GET", f"{BASE}/active"),
        ("GET", f"{BASE}?environment=sandbox"),
        ("POST", f"{BASE}/publish"),
        ("POST", f"{BASE}/{sandbox['id']}/promote"),
        ("POST", f"{BASE}/{sandbox['id']}/rollback"),
    ]:
        assert_error(await client.request(method, path, headers=intruder), "PROJECT_NOT_FOUND")


async def test_body_validation(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    sandbox = (await publish(client, admin)).json()["deployment"]
    for body in ({"targetEnvironment": "staging"}, {"deploymentMessage": 5}, {"unknown": 1}):
        response = await client.post(f"{BASE}/{sandbox['id']}/promote", json=body, headers=admin)
        assert_error(response, "DEPLOYMENTS_VALIDATION_FAILED")
    response = await client.post(f"{BASE}/{sandbox['id']}/rollback", json={"x": 1}, headers=admin)
    assert_error(response, "DEPLOYMENTS_VALIDATION_FAILED")
    response = await client.post(
        f"{BASE}/publish", headers={**admin, "content-type": "application/json"}, content=b"{not json"
    )
    assert_error(response, "DEPLOYMENTS_VALIDATION_FAILED")
