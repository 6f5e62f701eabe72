"""Naming and signature rules of global, start and end functions (CONTRACT.md "Global functions")."""

from __future__ import annotations

import ast
from typing import Any

from parley.errors import FunctionFailedToParse, FunctionsReservedName
from parley.functions.parsing import is_reserved_identifier, parse_function

# Resource ids of the two special functions, and the entry point each must define.
SPECIAL_FUNCTIONS = {"start": "start_function", "end": "end_function"}
_RESERVED_NAMES = frozenset(SPECIAL_FUNCTIONS.values())


def require_unreserved_name(name: str) -> None:
    if name in _RESERVED_NAMES or is_reserved_identifier(name):
        raise FunctionsReservedName(
            f"'{name}' is reserved: start_function, end_function, Python keywords and builtins, "
            "and names starting with '_' cannot name global functions.",
            data={"name": name},
        )


def global_parameters(code: str, name: str) -> list[dict[str, Any]]:
    """The parameters of ``def <name>(conv, <typed params>)`` in ``code``, as stored."""
    return [parameter.as_dict() for parameter in parse_function(code, name).parameters]


def require_special_signature(code: str, entry: str) -> None:
    """start_function and end_function take exactly ``conv``: the runtime passes nothing else."""
    if parse_function(code, entry).parameters:
        node = next(n for n in ast.parse(code).body if isinstance(n, ast.FunctionDef) and n.name == entry)
        extra = node.args.args[1]
        raise FunctionFailedToParse(
            f"`{entry}` takes only `conv`: define `def {entry}(conv)`.",
            data={"line": extra.lineno, "column": extra.col_offset + 1},
        )
