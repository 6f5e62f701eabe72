"""API key material: generation, digests, constant-time checks."""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_PREFIX = "pk_"
MIN_KEY_LENGTH = 24


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def lookup_of(key_digest: str) -> str:
    return key_digest[:16]


def hint_of(key: str) -> str:
    return f"{key[:3]}...{key[-4:]}"


def digests_match(presented_digest: str, stored_digest: str) -> bool:
    return hmac.compare_digest(presented_digest, stored_digest)
