"""Per-worker messaging state, made on first use: fan-out, connection counts, the signing key."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import State

from parley.config import Settings
from parley.kit.pubsub import MemoryPubSub, PubSub, RedisPubSub
from parley.messaging.connections import ConnectionRegistry, MemoryConnections, RedisConnections
from parley.messaging.secret import SigningSecret


@dataclass
class MessagingHub:
    pubsub: PubSub
    connections: ConnectionRegistry
    secret: SigningSecret

    async def publish(self, session_id: str, origin: str, events: list[dict[str, Any]]) -> None:
        """Tell every socket of the session, on any worker; ``origin`` has already sent them."""
        message = json.dumps({"origin": origin, "events": events}, separators=(",", ":"))
        await self.pubsub.publish(channel(session_id), message.encode("utf-8"))


def channel(session_id: str) -> str:
    return f"messaging:session:{session_id}"


def hub_of(state: State) -> MessagingHub:
    """The app's hub. Made lazily so that it sees the Redis client the lifespan opened."""
    hub: MessagingHub | None = getattr(state, "messaging_hub", None)
    if hub is None:
        settings: Settings = state.settings
        redis = state.redis
        messaging = settings.messaging
        if redis is not None:
            pubsub: PubSub = RedisPubSub(redis, settings.redis.key_prefix)
            connections: ConnectionRegistry = RedisConnections(
                redis, settings.redis.key_prefix, stale_seconds=2 * messaging.heartbeat_timeout_seconds
            )
        else:
            pubsub = MemoryPubSub()
            connections = MemoryConnections()
        hub = MessagingHub(pubsub, connections, SigningSecret(state.sessionmaker, messaging.secret))
        state.messaging_hub = hub
    return hub
