"""Time-ordered UUIDs (RFC 9562 version 7), as PolyAI's deployment ids look; 3.11 has none."""

from __future__ import annotations

import secrets
import time
import uuid


def uuid7() -> str:
    millis = time.time_ns() // 1_000_000
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= secrets.randbits(12) << 64
    value |= 0b10 << 62  # RFC 4122 variant
    value |= secrets.randbits(62)
    return str(uuid.UUID(int=value))
