"""The ``filter`` extension of the v3 list: a lark grammar, a typed AST, and its SQL.

The expression is parsed with an LALR grammar, every comparison is checked against the field's
type, and the result is a SQLAlchemy expression whose literals are all bound parameters: no part
of the user's text ever becomes SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lark import Lark, Token, Transformer, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput
from lark import Tree as LarkTree
from lark.exceptions import UnexpectedToken, VisitError
from sqlalchemy import ColumnElement, and_, func, not_, or_
from sqlalchemy.orm import InstrumentedAttribute

from parley.conversations.fields import FIELDS, Field, in_progress_is
from parley.conversations.summary import SEPARATOR
from parley.errors import GetConversationsFilterParseError

MAX_FILTER_LENGTH = 4000
MAX_IN_VALUES = 100

GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr (_OR and_expr)*
?and_expr: not_expr (_AND not_expr)*
?not_expr: _NOT not_expr -> negation
         | atom
?atom: comparison
     | "(" or_expr ")"
comparison: FIELD OPERATOR value          -> compare
          | FIELD _IN "(" value ("," value)* ")" -> member
          | FIELD _EXISTS                  -> exists
?value: STRING | NUMBER | DATETIME | BOOLEAN

_OR.2: /or\b/i
_AND.2: /and\b/i
_NOT.2: /not\b/i
_IN.2: /in\b/i
_EXISTS.2: /exists\b/i
BOOLEAN.2: /(true|false)\b/i
OPERATOR: "!=" | ">=" | "<=" | "=" | ">" | "<" | /not_contains\b/i | /contains\b/i
FIELD: /[A-Za-z_][A-Za-z0-9_]*/
DATETIME.3: /\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?/
NUMBER: /-?\d+(\.\d+)?/
STRING: /"(\\.|[^"\\])*"/ | /'(\\.|[^'\\])*'/

%ignore /\s+/
"""

_PARSER = Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)

# What the user sees in data.expected, instead of lark's terminal names.
_TERMINAL_NAMES = {
    "FIELD": "a field name",
    "OPERATOR": "an operator (= != > >= < <= contains not_contains)",
    "STRING": "a string",
    "NUMBER": "a number",
    "DATETIME": "an ISO 8601 date-time",
    "BOOLEAN": "true or false",
    "_OR": "OR",
    "_AND": "AND",
    "_NOT": "NOT",
    "_IN": "in",
    "_EXISTS": "exists",
    "LPAR": "(",
    "RPAR": ")",
    "COMMA": ",",
    "$END": "end of filter",
}


@dataclass(frozen=True)
class Literal:
    kind: str  # STRING | NUMBER | DATETIME | BOOLEAN
    text: str
    position: int

    @property
    def python(self) -> Any:
        if self.kind == "STRING":
            return _unquote(self.text)
        if self.kind == "NUMBER":
            return float(self.text) if "." in self.text else int(self.text)
        if self.kind == "BOOLEAN":
            return self.text.lower() == "true"
        return self.text


class FilterError(Exception):
    def __init__(self, message: str, position: int, expected: list[str]) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.expected = expected


