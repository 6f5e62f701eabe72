"""What the engine needs from the sandbox: run one user function, get its effects back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class FunctionOutcome:
    return_value: Any = None
    effects: list[dict[str, Any]] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class FunctionRunner(Protocol):
    async def run(
        self,
        source: str,
        entry: str,
        args: dict[str, Any],
        context: dict[str, Any],
        *,
        with_flow: bool = False,
    ) -> FunctionOutcome: ...
