"""Transition functions: derived parameters, names unique per flow, reserved names, parse errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.flows.builders import new_flow, new_function
from tests.support.envelope import assert_error

BOOK = '''def booking_slot_accepted(conv, flow, slot_number: int, note: str = "none"):
    """The caller accepted a slot."""
    conv.state.slot = slot_number
    flow.goto_step("Confirm")
'''


@pytest.fixture
async def flow(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> dict[str, Any]:
    return await new_flow(client, admin, base, "Booking Flow")


@pytest.fixture
def functions_path(base: str, flow: dict[str, Any]) -> str:
    return f"{base}/flows/{flow['id']}/functions"


async def functions(client: httpx.AsyncClient, admin: dict[str, str], path: str) -> list[dict[str, Any]]:
    response = await client.get(path, headers=admin)
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()["functions"]
    return listed


async def test_function_lifecycle(
    client: httpx.AsyncClient, admin: dict[str, str], functions_path: str
) -> None:
    body = {"name": "booking_slot_accepted", "description": "Call when a slot is accepted.", "code": BOOK}
    response = await client.post(functions_path, json=body, headers=admin)
    assert response.status_code == 201, response.text
    function = response.json()
    assert function["id"].startswith("FLOW_FUNCTION-")
    assert function == {
        **body,
        "id": function["id"],
        "parameters": [
            {"name": "slot_number", "type": "int", "required": True},
            {"name": "note", "type": "str", "required": False, "default": "none"},
        ],
    }
    assert await functions(client, admin, functions_path) == [function]
    got = await client.get(f"{functions_path}/{function['id']}", headers=admin)
    assert got.status_code == 200 and got.json() == function

    # Parameters follow the code.
    code = "def booking_slot_accepted(conv, flow, confirmed: bool):\n    return confirmed\n"
    patched = await client.patch(f"{functions_path}/{function['id']}", json={"code": code}, headers=admin)
    assert patched.status_code == 200, patched.text
    assert patched.json()["parameters"] == [{"name": "confirmed", "type": "bool", "required": True}]
    described = await client.patch(
        f"{functions_path}/{function['id']}", json={"description": "New."}, headers=admin
    )
    assert described.json() == {**patched.json(), "description": "New."}

    # A rename comes with code that defines the new name.
    renamed_code = code.replace("booking_slot_accepted", "slot_ok")
    renamed = await client.patch(
        f"{functions_path}/{function['id']}", json={"name": "slot_ok", "code": renamed_code}, headers=admin
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "slot_ok"

    assert (await client.delete(f"{functions_path}/{function['id']}", headers=admin)).status_code == 204
    error = assert_error(
        await client.get(f"{functions_path}/{function['id']}", headers=admin), "FUNCTION_NOT_FOUND"
    )
    assert function["id"] in error["message"]
    assert_error(
        await client.delete(f"{functions_path}/{function['id']}", headers=admin), "FUNCTION_NOT_FOUND"
    )
    assert_error(
        await client.patch(f"{functions_path}/{function['id']}", json={"description": "x"}, headers=admin),
        "FUNCTION_NOT_FOUND",
    )
    assert await functions(client, admin, functions_path) == []


async def test_names_are_unique_in_the_flow_only(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, flow: dict[str, Any], functions_path: str
) -> None:
    first = await new_function(client, admin, base, flow["id"], "confirm")
    second = await new_function(client, admin, base, flow["id"], "cancel")
    body = {"name": "confirm", "code": "def confirm(conv, flow):\n    pass\n"}
    error = assert_error(
        await client.post(functions_path, json=body, headers=admin), "FLOWS_FUNCTION_NAME_ALREADY_EXISTS", 409
    )
    assert "confirm" in error["message"]
    # Case differences would clash as file names in the ADK, so they clash here too.
    body = {"name": "Confirm", "code": "def Confirm(conv, flow):\n    pass\n"}
    assert_error(
        await client.post(functions_path, json=body, headers=admin), "FLOWS_FUNCTION_NAME_ALREADY_EXISTS"
    )
    rename = {"name": "confirm", "code": "def confirm(conv, flow):\n    pass\n"}
    assert_error(
        await client.patch(f"{functions_path}/{second['id']}", json=rename, headers=admin),
        "FLOWS_FUNCTION_NAME_ALREADY_EXISTS",
    )
    assert await functions(client, admin, functions_path) == [first, second]
    # Names may repeat across flows.
    other = await new_flow(client, admin, base, "Cancel Flow")
    assert (await new_function(client, admin, base, other["id"], "confirm"))["name"] == "confirm"


RESERVED_NAMES = [
    "print",
    "list",
    "class",
    "lambda",
    "match",
    "_helper",
    "__init__",
    "start_function",
    "end_function",
]


async def test_reserved_function_names(
    client: httpx.AsyncClient, admin: dict[str, str], functions_path: str
) -> None:
    for name in RESERVED_NAMES:
        body = {"name": name, "code": f"def {name}(conv, flow):\n    pass\n"}
        response = await client.post(functions_path, json=body, headers=admin)
        error = assert_error(response, "FLOWS_RESERVED_FUNCTION_NAME")
        assert name in error["message"]
    assert await functions(client, admin, functions_path) == []


async def test_renaming_to_a_reserved_name(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, flow: dict[str, Any], functions_path: str
) -> None:
    function = await new_function(client, admin, base, flow["id"], "confirm")
    body = {"name": "start_function", "code": "def start_function(conv, flow):\n    pass\n"}
    assert_error(
        await client.patch(f"{functions_path}/{function['id']}", json=body, headers=admin),
        "FLOWS_RESERVED_FUNCTION_NAME",
    )
    assert (await client.get(f"{functions_path}/{function['id']}", headers=admin)).json() == function


RESERVED_PARAMETER_SIGNATURES = [
    "conv, flow, flow: str",
    "conv, x: str, flow: str",
    "conv, flow, conv: str",
    "conv, flow, self: str",
    "conv, flow, self",
    "conv, flow, id: int",
    "conv, flow, list",
    "conv, flow, _private: str",
    "conv, flow, *, flow: str",
    "conv, flow, *_rest",
    "conv, flow, **__kwargs",
    "self, conv, flow",
]


async def test_reserved_parameter_names(
    client: httpx.AsyncClient, admin: dict[str, str], functions_path: str
) -> None:
    for signature in RESERVED_PARAMETER_SIGNATURES:
        body = {"name": "pick", "code": f"def pick({signature}):\n    pass\n"}
        response = await client.post(functions_path, json=body, headers=admin)
        error = assert_error(response, "FLOWS_RESERVED_PARAMETER_NAME")
        assert error["data"]["parameter"] in signature and error["data"]["line"] == 1, (signature, error)
    assert await functions(client, admin, functions_path) == []


PARSE_ERRORS: list[tuple[str, int | None]] = [
    ("def pick(conv, flow, slot: int):\n    return (\n", 2),
    ("def pick(conv, flow slot):\n    pass\n", 1),
    ("x = 1\n", 1),
    ("def other(conv, flow):\n    pass\n", 1),
    ("def pick(conv):\n    pass\n", 1),
    ("def pick(flow, conv):\n    pass\n", 1),
    ("def pick(conv, flow, slot):\n    pass\n", 1),
    ("def pick(conv, flow, slot: dict):\n    pass\n", 1),
    ("def pick(conv, flow, slot: int = len([])):\n    pass\n", 1),
    ("def pick(conv, flow, *slots: int):\n    pass\n", 1),
    ("async def pick(conv, flow):\n    pass\n", 1),
    ("class pick:\n    pass\n", 1),
    ("def pick(conv, flow):\n    return " + "-" * 60_000 + "1\n", None),
    ("def pick(conv, flow):\n    return " + "(" * 500 + ")" * 500 + "\n", 2),
]


async def test_parse_errors(client: httpx.AsyncClient, admin: dict[str, str], functions_path: str) -> None:
    for code, line in PARSE_ERRORS:
        body = {"name": "pick", "code": code}
        response = await client.post(functions_path, json=body, headers=admin)
        error = assert_error(response, "FUNCTION_FAILED_TO_PARSE")
        assert set(error["data"]) == {"line", "column"} and error["data"]["line"] == line, (code[:80], error)
    assert await functions(client, admin, functions_path) == []


async def test_rename_without_matching_code_is_a_parse_error(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, flow: dict[str, Any], functions_path: str
) -> None:
    function = await new_function(client, admin, base, flow["id"], "confirm")
    error = assert_error(
        await client.patch(f"{functions_path}/{function['id']}", json={"name": "approve"}, headers=admin),
        "FUNCTION_FAILED_TO_PARSE",
    )
    assert "approve" in error["message"]
    broken = {"code": "def confirm(conv, flow, x):\n    pass\n"}
    assert_error(
        await client.patch(f"{functions_path}/{function['id']}", json=broken, headers=admin),
        "FUNCTION_FAILED_TO_PARSE",
    )
    assert (await client.get(f"{functions_path}/{function['id']}", headers=admin)).json() == function


BAD_FUNCTION_BODIES: list[tuple[dict[str, Any], str]] = [
    ({"code": "def f(conv, flow):\n    pass\n"}, "/body/name"),
    ({"name": "f"}, "/body/code"),
    ({"name": "my-func", "code": "x"}, "/body/name"),
    ({"name": "1st", "code": "x"}, "/body/name"),
    ({"name": "has space", "code": "x"}, "/body/name"),
    ({"name": "", "code": "x"}, "/body/name"),
    ({"name": "f" * 101, "code": "x"}, "/body/name"),
    ({"name": "ﬁx", "code": "x"}, "/body/name"),  # NFKC folds the ligature: Python would define `fix`
    ({"name": "f'; DROP TABLE x;--", "code": "x"}, "/body/name"),
    ({"name": 12, "code": "x"}, "/body/name"),
    ({"name": "f", "code": ""}, "/body/code"),
    ({"name": "f", "code": "   \n"}, "/body/code"),
    ({"name": "f", "code": "#" * 100_001}, "/body/code"),
    ({"name": "f", "code": ["def f(conv, flow): pass"]}, "/body/code"),
    ({"name": "f", "code": "def f(conv, flow):\n    pass\u0000\n"}, "/body/code"),
    ({"name": "f", "code": "x", "description": " padded"}, "/body/description"),
    ({"name": "f", "code": "x", "description": None}, "/body/description"),
    ({"name": "f", "code": "x", "parameters": []}, "/body/parameters"),
]


async def test_bad_function_bodies(
    client: httpx.AsyncClient, admin: dict[str, str], functions_path: str
) -> None:
    for body, pointer in BAD_FUNCTION_BODIES:
        response = await client.post(functions_path, json=body, headers=admin)
        error = assert_error(response, "SCHEMA_VALIDATION_FAILED")
        assert pointer in [e["path"] for e in error["data"]["errors"]], (str(body)[:80], error)
    assert await functions(client, admin, functions_path) == []


async def test_bad_function_patches_change_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, flow: dict[str, Any], functions_path: str
) -> None:
    function = await new_function(client, admin, base, flow["id"], "confirm")
    path = f"{functions_path}/{function['id']}"
    for body in ({"name": None}, {"code": None}, {"description": None}, {"parameters": []}, {"name": "x-y"}):
        assert_error(await client.patch(path, json=body, headers=admin), "SCHEMA_VALIDATION_FAILED")
    assert (await client.get(path, headers=admin)).json() == function


async def test_unicode_function_names(
    client: httpx.AsyncClient, admin: dict[str, str], functions_path: str
) -> None:
    body = {
        "name": "réserver_table",
        "description": "Réserve 🙂",
        "code": "def réserver_table(conv, flow, nom: str):\n    pass\n",
    }
    response = await client.post(functions_path, json=body, headers=admin)
    assert response.status_code == 201, response.text
    assert response.json()["parameters"] == [{"name": "nom", "type": "str", "required": True}]
