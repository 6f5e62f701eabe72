"""Global functions: create, read, update, delete, and every error the contract names for them."""

from __future__ import annotations

import httpx
import pytest

from tests.functions.helpers import Branch, source
from tests.support.envelope import assert_error

LOOKUP = '''def lookup_booking(conv, reference: str, party: int = 2, deposit: float = 0.0, vip: bool = False):
    """Find a booking."""
    conv.state.reference = reference
    return {"reference": reference, "party": party}
'''


async def test_create_derives_parameters_and_round_trips(feature: Branch) -> None:
    created = await feature.created("lookup_booking", LOOKUP, description="Find a booking by reference.")
    assert created["id"].startswith("FUNCTION-")
    assert created["name"] == "lookup_booking"
    assert created["description"] == "Find a booking by reference."
    assert created["code"] == LOOKUP
    assert created["parameters"] == [
        {"name": "reference", "type": "str", "required": True},
        {"name": "party", "type": "int", "required": False, "default": 2},
        {"name": "deposit", "type": "float", "required": False, "default": 0.0},
        {"name": "vip", "type": "bool", "required": False, "default": False},
    ]
    assert set(created) == {"id", "name", "description", "code", "parameters", "createdAt", "updatedAt"}
    fetched = await feature.client.get(feature.path(f"/{created['id']}"), headers=feature.headers)
    assert fetched.status_code == 200 and fetched.json() == created


async def test_list_is_sorted_by_name_and_excludes_start_and_end(feature: Branch) -> None:
    assert (await feature.client.get(feature.path(), headers=feature.headers)).json() == {"functions": []}
    await feature.created("zeta", source("zeta"))
    await feature.created("Alpha", source("Alpha"))
    await feature.created("mid", source("mid"))
    put = await feature.client.put(
        feature.path("/start"), json={"code": source("start_function")}, headers=feature.headers
    )
    assert put.status_code == 200
    assert await feature.names() == ["Alpha", "mid", "zeta"]


async def test_description_is_optional(feature: Branch) -> None:
    created = await feature.created("noop", source("noop"))
    assert created["description"] == "" and created["parameters"] == []


