"""Deployments, the Chat API and debug chat through both twins, against the real app and runtime."""

from __future__ import annotations

import pytest

from parley.sdk import (
    AsyncClient,
    AuthUserInvalidTokenError,
    ChatConversationEndedError,
    ChatDraftNotExistError,
    Client,
    ConversationsNotFoundError,
    DeploymentNotFoundError,
    DeploymentsAlreadyPublishedError,
    DeploymentsInvalidEnvironmentError,
    DeploymentsValidationFailedError,
    ErrPreReleaseNotReadyError,
    ProjectNotFoundError,
    UserAccessForbiddenError,
)
from tests.conftest import OPERATOR_KEY
from tests.sdk.support import Connector, settle

AGENT = "hotel"
BREAKFAST = "Breakfast is served from 7am to 10am in the Garden Room."


async def agent_with_topic(client: Client | AsyncClient) -> str:
    """An agent whose main has one topic and is deployed to sandbox (by the merge); the branch id."""
    await settle(
        client.agents.create("default", name="Hotel", greeting="Welcome to the hotel!", agent_id=AGENT)
    )
    branch: str = (await settle(client.branches.create(AGENT, "kb")))["branchId"]
    await settle(
        client.topics.create(
            AGENT, branch, name="Breakfast", content=BREAKFAST, example_queries=["what time is breakfast"]
        )
    )
    await settle(client.branches.merge(AGENT, branch))
    return branch


async def test_publish_promote_rollback(connect: Connector) -> None:
    client = connect()
    await agent_with_topic(client)
    sandbox = (await settle(client.deployments.list(AGENT, "sandbox")))["deployments"]
    assert len(sandbox) == 1
    first = sandbox[0]

    with pytest.raises(DeploymentsAlreadyPublishedError):
        await settle(client.deployments.publish(AGENT))
    with pytest.raises(ErrPreReleaseNotReadyError) as not_ready:
        await settle(client.deployments.publish(AGENT, environment="live"))
    assert not_ready.value.status == 412

    promoted = await settle(client.deployments.promote(AGENT, first["id"], deployment_message="QA"))
    assert promoted["deployment"]["environment"] == "pre-release"
    assert promoted["deployment"]["version"] == first["version"] and "notice" not in promoted
    live = await settle(
        client.deployments.promote(AGENT, promoted["deployment"]["id"], target_environment="live")
    )
    again = await settle(
        client.deployments.promote(AGENT, promoted["deployment"]["id"], target_environment="live")
    )
    assert again["deployment"]["id"] == live["deployment"]["id"] and again["notice"]["id"] == 6002
    with pytest.raises(DeploymentsValidationFailedError):
        await settle(client.deployments.promote(AGENT, live["deployment"]["id"], target_environment="live"))

    active = (await settle(client.deployments.active(AGENT)))["activeDeployments"]
    assert {env: d["version"] for env, d in active.items()} == dict.fromkeys(
        ("sandbox", "pre-release", "live"), first["version"]
    )

    # A second version in sandbox, then back to the first.
    branch = (await settle(client.branches.create(AGENT, "rules")))["branchId"]
    await settle(client.behavior.update(AGENT, branch, "Be brief."))
    await settle(client.branches.merge(AGENT, branch))
    history = (await settle(client.deployments.list(AGENT, "sandbox", limit=1)))["deployments"]
    assert len(history) == 1 and history[0]["version"] != first["version"]
    rolled = await settle(client.deployments.rollback(AGENT, first["id"], deployment_message="undo"))
    assert rolled["deployment"]["version"] == first["version"]
    assert rolled["deployment"]["metadata"]["rolledBackFrom"]

    with pytest.raises(DeploymentNotFoundError):
        await settle(client.deployments.rollback(AGENT, "no-such-deployment"))
    with pytest.raises(DeploymentsInvalidEnvironmentError) as invalid:
        await settle(client.deployments.list(AGENT, "staging"))
    assert (invalid.value.status, invalid.value.id) == (400, 6008)


async def test_deployment_access(connect: Connector) -> None:
    client = connect()
    await agent_with_topic(client)
    viewer_key = await settle(client.api_keys.create("default", name="viewer", role="viewer"))
    viewer = connect(viewer_key["key"])
    assert (await settle(viewer.deployments.active(AGENT)))["activeDeployments"]["sandbox"]
    with pytest.raises(UserAccessForbiddenError):
        await settle(viewer.deployments.publish(AGENT, environment="pre-release"))

    other = await settle(connect(OPERATOR_KEY).accounts.create("globex", "Globex"))
    outsider = connect(other["adminKey"]["key"])
    with pytest.raises(ProjectNotFoundError):
        await settle(outsider.deployments.active(AGENT))
    with pytest.raises(ProjectNotFoundError):
        await settle(outsider.chat.create("globex", AGENT, environment="sandbox"))
    with pytest.raises(ProjectNotFoundError):
        await settle(outsider.debug_chat.create(AGENT, "draft"))


async def test_chat_create_respond_close(connect: Connector) -> None:
    client = connect()
    await agent_with_topic(client)
    with pytest.raises(ChatDraftNotExistError):
        await settle(client.chat.create("default", AGENT))  # live: nothing deployed there yet

    created = await settle(
        client.chat.create("default", AGENT, environment="sandbox", correlation_id="chat-sdk-1")
    )
    assert created["response"] == "Welcome to the hotel!"
    conversation = created["conversation_id"]
    reply = await settle(client.chat.respond("default", AGENT, conversation, "what time is breakfast"))
    assert reply["response"] == BREAKFAST
    assert reply["end_conversation"] is False and "handoff" not in reply
    assert await settle(client.chat.close("default", AGENT, conversation)) == {"success": True}
    with pytest.raises(ChatConversationEndedError) as ended:
        await settle(client.chat.respond("default", AGENT, conversation, "hello?"))
    assert ended.value.status == 410

    with pytest.raises(ConversationsNotFoundError):
        await settle(client.chat.respond("default", AGENT, "no-such-conversation", "hi"))
    with pytest.raises(AuthUserInvalidTokenError):
        await settle(client.chat.create("default", AGENT, environment="sandbox", token="not-a-token"))


async def test_debug_chat_on_a_branch_draft(connect: Connector) -> None:
    client = connect()
    branch = await agent_with_topic(client)
    draft = (await settle(client.branches.create(AGENT, "draft")))["branchId"]
    await settle(client.topics.create(AGENT, draft, name="Pool", content="The pool opens at 6am."))

    started = await settle(client.debug_chat.create(AGENT, "draft", branch_id=draft))
    assert started["response"] == "Welcome to the hotel!" and started["conversationEnded"] is False
    reply = await settle(
        client.debug_chat.respond(
            AGENT, started["conversationId"], "when does the pool open", client_env="draft"
        )
    )
    assert reply["response"] == "The pool opens at 6am."
    assert reply["metadata"]["retrievedTopics"] == ["Pool"]
    # Debug conversations end through the Chat API like any other.
    assert await settle(client.chat.close("default", AGENT, started["conversationId"])) == {"success": True}

    with pytest.raises(ChatDraftNotExistError):
        await settle(client.debug_chat.create(AGENT, "draft", branch_id=branch))  # merged, so gone
    with pytest.raises(ChatDraftNotExistError):
        await settle(client.debug_chat.create(AGENT, "live"))
