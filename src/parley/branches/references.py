"""`{{prefix:name}}` references in text fields: parsing and resolution against a branch.

A reference is valid when it is well-formed, its kind is allowed in the field, and a resource
of that kind with that name exists in the branch (a transition function only within its flow;
a variable when some code of the branch reads or writes ``conv.state.<name>``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.branches import kinds
from parley.branches.names import clean_name
from parley.branches.repository import ResourceRepository

# Prefix -> the kind it names. `sms` is accepted as a synonym of `twilio_sms` (CONTRACT.md).
PREFIX_KINDS = {
    "fn": kinds.FUNCTION,
    "ft": kinds.FLOW_FUNCTION,
    "ho": kinds.HANDOFF,
    "twilio_sms": kinds.SMS_TEMPLATE,
    "sms": kinds.SMS_TEMPLATE,
    "attr": kinds.ATTRIBUTE,
    "vrbl": "variable",
    "entity": kinds.ENTITY,
}
TOPIC_PREFIXES = frozenset({"fn", "ft", "ho", "twilio_sms", "sms", "attr", "vrbl", "entity"})

_OPEN = re.compile(r"\{\{")
_WELL_FORMED = re.compile(r"\{\{([a-z_]+):([\w-]+)\}\}")
_STATE_VARIABLE = re.compile(r"conv\.state\.([A-Za-z_]\w*)(?!\s*\()")
_CODE_KINDS = (kinds.FUNCTION, kinds.FLOW_FUNCTION, kinds.FLOW_STEP, kinds.SPECIAL_FUNCTION)


@dataclass(frozen=True)
class Reference:
    text: str
    prefix: str
    name: str
    start: int


@dataclass(frozen=True)
class BadReference:
    reference: str
    reason: str  # malformed | unknown_kind | not_allowed | not_found
    position: int

    def as_dict(self) -> dict[str, Any]:
        return {"reference": self.reference, "reason": self.reason, "position": self.position}


def parse(text: str) -> tuple[list[Reference], list[BadReference]]:
    """Every `{{...}}` in text: the well-formed ones, and the malformed ones as errors."""
    found: list[Reference] = []
    bad: list[BadReference] = []
    for opening in _OPEN.finditer(text):
        start = opening.start()
        if start > 0 and text[start - 1] == "{":
            continue  # part of a longer run of braces already examined
        match = _WELL_FORMED.match(text, start)
        if match is None:
            end = text.find("}}", start)
            snippet = text[start : end + 2] if end != -1 and end - start < 200 else text[start : start + 40]
            bad.append(BadReference(snippet, "malformed", start))
            continue
        prefix, name = match.group(1), match.group(2)
        if prefix not in PREFIX_KINDS:
            bad.append(BadReference(match.group(0), "unknown_kind", start))
            continue
        found.append(Reference(match.group(0), prefix, name, start))
    return found, bad


def state_variables(code: str) -> set[str]:
    return set(_STATE_VARIABLE.findall(code))


class ReferenceResolver:
    """Looks names up in one branch, loading each kind at most once."""

    def __init__(self, session: AsyncSession, branch_id: str) -> None:
        self.repo = ResourceRepository(session, branch_id)
        self._names: dict[tuple[str, str | None], set[str]] = {}

    async def _names_of(self, kind: str, flow_id: str | None) -> set[str]:
        key = (kind, flow_id if kind == kinds.FLOW_FUNCTION else None)
        if key not in self._names:
            if kind == "variable":
                names: set[str] = set()
                for code_kind in _CODE_KINDS:
                    for row in await self.repo.list(code_kind):
                        names |= state_variables(str(row.data.get("code", "")))
                self._names[key] = names
            else:
                parent = flow_id if kind == kinds.FLOW_FUNCTION else None
                rows = (
                    []
                    if kind == kinds.FLOW_FUNCTION and flow_id is None
                    else await self.repo.list(kind, parent)
                )
                self._names[key] = {clean_name(str(r.data.get("name", ""))) for r in rows}
        return self._names[key]

    async def check(
        self, text: str, allowed_prefixes: Iterable[str], *, flow_id: str | None = None
    ) -> list[BadReference]:
        allowed = set(allowed_prefixes)
        references, bad = parse(text)
        for ref in references:
            if ref.prefix not in allowed:
                bad.append(BadReference(ref.text, "not_allowed", ref.start))
            elif clean_name(ref.name) not in await self._names_of(PREFIX_KINDS[ref.prefix], flow_id):
                bad.append(BadReference(ref.text, "not_found", ref.start))
        return sorted(bad, key=lambda b: b.position)
