"""Knowledge-base topics: CRUD per the spec, validation, names, references, roles, tenancy, main."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from parley.branches import kinds
from tests.knowledge.support import create_topic, delete_resource, insert_resource, kb, list_topics
from tests.support.envelope import assert_error
from tests.support.factories import account_admin, create_key, key_header

TOPIC_KEYS = {"id", "name", "content", "actions", "exampleQueries", "isActive"}


async def test_create_get_list_update_delete(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    assert await list_topics(client, admin, agent, branch) == []
    created = await create_topic(client, admin, agent, branch)
    assert set(created) == TOPIC_KEYS and created["id"].startswith("TOPIC-")
    assert created == {
        "id": created["id"],
        "name": "Parking",
        "content": "Free parking behind the hotel.",
        "actions": "",
        "exampleQueries": {"queries": []},
        "isActive": True,
    }
    second = await create_topic(
        client,
        admin,
        agent,
        branch,
        name="Breakfast",
        content="Served 7-10am.",
        actions="Offer to book a table.",
        exampleQueries={"queries": ["When is breakfast?", "Is breakfast included?"]},
        isActive=False,
    )
    assert second["exampleQueries"] == {"queries": ["When is breakfast?", "Is breakfast included?"]}
    assert second["isActive"] is False
    assert await list_topics(client, admin, agent, branch) == [created, second]

    url = kb(agent, branch, f"topics/{created['id']}")
    assert (await client.get(url, headers=admin)).json() == created

    response = await client.patch(
        url,
        json={"content": "Parking costs 10 EUR.", "exampleQueries": {"queries": ["Parking?"]}},
        headers=admin,
    )
    assert response.status_code == 204 and response.content == b""
    updated = (await client.get(url, headers=admin)).json()
    assert updated == {
        **created,
        "content": "Parking costs 10 EUR.",
        "exampleQueries": {"queries": ["Parking?"]},
    }

    # An empty patch is a valid no-op.
    assert (await client.patch(url, json={}, headers=admin)).status_code == 204
    assert (await client.get(url, headers=admin)).json() == updated

    response = await client.delete(url, headers=admin)
    assert response.status_code == 204 and response.content == b""
    assert_error(await client.get(url, headers=admin), "KNOWLEDGE_BASE_TOPIC_NOT_FOUND")
    assert await list_topics(client, admin, agent, branch) == [second]


async def test_names_are_unique_after_cleaning(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    first = await create_topic(client, admin, agent, branch, name="Opening Hours")
    other = await create_topic(client, admin, agent, branch, name="Spa")
    for name in ("Opening Hours", "opening-hours!", "  OPENING   hours "):
        response = await client.post(kb(agent, branch), json={"name": name, "content": "x"}, headers=admin)
        error = assert_error(response, "KNOWLEDGE_BASE_TOPIC_ALREADY_EXISTS")
        assert "Opening Hours" in error["message"]
    rename = await client.patch(
        kb(agent, branch, f"topics/{other['id']}"), json={"name": "opening_hours"}, headers=admin
    )
    assert_error(rename, "KNOWLEDGE_BASE_TOPIC_ALREADY_EXISTS")
    # Renaming a topic to another spelling of its own name is fine; names are trimmed.
    own = await client.patch(
        kb(agent, branch, f"topics/{first['id']}"), json={"name": " opening HOURS "}, headers=admin
    )
    assert own.status_code == 204
    assert [t["name"] for t in await list_topics(client, admin, agent, branch)] == ["opening HOURS", "Spa"]


UNKNOWN_IDS = ["TOPIC-NOPE", "x" * 300, "' OR 1=1 --", "café ☕", "<img src=x onerror=alert(1)>", "TOPIC-%00"]


async def test_unknown_topic(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    await create_topic(client, admin, agent, branch)
    for topic_id in UNKNOWN_IDS:
        url = kb(agent, branch, f"topics/{topic_id}")
        for response in (
            await client.get(url, headers=admin),
            await client.patch(url, json={"content": "x"}, headers=admin),
            await client.delete(url, headers=admin),
        ):
            assert_error(response, "KNOWLEDGE_BASE_TOPIC_NOT_FOUND")
    assert len(await list_topics(client, admin, agent, branch)) == 1


VALID = {"name": "Parking", "content": "Free parking."}
INVALID_CREATE_BODIES: list[tuple[Any, str]] = [
    ({}, "/body/name"),
    ({"name": "Parking"}, "/body/content"),
    ({"content": "x"}, "/body/name"),
    ({**VALID, "name": ""}, "/body/name"),
    ({**VALID, "name": "   "}, "/body/name"),
    ({**VALID, "name": "n" * 201}, "/body/name"),
    ({**VALID, "name": 42}, "/body/name"),
    ({**VALID, "name": None}, "/body/name"),
    ({**VALID, "name": "two\nlines"}, "/body/name"),
    ({**VALID, "name": "nul\x00byte"}, "/body/name"),
    ({**VALID, "content": ""}, "/body/content"),
    ({**VALID, "content": " \n\t "}, "/body/content"),
    ({**VALID, "content": "c" * 20_001}, "/body/content"),
    ({**VALID, "content": ["x"]}, "/body/content"),
    ({**VALID, "content": "bell\x07"}, "/body/content"),
    ({**VALID, "actions": "a" * 20_001}, "/body/actions"),
    ({**VALID, "actions": 3}, "/body/actions"),
    ({**VALID, "actions": "nul\x00"}, "/body/actions"),
    ({**VALID, "isActive": "true"}, "/body/isActive"),
    ({**VALID, "isActive": 1}, "/body/isActive"),
    ({**VALID, "exampleQueries": ["a"]}, "/body/exampleQueries"),
    ({**VALID, "exampleQueries": {}}, "/body/exampleQueries/queries"),
    ({**VALID, "exampleQueries": {"queries": ["q"] * 101}}, "/body/exampleQueries/queries"),
    ({**VALID, "exampleQueries": {"queries": ["ok", ""]}}, "/body/exampleQueries/queries/1"),
    ({**VALID, "exampleQueries": {"queries": ["q" * 501]}}, "/body/exampleQueries/queries/0"),
    ({**VALID, "exampleQueries": {"queries": ["a\nb"]}}, "/body/exampleQueries/queries/0"),
    ({**VALID, "exampleQueries": {"queries": [7]}}, "/body/exampleQueries/queries/0"),
    ({**VALID, "exampleQueries": {"queries": [], "extra": 1}}, "/body/exampleQueries/extra"),
    ({**VALID, "id": "TOPIC-MINE"}, "/body/id"),
    ({**VALID, "enabled": True}, "/body/enabled"),
    (["Parking"], "/body"),
    ("Parking", "/body"),
]


async def test_invalid_create_bodies(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    for body, path in INVALID_CREATE_BODIES:
        response = await client.post(kb(agent, branch), json=body, headers=admin)
        error = assert_error(response, "KNOWLEDGE_BASE_TOPICS_INVALID")
        assert path in [e["path"] for e in error["data"]["errors"]], (body, error)
    assert await list_topics(client, admin, agent, branch) == []


INVALID_UPDATE_BODIES: list[tuple[Any, str]] = [
    ({"name": None}, "/body/name"),
    ({"isActive": None}, "/body/isActive"),
    ({"name": ""}, "/body/name"),
    ({"content": ""}, "/body/content"),
    ({"content": "   "}, "/body/content"),
    ({"isActive": "yes"}, "/body/isActive"),
    ({"exampleQueries": {"queries": ["q"] * 101}}, "/body/exampleQueries/queries"),
    ({"actions": "a" * 20_001}, "/body/actions"),
    ({"topicName": "x"}, "/body/topicName"),
    ([], "/body"),
]


async def test_invalid_update_bodies(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    topic = await create_topic(client, admin, agent, branch)
    url = kb(agent, branch, f"topics/{topic['id']}")
    for body, path in INVALID_UPDATE_BODIES:
        error = assert_error(
            await client.patch(url, json=body, headers=admin), "KNOWLEDGE_BASE_TOPICS_INVALID"
        )
        assert path in [e["path"] for e in error["data"]["errors"]], (body, error)
    assert (await client.get(url, headers=admin)).json() == topic


async def test_malformed_requests(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    headers = {**admin, "content-type": "application/json"}
    for raw in (b"{", b'{"name": "a", "content": "b",}', b"\xff\xfe", b'{"name": "\\ud800", "content": "x"}'):
        assert_error(
            await client.post(kb(agent, branch), content=raw, headers=headers),
            "KNOWLEDGE_BASE_TOPICS_INVALID",
        )
    form = await client.post(kb(agent, branch), data={"name": "a", "content": "b"}, headers=admin)
    assert_error(form, "UNSUPPORTED_MEDIA_TYPE")
    text = await client.post(
        kb(agent, branch), content=b"name=a", headers={**admin, "content-type": "text/plain"}
    )
    assert_error(text, "UNSUPPORTED_MEDIA_TYPE")
    assert_error(await client.post(kb(agent, branch), headers=admin), "KNOWLEDGE_BASE_TOPICS_INVALID")
    assert await list_topics(client, admin, agent, branch) == []


async def test_limits_are_inclusive(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    body = {
        "name": "n" * 200,
        "content": "c" * 20_000,
        "actions": "a" * 20_000,
        "exampleQueries": {"queries": [f"{i:03d}" + "q" * 497 for i in range(100)]},
    }
    topic = await create_topic(client, admin, agent, branch, **body)
    assert {k: topic[k] for k in body} == body


async def test_text_is_stored_exactly(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    content = "Robert'); DROP TABLE branch_resource;--\n<script>alert(1)</script>\r\n\tCafé ☕ 東京 🙂 ‮"
    topic = await create_topic(
        client,
        admin,
        agent,
        branch,
        name="  Café ☕ 東京 🙂  ",
        content=content,
        actions="$(rm -rf /) ${jndi:ldap://x} {not a reference}",
        exampleQueries={"queries": ["  ¿Dónde aparco?  ", "' OR '1'='1"]},
    )
    fetched = (await client.get(kb(agent, branch, f"topics/{topic['id']}"), headers=admin)).json()
    assert fetched == topic
    assert topic["name"] == "Café ☕ 東京 🙂"
    assert topic["content"] == content
    assert topic["exampleQueries"]["queries"] == ["¿Dónde aparco?", "' OR '1'='1"]


async def test_references_must_name_resources_of_the_branch(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    actions = (
        "Call {{fn:book_room}}, hand off with {{ho:front_desk}}, text {{twilio_sms:directions}} "
        "or {{sms:directions}}; mention {{attr:hotel_name}} and {{vrbl:guest_name}}; "
        "ask {{entity:arrival_date}}."
    )
    body = {"name": "Booking", "content": "We take bookings. {{fn:book_room}}", "actions": actions}
    error = assert_error(
        await client.post(kb(agent, branch), json=body, headers=admin), "KNOWLEDGE_BASE_RICH_TEXT_INVALID"
    )
    references = error["data"]["references"]
    assert [(r["field"], r["reference"], r["reason"]) for r in references] == [
        ("content", "{{fn:book_room}}", "not_found"),
        ("actions", "{{fn:book_room}}", "not_found"),
        ("actions", "{{ho:front_desk}}", "not_found"),
        ("actions", "{{twilio_sms:directions}}", "not_found"),
        ("actions", "{{sms:directions}}", "not_found"),
        ("actions", "{{attr:hotel_name}}", "not_found"),
        ("actions", "{{vrbl:guest_name}}", "not_found"),
        ("actions", "{{entity:arrival_date}}", "not_found"),
    ]
    assert references[1]["position"] == actions.index("{{fn:book_room}}")
    assert await list_topics(client, admin, agent, branch) == []

    code = 'def book_room(conv, nights: int):\n    conv.state.guest_name = "Ada"\n    return "ok"\n'
    await insert_resource(app, branch, kinds.FUNCTION, {"name": "book_room", "code": code})
    await insert_resource(app, branch, kinds.HANDOFF, {"name": "front_desk", "method": "refer"})
    await insert_resource(app, branch, kinds.SMS_TEMPLATE, {"name": "directions", "text": "Turn left."})
    await insert_resource(app, branch, kinds.ATTRIBUTE, {"name": "hotel_name"})
    await insert_resource(app, branch, kinds.ENTITY, {"name": "arrival_date", "type": "date"})
    created = await create_topic(client, admin, agent, branch, **body)
    assert created["actions"] == actions


async def test_malformed_and_foreign_references(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    actions = "{{fn:}} then {{fn book}} then {{unknown:x}} then {{ft:transition}} then {{fn:ok"
    body = {"name": "Weird", "content": "Plain {text} and }} braces.", "actions": actions}
    error = assert_error(
        await client.post(kb(agent, branch), json=body, headers=admin), "KNOWLEDGE_BASE_RICH_TEXT_INVALID"
    )
    found = [(r["field"], r["reason"]) for r in error["data"]["references"]]
    # A transition function lives in a flow: a topic has no flow, so it can never name one.
    assert found == [
        ("actions", "malformed"),
        ("actions", "malformed"),
        ("actions", "unknown_kind"),
        ("actions", "not_found"),
        ("actions", "malformed"),
    ]
    assert await list_topics(client, admin, agent, branch) == []


async def test_update_checks_only_the_text_it_changes(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    function_id = await insert_resource(
        app,
        branch,
        kinds.FUNCTION,
        {"name": "late_checkout", "code": "def late_checkout(conv):\n    return 'ok'\n"},
    )
    topic = await create_topic(client, admin, agent, branch, actions="Use {{fn:late_checkout}}.")
    url = kb(agent, branch, f"topics/{topic['id']}")
    # Deleting a referenced resource is allowed (CONTRACT.md); unrelated edits still work.
    await delete_resource(app, branch, kinds.FUNCTION, function_id)
    assert (
        await client.patch(url, json={"isActive": False, "name": "Checkout"}, headers=admin)
    ).status_code == 204
    error = assert_error(
        await client.patch(url, json={"actions": "Use {{fn:late_checkout}} now."}, headers=admin),
        "KNOWLEDGE_BASE_RICH_TEXT_INVALID",
    )
    assert error["data"]["references"][0]["reference"] == "{{fn:late_checkout}}"
    bad_content = await client.patch(url, json={"content": "See {{ho:nobody}}"}, headers=admin)
    assert_error(bad_content, "KNOWLEDGE_BASE_RICH_TEXT_INVALID")
    fetched = (await client.get(url, headers=admin)).json()
    assert fetched == {**topic, "isActive": False, "name": "Checkout"}


async def test_main_is_read_only_but_readable(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    topic = await create_topic(client, admin, agent, branch)
    merged = await client.post(f"/v1/agents/{agent}/branches/{branch}/merge", json={}, headers=admin)
    assert merged.status_code == 200, merged.text
    assert await list_topics(client, admin, agent, "main") == [topic]
    url = kb(agent, "main", f"topics/{topic['id']}")
    assert (await client.get(url, headers=admin)).json() == topic
    for response in (
        await client.post(kb(agent, "main"), json={"name": "New", "content": "x"}, headers=admin),
        await client.patch(url, json={"content": "changed"}, headers=admin),
        await client.delete(url, headers=admin),
        await client.patch(kb(agent, "main", "topics/TOPIC-NOPE"), json={}, headers=admin),
    ):
        assert_error(response, "BRANCH_MAIN_READ_ONLY")
    assert await list_topics(client, admin, agent, "main") == [topic]


async def test_roles(client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str) -> None:
    topic = await create_topic(client, admin, agent, branch)
    url = kb(agent, branch, f"topics/{topic['id']}")
    viewer = key_header((await create_key(client, admin, "default", "viewer"))["key"])
    external = key_header((await create_key(client, admin, "default", "external"))["key"])
    editor = key_header((await create_key(client, admin, "default", "editor"))["key"])

    assert await list_topics(client, viewer, agent, branch) == [topic]
    assert (await client.get(url, headers=viewer)).json() == topic
    writes = [
        ("POST", kb(agent, branch), {"name": "New", "content": "x"}),
        ("PATCH", url, {"content": "changed"}),
        ("DELETE", url, None),
    ]
    for method, path, body in writes:
        assert_error(await client.request(method, path, json=body, headers=viewer), "USER_ACCESS_FORBIDDEN")
    for method, path, body in [("GET", kb(agent, branch), None), ("GET", url, None), *writes]:
        assert_error(
            await client.request(method, path, json=body, headers=external), "EXTERNAL_USER_FORBIDDEN"
        )
        assert_error(await client.request(method, path, json=body), "AUTH_USER_UNAUTHORISED")
    assert await list_topics(client, admin, agent, branch) == [topic]

    response = await client.patch(url, json={"content": "Editors may write."}, headers=editor)
    assert response.status_code == 204


async def test_agent_allow_list(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    other = await client.post(
        "/v1/accounts/default/agents",
        json={"name": "Other", "agentId": "other", "responseSettings": {"greeting": "Hi"}},
        headers=admin,
    )
    assert other.status_code == 200, other.text
    scoped = key_header((await create_key(client, admin, "default", "editor", agentIds=["other"]))["key"])
    assert_error(await client.get(kb(agent, branch), headers=scoped), "USER_ACCESS_FORBIDDEN")
    assert_error(
        await client.post(kb(agent, branch), json={"name": "x", "content": "y"}, headers=scoped),
        "USER_ACCESS_FORBIDDEN",
    )


async def test_other_tenants_see_nothing(
    client: httpx.AsyncClient, operator: dict[str, str], admin: dict[str, str], agent: str, branch: str
) -> None:
    topic = await create_topic(client, admin, agent, branch)
    intruder = await account_admin(client, operator, "intruder")
    url = kb(agent, branch, f"topics/{topic['id']}")
    csv_file = {"file": ("t.csv", b"name,content\r\nStolen,x\r\n", "text/csv")}
    attempts = [
        await client.get(kb(agent, branch), headers=intruder),
        await client.post(kb(agent, branch), json={"name": "Stolen", "content": "x"}, headers=intruder),
        await client.get(url, headers=intruder),
        await client.patch(url, json={"content": "stolen"}, headers=intruder),
        await client.delete(url, headers=intruder),
        await client.post(kb(agent, branch, "import"), files=csv_file, headers=intruder),
        await client.post(kb(agent, branch, "import"), headers=intruder),
        await client.get(kb(agent, branch, "export"), headers=intruder),
        await client.get(kb(agent, "main"), headers=intruder),
        await client.get(kb(agent, "main", "export"), headers=intruder),
    ]
    for response in attempts:
        assert_error(response, "PROJECT_NOT_FOUND")
    assert await list_topics(client, admin, agent, branch) == [topic]


async def test_unknown_agent_and_branch(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> None:
    for path in ("topics", "topics/TOPIC-X", "export"):
        assert_error(await client.get(kb("ghost", "main", path), headers=admin), "PROJECT_NOT_FOUND")
        assert_error(await client.get(kb(agent, "BRANCH-NOPE", path), headers=admin), "BRANCH_NOT_FOUND")
    created = await client.post(kb(agent, "BRANCH-NOPE"), json={"name": "x", "content": "y"}, headers=admin)
    assert_error(created, "BRANCH_NOT_FOUND")
    imported = await client.post(kb(agent, "BRANCH-NOPE", "import"), headers=admin)
    assert_error(imported, "BRANCH_NOT_FOUND")


async def test_branches_are_isolated(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, branch: str
) -> None:
    topic = await create_topic(client, admin, agent, branch)
    other = (
        await client.post(f"/v1/agents/{agent}/branches", json={"branchName": "other"}, headers=admin)
    ).json()
    assert await list_topics(client, admin, agent, other["branchId"]) == []
    assert_error(
        await client.get(kb(agent, other["branchId"], f"topics/{topic['id']}"), headers=admin),
        "KNOWLEDGE_BASE_TOPIC_NOT_FOUND",
    )
    # The same name may exist in another branch.
    await create_topic(client, admin, agent, other["branchId"])
