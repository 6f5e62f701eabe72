"""OpenAIProvider against a fake OpenAI-compatible server: the request it sends, the Decision it
makes of each answer, and 502 BAD_GATEWAY for every way the upstream can fail."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from parley.errors import BadGateway
from parley.runtime.providers.base import Decision, DecisionRequest, Tool, ToolCall, ToolResult
from parley.runtime.providers.openai import OpenAIProvider
from tests.providers.conftest import API_KEY, MODEL, runtime_settings
from tests.providers.fake_openai import FakeOpenAI, Scripted, completion
from tests.support.servers import free_port

BOOK = Tool(
    name="book_room",
    description="Books a room for the guest.",
    parameters=[
        {"name": "guest", "type": "str", "required": True},
        {"name": "nights", "type": "int", "required": False, "default": 1},
        {"name": "budget", "type": "float", "required": True},
        {"name": "breakfast", "type": "bool", "required": False, "default": False},
    ],
    scope="global",
)
BOOK_SCHEMA = {
    "type": "function",
    "function": {
        "name": "book_room",
        "description": "Books a room for the guest.",
        "parameters": {
            "type": "object",
            "properties": {
                "guest": {"type": "string"},
                "nights": {"type": "integer", "default": 1},
                "budget": {"type": "number"},
                "breakfast": {"type": "boolean", "default": False},
            },
            "required": ["guest", "budget"],
            "additionalProperties": False,
        },
    },
}
ENTITIES: list[dict[str, Any]] = [
    {"id": "E1", "name": "party_size", "description": "How many guests", "type": "number",
     "config": {"min": 1, "max": 10}},
    {"id": "E2", "name": "arrival", "description": "", "type": "date", "config": {}},
    {"id": "E3", "name": "room_type", "description": "Room type", "type": "enum",
     "config": {"options": ["single", "double"]}},
    {"id": "E4", "name": "breakfast", "description": "", "type": "yes_no", "config": {}},
    {"id": "E5", "name": "notes", "description": "", "type": "free_text", "config": {}},
    {"id": "E6", "name": "callback", "description": "", "type": "phone_number",
     "config": {"countryCodes": ["GB"]}},
]  # fmt: skip


def booking_request(**overrides: Any) -> DecisionRequest:
    values: dict[str, Any] = {
        "system_prompt": "You are the Linden Hotel's receptionist.",
        # As the engine sends it: the user's message is already the last history entry.
        "history": [
            {"role": "agent", "text": "Welcome!"},
            {"role": "user", "text": "Hi"},
            {"role": "agent", "text": "Hello, how can I help?"},
            {"role": "user", "text": "Can I book a room?"},
        ],
        "message": "Can I book a room?",
        "topics": [
            {
                "name": "Rooms",
                "content": "Doubles cost 120 pounds a night.",
                "actions": "To book, call {{fn:book_room}}.",
            },
            {"name": "Parking", "content": "Parking costs 20 pounds."},
        ],
        "step": None,
        "step_prompt": None,
        "tools": [BOOK],
        "entities": [],
        "today": "2025-03-05",
    }
    values.update(overrides)
    return DecisionRequest(**values)


def step_request(**overrides: Any) -> DecisionRequest:
    step = {"name": "collect", "stepType": "default", "prompt": "Ask how many guests and when."}
    values: dict[str, Any] = {
        "system_prompt": "",
        "history": [],
        "message": "Four of us, arriving 7 March",
        "topics": [],
        "step": step,
        "step_prompt": "Ask how many guests and when.",
        "tools": [],
        "entities": ENTITIES,
        "today": "2025-03-05",
    }
    values.update(overrides)
    return DecisionRequest(**values)


# --- the request ---------------------------------------------------------------------------------


async def test_request_shape(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.reply("Of course. Which night?")
    decision = await provider.decide(booking_request())
    assert decision == Decision(reply="Of course. Which night?")
    [sent] = fake.requests
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert sent.headers["content-type"] == "application/json"
    system = (
        "You are the Linden Hotel's receptionist.\n\n"
        "## Knowledge\nAnswer from these topics when they are relevant; do not invent facts.\n\n"
        "### Rooms\nDoubles cost 120 pounds a night.\nActions: To book, call the `book_room` tool.\n\n"
        "### Parking\nParking costs 20 pounds.\n\n"
        "Today's date is 2025-03-05."
    )
    assert sent.body == {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": system},
            {"role": "assistant", "content": "Welcome!"},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello, how can I help?"},
            {"role": "user", "content": "Can I book a room?"},
        ],
        "tools": [BOOK_SCHEMA],
        "tool_choice": "auto",
    }


async def test_step_prompt_and_no_tools(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.reply("How many guests?")
    request = step_request(entities=[], system_prompt="Be brief.", message="héllo 🏨 '; DROP TABLE x; --")
    assert await provider.decide(request) == Decision(reply="How many guests?")
    body = fake.requests[0].body
    assert body == {
        "model": MODEL,
        "messages": [
            {
                "role": "system",
                "content": "Be brief.\n\n## Current step\nFollow this instruction now:\n"
                "Ask how many guests and when.\n\nToday's date is 2025-03-05.",
            },
            {"role": "user", "content": "héllo 🏨 '; DROP TABLE x; --"},
        ],
    }


async def test_no_key_sends_no_authorization(fake: FakeOpenAI) -> None:
    provider = OpenAIProvider(runtime_settings(fake, openai_api_key=None))
    fake.reply("Hi")
    try:
        assert (await provider.decide(booking_request())).reply == "Hi"
    finally:
        await provider.aclose()
    assert "authorization" not in fake.requests[0].headers


# --- answers -------------------------------------------------------------------------------------


async def test_tool_call_round_trip(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.call(("book_room", {"guest": "Ada Lovelace", "budget": 150.5}))
    fake.reply("Booked: reference BK-1.")
    request = booking_request()
    first = await provider.decide(request)
    assert first == Decision(tool_calls=[ToolCall("book_room", {"guest": "Ada Lovelace", "budget": 150.5})])
    # What the engine does next: run the tool, append its result, ask again with the same request.
    request.tool_results.append(ToolResult("book_room", first.tool_calls[0].arguments, "Booked BK-1."))
    assert await provider.decide(request) == Decision(reply="Booked: reference BK-1.")
    before, after = (r.body["messages"] for r in fake.requests)
    assert after[: len(before)] == before
    assert after[len(before) :] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call00000",
                    "type": "function",
                    "function": {
                        "name": "book_room",
                        "arguments": '{"guest": "Ada Lovelace", "budget": 150.5}',
                    },
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call00000", "content": "Booked BK-1."},
    ]


async def test_tool_results_of_several_rounds_keep_distinct_ids(
    fake: FakeOpenAI, provider: OpenAIProvider
) -> None:
    fake.reply("Done.")
    request = booking_request(
        tool_results=[
            ToolResult("book_room", {"guest": "A", "budget": 1.0}, "Sold out."),
            ToolResult("missing_tool", {}, "No tool named missing_tool."),
            ToolResult("book_room", {"guest": "A", "budget": 2.0}, ""),
        ]
    )
    await provider.decide(request)
    messages = fake.requests[0].body["messages"]
    ids = [call["id"] for call in messages[-4]["tool_calls"]]
    assert ids == ["call00000", "call00001", "call00002"]
    assert [(m["tool_call_id"], m["content"]) for m in messages[-3:]] == [
        ("call00000", "Sold out."),
        ("call00001", "No tool named missing_tool."),
        ("call00002", "The tool returned nothing."),
    ]


@pytest.mark.parametrize("arguments", ["{not json", "[1, 2]", '"text"', ""])
async def test_unusable_arguments_become_an_empty_call(
    fake: FakeOpenAI, provider: OpenAIProvider, arguments: str
) -> None:
    fake.call(("book_room", arguments))
    decision = await provider.decide(booking_request())
    assert decision == Decision(tool_calls=[ToolCall("book_room", {})])


async def test_text_alongside_tool_calls_is_not_a_reply(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.push(Scripted(body=completion("Let me check.", [("book_room", {"guest": "A", "budget": 1})])))
    decision = await provider.decide(booking_request())
    assert decision.reply is None and decision.tool_calls == [
        ToolCall("book_room", {"guest": "A", "budget": 1})
    ]


async def test_empty_answer_is_no_reply(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.reply("   ")
    assert await provider.decide(booking_request()) == Decision()


async def test_long_tool_names_are_shortened_and_mapped_back(
    fake: FakeOpenAI, provider: OpenAIProvider
) -> None:
    # Function names may be 100 characters; OpenAI accepts 64.
    long_tool = Tool("check_" + "x" * 90, "A long name.", [], "flow")
    fake.reply("Which one?")
    await provider.decide(booking_request(tools=[long_tool]))
    sent_name = fake.requests[0].body["tools"][0]["function"]["name"]
    assert len(sent_name) <= 64 and sent_name.startswith("check_x")
    fake.call((sent_name, {}))
    decision = await provider.decide(booking_request(tools=[long_tool]))
    assert decision.tool_calls == [ToolCall(long_tool.name, {})]


# --- entities ------------------------------------------------------------------------------------


async def test_entities_through_record_entities(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.call(
        (
            "record_entities",
            {
                "party_size": 4,
                "arrival": "7 March",
                "room_type": "Double",
                "breakfast": True,
                "notes": "  late check-in  ",
                "callback": "020 7946 0000",
                "not_an_entity": "ignored",
            },
        )
    )
    decision = await provider.decide(step_request())
    assert decision == Decision(
        entities={
            "party_size": 4,
            "arrival": "2025-03-07",
            "room_type": "double",
            "breakfast": "yes",
            "notes": "late check-in",
            "callback": "+442079460000",
        }
    )
    body = fake.requests[0].body
    assert body["tool_choice"] == {"type": "function", "function": {"name": "record_entities"}}
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "record_entities",
                "description": "Record details the user has given. Leave out anything they have not said.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "party_size": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": 10,
                            "description": "How many guests",
                        },
                        "arrival": {"type": "string", "description": "A calendar date, YYYY-MM-DD."},
                        "room_type": {
                            "type": "string",
                            "enum": ["single", "double"],
                            "description": "Room type",
                        },
                        "breakfast": {"type": "string", "enum": ["yes", "no"]},
                        "notes": {"type": "string", "description": "The user's words."},
                        "callback": {
                            "type": "string",
                            "description": "A phone number, in international format when known.",
                        },
                    },
                    "required": [],
                    "additionalProperties": False,
                },
            },
        }
    ]
    system = body["messages"][0]["content"]
    assert "## Details to collect\nWhen the user gives any of these, call `record_entities`" in system
    assert "- party_size: How many guests" in system


async def test_unusable_entity_values_are_dropped(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.call(
        (
            "record_entities",
            {
                "party_size": 40,  # above max
                "arrival": "someday",
                "room_type": "suite",
                "breakfast": "maybe",
                "notes": "   ",
                "callback": {"number": "1"},
            },
        )
    )
    assert await provider.decide(step_request()) == Decision()


async def test_entity_tool_steps_aside_for_a_user_tool_of_that_name(
    fake: FakeOpenAI, provider: OpenAIProvider
) -> None:
    user_tool = Tool("record_entities", "The builder's own function.", [], "global")
    fake.call(("record_entities", {}), ("record_entities_1", {"breakfast": "no"}))
    decision = await provider.decide(step_request(tools=[user_tool]))
    assert decision == Decision(tool_calls=[ToolCall("record_entities", {})], entities={"breakfast": "no"})
    body = fake.requests[0].body
    assert [t["function"]["name"] for t in body["tools"]] == ["record_entities", "record_entities_1"]
    assert body["tool_choice"] == "auto"


# --- failures ------------------------------------------------------------------------------------


def leaky_error(status: int) -> Scripted:
    # Real upstreams echo (parts of) the key back; none of it may reach our message.
    error = {"message": f"Incorrect API key provided: {API_KEY}", "type": "invalid_request_error"}
    return Scripted(status, {"error": error})


@pytest.mark.parametrize(("status", "attempts"), [(400, 1), (401, 1), (404, 1), (500, 2), (502, 2), (503, 2)])
async def test_upstream_status_is_bad_gateway(
    fake: FakeOpenAI, provider: OpenAIProvider, status: int, attempts: int
) -> None:
    fake.push(leaky_error(status), leaky_error(status))
    with pytest.raises(BadGateway) as raised:
        await provider.decide(booking_request())
    assert raised.value.status == 502
    assert raised.value.message == f"The model provider answered HTTP {status}."
    assert raised.value.data == {"reason": "upstreamStatus", "upstreamStatus": status}
    assert len(fake.requests) == attempts


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"",
        b"[[[[" * 5000,
        {"choices": []},
        {"choices": [{"message": "hello"}]},
        {"choices": [{"message": {"content": 5}}]},
        {"choices": [{"message": {"tool_calls": [{"function": {}}]}}]},
        {"choices": [{"message": {"tool_calls": "book_room"}}]},
    ],
)
async def test_malformed_answer_is_bad_gateway(fake: FakeOpenAI, provider: OpenAIProvider, body: Any) -> None:
    fake.push(Scripted(200, body))
    with pytest.raises(BadGateway) as raised:
        await provider.decide(booking_request())
    assert raised.value.data == {"reason": "invalidResponse"}
    assert len(fake.requests) == 1


async def test_oversized_answer_is_bad_gateway(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.push(Scripted(200, completion("x" * (5 * 1024 * 1024))))
    with pytest.raises(BadGateway) as raised:
        await provider.decide(booking_request())
    assert raised.value.data == {"reason": "invalidResponse"}


async def test_timeout_is_bad_gateway_without_retry(fake: FakeOpenAI) -> None:
    provider = OpenAIProvider(runtime_settings(fake, openai_timeout_seconds=0.3), retry_backoff_seconds=0)
    fake.push(Scripted(200, completion("too late"), delay=5))
    started = time.monotonic()
    try:
        with pytest.raises(BadGateway) as raised:
            await provider.decide(booking_request())
    finally:
        await provider.aclose()
    assert time.monotonic() - started < 4  # generous: a loaded machine is slow, never that slow
    assert raised.value.message == "The model provider did not answer within 0.3 seconds."
    assert raised.value.data == {"reason": "timeout"}
    assert len(fake.requests) == 1


async def test_unreachable_upstream_is_bad_gateway(fake: FakeOpenAI) -> None:
    closed = f"http://127.0.0.1:{free_port()}/v1"
    provider = OpenAIProvider(runtime_settings(fake, openai_base_url=closed), retry_backoff_seconds=0.01)
    try:
        with pytest.raises(BadGateway) as raised:
            await provider.decide(booking_request())
    finally:
        await provider.aclose()
    assert raised.value.message == "The model provider could not be reached."
    assert "127.0.0.1" not in raised.value.message


async def test_429_then_success_honours_retry_after(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.push(Scripted(429, {"error": {"type": "rate_limit"}}, headers={"Retry-After": "1"}))
    fake.reply("After the wait.")
    assert await provider.decide(booking_request()) == Decision(reply="After the wait.")
    first, second = fake.requests
    assert second.at - first.at >= 0.95
    assert second.body == first.body


async def test_retry_after_beyond_the_cap_fails_at_once(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.push(Scripted(429, {}, headers={"Retry-After": "120"}))
    fake.reply("never asked for")
    started = time.monotonic()
    with pytest.raises(BadGateway) as raised:
        await provider.decide(booking_request())
    assert time.monotonic() - started < 10  # not the two minutes asked for
    assert raised.value.data == {"reason": "upstreamStatus", "upstreamStatus": 429}
    assert len(fake.requests) == 1


@pytest.mark.parametrize("retry_after", [None, "0", "Wed, 21 Oct 2015 07:28:00 GMT", "soon"])
async def test_5xx_is_retried_once(
    fake: FakeOpenAI, provider: OpenAIProvider, retry_after: str | None
) -> None:
    headers = {"Retry-After": retry_after} if retry_after else {}
    fake.push(Scripted(503, {"error": {"message": "overloaded"}}, headers=headers))
    fake.reply("Second time lucky.")
    assert await provider.decide(booking_request()) == Decision(reply="Second time lucky.")
    assert len(fake.requests) == 2


async def test_only_one_retry(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.push(Scripted(500, {}), Scripted(500, {}))
    fake.reply("a third request would get this")
    with pytest.raises(BadGateway):
        await provider.decide(booking_request())
    assert len(fake.requests) == 2


async def test_client_is_shared_and_reopens_after_aclose(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.reply("one")
    fake.reply("two")
    fake.reply("three")
    await provider.decide(booking_request())
    client = provider._client
    await provider.decide(booking_request())
    assert provider._client is client is not None
    await provider.aclose()
    await provider.aclose()  # idempotent
    assert (await provider.decide(booking_request())).reply == "three"
    assert json.dumps(fake.requests[2].body) == json.dumps(fake.requests[0].body)
