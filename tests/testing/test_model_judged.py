"""Test runs that need a model: prompt assertions graded by a judge, and scenarios played by a
simulated caller. The real app runs the real runner with the openai provider, pointed at the fake
OpenAI server (tests/providers/fake_openai.py), which answers for the agent, the caller and the
judge alike, in the order they ask."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from parley.models import Conversation
from parley.runtime.providers.openai import OpenAIProvider
from parley.testing import judge
from tests.conftest import make_settings, started_app
from tests.providers.conftest import runtime_settings
from tests.providers.fake_openai import FakeOpenAI, Received, Scripted, serving
from tests.testing.conftest import AGENT
from tests.testing.test_runs import add_case, finished, trigger

JUDGE_SAYS = "You judge a conversation between a caller and a virtual agent against one assertion."
CALLER_SAYS = "You are role-playing a caller talking to a virtual agent, to test it."


@pytest.fixture(scope="module")
def model_server() -> Iterator[FakeOpenAI]:
    with serving(FakeOpenAI()) as served:
        yield served


@pytest.fixture
def model(model_server: FakeOpenAI) -> FakeOpenAI:
    model_server.reset()
    return model_server


@pytest.fixture
async def app(database_url: str, model: FakeOpenAI) -> AsyncIterator[FastAPI]:
    settings = make_settings(database_url, runtime=runtime_settings(model))
    async for started in started_app(settings):
        provider = started.state.conversation_engine.provider
        assert isinstance(provider, OpenAIProvider)
        provider.retry_backoff_seconds = 0.01
        yield started
        await provider.aclose()


async def run_case(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], branch: str, case: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The finished run of one case, and that case's result."""
    case_id = await add_case(client, admin, AGENT, branch, case)
    run = await trigger(client, admin, AGENT, branchId=branch, testCaseIds=[case_id])
    done = await finished(app, client, admin, AGENT, run["id"])
    [result] = done["results"]
    return done, result


def system(request: Received) -> str:
    content: str = request.body["messages"][0]["content"]
    return content


def judged(case_name: str, *assertions: str) -> dict[str, Any]:
    return {
        "name": case_name,
        "scenario": "A guest asks about breakfast.",
        "userTurns": ["What time is breakfast?"],
        "responseAssertions": [{"turn": 1, "type": "contains", "value": "7am"}],
        "promptAssertions": list(assertions),
    }


async def test_a_prompt_assertion_judged_pass_passes(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], branch: str, model: FakeOpenAI
) -> None:
    model.reply("Breakfast is served from 7am to 10am.")  # the agent
    model.reply("PASS\nThe agent gave the breakfast hours politely.")  # the judge
    done, result = await run_case(
        app, client, admin, branch, judged("Judged warm", "The agent tells the caller when breakfast is.")
    )
    assert result["status"] == "passed", result
    assert result["reason"] == "2 assertion(s) passed."
    assert result["promptAssertionResults"] == [
        {
            "prompt": "The agent tells the caller when breakfast is.",
            "isPass": True,
            "reason": "The agent gave the breakfast hours politely.",
        }
    ]
    assert done["status"] == "passed" and done["passedCount"] == 1
    assert [t["agentResponse"] for t in result["rawConversation"]["turns"]] == [
        "Hello",
        "Breakfast is served from 7am to 10am.",
    ]

    agent_request, judge_request = model.requests
    assert JUDGE_SAYS not in system(agent_request)
    assert agent_request.body["messages"][-1] == {"role": "user", "content": "What time is breakfast?"}
    # The judge sees its instructions, the whole transcript and the assertion, and nothing else.
    assert "tools" not in judge_request.body
    assert system(judge_request).startswith(JUDGE_SAYS)
    assert judge_request.body["messages"][1:] == [
        {
            "role": "user",
            "content": "Conversation:\n"
            "Agent: Hello\n"
            "Caller: What time is breakfast?\n"
            "Agent: Breakfast is served from 7am to 10am.\n\n"
            "Assertion: The agent tells the caller when breakfast is.",
        }
    ]


