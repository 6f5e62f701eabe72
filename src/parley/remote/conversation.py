"""One conversation seen the same way whether it runs on a deployment (Chat API) or a draft (debug chat)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from parley.sdk import Client


@dataclass(frozen=True)
class Turn:
    response: str
    ended: bool
    handoff: str | None = None


class Conversation(Protocol):
    id: str
    greeting: str

    def send(self, text: str) -> Turn: ...

    def close(self) -> None: ...


class DeployedConversation:
    """Chat API on an environment's active deployment."""

    def __init__(self, client: Client, account: str, agent: str, environment: str) -> None:
        self._client, self._account, self._agent = client, account, agent
        created = client.chat.create(account, agent, environment=environment)
        self.id: str = created["conversation_id"]
        self.greeting: str = created["response"]

    def send(self, text: str) -> Turn:
        reply = self._client.chat.respond(self._account, self._agent, self.id, text)
        handoff = reply.get("handoff")
        described = None
        if handoff:
            described = handoff["destination"] + (f" ({handoff['reason']})" if handoff.get("reason") else "")
        return Turn(reply["response"], bool(reply["end_conversation"]), described)

    def close(self) -> None:
        self._client.chat.close(self._account, self._agent, self.id)


class DraftConversation:
    """Debug chat on a branch as it is now, compiled on the fly."""

    def __init__(self, client: Client, account: str, agent: str, branch: str) -> None:
        self._client, self._account, self._agent = client, account, agent
        created = client.debug_chat.create(agent, "draft", branch_id=branch)
        self.id: str = created["conversationId"]
        self.greeting: str = created["response"]

    def send(self, text: str) -> Turn:
        reply = self._client.debug_chat.respond(self._agent, self.id, text, client_env="draft")
        return Turn(
            reply["response"], bool(reply["conversationEnded"]), reply["metadata"].get("handoffDestination")
        )

    def close(self) -> None:
        # Debug chat has no close of its own; its conversations end through the Chat API.
        self._client.chat.close(self._account, self._agent, self.id)
