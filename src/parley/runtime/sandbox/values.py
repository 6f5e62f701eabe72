"""Turning values produced by user code into plain JSON data, within a size budget.

Only exact built-in types are accepted (plus the state dict): a subclass could run user code
while being serialised, and the result must be data, not behaviour.
"""

from __future__ import annotations

import math
from typing import Any

MAX_DEPTH = 64
# JavaScript clients lose precision beyond 2**53; anything beyond 64 bits is surely a mistake.
MAX_INT_BITS = 64


class NotPlain(Exception):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{reason} at {path}")
        self.path = path
        self.reason = reason


class OverBudget(Exception):
    pass


class Budget:
    """Approximate JSON bytes still allowed; stops a huge value before it is copied."""

    def __init__(self, remaining: int) -> None:
        self.remaining = remaining

    def spend(self, amount: int) -> None:
        self.remaining -= amount
        if self.remaining < 0:
            raise OverBudget()


def to_plain(value: Any, budget: Budget, path: str = "$", dict_types: tuple[type, ...] = (dict,)) -> Any:
    return _convert(value, budget, path, 0, dict_types)


def _convert(value: Any, budget: Budget, path: str, depth: int, dict_types: tuple[type, ...]) -> Any:
    kind = type(value)
    if value is None or kind is bool:
        budget.spend(5)
        return value
    if kind is int:
        if value.bit_length() > MAX_INT_BITS:
            raise NotPlain(path, "an integer larger than 64 bits")
        budget.spend(20)
        return value
    if kind is float:
        if not math.isfinite(value):
            raise NotPlain(path, f"the non-finite number {value!r}")
        budget.spend(24)
        return value
    if kind is str:
        budget.spend(len(value) + 2)
        return value
    if depth >= MAX_DEPTH:
        raise NotPlain(path, f"nesting deeper than {MAX_DEPTH} levels")
    if kind is list or kind is tuple:
        budget.spend(2)
        return [_convert(item, budget, f"{path}[{i}]", depth + 1, dict_types) for i, item in enumerate(value)]
    if kind in dict_types:
        budget.spend(2)
        converted: dict[str, Any] = {}
        for key, item in dict.items(value):
            name = _key(key, path)
            budget.spend(len(name) + 4)
            converted[name] = _convert(item, budget, f"{path}.{name}", depth + 1, dict_types)
        return converted
    raise NotPlain(path, f"a value of type '{_type_name(kind)}'")


def _key(key: Any, path: str) -> str:
    kind = type(key)
    if kind is str:
        return str(key)
    if kind is bool or key is None:
        return "true" if key is True else "false" if key is False else "null"
    if kind is int or kind is float:
        return repr(key)
    raise NotPlain(path, f"a key of type '{_type_name(kind)}'")


def _type_name(kind: type) -> str:
    # type.__dict__ lookup: a user metaclass cannot intercept it.
    name = type.__dict__["__name__"].__get__(kind)
    return str(name) if type(name) is str else "object"
