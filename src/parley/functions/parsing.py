"""Reading user function source: syntax, the entry point, and its typed parameters.

Shared by global functions, start/end functions, flow transition functions and function steps.
Nothing here runs user code: it only parses it with ``ast``.
"""

from __future__ import annotations

import ast
import builtins
import keyword
from dataclasses import dataclass, field
from typing import Any

from parley.errors import FunctionFailedToParse

SUPPORTED_TYPES = ("str", "int", "float", "bool")
MAX_SOURCE_CHARS = 100_000
_BUILTIN_NAMES = frozenset(dir(builtins))


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str  # one of SUPPORTED_TYPES
    required: bool
    default: Any = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "type": self.type, "required": self.required}
        if not self.required:
            data["default"] = self.default
        return data


@dataclass(frozen=True)
class ParsedFunction:
    name: str
    parameters: list[Parameter] = field(default_factory=list)
    docstring: str | None = None


def is_reserved_identifier(name: str) -> bool:
    """Python keywords, builtins and private names cannot name user functions or parameters."""
    return (
        keyword.iskeyword(name)
        or keyword.issoftkeyword(name)
        or name in _BUILTIN_NAMES
        or name.startswith("_")
    )


def _fail(message: str, line: int | None = None, column: int | None = None) -> FunctionFailedToParse:
    return FunctionFailedToParse(message, data={"line": line, "column": column})


def parse_function(code: str, name: str, *, leading: tuple[str, ...] = ("conv",)) -> ParsedFunction:
    """Parse ``code`` and find ``def <name>(<leading...>, <typed params>)`` at module level.

    Raises FUNCTION_FAILED_TO_PARSE with ``data.line``/``data.column`` (1-based) on syntax errors,
    a missing entry point, wrong leading parameters, or unsupported parameter annotations.
    """
    if len(code) > MAX_SOURCE_CHARS:
        raise _fail(f"Function source is longer than {MAX_SOURCE_CHARS} characters.")
    try:
        tree = ast.parse(code, mode="exec")
    except SyntaxError as exc:
        raise _fail(f"Syntax error: {exc.msg}.", exc.lineno, exc.offset) from None
    except ValueError as exc:  # e.g. null bytes in the source
        raise _fail(f"Source cannot be parsed: {exc}.") from None
    except (MemoryError, RecursionError):
        # e.g. thousands of nested unary operators: the parser gives up, the server must not.
        raise _fail("Source cannot be parsed: it is nested too deeply.") from None
    entry = next(
        (
            node
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name
        ),
        None,
    )
    signature = f"def {name}({', '.join(leading)}, ...)"
    if entry is None:
        raise _fail(f"The source must define `{signature}` at module level.", 1, 1)
    if isinstance(entry, ast.AsyncFunctionDef):
        raise _fail(f"`{name}` must be a plain function, not async.", entry.lineno, entry.col_offset + 1)
    args = entry.args
    if args.vararg or args.kwarg or args.posonlyargs or args.kwonlyargs:
        raise _fail(
            f"`{name}` may only take plain named parameters after {', '.join(leading)}.",
            entry.lineno,
            entry.col_offset + 1,
        )
    given = [a.arg for a in args.args[: len(leading)]]
    if given != list(leading):
        raise _fail(f"The source must define `{signature}`.", entry.lineno, entry.col_offset + 1)
    own = args.args[len(leading) :]
    defaults: list[ast.expr | None] = [None] * (len(args.args) - len(args.defaults)) + list(args.defaults)
    parameters = []
    for arg, default in zip(own, defaults[len(leading) :], strict=True):
        annotation = arg.annotation
        type_name = annotation.id if isinstance(annotation, ast.Name) else None
        if type_name not in SUPPORTED_TYPES:
            raise _fail(
                f"Parameter '{arg.arg}' needs a type annotation: one of {', '.join(SUPPORTED_TYPES)}.",
                arg.lineno,
                arg.col_offset + 1,
            )
        value = None
        if default is not None:
            try:
                value = ast.literal_eval(default)
            except ValueError:
                raise _fail(
                    f"The default of '{arg.arg}' must be a literal.", default.lineno, default.col_offset + 1
                ) from None
        parameters.append(Parameter(arg.arg, str(type_name), default is None, value))
    return ParsedFunction(name=name, parameters=parameters, docstring=ast.get_docstring(entry))
