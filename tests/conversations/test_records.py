"""The runtime's plain conversation and turn records mirror their tables column for column."""

from __future__ import annotations

import dataclasses
import typing

from sqlalchemy import JSON, Table

from parley.conversations.records import LiveConversation, TurnRecord
from parley.models.conversation import Conversation, ConversationTurn


def _check(record: type, table: Table) -> None:
    fields = {f.name: f for f in dataclasses.fields(record)}
    assert set(fields) == {column.key for column in table.columns}
    hints = typing.get_type_hints(record)
    for column in table.columns:
        # Every field is filled by the repository, from the row or the column defaults.
        assert fields[column.key].default is dataclasses.MISSING, column.key
        assert fields[column.key].default_factory is dataclasses.MISSING, column.key
        nullable = type(None) in typing.get_args(hints[column.key])
        assert nullable == column.nullable, column.key
        column_type = getattr(column.type, "impl_instance", column.type)
        python_type = dict if isinstance(column_type, JSON) else column_type.python_type
        hint = hints[column.key]
        accepted = typing.get_args(hint) if nullable else (hint,)
        origins = {typing.get_origin(t) or t for t in accepted}
        assert python_type in origins, (column.key, python_type, accepted)


def test_the_live_conversation_has_a_field_for_each_column() -> None:
    _check(LiveConversation, Conversation.__table__)  # type: ignore[arg-type]


def test_the_turn_record_has_a_field_for_each_column() -> None:
    _check(TurnRecord, ConversationTurn.__table__)  # type: ignore[arg-type]
