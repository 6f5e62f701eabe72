"""start_function and end_function: PUT/GET/DELETE functions/start|end, and their routes' edges."""

from __future__ import annotations

import pytest

from tests.functions.helpers import Branch, source
from tests.support.envelope import assert_error

START = "def start_function(conv):\n    conv.state.greeted = False\n    conv.set_variant('London')\n"


@pytest.mark.parametrize(("which", "entry"), [("start", "start_function"), ("end", "end_function")])
async def test_put_get_replace_delete(feature: Branch, which: str, entry: str) -> None:
    path = feature.path(f"/{which}")
    error = assert_error(await feature.client.get(path, headers=feature.headers), "FUNCTION_NOT_FOUND")
    assert entry in error["message"]
    first = await feature.client.put(path, json={"code": source(entry)}, headers=feature.headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert {k: body[k] for k in ("id", "name", "code")} == {"id": which, "name": entry, "code": source(entry)}
    assert set(body) == {"id", "name", "code", "createdAt", "updatedAt"}
    replaced_code = source(entry, body="conv.log.info('replaced')")
    replaced = await feature.client.put(path, json={"code": replaced_code}, headers=feature.headers)
    assert replaced.status_code == 200
    assert replaced.json()["code"] == replaced_code and replaced.json()["createdAt"] == body["createdAt"]
    assert (await feature.client.get(path, headers=feature.headers)).json() == replaced.json()
    deleted = await feature.client.delete(path, headers=feature.headers)
    assert deleted.status_code == 204 and deleted.content == b""
    assert_error(await feature.client.get(path, headers=feature.headers), "FUNCTION_NOT_FOUND")
    assert_error(await feature.client.delete(path, headers=feature.headers), "FUNCTION_NOT_FOUND")


async def test_start_and_end_are_independent(feature: Branch) -> None:
    await feature.client.put(feature.path("/start"), json={"code": START}, headers=feature.headers)
    assert_error(
        await feature.client.get(feature.path("/end"), headers=feature.headers), "FUNCTION_NOT_FOUND"
    )
    assert (await feature.client.get(feature.path("/start"), headers=feature.headers)).json()["code"] == START


@pytest.mark.parametrize(
    ("code", "line", "column"),
    [
        ("def start_function(conv, caller: str):\n    pass\n", 1, 26),  # takes only conv
        ("def start(conv):\n    pass\n", 1, 1),  # wrong name
        ("def end_function(conv):\n    pass\n", 1, 1),  # the other one
        ("def start_function(conv):\npass\n", 2, 1),  # indentation
    ],
)
async def test_bad_start_code(feature: Branch, code: str, line: int, column: int) -> None:
    response = await feature.client.put(feature.path("/start"), json={"code": code}, headers=feature.headers)
    error = assert_error(response, "FUNCTION_FAILED_TO_PARSE")
    assert error["data"] == {"line": line, "column": column}
    assert_error(
        await feature.client.get(feature.path("/start"), headers=feature.headers), "FUNCTION_NOT_FOUND"
    )


@pytest.mark.parametrize(
    "body",
    [{}, {"code": ""}, {"code": None}, {"code": 1}, {"code": START, "name": "x"}, {"code": "#" * 100_001}],
)
async def test_invalid_put_bodies(feature: Branch, body: object) -> None:
    response = await feature.client.put(feature.path("/start"), json=body, headers=feature.headers)
    assert_error(response, "SCHEMA_VALIDATION_FAILED")


async def test_routes_are_not_read_as_function_ids(feature: Branch) -> None:
    # A global function may be called `start`; `functions/start` is still the start function.
    created = await feature.created("start", source("start"))
    assert created["id"] != "start"
    assert_error(
        await feature.client.get(feature.path("/start"), headers=feature.headers), "FUNCTION_NOT_FOUND"
    )
    for which in ("start", "end"):
        response = await feature.client.patch(
            feature.path(f"/{which}"), json={"code": START}, headers=feature.headers
        )
        error = assert_error(response, "METHOD_NOT_ALLOWED")
        assert response.headers["allow"] == "DELETE, GET, PUT", error
        assert_error(
            await feature.client.post(
                feature.path(f"/{which}"), json={"code": START}, headers=feature.headers
            ),
            "METHOD_NOT_ALLOWED",
        )
    assert await feature.names() == ["start"]
