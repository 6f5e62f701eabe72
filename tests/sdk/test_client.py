"""Every namespace method, and the error mapping, through both twins against the real app."""

from __future__ import annotations

import uuid

import pytest

from parley.config import Settings
from parley.sdk import (
    AccountNotFoundError,
    AsyncClient,
    AuthUserNotFoundError,
    AuthUserUnauthorisedError,
    Client,
    ParleyError,
    ProjectIdAlreadyExistsError,
    ProjectNotFoundError,
    UserAccessForbiddenError,
)
from tests.conftest import ADMIN_KEY, OPERATOR_KEY
from tests.sdk.support import Connector, app_thread, settle

CORRELATION_HEADER = "X-PolyAI-Correlation-Id"


async def test_health(connect: Connector) -> None:
    health = await settle(connect(None).health())
    assert health["status"] == "ok"
    assert health["stores"]["database"]["status"] == "ok"


async def test_accounts(connect: Connector) -> None:
    operator = connect(OPERATOR_KEY)
    created = await settle(operator.accounts.create("globex", "Globex", admin_email="ops@globex.test"))
    assert created["account"]["accountId"] == "globex"
    assert created["adminUser"]["email"] == "ops@globex.test"
    assert created["adminKey"]["key"]

    assert (await settle(operator.accounts.get("globex")))["name"] == "Globex"
    listed = await settle(operator.accounts.list())
    assert {a["accountId"] for a in listed["accounts"]} >= {"default", "globex"}

    # The key handed out at creation works, and sees only its own account.
    globex = connect(created["adminKey"]["key"])
    own = await settle(globex.accounts.list())
    assert [a["accountId"] for a in own["accounts"]] == ["globex"]


async def test_users(connect: Connector) -> None:
    client = connect()
    user = await settle(client.users.create("default", email="ada@example.test", name="Ada", role="editor"))
    assert user["role"] == "editor"
    assert (await settle(client.users.get("default", user["id"])))["email"] == "ada@example.test"
    listed = await settle(client.users.list("default"))
    assert user["id"] in {u["id"] for u in listed["users"]}

    await settle(client.users.delete("default", user["id"]))
    with pytest.raises(AuthUserNotFoundError) as caught:
        await settle(client.users.get("default", user["id"]))
    assert caught.value.status == 404


async def test_api_keys(connect: Connector) -> None:
    client = connect()
    created = await settle(client.api_keys.create("default", name="ci", role="viewer"))
    assert created["role"] == "viewer" and created["key"]
    listed = await settle(client.api_keys.list("default"))
    shown = {k["id"]: k for k in listed["apiKeys"]}
    assert created["id"] in shown
    assert "key" not in shown[created["id"]]

    rotated = await settle(client.api_keys.rotate("default", created["id"]))
    assert rotated["id"] != created["id"]
    assert (await settle(connect(rotated["key"]).agents.list("default"))) == []
    with pytest.raises(UserAccessForbiddenError, match="rotat"):
        await settle(connect(created["key"]).agents.list("default"))

    await settle(client.api_keys.revoke("default", rotated["id"]))
    listed = await settle(client.api_keys.list("default"))
    assert rotated["id"] not in {k["id"] for k in listed["apiKeys"]}


async def test_agents(connect: Connector) -> None:
    client = connect()
    agent = await settle(
        client.agents.create(
            "default", name="Hotel", greeting="Hello!", agent_id="hotel", language_code="en-US"
        )
    )
    assert agent["agentId"] == "hotel" and agent["branchCount"] == 1
    generated = await settle(client.agents.create("default", name="Spa", greeting="Hi"))
    assert generated["agentId"]

    copy = await settle(client.agents.duplicate("hotel", new_agent_name="Hotel 2", new_agent_id="hotel2"))
    assert (copy["agentId"], copy["agentName"]) == ("hotel2", "Hotel 2")
    listed = await settle(client.agents.list("default"))
    assert {a["agentId"] for a in listed} == {"hotel", "hotel2", generated["agentId"]}

    with pytest.raises(ProjectIdAlreadyExistsError):
        await settle(client.agents.create("default", name="Again", greeting="Hi", agent_id="hotel"))
    for agent_id in ("hotel", "hotel2", generated["agentId"]):
        await settle(client.agents.delete(agent_id))
    assert await settle(client.agents.list("default")) == []


async def test_error_maps_to_its_class_with_the_envelope(connect: Connector) -> None:
    client = connect()
    with pytest.raises(ProjectNotFoundError) as caught:
        await settle(client.agents.delete("no-such-agent"))
    error = caught.value
    assert isinstance(error, ParleyError)
    assert (error.status, error.code, error.id) == (404, "PROJECT_NOT_FOUND", 15001)
    assert error.message
    assert error.correlation_id
    assert error.correlation_id == error.headers[CORRELATION_HEADER]
    for part in ("PROJECT_NOT_FOUND", "15001", error.message, error.correlation_id):
        assert part in str(error)


async def test_client_correlation_id_is_sent_and_echoed(connect: Connector) -> None:
    client = connect()
    correlation_id = f"sdk-test-{uuid.uuid4().hex[:8]}"
    with pytest.raises(AccountNotFoundError) as caught:
        await settle(client.users.list("nowhere", correlation_id=correlation_id))
    assert caught.value.correlation_id == correlation_id
    assert caught.value.headers[CORRELATION_HEADER] == correlation_id
    assert correlation_id in str(caught.value)


@pytest.mark.parametrize("api_key", ["pk_not_a_real_key_0123456789", None])
async def test_bad_or_missing_key(connect: Connector, api_key: str | None) -> None:
    with pytest.raises(AuthUserUnauthorisedError) as caught:
        await settle(connect(api_key).agents.list("default"))
    assert (caught.value.status, caught.value.id) == (401, 3002)


async def test_ids_are_path_encoded(connect: Connector) -> None:
    # Unencoded, "?" would start a query string and the call would address agent "what".
    await settle(connect().agents.create("default", name="What", greeting="Hi", agent_id="what"))
    with pytest.raises(ProjectNotFoundError):
        await settle(connect().agents.delete("what?x=1"))
    assert [a["agentId"] for a in await settle(connect().agents.list("default"))] == ["what"]


@pytest.mark.parametrize("bad_id", ["", ".", ".."])
def test_empty_and_dot_ids_are_refused_before_sending(bad_id: str) -> None:
    with Client("http://127.0.0.1:9") as client, pytest.raises(ValueError, match="invalid id"):
        client.agents.delete(bad_id)


async def test_clients_are_context_managers() -> None:
    with Client("http://127.0.0.1:9") as client:
        assert repr(client) == "Client(base_url='http://127.0.0.1:9')"
    assert client._http.is_closed
    async with AsyncClient("http://127.0.0.1:9") as aclient:
        pass
    assert aclient._http.is_closed


def test_sync_client_over_real_http(settings: Settings) -> None:
    """The other sync tests hand requests to the app directly; this one goes through sockets."""
    with app_thread(settings, http=True) as server, Client(server.url, ADMIN_KEY) as client:
        assert client.health()["status"] == "ok"
        client.agents.create("default", name="Hotel", greeting="Hello!", agent_id="hotel")
        assert [a["agentId"] for a in client.agents.list("default")] == ["hotel"]
        with pytest.raises(ProjectNotFoundError) as caught:
            client.agents.delete("no-such-agent", correlation_id="over-http-1")
        assert caught.value.correlation_id == caught.value.headers[CORRELATION_HEADER] == "over-http-1"
        client.agents.delete("hotel")
        assert client.agents.list("default") == []
