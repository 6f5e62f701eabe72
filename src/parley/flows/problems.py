"""Body errors found by the service, reported in the same shape as schema validation errors."""

from __future__ import annotations

from dataclasses import dataclass

from parley.errors import SchemaValidationFailed


@dataclass(frozen=True)
class FieldProblem:
    path: str  # a JSON pointer into the request, like the framework's ("/body/conditions/0/childStep")
    message: str
    type: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message, "type": self.type}


def invalid(problems: list[FieldProblem]) -> SchemaValidationFailed:
    first = problems[0].message
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return SchemaValidationFailed(f"{first}{more}", data={"errors": [p.as_dict() for p in problems]})
