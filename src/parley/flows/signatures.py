"""The signatures flow code must have: transition functions and function steps.

``parse_function`` checks the leading ``conv, flow`` and the annotations; the reserved-name and
no-parameter rules are checked here first, on the syntax tree, so that a parameter named ``flow``
or ``self`` answers FLOWS_RESERVED_PARAMETER_NAME rather than a missing-annotation parse error.
"""

from __future__ import annotations

import ast
from typing import Any

from parley.errors import FlowsReservedFunctionName, FlowsReservedParameterName, FunctionFailedToParse
from parley.functions.parsing import is_reserved_identifier, parse_function

LEADING = ("conv", "flow")
# The runtime calls these itself; a flow function under one of their names would shadow them.
RESERVED_FUNCTION_NAMES = frozenset({"start_function", "end_function"})
_RESERVED_PARAMETER_NAMES = frozenset({*LEADING, "self"})


def is_reserved_function_name(name: str) -> bool:
    return is_reserved_identifier(name) or name in RESERVED_FUNCTION_NAMES


def require_unreserved_function_name(name: str, what: str) -> None:
    if is_reserved_function_name(name):
        raise FlowsReservedFunctionName(
            f"{what} '{name}' is reserved: Python keywords and builtins, names starting with '_', "
            "start_function and end_function cannot name flow functions.",
            data={"name": name},
        )


def _position(node: ast.AST | None) -> dict[str, int | None]:
    line = getattr(node, "lineno", None)
    column = getattr(node, "col_offset", None)
    return {"line": line, "column": None if column is None else column + 1}


def _syntax_tree(code: str) -> ast.Module:
    try:
        return ast.parse(code, mode="exec")
    except SyntaxError as exc:
        raise FunctionFailedToParse(
            f"Syntax error: {exc.msg}.", data={"line": exc.lineno, "column": exc.offset}
        ) from None
    except (ValueError, MemoryError, RecursionError):
        # Null bytes, or nesting deep enough to exhaust the parser: not a program we can read.
        raise FunctionFailedToParse(
            "The source cannot be parsed: it contains null bytes or is nested too deeply.",
            data={"line": None, "column": None},
        ) from None


def _entry(tree: ast.Module, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node
    return None


def _own_parameters(entry: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.arg]:
    """Every parameter after the leading ``conv, flow`` positions, of any kind."""
    args = entry.args
    positional = [*args.posonlyargs, *args.args]
    extra = [a for a in (args.vararg, args.kwarg) if a is not None]
    return [*positional[len(LEADING) :], *args.kwonlyargs, *extra]


def transition_function_parameters(code: str, name: str) -> list[dict[str, Any]]:
    """Check ``def <name>(conv, flow, <typed params>)`` and return its parameters."""
    entry = _entry(_syntax_tree(code), name)
    if entry is not None:
        for arg in _own_parameters(entry):
            if arg.arg in _RESERVED_PARAMETER_NAMES or is_reserved_identifier(arg.arg):
                raise FlowsReservedParameterName(
                    f"Parameter '{arg.arg}' of '{name}' is reserved: conv, flow, self, Python keywords "
                    "and builtins, and names starting with '_' cannot be parameters.",
                    data={"parameter": arg.arg, **_position(arg)},
                )
    # The same shape as global functions' parameters: `default` only when there is one.
    return [parameter.as_dict() for parameter in parse_function(code, name, leading=LEADING).parameters]


def check_function_step(code: str, name: str) -> None:
    """Check ``def <name>(conv, flow)``: function steps take no parameters of their own."""
    entry = _entry(_syntax_tree(code), name)
    if entry is not None:
        own = _own_parameters(entry)
        if own:
            raise FunctionFailedToParse(
                f"Function steps cannot have parameters: '{name}' must be `def {name}(conv, flow)`, "
                f"remove '{own[0].arg}'.",
                data=_position(own[0]),
            )
    parse_function(code, name, leading=LEADING)
