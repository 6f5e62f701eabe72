"""Topic bodies and views, per the Agents API spec (Create/UpdateKnowledgeBaseTopicBody).

The limits the spec leaves open are fixed here and documented in docs/knowledge-base.md; the CSV
import validates its rows with these same models, so the API and the import share one rule set.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictBool, StringConstraints, field_validator

from parley.kit.schemas import RequestSchema, ResponseSchema

MAX_NAME_CHARS = 200
MAX_CONTENT_CHARS = 20_000
MAX_ACTIONS_CHARS = 20_000
MAX_QUERIES = 100
MAX_QUERY_CHARS = 500

# Single-line fields (names, example queries) may hold no control characters at all: a line break
# in a query would split it in two on a CSV round trip. Multi-line fields keep tab, LF and CR.
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_BAD_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _single_line(value: str) -> str:
    if _ANY_CONTROL.search(value):
        raise ValueError("must be a single line without control characters")
    return value


def _text(value: str) -> str:
    if _BAD_CONTROL.search(value):
        raise ValueError("must not contain control characters other than tab and line breaks")
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _optional_text(value: str) -> str:
    if _BAD_CONTROL.search(value):
        raise ValueError("must not contain control characters other than tab and line breaks")
    return value


# Names and queries are trimmed: the name is also the topic's identity in CSV upserts, where
# stray spaces around a cell are the norm.
TopicName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_CHARS),
    AfterValidator(_single_line),
]
Content = Annotated[str, Field(min_length=1, max_length=MAX_CONTENT_CHARS), AfterValidator(_text)]
Actions = Annotated[str, Field(max_length=MAX_ACTIONS_CHARS), AfterValidator(_optional_text)]
Query = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_QUERY_CHARS),
    AfterValidator(_single_line),
]


class ExampleQueries(RequestSchema):
    queries: list[Query] = Field(max_length=MAX_QUERIES)


class CreateTopicBody(RequestSchema):
    name: TopicName
    content: Content
    actions: Actions = ""
    example_queries: ExampleQueries = Field(default_factory=lambda: ExampleQueries(queries=[]))
    is_active: StrictBool = True

    def document(self) -> dict[str, Any]:
        """The stored (and public) representation, without the id."""
        return self.model_dump(by_alias=True)


class UpdateTopicBody(RequestSchema):
    """Every field optional; a field that is sent must hold a value (null is not "unchanged")."""

    name: TopicName | None = None
    content: Content | None = None
    actions: Actions | None = None
    example_queries: ExampleQueries | None = None
    is_active: StrictBool | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value

    def changes(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_unset=True)


class ExampleQueriesView(ResponseSchema):
    queries: list[str]


class Topic(ResponseSchema):
    id: str
    name: str
    content: str
    actions: str
    example_queries: ExampleQueriesView
    is_active: bool


class ImportResult(ResponseSchema):
    created: int
    updated: int
    topics: list[Topic]
