"""The agent document: a whole branch as one JSON file, readable and diffable in git.

Resources are written by name, never by id (ids are re-made on import), and derived fields
(ids, function parameters, function-step entry names) are left out: import derives them again.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

FORMAT_VERSION = 1
MAX_ITEMS = 5000


class AgentDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format_version: int = Field(alias="formatVersion", ge=1, le=FORMAT_VERSION)
    behavior: str = ""
    attributes: list[str] = Field(default_factory=list, max_length=50)
    variants: list[dict[str, Any]] = Field(default_factory=list, max_length=1000)
    entities: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_ITEMS)
    handoffs: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_ITEMS)
    sms_templates: list[dict[str, Any]] = Field(
        default_factory=list, alias="smsTemplates", max_length=MAX_ITEMS
    )
    functions: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_ITEMS)
    start_function: str | None = Field(default=None, alias="startFunction")
    end_function: str | None = Field(default=None, alias="endFunction")
    flows: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_ITEMS)
    topics: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_ITEMS)
    test_cases: list[dict[str, Any]] = Field(default_factory=list, alias="testCases", max_length=MAX_ITEMS)


def without(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}
