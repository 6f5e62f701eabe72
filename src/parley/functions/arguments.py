"""Checking execute arguments against a function's derived parameters."""

from __future__ import annotations

from typing import Any

from parley.errors import SchemaValidationFailed

_JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}


def _matches(type_name: str, value: Any) -> bool:
    if type_name == "str":
        return isinstance(value, str)
    if type_name == "bool":
        return isinstance(value, bool)
    if type_name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return False


_INVALID = object()


def _converted(type_name: str, value: Any) -> Any:
    if not _matches(type_name, value):
        return _INVALID
    if type_name != "float":
        return value
    try:
        return float(value)
    except OverflowError:  # an integer beyond float range
        return _INVALID


def checked_arguments(parameters: list[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
    """``args`` converted for the call (ints to floats where a float is declared), or 400 with
    one entry per problem: missing required, wrong type, unknown name."""
    errors: list[dict[str, str]] = []
    known = {str(p["name"]): p for p in parameters}
    call: dict[str, Any] = {}
    for name, parameter in known.items():
        type_name = str(parameter["type"])
        if name not in args:
            if parameter.get("required", True):
                errors.append(_error(name, f"Missing required argument '{name}'.", "missing"))
            continue
        value = _converted(type_name, args[name])
        if value is _INVALID:
            errors.append(
                _error(name, f"Argument '{name}' must be a {_JSON_TYPES.get(type_name, type_name)}.", "type")
            )
            continue
        call[name] = value
    for name in args:
        if name not in known:
            errors.append(_error(name, f"The function takes no argument named '{name[:100]}'.", "unexpected"))
    if errors:
        raise SchemaValidationFailed(
            "The arguments do not match the function's parameters.", data={"errors": errors}
        )
    return call


def _error(name: str, message: str, kind: str) -> dict[str, str]:
    pointer = name[:100].replace("~", "~0").replace("/", "~1")
    return {"path": f"/body/args/{pointer}", "message": message, "type": kind}
