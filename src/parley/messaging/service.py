"""Access tokens, sessions, and the WebSocket handshake's checks. No FastAPI here."""

from __future__ import annotations

import time
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from parley.config import MessagingSettings
from parley.errors import AuthUserInvalidToken, ResourceNotFound, SchemaValidationFailed
from parley.kit.db import utcnow
from parley.messaging import tokens
from parley.messaging.connectors import connector_by_token
from parley.messaging.events import SESSION_START
from parley.messaging.hosts import host_allowed, normalise_host
from parley.messaging.journal import Journal
from parley.messaging.repository import MessagingRepository
from parley.messaging.schemas import AccessTokenView, CreateSessionBody, SessionView
from parley.messaging.secret import SigningSecret
from parley.models import Agent, MessagingSession
from parley.telephony.repository import TelephonyRepository

MAX_USER_AGENT = 300


def _invalid_token(message: str, reason: str | None = None) -> AuthUserInvalidToken:
    return AuthUserInvalidToken(message, data={"reason": reason} if reason else None)


class MessagingService:
    def __init__(self, session: AsyncSession, settings: MessagingSettings, secret: SigningSecret) -> None:
        self.session = session
        self.settings = settings
        self.secret = secret
        self.repo = MessagingRepository(session)

    async def access_token(self, connector_token: str | None, host: str | None) -> AccessTokenView:
        """Exchange a connector token, presented from an allowed host, for a signed access token."""
        if not connector_token or not host:
            raise _invalid_token("Missing authentication headers")
        connector = await connector_by_token(self.session, connector_token)
        if connector is None:
            raise _invalid_token("Connector token does not exist")
        if not connector.allowed_hosts:
            raise _invalid_token("Connector missing host domain")
        presented = normalise_host(host)
        if presented is None or not host_allowed(presented, list(connector.allowed_hosts)):
            raise _invalid_token("Failed to validate connector")
        agent = await self.session.get(Agent, connector.agent_id)
        if agent is None:
            raise _invalid_token("Connector token does not exist")
        token, _claims = tokens.sign(
            connector_id=connector.id,
            agent_id=agent.id,
            account_id=agent.account_id,
            client_env=connector.client_env,
            host=presented,
            now=int(time.time()),
            ttl_seconds=self.settings.access_token_ttl_seconds,
            secret=await self.secret.get(),
        )
        return AccessTokenView(access_token=token, expires_in=self.settings.access_token_ttl_seconds)

    async def bearer_claims(self, authorization: str | None) -> tokens.AccessClaims:
        """The claims of ``Authorization: Bearer <access_token>``, checked."""
        if not authorization:
            raise _invalid_token("Missing authentication headers")
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() != "bearer":
            raise _invalid_token("Missing authentication headers")
        if not value.strip():
            raise _invalid_token("Missing access token")
        return await self._claims(value.strip(), "Invalid access token")

    async def create_session(
        self, claims: tokens.AccessClaims, body: CreateSessionBody, user_agent: str | None
    ) -> SessionView:
        connector = await TelephonyRepository(self.session).connector(claims.agent_id, claims.connector_id)
        if connector is None:
            # Deleted (or moved to another agent) since the token was issued.
            raise _invalid_token("Invalid access token", "connector_gone")
        messaging_session = MessagingSession(
            id=str(uuid.uuid4()),
            account_id=claims.account_id,
            agent_id=claims.agent_id,
            connector_id=claims.connector_id,
            client_env=connector.client_env,
            host=claims.host,
            platform=body.platform,
            streaming_enabled=body.streaming_enabled,
            user_agent=(user_agent or "")[:MAX_USER_AGENT],
            last_activity_at=utcnow(),
        )
        await self.repo.add_session(messaging_session)
        await Journal(self.session).record(
            messaging_session, SESSION_START, {"capabilities": self.capabilities(body.streaming_enabled)}
        )
        return SessionView(session_id=messaging_session.id)

    def capabilities(self, streaming: bool) -> dict[str, object]:
        return {
            "streaming": streaming,
            "max_message_size_bytes": self.settings.max_message_bytes,
            "max_reconnect_attempts": self.settings.max_reconnect_attempts,
            "heartbeat_interval_seconds": self.settings.heartbeat_interval_seconds,
        }

    async def socket_session(self, session_id: str | None, access_token: str | None) -> MessagingSession:
        """The handshake's checks, in the documented order: parameters, token, session, ownership."""
        if not session_id or not access_token:
            given = {"session_id": session_id, "access_token": access_token}
            raise SchemaValidationFailed(
                "invalid connection parameters", data={"missing": [n for n, v in given.items() if not v]}
            )
        claims = await self._claims(access_token, "authentication failed")
        messaging_session = await self.repo.get_session(session_id) if _is_uuid(session_id) else None
        if messaging_session is None:
            raise ResourceNotFound("session not found", data={"sessionId": session_id[:64]})
        if (
            messaging_session.connector_id != claims.connector_id
            or messaging_session.agent_id != claims.agent_id
        ):
            raise _invalid_token("authentication failed", "session_mismatch")
        return messaging_session

    async def _claims(self, token: str, message: str) -> tokens.AccessClaims:
        try:
            return tokens.verify(token, await self.secret.get(), int(time.time()))
        except tokens.TokenRejected as rejected:
            raise _invalid_token(message, rejected.reason) from None


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False