async def test_update_rederives_parameters(feature: Branch) -> None:
    created = await feature.created("greet", source("greet", "name: str"))
    path = feature.path(f"/{created['id']}")
    response = await feature.client.patch(path, json={"description": "Say hello."}, headers=feature.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["description"] == "Say hello." and body["code"] == created["code"]
    assert body["createdAt"] == created["createdAt"] and body["updatedAt"] >= created["updatedAt"]
    new_code = source("greet", "name: str, times: int")
    response = await feature.client.patch(path, json={"code": new_code}, headers=feature.headers)
    assert response.status_code == 200
    assert [p["name"] for p in response.json()["parameters"]] == ["name", "times"]
    assert (await feature.client.patch(path, json={}, headers=feature.headers)).json()["code"] == new_code


async def test_rename_needs_code_defining_the_new_name(feature: Branch) -> None:
    created = await feature.created("old_name", source("old_name"))
    path = feature.path(f"/{created['id']}")
    error = assert_error(
        await feature.client.patch(path, json={"name": "new_name"}, headers=feature.headers),
        "FUNCTION_FAILED_TO_PARSE",
    )
    assert error["data"] == {"line": 1, "column": 1}
    response = await feature.client.patch(
        path, json={"name": "new_name", "code": source("new_name", "x: int")}, headers=feature.headers
    )
    assert response.status_code == 200
    assert response.json()["name"] == "new_name" and response.json()["parameters"][0]["name"] == "x"
    assert await feature.names() == ["new_name"]


async def test_delete(feature: Branch) -> None:
    created = await feature.created("gone", source("gone"))
    path = feature.path(f"/{created['id']}")
    response = await feature.client.delete(path, headers=feature.headers)
    assert response.status_code == 204 and response.content == b""
    assert_error(await feature.client.get(path, headers=feature.headers), "FUNCTION_NOT_FOUND")
    assert_error(await feature.client.delete(path, headers=feature.headers), "FUNCTION_NOT_FOUND")


async def test_unknown_function_is_404_everywhere(feature: Branch) -> None:
    path = feature.path("/FUNCTION-NOPE0000")
    for method, body in (("GET", None), ("PATCH", {"description": "x"}), ("DELETE", None)):
        response = await feature.client.request(method, path, json=body, headers=feature.headers)
        assert_error(response, "FUNCTION_NOT_FOUND")
    assert_error(
        await feature.client.post(f"{path}/execute", json={}, headers=feature.headers), "FUNCTION_NOT_FOUND"
    )


async def test_duplicate_names_conflict(feature: Branch) -> None:
    await feature.created("book", source("book"))
    assert_error(await feature.create("book", source("book")), "FUNCTION_NAME_ALREADY_EXISTS")
    # Names are unique once normalised, as the ADK's file names are.
    assert_error(await feature.create("Book", source("Book")), "FUNCTION_NAME_ALREADY_EXISTS")
    other = await feature.created("cancel", source("cancel"))
    response = await feature.client.patch(
        feature.path(f"/{other['id']}"),
        json={"name": "book", "code": source("book")},
        headers=feature.headers,
    )
    assert_error(response, "FUNCTION_NAME_ALREADY_EXISTS")
    assert await feature.names() == ["book", "cancel"]


@pytest.mark.parametrize(
    "name",
    ["start_function", "end_function", "print", "len", "class", "match", "None", "_private", "__init__"],
)
async def test_reserved_names(feature: Branch, name: str) -> None:
    error = assert_error(await feature.create(name, source(name)), "FUNCTIONS_RESERVED_NAME")
    assert error["data"] == {"name": name}
    created = await feature.created("fine", source("fine"))
    response = await feature.client.patch(
        feature.path(f"/{created['id']}"), json={"name": name, "code": source(name)}, headers=feature.headers
    )
    assert_error(response, "FUNCTIONS_RESERVED_NAME")
    assert await feature.names() == ["fine"]


@pytest.mark.parametrize(
    ("code", "line", "column"),
    [
        ("def f(conv)\n    return 1\n", 1, 12),  # syntax error
        ("x = 1\n", 1, 1),  # no entry point
        ("def g(conv):\n    pass\n", 1, 1),  # another name
        ("def f(context):\n    pass\n", 1, 1),  # conv missing
        ("def f(conv, x):\n    pass\n", 1, 13),  # no annotation
        ("def f(conv, x: list):\n    pass\n", 1, 13),  # unsupported annotation
        ("async def f(conv):\n    pass\n", 1, 1),
        ("def f(conv, *args: int):\n    pass\n", 1, 1),
        ("class C:\n    def f(conv):\n        pass\n", 1, 1),  # not at module level
        ("x = " + "-" * 100_000 + "1\ndef f(conv):\n    pass\n", None, None),  # too deep for the parser
    ],
)
async def test_unparseable_code(feature: Branch, code: str, line: int | None, column: int | None) -> None:
    response = await feature.create("f", code)
    if len(code) > 100_000:
        assert_error(response, "SCHEMA_VALIDATION_FAILED")  # over the source size limit first
        return
    error = assert_error(response, "FUNCTION_FAILED_TO_PARSE")
    assert error["data"] == {"line": line, "column": column}
    assert await feature.names() == []


async def test_null_bytes_are_refused(feature: Branch) -> None:
    error = assert_error(await feature.create("f", "def f(conv):\n    pass\n\0"), "SCHEMA_VALIDATION_FAILED")
    assert error["data"]["errors"][0]["path"] == "/body/code"
    assert await feature.names() == []


async def test_deeply_nested_source_under_the_size_limit(feature: Branch) -> None:
    code = "def f(conv):\n    return " + "-" * 90_000 + "1\n"
    error = assert_error(await feature.create("f", code), "FUNCTION_FAILED_TO_PARSE")
    assert set(error["data"]) == {"line", "column"}


@pytest.mark.parametrize("name", ["my func", "1abc", "café", "", "a-b", "x" * 101, "drop table x;--", "f\n"])
async def test_names_that_are_not_identifiers(feature: Branch, name: str) -> None:
    error = assert_error(await feature.create(name, source("f")), "SCHEMA_VALIDATION_FAILED")
    assert error["data"]["errors"][0]["path"] == "/body/name"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": "f"},
        {"code": source("f")},
        {"name": 5, "code": source("f")},
        {"name": "f", "code": ["def f(conv): pass"]},
        {"name": "f", "code": ""},
        {"name": "f", "code": source("f"), "description": 1},
        {"name": "f", "code": source("f"), "description": "d" * 5001},
        {"name": "f", "code": source("f"), "parameters": []},
        {"name": "f", "code": source("f"), "id": "FUNCTION-MINE0000"},
        {"name": "f", "code": "#" * 100_001},
        [],
        "def f(conv): pass",
    ],
)
async def test_invalid_bodies(feature: Branch, body: object) -> None:
    response = await feature.client.post(feature.path(), json=body, headers=feature.headers)
    error = assert_error(response, "SCHEMA_VALIDATION_FAILED")
    assert error["data"]["errors"]
    assert await feature.names() == []


