"""Connector token material: random secrets stored as API-key-style digests."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from parley.auth import keys

# A prefix of its own, so a token pasted where an API key belongs (or vice versa) is recognisable.
PREFIX = "ct_"
MAX_TOKEN_LENGTH = 200


@dataclass(frozen=True)
class IssuedToken:
    secret: str
    digest: str
    lookup: str
    hint: str


def issue() -> IssuedToken:
    secret = PREFIX + secrets.token_urlsafe(32)
    digest = keys.digest(secret)
    return IssuedToken(secret=secret, digest=digest, lookup=keys.lookup_of(digest), hint=keys.hint_of(secret))


def presented_digest(token: str) -> str | None:
    """The digest to look a presented token up by, or None for input that cannot be a token."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return keys.digest(token)