async def test_a_prompt_assertion_judged_fail_fails_readably(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], branch: str, model: FakeOpenAI
) -> None:
    model.reply("Breakfast is served from 7am to 10am.")
    model.reply("PASS\nThe agent was polite.")
    model.reply("FAIL\nThe agent never mentioned the vegan menu.")
    model.reply("I think it went well.")  # no verdict: a failure too, never a pass
    done, result = await run_case(
        app,
        client,
        admin,
        branch,
        judged(
            "Judged strictly",
            "The agent is polite.",
            "The agent mentions the vegan menu.",
            "The agent offers to book a table.",
        ),
    )
    assert result["status"] == "failed", result
    assert result["reason"] == (
        "prompt 'The agent mentions the vegan menu.': The agent never mentioned the vegan menu.; "
        "prompt 'The agent offers to book a table.': the judge gave no verdict: I think it went well."
    )
    assert [(p["prompt"], p["isPass"]) for p in result["promptAssertionResults"]] == [
        ("The agent is polite.", True),
        ("The agent mentions the vegan menu.", False),
        ("The agent offers to book a table.", False),
    ]
    assert result["responseAssertionResults"][0]["isPass"] is True
    assert (done["status"], done["failedCount"]) == ("failed", 1)
    # One judge request per assertion, each naming its own assertion.
    assert [r.body["messages"][-1]["content"].rsplit("\n", 1)[-1] for r in model.requests[1:]] == [
        "Assertion: The agent is polite.",
        "Assertion: The agent mentions the vegan menu.",
        "Assertion: The agent offers to book a table.",
    ]


async def test_a_scenario_is_played_by_the_simulated_caller(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], branch: str, model: FakeOpenAI
) -> None:
    scenario = "You want a room for two nights in May and ask whether pets are allowed."
    model.reply("Hi, I'd like a room for two nights in May.")  # the caller
    model.reply("We have rooms free in May. How can I help further?")  # the agent
    model.reply("Are dogs allowed?")  # the caller
    model.reply("Yes, dogs are welcome.")  # the agent
    model.reply(judge.END_MARK)  # the caller is done
    model.reply("PASS\nThe agent answered about pets.")  # the judge
    case = {"name": "Simulated", "scenario": scenario, "promptAssertions": ["The agent answers about pets."]}
    done, result = await run_case(app, client, admin, branch, case)
    assert result["status"] == "passed", result
    assert done["status"] == "passed"
    turns = result["rawConversation"]["turns"]
    assert [(t["userInput"], t["agentResponse"]) for t in turns] == [
        ("", "Hello"),
        ("Hi, I'd like a room for two nights in May.", "We have rooms free in May. How can I help further?"),
        ("Are dogs allowed?", "Yes, dogs are welcome."),
    ]
    async with app.state.sessionmaker() as session:
        stored = await session.get(Conversation, result["conversationId"])
    assert stored is not None and stored.source == "test" and stored.turn_count == 3

    caller = [r for r in model.requests if system(r).startswith(CALLER_SAYS)]
    assert len(caller) == 3 and len(model.requests) == 6
    assert all(scenario in system(r) for r in caller)
    # The caller is the model's own side of the conversation; the agent's replies come to it as
    # the user's. Every request carries the whole conversation so far.
    assert caller[0].body["messages"][1:] == [{"role": "user", "content": "Hello"}]
    assert caller[2].body["messages"][1:] == [
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hi, I'd like a room for two nights in May."},
        {"role": "user", "content": "We have rooms free in May. How can I help further?"},
        {"role": "assistant", "content": "Are dogs allowed?"},
        {"role": "user", "content": "Yes, dogs are welcome."},
    ]
    assert (
        "Caller: Are dogs allowed?\nAgent: Yes, dogs are welcome."
        in model.requests[-1].body["messages"][-1]["content"]
    )


async def test_a_failing_model_errors_the_case_and_the_run_finishes(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], branch: str, model: FakeOpenAI
) -> None:
    failing = Scripted(500, {"error": {"message": "the model is down"}}, headers={"Retry-After": "0"})
    # The judge fails.
    model.reply("Breakfast is served from 7am to 10am.")
    model.push(failing, failing)
    judged_id = await add_case(client, admin, AGENT, branch, judged("Judge down", "The agent is polite."))
    # The simulated caller fails.
    model.push(failing, failing)
    simulated_id = await add_case(
        client, admin, AGENT, branch, {"name": "Caller down", "scenario": "Ask about pets."}
    )
    run = await trigger(client, admin, AGENT, branchId=branch, testCaseIds=[judged_id, simulated_id])
    done = await finished(app, client, admin, AGENT, run["id"])
    assert done["status"] == "errored" and done["errorCount"] == 2 and done["finishedAt"]
    judged_result, simulated_result = done["results"]
    assert [r["status"] for r in done["results"]] == ["errored", "errored"]
    # Which part failed, and how: never the upstream's own words, never an "internal error".
    assert judged_result["reason"] == (
        "The judge of the prompt assertions failed: The model provider answered HTTP 500."
    )
    assert simulated_result["reason"] == "The simulated caller failed: The model provider answered HTTP 500."
    assert [t["agentResponse"] for t in judged_result["rawConversation"]["turns"]] == [
        "Hello",
        "Breakfast is served from 7am to 10am.",
    ]
    assert [t["agentResponse"] for t in simulated_result["rawConversation"]["turns"]] == ["Hello"]
    assert len(model.requests) == 5  # one agent reply, then each failure tried twice
