"""POST functions/{id}/execute: arguments, state, effects, return values, and its errors.

Hostile code and the sandbox's limits are in tests/sandbox; these are the endpoint's contract.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.functions.helpers import Branch, source
from tests.support.envelope import assert_error

BOOK = """import datetime

def book_table(conv, name: str, party: int, deposit: float = 10.0, vip: bool = False):
    conv.say(f"Booking for {name}, party of {party}.")
    conv.state.bookings = (conv.state.bookings or 0) + 1
    conv.log.info("booked", party=party)
    if vip:
        conv.call_handoff("concierge_desk", reason="VIP booking")
    conv.write_metric("bookings", party)
    return {"utterance": "Done!", "deposit": deposit, "year": datetime.date(2024, 5, 1).year}
"""


async def execute(feature: Branch, function_id: str, body: Any, branch: str | None = None) -> httpx.Response:
    return await feature.client.post(
        feature.path(f"/{function_id}/execute", branch=branch), json=body, headers=feature.headers
    )


async def test_execute_returns_value_effects_and_state(feature: Branch) -> None:
    created = await feature.created("book_table", BOOK)
    response = await execute(
        feature,
        created["id"],
        {"args": {"name": "Ada", "party": 4, "vip": True}, "state": {"bookings": 2, "note": "café ☕"}},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "returnValue": {"utterance": "Done!", "deposit": 10.0, "year": 2024},
        "effects": [
            {"type": "say", "text": "Booking for Ada, party of 4."},
            {"type": "log", "level": "info", "message": "booked", "fields": {"party": 4}},
            {"type": "handoff", "destination": "concierge_desk", "reason": "VIP booking", "utterance": None},
            {"type": "write_metric", "name": "bookings", "value": 4, "writeOnce": False},
        ],
        "state": {"bookings": 3, "note": "café ☕"},
    }


async def test_execute_without_body_and_with_null_return(feature: Branch) -> None:
    created = await feature.created("noop", source("noop"))
    response = await feature.client.post(feature.path(f"/{created['id']}/execute"), headers=feature.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"returnValue": None, "effects": [], "state": {}}


async def test_int_arguments_are_accepted_as_floats(feature: Branch) -> None:
    created = await feature.created("half", source("half", "x: float", "return x / 2"))
    response = await execute(feature, created["id"], {"args": {"x": 3}})
    assert response.status_code == 200 and response.json()["returnValue"] == 1.5


@pytest.mark.parametrize(
    ("args", "problems"),
    [
        ({}, [("/body/args/name", "missing"), ("/body/args/party", "missing")]),
        ({"name": "Ada", "party": "4"}, [("/body/args/party", "type")]),
        ({"name": "Ada", "party": 4.5}, [("/body/args/party", "type")]),
        ({"name": "Ada", "party": True}, [("/body/args/party", "type")]),
        ({"name": 7, "party": 4}, [("/body/args/name", "type")]),
        ({"name": "Ada", "party": 4, "vip": 1}, [("/body/args/vip", "type")]),
        ({"name": "Ada", "party": 4, "deposit": "ten"}, [("/body/args/deposit", "type")]),
        ({"name": "Ada", "party": 4, "deposit": None}, [("/body/args/deposit", "type")]),
        ({"name": "Ada", "party": 4, "conv": 1}, [("/body/args/conv", "unexpected")]),
        ({"name": "Ada", "party": 4, "a/b": 1}, [("/body/args/a~1b", "unexpected")]),
    ],
)
async def test_arguments_are_checked_against_parameters(
    feature: Branch, args: dict[str, Any], problems: list[tuple[str, str]]
) -> None:
    created = await feature.created("book_table", BOOK)
    error = assert_error(await execute(feature, created["id"], {"args": args}), "SCHEMA_VALIDATION_FAILED")
    assert [(e["path"], e["type"]) for e in error["data"]["errors"]] == problems


async def test_float_argument_out_of_range(feature: Branch) -> None:
    created = await feature.created("half", source("half", "x: float", "return x / 2"))
    response = await feature.client.post(
        feature.path(f"/{created['id']}/execute"),
        content=b'{"args": {"x": 1' + b"0" * 400 + b"}}",
        headers={**feature.headers, "content-type": "application/json"},
    )
    assert_error(response, "SCHEMA_VALIDATION_FAILED")


@pytest.mark.parametrize(
    "body",
    [
        {"args": []},
        {"args": "x"},
        {"state": [1]},
        {"state": None},
        {"arguments": {}},
        {"context": {"env": "production"}},
        {"context": {"channel": "fax"}},
        {"context": {"history": [{"role": "robot", "text": "x"}]}},
        {"context": {"callerNumber": "+1" * 200}},
        [],
    ],
)
async def test_invalid_execute_bodies(feature: Branch, body: object) -> None:
    created = await feature.created("noop", source("noop"))
    assert_error(await execute(feature, created["id"], body), "SCHEMA_VALIDATION_FAILED")


async def test_oversized_state_is_refused_before_running(feature: Branch) -> None:
    created = await feature.created("noop", source("noop"))
    response = await execute(feature, created["id"], {"state": {"blob": "x" * 1_100_000}})
    error = assert_error(response, "SCHEMA_VALIDATION_FAILED")
    assert error["data"]["errors"][0]["type"] == "too_large"


async def test_runtime_error_reports_the_user_line(feature: Branch) -> None:
    code = "def explode(conv):\n    conv.say('about to fail')\n    raise ValueError('boom')\n"
    created = await feature.created("explode", code)
    error = assert_error(await execute(feature, created["id"], {}), "FUNCTION_EXECUTION_FAILED")
    assert error["data"] == {"errorType": "ValueError", "message": "boom", "line": 3, "function": "explode"}
    assert "/" not in error["message"].replace("a/b", "")


async def test_context_reaches_conv(feature: Branch) -> None:
    code = (
        "def inspect(conv):\n"
        "    return {'env': conv.env, 'channel': conv.channel, 'caller': conv.caller_number,\n"
        "            'variant': conv.variant_name, 'city': conv.variant.city,\n"
        "            'date': conv.entities.date.value,\n"
        "            'last': conv.history[-1].text, 'flag': conv.real_time_config['flag'],\n"
        "            'missing': conv.state.missing}\n"
    )
    created = await feature.created("inspect", code)
    context = {
        "env": "live",
        "channel": "voice",
        "callerNumber": "+447700900123",
        "variantName": "London",
        "variant": {"city": "London"},
        "entities": {"date": {"value": "2024-05-01", "valid": True}},
        "history": [{"role": "user", "text": "hi"}, {"role": "agent", "text": "hello!"}],
        "realTimeConfig": {"flag": True},
    }
    response = await execute(feature, created["id"], {"context": context})
    assert response.status_code == 200, response.text
    assert response.json()["returnValue"] == {
        "env": "live",
        "channel": "voice",
        "caller": "+447700900123",
        "variant": "London",
        "city": "London",
        "date": "2024-05-01",
        "last": "hello!",
        "flag": True,
        "missing": None,
    }
    defaults = await execute(feature, created["id"], {})
    assert_error(defaults, "FUNCTION_EXECUTION_FAILED")  # no history: IndexError in user code


async def test_functions_can_call_each_other(feature: Branch) -> None:
    await feature.created("double", source("double", "x: int", "return x * 2"))
    caller = await feature.created(
        "quadruple", source("quadruple", "x: int", "return conv.functions.double(conv.functions.double(x))")
    )
    response = await execute(feature, caller["id"], {"args": {"x": 3}})
    assert response.status_code == 200 and response.json()["returnValue"] == 12


async def test_error_in_a_called_function_names_it(feature: Branch) -> None:
    await feature.created("inner", "def inner(conv):\n    x = 1\n    return x / 0\n")
    outer = await feature.created("outer", source("outer", body="return conv.functions.inner()"))
    error = assert_error(await execute(feature, outer["id"], {}), "FUNCTION_EXECUTION_FAILED")
    assert error["data"] == {
        "errorType": "ZeroDivisionError",
        "message": "division by zero",
        "line": 3,
        "function": "inner",
    }


@pytest.mark.parametrize(("which", "entry"), [("start", "start_function"), ("end", "end_function")])
async def test_execute_start_and_end(feature: Branch, which: str, entry: str) -> None:
    path = feature.path(f"/{which}/execute")
    assert_error(await feature.client.post(path, json={}, headers=feature.headers), "FUNCTION_NOT_FOUND")
    code = f"def {entry}(conv):\n    conv.state.ran = '{entry}'\n    conv.goto_flow('Booking')\n"
    await feature.client.put(feature.path(f"/{which}"), json={"code": code}, headers=feature.headers)
    response = await feature.client.post(path, json={"state": {"kept": 1}}, headers=feature.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "returnValue": None,
        "effects": [{"type": "goto_flow", "flow": "Booking"}],
        "state": {"kept": 1, "ran": entry},
    }
    error = assert_error(
        await feature.client.post(path, json={"args": {"x": 1}}, headers=feature.headers),
        "SCHEMA_VALIDATION_FAILED",
    )
    assert error["data"]["errors"][0]["path"] == "/body/args/x"


async def test_execution_works_on_main(feature: Branch, client: httpx.AsyncClient) -> None:
    created = await feature.created("book_table", BOOK)
    merged = await client.post(
        f"/v1/agents/{feature.agent}/branches/{feature.branch}/merge", headers=feature.headers
    )
    assert merged.status_code == 200, merged.text
    response = await execute(feature, created["id"], {"args": {"name": "Bo", "party": 2}}, branch="main")
    assert response.status_code == 200, response.text
    assert response.json()["returnValue"]["utterance"] == "Done!"
