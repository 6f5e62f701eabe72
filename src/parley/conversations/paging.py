"""Sort specifications and the opaque keyset cursor of the v3 list."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, literal, tuple_

from parley.conversations.fields import SORT_COLUMNS
from parley.errors import ConversationsValidationFailed, GetConversationsInvalidSortParameter
from parley.models.conversation import Conversation


@dataclass(frozen=True)
class Sort:
    key: str
    descending: bool

    @property
    def column(self) -> Any:
        return SORT_COLUMNS[self.key]

    def order_by(self) -> list[Any]:
        columns = [self.column] if self.key == "conversation_id" else [self.column, Conversation.id]
        return [c.desc() if self.descending else c.asc() for c in columns]

    def value_of(self, conversation: Conversation) -> Any:
        if self.key == "started_at":
            return conversation.started_at.isoformat()
        if self.key == "duration":
            return conversation.duration_seconds
        return conversation.id

    def after(self, value: Any, last_id: str) -> ColumnElement[bool]:
        """Rows strictly after (value, last_id) in this order: the keyset condition."""
        if self.key == "conversation_id":
            return Conversation.id < last_id if self.descending else Conversation.id > last_id
        # A row-value comparison, which both databases turn into one index range (an OR of two
        # conditions makes PostgreSQL scan from the top of the index on every page).
        key = tuple_(self.column, Conversation.id)
        bound = tuple_(literal(value, self.column.type), literal(last_id, Conversation.id.type))
        return key < bound if self.descending else key > bound

    def decode_value(self, raw: Any) -> Any:
        if self.key == "started_at" and isinstance(raw, str):
            moment = datetime.fromisoformat(raw)
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if self.key == "duration" and isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if self.key == "conversation_id" and isinstance(raw, str):
            return raw
        raise ValueError("cursor value does not fit the sort")


DEFAULT_SORT = Sort("started_at", descending=True)


def parse_sort(raw: str | None) -> Sort:
    """``field``, ``-field``, ``field:asc`` or ``field:desc``; a bare field sorts ascending."""
    if raw is None:
        return DEFAULT_SORT
    text = raw.strip()
    descending = False
    if text.startswith("-"):
        descending, text = True, text[1:]
    elif ":" in text:
        text, direction = text.split(":", 1)
        if direction.lower() not in ("asc", "desc"):
            raise _bad_sort(raw)
        descending = direction.lower() == "desc"
    if text not in SORT_COLUMNS:
        raise _bad_sort(raw)
    return Sort(text, descending)


def _bad_sort(raw: str) -> GetConversationsInvalidSortParameter:
    return GetConversationsInvalidSortParameter(
        f"Cannot sort by '{raw[:100]}'. Sort by started_at, duration or conversation_id, "
        "optionally prefixed with '-' or suffixed with ':asc' or ':desc'.",
        data={"sort": raw[:200], "allowed": sorted(SORT_COLUMNS)},
    )


@dataclass(frozen=True)
class Cursor:
    value: Any
    last_id: str


def fingerprint(parts: dict[str, Any]) -> str:
    """Which query a cursor belongs to: a cursor is only valid with the filters that made it."""
    canonical = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode_cursor(sort: Sort, conversation: Conversation, query_fingerprint: str) -> str:
    payload = {
        "s": sort.key,
        "d": int(sort.descending),
        "v": sort.value_of(conversation),
        "i": conversation.id,
        "q": query_fingerprint,
    }
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, sort: Sort, query_fingerprint: str) -> Cursor:
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(payload, dict) or not isinstance(payload.get("i"), str):
            raise ValueError("not a cursor")
        if payload.get("s") != sort.key or bool(payload.get("d")) != sort.descending:
            raise _cursor_error("The cursor was made for a different sort; keep 'sort' unchanged.")
        if payload.get("q") != query_fingerprint:
            raise _cursor_error("The cursor was made for different filters; keep every parameter unchanged.")
        return Cursor(sort.decode_value(payload.get("v")), payload["i"])
    except (ValueError, UnicodeError, binascii.Error, TypeError):
        raise _cursor_error("The cursor is malformed; pass back the 'cursor' of the previous page.") from None


def _cursor_error(message: str) -> ConversationsValidationFailed:
    return ConversationsValidationFailed(
        message, data={"errors": [{"path": "/query/cursor", "message": message, "type": "cursor_invalid"}]}
    )
