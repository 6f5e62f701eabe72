"""Validating imported CSV rows with the API's own topic rules, collecting every row's errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from parley.branches.names import name_key_for
from parley.errors import KnowledgeBaseTopicsInvalid
from parley.knowledge.csv_format import Row, Table, parse_active, split_queries
from parley.knowledge.schemas import CreateTopicBody

# Error details kept in the response; every invalid row number is always listed.
MAX_REPORTED_ROWS = 100

_FIELD_COLUMNS = {
    "name": "name",
    "content": "content",
    "actions": "actions",
    "exampleQueries": "example_queries",
    "isActive": "is_active",
}


@dataclass(frozen=True)
class Candidate:
    row: int
    body: CreateTopicBody
    fields: frozenset[str]  # the public fields the file sets (by alias); the others keep their value

    @property
    def name_key(self) -> str:
        return name_key_for({"name": self.body.name}, "")

    def changes(self) -> dict[str, Any]:
        return {key: value for key, value in self.body.document().items() if key in self.fields}


def validate_rows(table: Table) -> list[Candidate]:
    """Every row as a topic body, or KNOWLEDGE_BASE_TOPICS_INVALID naming every bad row."""
    candidates: list[Candidate] = []
    problems: list[dict[str, Any]] = []
    first_row_of: dict[str, int] = {}
    for row in table.rows:
        candidate, errors = _validate(row)
        if candidate is not None:
            earlier = first_row_of.setdefault(candidate.name_key, row.number)
            if earlier != row.number:
                errors.append(_error("name", f"repeats the topic name of row {earlier}", "duplicate_name"))
            else:
                candidates.append(candidate)
        if errors:
            problems.append({"row": row.number, "errors": errors})
    if problems:
        numbers = [p["row"] for p in problems]
        shown = ", ".join(str(n) for n in numbers[:10]) + (", ..." if len(numbers) > 10 else "")
        raise KnowledgeBaseTopicsInvalid(
            f"{len(numbers)} row(s) are invalid ({shown}); nothing was imported.",
            data={"invalidRows": numbers, "rows": problems[:MAX_REPORTED_ROWS]},
        )
    return candidates


def _validate(row: Row) -> tuple[Candidate | None, list[dict[str, Any]]]:
    errors: list[dict[str, Any]] = []
    fields: dict[str, Any] = {"name": row.cells["name"], "content": row.cells["content"]}
    if "actions" in row.cells:
        fields["actions"] = row.cells["actions"]
    if "example_queries" in row.cells:
        fields["exampleQueries"] = {"queries": split_queries(row.cells["example_queries"])}
    if "is_active" in row.cells:
        active = parse_active(row.cells["is_active"])
        if active is None:
            errors.append(_error("is_active", "must be true, false, 1, 0, yes or no", "bool_parsing"))
        else:
            fields["isActive"] = active
    if row.overflow:
        errors.append(_error(None, "has more cells than the header has columns", "too_many_cells"))
    try:
        body = CreateTopicBody.model_validate(fields)
    except ValidationError as exc:
        errors.extend(_pydantic_errors(exc))
        return None, errors
    return (None if errors else Candidate(row.number, body, frozenset(fields))), errors


def _pydantic_errors(exc: ValidationError) -> list[dict[str, Any]]:
    found = []
    for err in exc.errors(include_url=False):
        loc = err["loc"]
        column = _FIELD_COLUMNS.get(str(loc[0])) if loc else None
        message = str(err["msg"])
        if column == "example_queries" and len(loc) >= 3 and isinstance(loc[2], int):
            message = f"query {loc[2] + 1}: {message}"
        found.append(_error(column, message, str(err["type"])))
    return found


def _error(column: str | None, message: str, kind: str) -> dict[str, Any]:
    return {"column": column, "message": message, "type": kind}
