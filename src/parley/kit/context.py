"""Per-request context that must reach log lines and error bodies without being passed around."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

CORRELATION_HEADER = "X-PolyAI-Correlation-Id"
_VALID_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

correlation_id_var: ContextVar[str] = ContextVar("correlation_id", default="")


def choose_correlation_id(incoming: str | None) -> str:
    """Reuse a client's id when it is safe to echo and log; otherwise mint a fresh UUID4."""
    if incoming and _VALID_CORRELATION_ID.fullmatch(incoming):
        return incoming
    return str(uuid.uuid4())


def current_correlation_id() -> str:
    return correlation_id_var.get() or str(uuid.uuid4())
