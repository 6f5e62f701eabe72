"""Finding a connector by its token alone: a webchat client knows no project id."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth import keys
from parley.models import Connector
from parley.telephony import tokens
from parley.telephony.repository import TelephonyRepository


async def connector_by_token(session: AsyncSession, token: str) -> Connector | None:
    """The connector, in any project, whose current token this is; None otherwise.

    Found by the digest's lookup prefix and confirmed by a constant-time comparison of the whole
    digest, as telephony's own per-project check does. A rotated token no longer matches.
    """
    digest = tokens.presented_digest(token)
    if digest is None:
        return None
    connector = await TelephonyRepository(session).connector_by_token_lookup(keys.lookup_of(digest))
    if connector is None or not keys.digests_match(digest, connector.token_hash):
        return None
    return connector
