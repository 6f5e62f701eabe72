"""The SDK's conversations namespace over the real app, and the generator the CLI runs."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from parley.sdk import AsyncClient, ParleyError
from tests.conftest import ADMIN_KEY

from .conftest import seed


async def test_async_iteration_follows_cursors(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await seed(app, 130)
    transport = httpx.ASGITransport(app=app)
    async with AsyncClient("http://parley.test", ADMIN_KEY, transport=transport) as sdk:
        first = await sdk.conversations.list("default", "bulk", limit=50, client_env="sandbox")
        assert len(first["conversations"]) <= 50
        seen = [
            c["id"]
            async for c in sdk.conversations.aiterate("default", "bulk", limit=7, sort="conversation_id")
        ]
        everything = (await client.get("/v3/default/bulk/conversations", headers=admin)).json()[
            "conversations"
        ]
        assert seen == sorted(c["id"] for c in everything) and len(seen) == len(set(seen))
        detail = await sdk.conversations.get("bulk", seen[0])
        assert detail["conversationId"] == seen[0] and detail["turns"]
        try:
            await sdk.conversations.list("default", "bulk", filter="duration >")
        except ParleyError as error:
            assert error.code == "GET_CONVERSATIONS_FILTER_PARSE_ERROR" and error.data["position"] == 10
        else:
            raise AssertionError("a bad filter must raise")


async def test_generated_rows_keep_the_summaries_consistent(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await seed(app, 50)
    rows = (await client.get("/v3/default/bulk/conversations", params={"limit": 1000}, headers=admin)).json()
    for conversation in rows["conversations"]:
        assert conversation["num_turns"] == len(conversation["turns"])
        topics = {t for turn in conversation["turns"] for t in turn["intents"]}
        for topic in topics:
            found = await client.get(
                "/v3/default/bulk/conversations",
                params={
                    "limit": 1000,
                    "filter": f'topic = "{topic}" AND conversation_id = "{conversation["id"]}"',
                },
                headers=admin,
            )
            assert [c["id"] for c in found.json()["conversations"]] == [conversation["id"]]
        break