async def test_invalid_patch_bodies(feature: Branch) -> None:
    created = await feature.created("f", source("f"))
    path = feature.path(f"/{created['id']}")
    for body in (
        {"name": None},
        {"code": None},
        {"code": 3},
        {"parameters": []},
        {"description": "x" * 5001},
    ):
        assert_error(
            await feature.client.patch(path, json=body, headers=feature.headers), "SCHEMA_VALIDATION_FAILED"
        )
    fetched = (await feature.client.get(path, headers=feature.headers)).json()
    assert fetched == created


async def test_malformed_json_and_content_type(feature: Branch) -> None:
    headers = {**feature.headers, "content-type": "application/json"}
    response = await feature.client.post(feature.path(), content=b'{"name": "f", ', headers=headers)
    error = assert_error(response, "SCHEMA_VALIDATION_FAILED")
    assert error["message"] == "The request body is not valid JSON."
    response = await feature.client.post(
        feature.path(), content=b"name=f", headers={**feature.headers, "content-type": "text/plain"}
    )
    assert_error(response, "UNSUPPORTED_MEDIA_TYPE")
    assert await feature.names() == []


async def test_unicode_and_injection_looking_text_is_stored_verbatim(feature: Branch) -> None:
    description = "Réservation 🍽️ — '; DROP TABLE branch_resource; -- {{fn:x}} <script>"
    code = 'def hello(conv, name: str):\n    conv.say("こんにちは " + name + " 👋")\n    return "\\u0000ok"\n'
    created = await feature.created("hello", code, description=description)
    fetched = (await feature.client.get(feature.path(f"/{created['id']}"), headers=feature.headers)).json()
    assert fetched["description"] == description and fetched["code"] == code


async def test_main_is_read_only_but_readable(feature: Branch) -> None:
    created = await feature.created("f", source("f"))
    main_path = feature.path(branch="main")
    assert (await feature.client.get(main_path, headers=feature.headers)).json() == {"functions": []}
    attempts = [
        ("POST", main_path, {"name": "g", "code": source("g")}),
        ("PATCH", f"{main_path}/{created['id']}", {"description": "x"}),
        ("DELETE", f"{main_path}/{created['id']}", None),
        ("PUT", f"{main_path}/start", {"code": source("start_function")}),
        ("DELETE", f"{main_path}/end", None),
    ]
    for method, path, body in attempts:
        response = await feature.client.request(method, path, json=body, headers=feature.headers)
        assert_error(response, "BRANCH_MAIN_READ_ONLY")


