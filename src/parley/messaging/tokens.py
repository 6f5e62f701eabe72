"""Access tokens: compact JWTs signed with HMAC-SHA256, made and checked with the standard library.

Only HS256 is accepted, whatever a token's header claims, so a forged ``alg: none`` or an
asymmetric-algorithm confusion can never pass.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from typing import Any

ISSUER = "parley-messaging"
MAX_TOKEN_LENGTH = 4096
_HEADER = {"alg": "HS256", "typ": "JWT"}
_CLAIM_FIELDS = ("connector_id", "agent_id", "account_id", "client_env", "host")
_B64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class TokenRejected(Exception):
    """The token is not one of ours, or no longer valid; ``reason`` says which, for logs and data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AccessClaims:
    connector_id: str
    agent_id: str
    account_id: str
    client_env: str
    host: str
    issued_at: int
    expires_at: int
    token_id: str


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not text or any(c not in _B64_ALPHABET for c in text):
        raise TokenRejected("malformed")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise TokenRejected("malformed") from None


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode("utf-8")


def _signature(signing_input: bytes, secret: bytes) -> bytes:
    return hmac.new(secret, signing_input, hashlib.sha256).digest()


def sign(
    *,
    connector_id: str,
    agent_id: str,
    account_id: str,
    client_env: str,
    host: str,
    now: int,
    ttl_seconds: int,
    secret: bytes,
) -> tuple[str, AccessClaims]:
    claims = AccessClaims(
        connector_id=connector_id,
        agent_id=agent_id,
        account_id=account_id,
        client_env=client_env,
        host=host,
        issued_at=now,
        expires_at=now + ttl_seconds,
        token_id=str(uuid.uuid4()),
    )
    payload = {
        "iss": ISSUER,
        "sub": connector_id,
        "jti": claims.token_id,
        "iat": claims.issued_at,
        "exp": claims.expires_at,
        **{name: getattr(claims, name) for name in _CLAIM_FIELDS},
    }
    signing_input = f"{_b64encode(_json(_HEADER))}.{_b64encode(_json(payload))}".encode("ascii")
    token = f"{signing_input.decode('ascii')}.{_b64encode(_signature(signing_input, secret))}"
    return token, claims


def verify(token: str, secret: bytes, now: int) -> AccessClaims:
    """The token's claims; raises TokenRejected("malformed" | "signature" | "expired")."""
    if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
        raise TokenRejected("malformed")
    header_part, payload_part, signature_part = token.split(".")
    signature = _b64decode(signature_part)
    expected = _signature(f"{header_part}.{payload_part}".encode("ascii", "replace"), secret)
    # The signature is checked before anything in the token is parsed or trusted.
    if not hmac.compare_digest(signature, expected):
        raise TokenRejected("signature")
    header = _decode_object(header_part)
    if header.get("alg") != "HS256":
        raise TokenRejected("malformed")
    payload = _decode_object(payload_part)
    if payload.get("iss") != ISSUER:
        raise TokenRejected("malformed")
    values = {name: payload.get(name) for name in _CLAIM_FIELDS}
    issued_at, expires_at, token_id = payload.get("iat"), payload.get("exp"), payload.get("jti")
    if (
        not all(isinstance(v, str) and v for v in values.values())
        or not isinstance(token_id, str)
        or type(issued_at) is not int
        or type(expires_at) is not int
    ):
        raise TokenRejected("malformed")
    if expires_at <= now:
        raise TokenRejected("expired")
    return AccessClaims(
        **{name: str(value) for name, value in values.items()},
        issued_at=issued_at,
        expires_at=expires_at,
        token_id=token_id,
    )


def _decode_object(part: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64decode(part))
    except (UnicodeDecodeError, ValueError):
        raise TokenRejected("malformed") from None
    if not isinstance(value, dict):
        raise TokenRejected("malformed")
    return value
