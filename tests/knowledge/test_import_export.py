"""CSV import (multipart, upsert by name, all or nothing) and export (formula-safe, round-trips)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from parley.branches import kinds
from parley.config import LimitSettings, Settings
from tests.conftest import make_settings, started_app
from tests.knowledge.support import (
    CSV_HEADER,
    create_topic,
    insert_resource,
    kb,
    list_topics,
    new_branch,
    upload,
)
from tests.support.envelope import assert_error
from tests.support.factories import create_agent, create_key, key_header


def without_ids(topics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in topic.items() if k != "id"} for topic in topics]


async def test_import_creates_and_updates_by_name(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    parking = await create_topic(client, admin, agent, branch, actions="Offer valet.", isActive=False)
    spa = await create_topic(client, admin, agent, branch, name="Spa", content="Open 9-21.")
    text = (
        CSV_HEADER
        + '  PARKING ,Parking costs 10 EUR a night.,,"Where do I park?\r\nIs parking free?",yes\r\n'
        "Breakfast,Served 7-10am.,Offer a table.,When is breakfast?,FALSE\r\n"
        'Pets,"Dogs welcome,\nno cats.",,,\r\n'
    )
    response = await upload(client, admin, agent, branch, text)
    assert response.status_code == 200, response.text
    result = response.json()
    assert set(result) == {"created", "updated", "topics"}
    assert (result["created"], result["updated"]) == (2, 1)
    assert result["topics"][0] == {
        "id": parking["id"],
        "name": "PARKING",
        "content": "Parking costs 10 EUR a night.",
        "actions": "",
        "exampleQueries": {"queries": ["Where do I park?", "Is parking free?"]},
        "isActive": True,
    }
    assert without_ids(result["topics"][1:]) == [
        {
            "name": "Breakfast",
            "content": "Served 7-10am.",
            "actions": "Offer a table.",
            "exampleQueries": {"queries": ["When is breakfast?"]},
            "isActive": False,
        },
        {
            "name": "Pets",
            "content": "Dogs welcome,\nno cats.",
            "actions": "",
            "exampleQueries": {"queries": []},
            "isActive": True,
        },
    ]
    assert all(topic["id"].startswith("TOPIC-") for topic in result["topics"])
    assert await list_topics(client, admin, agent, branch) == [
        result["topics"][0],
        spa,
        *result["topics"][1:],
    ]


async def test_absent_optional_columns_keep_existing_values(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    parking = await create_topic(
        client,
        admin,
        agent,
        branch,
        actions="Offer valet.",
        exampleQueries={"queries": ["Valet?"]},
        isActive=False,
    )
    response = await upload(
        client, admin, agent, branch, "Content,Name\nNew parking text.,parking\nGym,Gym info\n"
    )
    assert response.status_code == 200, response.text
    topics = await list_topics(client, admin, agent, branch)
    # The file's spelling of the name wins.
    assert topics[0] == {**parking, "name": "parking", "content": "New parking text."}
    # The second row's cells are (content, name) as the header says.
    assert without_ids(topics[1:]) == [
        {
            "name": "Gym info",
            "content": "Gym",
            "actions": "",
            "exampleQueries": {"queries": []},
            "isActive": True,
        }
    ]


async def test_a_bad_third_row_writes_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    parking = await create_topic(client, admin, agent, branch)
    text = CSV_HEADER + "Parking,Changed.,,,\r\nSpa,Open 9-21.,,,\r\n   ,No name.,,,\r\nGym,Open 24/7.,,,\r\n"
    error = assert_error(await upload(client, admin, agent, branch, text), "KNOWLEDGE_BASE_TOPICS_INVALID")
    assert error["data"]["invalidRows"] == [4]
    assert error["data"]["rows"][0]["errors"][0]["column"] == "name"
    assert await list_topics(client, admin, agent, branch) == [parking]


async def test_a_bad_reference_in_the_third_row_writes_nothing(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    await insert_resource(
        app, branch, kinds.FUNCTION, {"name": "book_spa", "code": "def book_spa(conv):\n    pass\n"}
    )
    parking = await create_topic(client, admin, agent, branch)
    text = (
        CSV_HEADER + "Parking,Changed.,,,\r\n"
        "Spa,Open 9-21.,Use {{fn:book_spa}}.,,\r\n"
        "Gym,Ask {{ho:gym_desk}}.,Use {{fn:book_gym}} or {{fn:book_spa}}.,,\r\n"
        "Pool,Heated.,{{sms:pool}},,\r\n"
    )
    error = assert_error(await upload(client, admin, agent, branch, text), "KNOWLEDGE_BASE_RICH_TEXT_INVALID")
    assert error["data"]["invalidRows"] == [4, 5]
    assert error["data"]["totalReferences"] == 3
    assert [(r["row"], r["field"], r["reference"], r["reason"]) for r in error["data"]["references"]] == [
        (4, "content", "{{ho:gym_desk}}", "not_found"),
        (4, "actions", "{{fn:book_gym}}", "not_found"),
        (5, "actions", "{{sms:pool}}", "not_found"),
    ]
    assert await list_topics(client, admin, agent, branch) == [parking]

    await insert_resource(app, branch, kinds.HANDOFF, {"name": "gym_desk"})
    await insert_resource(
        app, branch, kinds.FUNCTION, {"name": "book_gym", "code": "def book_gym(conv):\n    pass\n"}
    )
    await insert_resource(app, branch, kinds.SMS_TEMPLATE, {"name": "pool", "text": "Pool hours."})
    response = await upload(client, admin, agent, branch, text)
    assert response.status_code == 200, response.text
    assert (response.json()["created"], response.json()["updated"]) == (3, 1)


async def test_every_bad_row_is_reported(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    many_queries = "\n".join(f"q{i}" for i in range(101))
    text = (
        CSV_HEADER + "Good,Fine.,,,\r\n"
        "Flag,Fine.,,,maybe\r\n"
        f'Queries,Fine.,,"{many_queries}",\r\n'
        "Extra,Fine.,,,true,surprise\r\n"
        "good,Duplicate of row 2 once cleaned.,,,\r\n"
        f"Long,{'c' * 20_001},,,\r\n"
        "Empty,,,,\r\n"
        "Control,Bell \x07 inside.,,,\r\n"
        "Trailing,Empty extra cells are fine.,,,,,\r\n"
    )
    error = assert_error(await upload(client, admin, agent, branch, text), "KNOWLEDGE_BASE_TOPICS_INVALID")
    assert error["data"]["invalidRows"] == [3, 4, 5, 6, 7, 8, 9]
    by_row = {r["row"]: [(e["column"], e["type"]) for e in r["errors"]] for r in error["data"]["rows"]}
    assert by_row[3] == [("is_active", "bool_parsing")]
    assert by_row[4] == [("example_queries", "too_long")]
    assert by_row[5] == [(None, "too_many_cells")]
    assert by_row[6] == [("name", "duplicate_name")]
    assert by_row[7] == [("content", "string_too_long")]
    assert by_row[8] == [("content", "string_too_short")]
    assert by_row[9] == [("content", "value_error")]
    assert "3, 4, 5" in error["message"]
    assert await list_topics(client, admin, agent, branch) == []


NO_FILE_REQUESTS: list[dict[str, Any]] = [
    {},
    {"json": {"file": "name,content\nA,B\n"}},
    {"content": b"name,content\r\nA,B\r\n", "headers": {"content-type": "text/csv"}},
    {"data": {"file": "name,content\nA,B\n"}},
    {"files": {"other": ("t.csv", b"name,content\r\nA,B\r\n", "text/csv")}},
    {"data": {"file": "name,content\nA,B\n"}, "files": {"other": ("t.csv", b"x", "text/csv")}},
    {"files": {"file": ("t.csv", b"", "text/csv")}},
    {"files": {"file": ("", b"", "application/octet-stream")}},
    {"files": {"file": ("t.csv", b"\xef\xbb\xbf \r\n\r\n", "text/csv")}},
    {"files": {"file": ("t.csv", b",,,\r\n,,\r\n", "text/csv")}},
    {"files": [("file", ("a.csv", b"name,content\r\nA,B\r\n", "text/csv"))] * 2},
    {"content": b"--xyz\r\ngarbage", "headers": {"content-type": "multipart/form-data; boundary=xyz"}},
    {"content": b"garbage", "headers": {"content-type": "multipart/form-data"}},
]


async def test_no_csv_file(client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str) -> None:
    for request_kwargs in NO_FILE_REQUESTS:
        kwargs = dict(request_kwargs)
        headers = {**admin, **kwargs.pop("headers", {})}
        response = await client.post(kb(agent, branch, "import"), headers=headers, **kwargs)
        error = assert_error(response, "KNOWLEDGE_BASE_IMPORT_NO_CSV_FOUND")
        # The message says what to send instead.
        assert error["message"] != "No CSV file found in the import request.", request_kwargs
    assert await list_topics(client, admin, agent, branch) == []


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("topics.csv", "name,content\nA,B\n")
    return buffer.getvalue()


NOT_CSV: list[tuple[bytes, str]] = [
    (b"name,content\r\nA,B\r\n", "image/png"),
    (b"name,content\r\nA,B\r\n", "application/json"),
    (b"name,content\r\nA,B\r\n", "text/html; charset=utf-8"),
    (_zip(), "text/csv"),
    (_zip(), "application/octet-stream"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "application/vnd.ms-excel"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "text/csv"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "text/csv"),
    (b"name,content\r\nA,B\x00C\r\n", "text/csv"),
    ("name,content\r\nCaf\u00e9,B\r\n".encode("latin-1"), "text/csv"),
    ("name,content\r\nA,B\r\n".encode("utf-16"), "text/csv"),
    (b'name,content\r\n"A"B,C\r\n', "text/csv"),
    (b'name,content\r\nA,"never closed\r\n', "text/csv"),
]


async def test_not_csv(client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str) -> None:
    for content, content_type in NOT_CSV:
        response = await upload(client, admin, agent, branch, content, content_type=content_type)
        assert_error(response, "KNOWLEDGE_BASE_IMPORT_INVALID_TYPE")
    assert await list_topics(client, admin, agent, branch) == []


MISSING_COLUMNS: list[tuple[str, list[str]]] = [
    ("title,body\r\nA,B\r\n", ["name", "content"]),
    ("name;content\r\nA;B\r\n", ["name", "content"]),
    ("name\tcontent\r\nA\tB\r\n", ["name", "content"]),
    ("name,actions\r\nA,B\r\n", ["content"]),
    ("\r\n\r\ncontent,example_queries\r\n", ["name"]),
    ('{"name": "A", "content": "B"}', ["name", "content"]),
]


async def test_missing_columns(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    for text, missing in MISSING_COLUMNS:
        response = await upload(client, admin, agent, branch, text)
        error = assert_error(response, "KNOWLEDGE_BASE_IMPORT_MISSING_COLUMNS")
        assert error["data"]["missingColumns"] == missing, text
    assert await list_topics(client, admin, agent, branch) == []


async def test_duplicate_columns(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    response = await upload(client, admin, agent, branch, "name,content,Name\r\nA,B,C\r\n")
    error = assert_error(response, "KNOWLEDGE_BASE_TOPICS_INVALID")
    assert error["data"]["duplicateColumns"] == ["name"]


async def test_header_spellings_bom_and_generic_media_types(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    text = (
        "\ufeff Name ,Content,Example Queries,isActive,notes\n"
        "Café ☕,Ouvert 7 h à 10 h.,Quand ?,0,ignored column\n"
    )
    for content_type, filename in (
        ("application/octet-stream", "kb.csv"),
        ("", "kb.csv"),
        ("text/plain", "kb.txt"),
    ):
        response = await upload(
            client, admin, agent, branch, text.encode("utf-8"), filename=filename, content_type=content_type
        )
        assert response.status_code == 200, response.text
    topics = await list_topics(client, admin, agent, branch)
    assert without_ids(topics) == [
        {
            "name": "Café ☕",
            "content": "Ouvert 7 h à 10 h.",
            "actions": "",
            "exampleQueries": {"queries": ["Quand ?"]},
            "isActive": False,
        }
    ]


async def test_header_only_file_changes_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    parking = await create_topic(client, admin, agent, branch)
    response = await upload(client, admin, agent, branch, CSV_HEADER)
    assert response.status_code == 200 and response.json() == {"created": 0, "updated": 0, "topics": []}
    assert await list_topics(client, admin, agent, branch) == [parking]


async def test_row_cap(client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str) -> None:
    text = "name,content\r\n" + "".join(f"Topic {i},Content {i}\r\n" for i in range(5001))
    error = assert_error(await upload(client, admin, agent, branch, text), "KNOWLEDGE_BASE_TOPICS_INVALID")
    assert error["data"]["maxRows"] == 5000
    assert await list_topics(client, admin, agent, branch) == []


async def test_oversized_cell(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    text = f"name,content\r\nA,B\r\nHuge,{'x' * 200_000}\r\n"
    error = assert_error(await upload(client, admin, agent, branch, text), "KNOWLEDGE_BASE_TOPICS_INVALID")
    assert error["data"]["invalidRows"] == [3]


@pytest.fixture
async def small_body_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings: Settings = make_settings(
        database_url, limits=LimitSettings(max_body_bytes=2048, maintenance_cache_seconds=0)
    )
    async for app in started_app(settings):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as c:
            yield c


async def test_body_limit_applies(small_body_client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    client = small_body_client
    await create_agent(client, admin, "default", "hotel")
    branch = await new_branch(client, admin, "hotel", "big")
    text = "name,content\r\n" + "".join(f"Topic {i},Content {i}\r\n" for i in range(200))
    assert_error(await upload(client, admin, "hotel", branch, text), "PAYLOAD_TOO_LARGE")

    async def chunks() -> AsyncIterator[bytes]:
        boundary = b"--b\r\n"
        yield boundary + b'Content-Disposition: form-data; name="file"; filename="t.csv"\r\n\r\n'
        for _ in range(100):
            yield b"name,content\r\n" * 10
        yield b"\r\n--b--\r\n"

    streamed = await client.post(
        kb("hotel", branch, "import"),
        content=chunks(),
        headers={**admin, "content-type": "multipart/form-data; boundary=b"},
    )
    assert_error(streamed, "PAYLOAD_TOO_LARGE")
    assert await list_topics(client, admin, "hotel", branch) == []


async def test_import_roles_and_main(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    text = "name,content\r\nA,B\r\n"
    viewer = key_header((await create_key(client, admin, "default", "viewer"))["key"])
    external = key_header((await create_key(client, admin, "default", "external"))["key"])
    assert_error(await upload(client, viewer, agent, branch, text), "USER_ACCESS_FORBIDDEN")
    assert_error(await upload(client, external, agent, branch, text), "EXTERNAL_USER_FORBIDDEN")
    assert_error(await upload(client, {}, agent, branch, text), "AUTH_USER_UNAUTHORISED")
    assert_error(await upload(client, admin, agent, "main", text), "BRANCH_MAIN_READ_ONLY")
    # Access is checked before the upload is looked at.
    assert_error(await client.post(kb(agent, branch, "import"), headers=viewer), "USER_ACCESS_FORBIDDEN")
    assert_error(await client.post(kb(agent, "main", "import"), headers=admin), "BRANCH_MAIN_READ_ONLY")
    assert await list_topics(client, admin, agent, branch) == []
    assert await list_topics(client, admin, agent, "main") == []

    assert (await client.get(kb(agent, branch, "export"), headers=viewer)).status_code == 200
    assert_error(await client.get(kb(agent, branch, "export"), headers=external), "EXTERNAL_USER_FORBIDDEN")
    assert_error(await client.get(kb(agent, branch, "export")), "AUTH_USER_UNAUTHORISED")


TRICKY_TOPICS: list[dict[str, Any]] = [
    {
        "name": '=HYPERLINK("http://evil")',
        "content": '+1 555 0100 is the front desk.\nLine two, with a comma.\r\nWindows line, "quoted".',
        "actions": "-5% for members; call {{fn:book_room}}.",
        "exampleQueries": {"queries": ["@reception?", "=1+1", "'=already protected", "Wie spät ist es? 🕐"]},
        "isActive": False,
    },
    {
        "name": "'Quoted name",
        "content": "\tStarts with a tab.",
        "actions": "\rStarts with a carriage return.",
        "exampleQueries": {"queries": []},
        "isActive": True,
    },
    {
        "name": "東京 — 日本語",
        "content": "''=two apostrophes then equals",
        "actions": "",
        "exampleQueries": {"queries": ["-negative first query", "second"]},
        "isActive": True,
    },
]


async def test_export_is_formula_safe_and_round_trips(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    await insert_resource(
        app, branch, kinds.FUNCTION, {"name": "book_room", "code": "def book_room(conv):\n    pass\n"}
    )
    for topic in TRICKY_TOPICS:
        await create_topic(client, admin, agent, branch, **topic)
    original = await list_topics(client, admin, agent, branch)
    assert without_ids(original) == TRICKY_TOPICS

    response = await client.get(kb(agent, branch, "export"), headers=admin)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        response.headers["content-disposition"]
        == f'attachment; filename="{agent}-{branch}-knowledge-base.csv"'
    )
    assert response.content.startswith(b"name,content,actions,example_queries,is_active\r\n")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))
    assert rows[1] == [
        '\'=HYPERLINK("http://evil")',
        '\'+1 555 0100 is the front desk.\nLine two, with a comma.\r\nWindows line, "quoted".',
        "'-5% for members; call {{fn:book_room}}.",
        "'@reception?\n=1+1\n'=already protected\nWie spät ist es? 🕐",
        "false",
    ]
    assert rows[2] == [
        "'Quoted name",
        "'\tStarts with a tab.",
        "'\rStarts with a carriage return.",
        "",
        "true",
    ]
    assert rows[3][1] == "'''=two apostrophes then equals" and rows[3][3].startswith("'-negative")
    for row in rows[1:]:
        assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in row)

    # Into a fresh branch (the function must exist there too): the same topics, byte for byte.
    fresh = await new_branch(client, admin, agent, "restored")
    await insert_resource(
        app, fresh, kinds.FUNCTION, {"name": "book_room", "code": "def book_room(conv):\n    pass\n"}
    )
    imported = await upload(client, admin, agent, fresh, response.content)
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 3
    assert without_ids(await list_topics(client, admin, agent, fresh)) == TRICKY_TOPICS

    # Into the same branch: every topic is matched by name and nothing changes.
    again = await upload(client, admin, agent, branch, response.content)
    assert (again.json()["created"], again.json()["updated"]) == (0, 3)
    assert await list_topics(client, admin, agent, branch) == original


async def test_export_of_an_empty_branch_and_of_main(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    response = await client.get(kb(agent, "main", "export"), headers=admin)
    assert response.status_code == 200
    assert response.text == "name,content,actions,example_queries,is_active\r\n"
    assert 'filename="hotel-main-knowledge-base.csv"' in response.headers["content-disposition"]
    await create_topic(client, admin, agent, branch)
    await client.post(f"/v1/agents/{agent}/branches/{branch}/merge", json={}, headers=admin)
    exported = (await client.get(kb(agent, "main", "export"), headers=admin)).text
    assert exported.splitlines()[1] == "Parking,Free parking behind the hotel.,,,true"