async def test_unknown_branch(feature: Branch) -> None:
    response = await feature.client.get(feature.path(branch="BRANCH-NOPE"), headers=feature.headers)
    assert_error(response, "BRANCH_NOT_FOUND")
    response = await feature.client.post(
        feature.path(branch="BRANCH-NOPE"), json={"name": "f", "code": source("f")}, headers=feature.headers
    )
    assert_error(response, "BRANCH_NOT_FOUND")


async def test_viewer_reads_but_cannot_write(feature: Branch, viewer: dict[str, str]) -> None:
    created = await feature.created("f", source("f"))
    client = feature.client
    assert (await client.get(feature.path(), headers=viewer)).status_code == 200
    assert (await client.get(feature.path(f"/{created['id']}"), headers=viewer)).status_code == 200
    writes = [
        ("POST", feature.path(), {"name": "g", "code": source("g")}),
        ("PATCH", feature.path(f"/{created['id']}"), {"description": "x"}),
        ("DELETE", feature.path(f"/{created['id']}"), None),
        ("PUT", feature.path("/start"), {"code": source("start_function")}),
        ("DELETE", feature.path("/start"), None),
        ("POST", feature.path(f"/{created['id']}/execute"), {}),
        ("POST", feature.path("/end/execute"), {}),
    ]
    for method, path, body in writes:
        assert_error(await client.request(method, path, json=body, headers=viewer), "USER_ACCESS_FORBIDDEN")
    assert await feature.names() == ["f"]


async def test_external_users_are_refused(feature: Branch, external: dict[str, str]) -> None:
    for method, path in (("GET", feature.path()), ("POST", feature.path("/start/execute"))):
        response = await feature.client.request(
            method, path, json={} if method == "POST" else None, headers=external
        )
        assert_error(response, "EXTERNAL_USER_FORBIDDEN")


async def test_other_tenants_see_nothing(feature: Branch, intruder: dict[str, str]) -> None:
    created = await feature.created("f", source("f"))
    await feature.client.put(
        feature.path("/start"), json={"code": source("start_function")}, headers=feature.headers
    )
    requests: list[tuple[str, str, object]] = [
        ("GET", feature.path(), None),
        ("POST", feature.path(), {"name": "g", "code": source("g")}),
        ("GET", feature.path(f"/{created['id']}"), None),
        ("PATCH", feature.path(f"/{created['id']}"), {"description": "x"}),
        ("DELETE", feature.path(f"/{created['id']}"), None),
        ("POST", feature.path(f"/{created['id']}/execute"), {}),
    ]
    for which in ("start", "end"):
        requests += [
            ("GET", feature.path(f"/{which}"), None),
            ("PUT", feature.path(f"/{which}"), {"code": source(f"{which}_function")}),
            ("DELETE", feature.path(f"/{which}"), None),
            ("POST", feature.path(f"/{which}/execute"), {}),
        ]
    for branch in (feature.branch, "main"):
        for method, path, body in requests:
            path = path.replace(f"/branches/{feature.branch}/", f"/branches/{branch}/")
            response = await feature.client.request(method, path, json=body, headers=intruder)
            assert_error(response, "PROJECT_NOT_FOUND")
    assert await feature.names() == ["f"]


async def test_functions_travel_through_merge(feature: Branch, client: httpx.AsyncClient) -> None:
    created = await feature.created("lookup_booking", LOOKUP, description="Find a booking.")
    response = await client.post(
        f"/v1/agents/{feature.agent}/branches/{feature.branch}/merge", headers=feature.headers
    )
    assert response.status_code == 200, response.text
    on_main = await client.get(feature.path(f"/{created['id']}", branch="main"), headers=feature.headers)
    assert on_main.status_code == 200
    assert {k: v for k, v in on_main.json().items() if not k.endswith("At")} == {
        k: v for k, v in created.items() if not k.endswith("At")
    }