def _unquote(text: str) -> str:
    body = text[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _field(token: Token) -> Field:
    found = FIELDS.get(str(token).lower())
    if found is None:
        raise FilterError(f"Unknown field '{str(token)[:60]}'.", _pos(token), sorted(FIELDS))
    return found


def _pos(token: Token) -> int:
    return int(token.start_pos or 0)


def _literal(token: Token) -> Literal:
    return Literal(str(token.type), str(token), _pos(token))


class _ToSql(Transformer[Token, ColumnElement[bool]]):
    """Bottom-up: every comparison becomes a bound-parameter SQL expression."""

    def compare(self, items: list[Any]) -> ColumnElement[bool]:
        field_token, operator, value = items
        return _comparison(_field(field_token), str(operator).lower(), _literal(value))

    def member(self, items: list[Any]) -> ColumnElement[bool]:
        field = _field(items[0])
        values = [_literal(v) for v in items[1:]]
        if len(values) > MAX_IN_VALUES:
            raise FilterError(
                f"'in' takes at most {MAX_IN_VALUES} values.", values[MAX_IN_VALUES].position, [")"]
            )
        if field.type in ("boolean", "handoff", "in_progress", "datetime"):
            raise FilterError(f"'in' does not apply to '{field.name}'.", _pos(items[0]), ["= or !="])
        return or_(*[_comparison(field, "=", v) for v in values])

    def exists(self, items: list[Any]) -> ColumnElement[bool]:
        field = _field(items[0])
        column = field.column
        if field.type == "names":
            return column != ""
        if field.type == "in_progress":
            return in_progress_is(True)
        return column.is_not(None)

    def negation(self, items: list[ColumnElement[bool]]) -> ColumnElement[bool]:
        return not_(items[0])

    def or_expr(self, items: list[Any]) -> ColumnElement[bool]:
        return or_(*items)

    def and_expr(self, items: list[Any]) -> ColumnElement[bool]:
        return and_(*items)


def _expect(condition: bool, value: Literal, message: str, expected: list[str]) -> None:
    if not condition:
        raise FilterError(message, value.position, expected)


def _comparison(field: Field, op: str, value: Literal) -> ColumnElement[bool]:
    column = field.column
    if field.type in ("boolean", "handoff", "in_progress"):
        _expect(op in ("=", "!="), value, f"'{field.name}' only takes = and !=.", ["=", "!="])
        _expect(value.kind == "BOOLEAN", value, f"'{field.name}' is true or false.", ["true or false"])
        wanted = bool(value.python) == (op == "=")
        if field.type == "in_progress":
            return in_progress_is(wanted)
        return column.is_not(None) if wanted else column.is_(None)
    if field.type == "number":
        _expect(
            op not in ("contains", "not_contains"), value, f"'{field.name}' is a number.", ["= != > >= < <="]
        )
        _expect(value.kind == "NUMBER", value, f"'{field.name}' takes a number.", ["a number"])
        return _ordered(column, op, value.python, nullable=False)
    if field.type == "datetime":
        _expect(
            op not in ("contains", "not_contains"),
            value,
            f"'{field.name}' is a date-time.",
            ["= != > >= < <="],
        )
        moment = _datetime(value)
        return _ordered(column, op, moment, nullable=field.name == "ended_at")
    text = value.python if value.kind == "STRING" else None
    _expect(text is not None, value, f"'{field.name}' takes a quoted string.", ["a string"])
    assert isinstance(text, str)
    if field.type == "names":
        return _names(column, op, text, value)
    if field.lower_case:
        text = text.lower()
    if op in ("contains", "not_contains"):
        found = func.lower(column).contains(text.lower(), autoescape=True)
        return found if op == "contains" else or_(column.is_(None), not_(found))
    return _ordered(column, op, text, nullable=True)


def _ordered(
    column: InstrumentedAttribute[Any], op: str, value: Any, *, nullable: bool
) -> ColumnElement[bool]:
    if op == "=":
        return column == value  # type: ignore[no-any-return]
    if op == "!=":
        # "not equal" includes conversations that have no value at all.
        return or_(column.is_(None), column != value) if nullable else column != value
    return {">": column > value, ">=": column >= value, "<": column < value, "<=": column <= value}[op]  # type: ignore[no-any-return]


def _names(column: InstrumentedAttribute[Any], op: str, text: str, value: Literal) -> ColumnElement[bool]:
    _expect(
        op in ("=", "!=", "contains", "not_contains"),
        value,
        "Topic, function and flow take = != contains not_contains in exists.",
        ["=", "!=", "contains", "not_contains"],
    )
    needle = " ".join(text.split()).lower()
    if op in ("=", "!="):
        needle = f"{SEPARATOR}{needle}{SEPARATOR}"
    found = func.lower(column).contains(needle, autoescape=True)
    return found if op in ("=", "contains") else not_(found)


def _datetime(value: Literal) -> datetime:
    raw = value.python if value.kind == "STRING" else value.text
    _expect(
        value.kind in ("DATETIME", "STRING") and isinstance(raw, str),
        value,
        "Expected an ISO 8601 date-time.",
        ["an ISO 8601 date-time"],
    )
    try:
        moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise FilterError(
            "Expected an ISO 8601 date-time.", value.position, ["an ISO 8601 date-time"]
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _expected_names(expected: set[str] | frozenset[str]) -> list[str]:
    return sorted({_TERMINAL_NAMES.get(name, name.lower()) for name in expected})


def compile_filter(text: str) -> ColumnElement[bool]:
    """The SQL condition for ``text``, or GET_CONVERSATIONS_FILTER_PARSE_ERROR saying where and what."""
    try:
        if len(text) > MAX_FILTER_LENGTH:
            raise FilterError(
                f"The filter is longer than {MAX_FILTER_LENGTH} characters.", MAX_FILTER_LENGTH, []
            )
        tree = _PARSER.parse(text)
        if isinstance(tree, LarkTree):
            return _ToSql().transform(tree)
        raise FilterError("The filter is empty.", 0, ["a field name"])  # pragma: no cover
    except VisitError as exc:
        if isinstance(exc.orig_exc, FilterError):
            error = exc.orig_exc
        else:
            raise
    except FilterError as exc:
        error = exc
    except UnexpectedEOF as exc:
        error = FilterError("The filter ends too early.", len(text), _expected_names(set(exc.expected)))
    except UnexpectedToken as exc:
        token = exc.token
        position = len(text) if token.type == "$END" else int(token.start_pos or 0)
        shown = "end of filter" if token.type == "$END" else f"'{str(token)[:40]}'"
        error = FilterError(f"Unexpected {shown}.", position, _expected_names(exc.expected))
    except UnexpectedCharacters as exc:
        at = int(exc.pos_in_stream or 0)
        error = FilterError(
            f"Unexpected character {text[at : at + 1]!r}.",
            at,
            _expected_names(exc.allowed or set()),
        )
    except UnexpectedInput as exc:  # pragma: no cover - lark's other input errors
        error = FilterError("The filter could not be parsed.", int(exc.pos_in_stream or 0), [])
    raise GetConversationsFilterParseError(
        f"Filter expression syntax is invalid at position {error.position}: {error.message}",
        data={"position": error.position, "expected": error.expected, "filter": text[:200]},
    )
