"""Test runs: trigger precedence, background execution, results, timeouts, restarts, settings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from parley.config import Settings
from parley.kit.db import utcnow
from parley.models import Conversation, TestResult, TestRun
from parley.testing.repository import TestRunRepository
from tests.conftest import started_app
from tests.support.envelope import assert_error
from tests.testing.conftest import AGENT, scripted

RUNS = "/v1/agents/{}/testing/test-runs"


async def new_branch(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> str:
    response = await client.post(f"/v1/agents/{agent}/branches", json={"branchName": "qa"}, headers=admin)
    assert response.status_code == 201, response.text
    branch_id: str = response.json()["branchId"]
    return branch_id


async def add_case(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str, case: dict[str, Any]
) -> str:
    response = await client.post(f"/v1/agents/{agent}/branches/{branch}/test-cases", json=case, headers=admin)
    assert response.status_code == 201, response.text
    case_id: str = response.json()["id"]
    return case_id


async def trigger(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, **body: Any
) -> dict[str, Any]:
    response = await client.post(RUNS.format(agent) + "/trigger", json=body, headers=admin)
    assert response.status_code == 202, response.text
    run: dict[str, Any] = response.json()
    assert run["status"] == "pending" and run["results"] is None
    return run


async def finished(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], agent: str, run_id: str
) -> dict[str, Any]:
    await app.state.test_runner.idle()
    response = await client.get(RUNS.format(agent) + f"/{run_id}", headers=admin)
    assert response.status_code == 200, response.text
    run: dict[str, Any] = response.json()
    assert run["status"] not in ("pending", "in_progress"), run
    return run


DEMO_CASES: list[dict[str, Any]] = [
    scripted("QA breakfast in London"),
    scripted(
        "QA breakfast in Edinburgh",
        integrationAttributes={"site": "Edinburgh"},
        userTurns=["when is breakfast served"],
        responseAssertions=[
            {"turn": 0, "type": "contains", "value": "Edinburgh"},
            {"turn": 1, "type": "regex", "value": r"from \d+am to \d+am"},
            {"type": "not_contains", "value": "London"},
        ],
    ),
    {
        "name": "QA book a table",
        "scenario": "A guest books a table for four.",
        "userTurns": ["I'd like to book a table", "four of us", "2027-03-14", "7:30pm", "yes please"],
        "responseAssertions": [{"turn": 5, "type": "contains", "value": "Your table is booked"}],
        "functionCallAssertions": [
            {"name": "start_table_booking"},
            {"name": "finish_booking"},
        ],
    },
]


async def test_demo_cases_pass_on_a_draft(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], demo: str
) -> None:
    branch = await new_branch(client, admin, demo)
    ids = [await add_case(client, admin, demo, branch, case) for case in DEMO_CASES]
    needs_model = await add_case(
        client, admin, demo, branch, scripted("Judged", promptAssertions=["The agent is warm."])
    )
    simulated = await add_case(
        client, admin, demo, branch, {"name": "Simulated", "scenario": "Ask about pets."}
    )
    run = await trigger(client, admin, demo, branchId=branch, testCaseIds=[*ids, needs_model, simulated])
    assert run["environment"] == "draft" and run["branchId"] == branch and run["trigger"] == "manual"
    assert run["testCaseIds"] == [*ids, needs_model, simulated] and run["testCaseCount"] == 5
    done = await finished(app, client, admin, demo, run["id"])
    by_name = {r["name"]: r for r in done["results"]}
    for case in DEMO_CASES:
        assert by_name[case["name"]]["status"] == "passed", by_name[case["name"]]
    for name in ("Judged", "Simulated"):
        assert by_name[name]["status"] == "errored"
        assert "needs a model provider" in by_name[name]["reason"]
    assert (done["passedCount"], done["failedCount"], done["errorCount"], done["timedOutCount"]) == (
        3,
        0,
        2,
        0,
    )
    assert done["status"] == "errored"
    booking = by_name["QA book a table"]
    turns = booking["rawConversation"]["turns"]
    assert [t["userInput"] for t in turns] == ["", *DEMO_CASES[2]["userTurns"]]
    assert any(c["name"] == "finish_booking" for t in turns for c in t["functionCalls"])
    assert booking["functionCallFailures"] == [] and booking["durationMs"] >= 0
    # Test conversations are real conversations, marked as tests.
    async with app.state.sessionmaker() as session:
        stored = await session.get(Conversation, booking["conversationId"])
    assert stored is not None and stored.source == "test" and stored.environment == "draft"
    assert stored.turn_count == len(turns)

    # Only some cases, in the order asked for.
    subset = await trigger(client, admin, demo, branchId=branch, testCaseIds=[ids[2], ids[0], ids[2]])
    assert subset["testCaseIds"] == [ids[2], ids[0]]
    assert (await finished(app, client, admin, demo, subset["id"]))["status"] == "passed"

    listed = (await client.get(RUNS.format(demo), headers=admin)).json()["testRuns"]
    assert [r["id"] for r in listed] == [subset["id"], run["id"]]
    assert all(r["results"] is None for r in listed)
    only_passed = await client.get(RUNS.format(demo), params={"status": "passed", "limit": 1}, headers=admin)
    assert [r["id"] for r in only_passed.json()["testRuns"]] == [subset["id"]]


async def test_a_broken_function_fails_the_right_cases(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], demo: str
) -> None:
    branch = await new_branch(client, admin, demo)
    base = f"/v1/agents/{demo}/branches/{branch}"
    directions = {
        "name": "Directions",
        "userTurns": ["what is your address"],
        "functionCallAssertions": [{"name": "send_directions"}],
        "responseAssertions": [{"turn": 1, "type": "contains", "value": "text you our address"}],
    }
    await add_case(client, admin, demo, branch, directions)
    await add_case(client, admin, demo, branch, scripted("QA breakfast"))
    functions = (await client.get(f"{base}/functions", headers=admin)).json()["functions"]
    send = next(f for f in functions if f["name"] == "send_directions")
    broken = (
        "def send_directions(conv):\n"
        "    conv.state.site = conv.variant.site_name\n"
        "    conv.state.address = conv.variant.address\n"
        "    return conv.variant.address.nope()\n"
    )
    response = await client.patch(f"{base}/functions/{send['id']}", json={"code": broken}, headers=admin)
    assert response.status_code == 200, response.text

    done = await finished(
        app, client, admin, demo, (await trigger(client, admin, demo, branchId=branch))["id"]
    )
    assert done["status"] == "failed", [r["reason"] for r in done["results"]]
    by_name = {r["name"]: r for r in done["results"]}
    # The demo's own cases run too: exactly the two that use the function fail.
    assert {n for n, r in by_name.items() if r["status"] != "passed"} == {"Directions", "Directions by text"}
    assert (done["passedCount"], done["failedCount"]) == (done["testCaseCount"] - 2, 2)
    failed = by_name["Directions"]
    assert failed["status"] == "failed"
    assert failed["reason"].startswith("function call: send_directions was called but failed: AttributeError")
    assert failed["functionCallFailures"][0]["name"] == "send_directions"
    assert "AttributeError" in failed["functionCallFailures"][0]["error"]
    assert "/work" not in failed["reason"] and "Traceback" not in failed["reason"]


async def test_response_and_argument_assertions_fail_readably(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], demo: str
) -> None:
    branch = await new_branch(client, admin, demo)
    case = {
        "name": "Wrong expectations",
        "userTurns": ["What time is breakfast?"],
        "responseAssertions": [
            {"turn": 1, "type": "contains", "value": "midnight"},
            {"type": "not_contains", "value": "BREAKFAST"},
            {"type": "contains", "value": "BREAKFAST", "caseSensitive": True},
        ],
        "functionCallAssertions": [
            {"name": "start_function", "arguments": [{"parameterName": "site", "expectedValue": "x"}]},
            {"name": "send_directions"},
        ],
    }
    case_id = await add_case(client, admin, demo, branch, case)
    run = await trigger(client, admin, demo, branchId=branch, testCaseIds=[case_id])
    done = await finished(app, client, admin, demo, run["id"])
    result = done["results"][0]
    assert result["status"] == "failed"
    assert [r["isPass"] for r in result["responseAssertionResults"]] == [False, False, False]
    assert "reply 1 does not contain 'midnight'" in result["responseAssertionResults"][0]["reason"]
    failures = {f["name"]: f["failureReason"] for f in result["functionCallFailures"]}
    assert "site='<missing>'" in failures["start_function"]
    assert failures["send_directions"].startswith("send_directions was never called")


async def test_trigger_precedence_and_errors(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    branch: str,
    viewer: dict[str, str],
    external: dict[str, str],
    intruder: dict[str, str],
) -> None:
    runs = RUNS.format(AGENT)
    # No test cases in main (the default branch): NoTestCasesHttp, even with ids given.
    assert_error(await client.post(runs + "/trigger", json={}, headers=admin), "NoTestCasesHttp")
    assert_error(await client.post(runs + "/trigger", headers=admin), "NoTestCasesHttp")
    assert_error(
        await client.post(runs + "/trigger", json={"testCaseIds": ["TEST_CASE-X"]}, headers=admin),
        "NoTestCasesHttp",
    )
    assert_error(
        await client.post(runs + "/trigger", json={"branchId": branch}, headers=admin), "NoTestCasesHttp"
    )
    known = await add_case(client, admin, AGENT, branch, scripted("Known"))
    error = assert_error(
        await client.post(
            runs + "/trigger",
            json={"branchId": branch, "testCaseIds": [known, "TEST_CASE-NOPE", "'; DROP TABLE test_run;--"]},
            headers=admin,
        ),
        "MissingTestCasesHttp",
    )
    assert error["data"] == {"missingIds": ["TEST_CASE-NOPE", "'; DROP TABLE test_run;--"]}
    assert_error(
        await client.post(runs + "/trigger", json={"branchId": "BRANCH-NOPE"}, headers=admin),
        "BRANCH_NOT_FOUND",
    )
    # Nothing deployed to the environment asked for.
    assert_error(
        await client.post(runs + "/trigger", json={"branchId": branch, "environment": "live"}, headers=admin),
        "CHAT_DRAFT_NOT_EXIST",
    )
    for body in (
        {"environment": "production"},
        {"testCaseIds": "TEST_CASE-X"},
        {"testCaseIds": [1]},
        {"branchId": ""},
        {"branchId": "x" * 101},
        {"other": 1},
    ):
        assert_error(
            await client.post(runs + "/trigger", json=body, headers=admin), "SCHEMA_VALIDATION_FAILED"
        )
    assert_error(
        await client.post(runs + "/trigger", json={"branchId": branch}, headers=viewer),
        "USER_ACCESS_FORBIDDEN",
    )
    assert_error(await client.post(runs + "/trigger", json={}, headers=external), "EXTERNAL_USER_FORBIDDEN")
    assert_error(await client.get(runs + "/NOPE", headers=admin), "TEST_RUN_NOT_FOUND")
    assert_error(
        await client.get(runs, params={"status": "stuck"}, headers=admin), "SCHEMA_VALIDATION_FAILED"
    )
    assert_error(await client.get(runs, params={"limit": 0}, headers=admin), "SCHEMA_VALIDATION_FAILED")
    assert (await client.get(runs, headers=admin)).json() == {"testRuns": []}  # nothing half-written
    run = await trigger(client, admin, AGENT, branchId=branch)
    assert (await client.get(runs + f"/{run['id']}", headers=viewer)).status_code == 200
    for method, url in (
        ("POST", runs + "/trigger"),
        ("GET", runs),
        ("GET", runs + f"/{run['id']}"),
        ("GET", f"/v1/agents/{AGENT}/testing/settings"),
        ("PATCH", f"/v1/agents/{AGENT}/testing/settings"),
    ):
        body = {"branchId": branch} if method == "POST" else ({} if method == "PATCH" else None)
        assert_error(await client.request(method, url, json=body, headers=intruder), "PROJECT_NOT_FOUND")
    assert_error(await client.get(RUNS.format("no-such-agent"), headers=admin), "PROJECT_NOT_FOUND")


async def test_environment_runs_and_timeouts(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], demo: str
) -> None:
    # The demo ships test cases on main and runs everywhere.
    live = await trigger(client, admin, demo, environment="live")
    assert live["environment"] == "live" and live["deploymentId"] and live["branchId"] == "main"
    done = await finished(app, client, admin, demo, live["id"])
    assert done["status"] == "passed", [r["reason"] for r in done["results"] if r["status"] != "passed"]
    assert (
        done["version"]
        == (await client.get(f"/v1/agents/{demo}/deployments/active", headers=admin)).json()[
            "activeDeployments"
        ]["live"]["version"]
    )

    app.state.test_runner.settings.case_timeout_seconds = 0.001
    slow = await finished(app, client, admin, demo, (await trigger(client, admin, demo))["id"])
    assert slow["status"] == "timed_out" and slow["timedOutCount"] == slow["testCaseCount"]
    assert "did not finish within" in slow["results"][0]["reason"]


async def mark_interrupted(app: FastAPI, run_id: str, *, attempts: int) -> None:
    async with app.state.sessionmaker() as session:
        await session.execute(
            update(TestRun)
            .where(TestRun.id == run_id)
            .values(
                status="in_progress",
                claimed_by="dead-worker",
                heartbeat_at=utcnow() - timedelta(hours=1),
                attempts=attempts,
                finished_at=None,
            )
        )
        await session.commit()


async def test_runs_survive_a_restart(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], settings: Settings, demo: str
) -> None:
    resumed = await finished(app, client, admin, demo, (await trigger(client, admin, demo))["id"])
    gave_up = await finished(app, client, admin, demo, (await trigger(client, admin, demo))["id"])
    first_result = resumed["results"][0]
    async with app.state.sessionmaker() as session:
        # As if the process died after the first case: later results never got written.
        await session.execute(
            TestResult.__table__.delete().where(TestResult.run_id == resumed["id"], TestResult.position > 0)
        )
        await session.commit()
    await mark_interrupted(app, resumed["id"], attempts=1)
    await mark_interrupted(app, gave_up["id"], attempts=3)

    async for restarted in started_app(settings):  # a new process on the same database
        await restarted.state.test_runner.idle()
    again = (await client.get(RUNS.format(demo) + f"/{resumed['id']}", headers=admin)).json()
    assert again["status"] == "passed" and again["passedCount"] == again["testCaseCount"]
    assert again["results"][0] == first_result  # finished cases are kept, not re-run
    stopped = (await client.get(RUNS.format(demo) + f"/{gave_up['id']}", headers=admin)).json()
    assert stopped["status"] == "errored" and "interrupted 3 times" in stopped["error"]


async def test_only_one_worker_claims_a_run(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], demo: str
) -> None:
    run = await finished(app, client, admin, demo, (await trigger(client, admin, demo))["id"])
    async with app.state.sessionmaker() as session:
        await session.execute(update(TestRun).where(TestRun.id == run["id"]).values(status="pending"))
        await session.commit()
    stale_before = utcnow() - timedelta(minutes=5)
    wins = []
    for worker in ("a", "b"):
        async with app.state.sessionmaker() as session:
            wins.append(await TestRunRepository(session).claim(run["id"], worker, stale_before))
            await session.commit()
    assert wins == [True, False]
    # A live worker's run is not taken over; a stale one is.
    async with app.state.sessionmaker() as session:
        assert not await TestRunRepository(session).claim(run["id"], "c", stale_before)
        assert await TestRunRepository(session).claim(run["id"], "c", utcnow() + timedelta(seconds=1))
        await session.commit()


async def test_deploy_time_runs_and_the_live_gate(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    branch: str,
    viewer: dict[str, str],
) -> None:
    settings_url = f"/v1/agents/{AGENT}/testing/settings"
    assert (await client.get(settings_url, headers=viewer)).json() == {
        "runOnDeploy": False,
        "blockLiveOnFailure": False,
    }
    assert_error(
        await client.patch(settings_url, json={"runOnDeploy": True}, headers=viewer), "USER_ACCESS_FORBIDDEN"
    )
    for body in ({"runOnDeploy": "yes"}, {"runOnDeploy": 1}, {"block": True}):
        assert_error(await client.patch(settings_url, json=body, headers=admin), "SCHEMA_VALIDATION_FAILED")
    response = await client.patch(
        settings_url, json={"runOnDeploy": True, "blockLiveOnFailure": True}, headers=admin
    )
    assert response.json() == {"runOnDeploy": True, "blockLiveOnFailure": True}

    await add_case(
        client,
        admin,
        AGENT,
        branch,
        scripted(
            "Always fails", userTurns=["hello"], responseAssertions=[{"type": "contains", "value": "zzz"}]
        ),
    )
    merged = await client.post(f"/v1/agents/{AGENT}/branches/{branch}/merge", json={}, headers=admin)
    assert merged.status_code == 200, merged.text
    [merge_run] = merged.json()["testRunIds"]
    run = await finished(app, client, admin, AGENT, merge_run)
    assert (run["trigger"], run["environment"], run["status"]) == ("merge", "sandbox", "failed")

    sandbox = (await client.get(f"/v1/agents/{AGENT}/deployments/active", headers=admin)).json()[
        "activeDeployments"
    ]["sandbox"]
    promoted = await client.post(
        f"/v1/agents/{AGENT}/deployments/{sandbox['id']}/promote",
        json={"targetEnvironment": "pre-release"},
        headers=admin,
    )
    assert promoted.status_code == 200, promoted.text
    [pre_release_run] = promoted.json()["testRunIds"]
    pre_release = promoted.json()["deployment"]
    to_live = f"/v1/agents/{AGENT}/deployments/{pre_release['id']}/promote"
    # Still pending (this request did not wait for the runner): refused too.
    assert_error(await client.post(to_live, json={}, headers=admin), "PRECONDITION_FAILED")
    run = await finished(app, client, admin, AGENT, pre_release_run)
    assert (run["trigger"], run["environment"], run["status"]) == ("promote", "pre-release", "failed")

    error = assert_error(await client.post(to_live, json={}, headers=admin), "PRECONDITION_FAILED")
    assert error["data"]["testRunId"] == pre_release_run and error["data"]["status"] == "failed"
    assert [c["name"] for c in error["data"]["failedCases"]] == ["Always fails"]
    assert "zzz" in error["data"]["failedCases"][0]["reason"]
    published = await client.post(
        f"/v1/agents/{AGENT}/deployments/publish", json={"environment": "live"}, headers=admin
    )
    assert_error(published, "PRECONDITION_FAILED")
    active = (await client.get(f"/v1/agents/{AGENT}/deployments/active", headers=admin)).json()
    assert active["activeDeployments"]["live"] is None

    await client.patch(settings_url, json={"blockLiveOnFailure": False}, headers=admin)
    live = await client.post(to_live, json={}, headers=admin)
    assert live.status_code == 200, live.text
    [live_run] = live.json()["testRunIds"]
    assert (await finished(app, client, admin, AGENT, live_run))["environment"] == "live"
