"""Checking the `{{prefix:name}}` references of topic text against the branch.

The ADK validates ``actions`` and ``content`` together (agent-model.md §1.3), so both are checked;
each bad reference names the field it is in, and its position within that field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from parley.branches.references import TOPIC_PREFIXES, ReferenceResolver
from parley.errors import KnowledgeBaseRichTextInvalid

CHECKED_FIELDS = ("content", "actions")


async def bad_references(resolver: ReferenceResolver, document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every bad reference in the checked fields the document has."""
    found: list[dict[str, Any]] = []
    for field in CHECKED_FIELDS:
        text = document.get(field)
        if isinstance(text, str):
            found += [{"field": field, **bad.as_dict()} for bad in await resolver.check(text, TOPIC_PREFIXES)]
    return found


def rich_text_error(references: list[dict[str, Any]], **extra: Any) -> KnowledgeBaseRichTextInvalid:
    shown = ", ".join(
        f"{r['reference'][:60]} ({_REASONS.get(r['reason'], r['reason'])})" for r in references[:5]
    )
    more = f" and {len(references) - 5} more" if len(references) > 5 else ""
    return KnowledgeBaseRichTextInvalid(
        f"{len(references)} invalid reference(s): {shown}{more}.",
        data={"references": references, **extra},
    )


_REASONS = {
    "malformed": "malformed",
    "unknown_kind": "unknown reference kind",
    "not_allowed": "not allowed in topics",
    "not_found": "no such resource in this branch",
}
