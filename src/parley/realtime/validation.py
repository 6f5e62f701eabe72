"""JSON Schema (Draft 7) checks of real-time configs that cannot hang the server.

User schemas are untrusted code in a small language: a regex with catastrophic backtracking, an
``anyOf`` tree that doubles at every level, a ``$ref`` cycle or ``uniqueItems`` over a long array
could each keep a worker busy for minutes. So documents are capped in size and depth, ``format`` is
never asserted, ``$ref`` never leaves the document (no network fetches), regexes run on the
``regex`` engine with a timeout, ``uniqueItems`` hashes instead of comparing pairs, and every
keyword checks a deadline. Validation runs in a worker thread so the event loop keeps serving.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import unquote

import regex
from jsonschema import Draft7Validator, SchemaError, ValidationError
from jsonschema.validators import extend
from referencing import Registry
from referencing.exceptions import Unresolvable

MAX_DOCUMENT_BYTES = 256 * 1024
MAX_SCHEMA_DEPTH = 64
MAX_VARIABLES_DEPTH = 32
VALIDATION_SECONDS = 1.0
REGEX_SECONDS = 0.1
MAX_REPORTED = 200
_MESSAGE_CHARS = 300
# Values of these keywords are data, not subschemas: a "$ref" inside an enum is just a string.
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples"})


@dataclass(frozen=True)
class Problem:
    """One finding: where (a JSON pointer), what, and which keyword raised it."""

    path: str
    message: str
    keyword: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message, "type": self.keyword}


class TooExpensive(Exception):
    """The schema could not be evaluated within the time budget."""


class DocumentRejected(Exception):
    """A schema or variables document is too large, too deep, or not representable as JSON."""

    def __init__(self, problem: Problem, *, too_large: bool = False) -> None:
        super().__init__(problem.message)
        self.problem = problem
        self.too_large = too_large


def pointer(parts: Iterable[object]) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def _short(message: str) -> str:
    return message if len(message) <= _MESSAGE_CHARS else message[: _MESSAGE_CHARS - 3] + "..."


# --- Size, depth and representability --------------------------------------------------------


def check_document(document: Any, *, what: str, max_depth: int) -> int:
    """Raise DocumentRejected unless ``document`` is finite JSON within the caps; return its size."""
    _check_shape(document, what, max_depth)
    try:
        encoded = json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        size = len(encoded.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate, which no database would store
        raise DocumentRejected(
            Problem("", f"{what} contains text that is not valid Unicode.", "json")
        ) from None
    except ValueError:  # NaN or Infinity; _check_shape reports them with their path first
        raise DocumentRejected(Problem("", f"{what} contains a non-finite number.", "json")) from None
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentRejected(
            Problem("", f"{what} is {size} bytes; the limit is {MAX_DOCUMENT_BYTES} bytes.", "maxBytes"),
            too_large=True,
        )
    return size


def _check_shape(document: Any, what: str, max_depth: int) -> None:
    # Iterative, so that the check itself cannot overflow the stack.
    stack: list[tuple[Any, tuple[object, ...]]] = [(document, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            children: Iterable[tuple[object, Any]] = node.items()
        elif isinstance(node, list):
            children = enumerate(node)
        else:
            if isinstance(node, float) and not math.isfinite(node):
                raise DocumentRejected(
                    Problem(pointer(path), f"{what} contains a non-finite number.", "json")
                )
            continue
        if len(path) >= max_depth:
            raise DocumentRejected(
                Problem(pointer(path), f"{what} is nested deeper than {max_depth} levels.", "maxDepth")
            )
        for key, child in children:
            stack.append((child, (*path, key)))


# --- Regexes ----------------------------------------------------------------------------------


def _search(pattern: str, text: str) -> bool:
    try:
        return regex.search(pattern, text, timeout=REGEX_SECONDS, concurrent=True) is not None
    except TimeoutError:
        raise TooExpensive(f"the pattern {_short(repr(pattern))} took too long to evaluate") from None


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _search(pattern, instance):
        yield ValidationError(f"{_short(repr(instance))} does not match {_short(repr(pattern))}")


def _pattern_properties(
    validator: Any, patterns: dict[str, Any], instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if _search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(
    validator: Any, additional: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    declared = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    extras = [
        key
        for key in instance
        if key not in declared and not any(_search(pattern, key) for pattern in patterns)
    ]
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif additional is False and extras:
        names = ", ".join(repr(extra) for extra in sorted(extras))
        yield ValidationError(_short(f"Additional properties are not allowed ({names} unexpected)"))


# --- uniqueItems in linear time ----------------------------------------------------------------


def _canonical(value: Any) -> Any:
    """A hashable form in which JSON-equal values (1 and 1.0, reordered keys) are equal."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, int | float):
        return ("number", int(value) if float(value).is_integer() else value)
    if isinstance(value, list):
        return ("array", tuple(_canonical(item) for item in value))
    if isinstance(value, dict):
        return ("object", tuple(sorted((key, _canonical(item)) for key, item in value.items())))
    return ("other", repr(value))


def _unique_items(validator: Any, unique: bool, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[Any] = set()
    for index, item in enumerate(instance):
        key = _canonical(item)
        if key in seen:
            yield ValidationError(f"The array has non-unique elements: item {index} repeats an earlier item")
            return
        seen.add(key)


# --- The guarded validator ---------------------------------------------------------------------

_deadline: ContextVar[float] = ContextVar("rtc_validation_deadline", default=math.inf)
Keyword = Callable[[Any, Any, Any, Any], Iterator[ValidationError] | None]


def _guarded(keyword: Keyword) -> Keyword:
    def guarded(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
        if time.monotonic() > _deadline.get():
            raise TooExpensive(f"evaluation took longer than {VALIDATION_SECONDS:g} s")
        yield from keyword(validator, value, instance, schema) or ()

    return guarded


def _no_format(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    # Draft 7 makes "format" an annotation; asserting it would run more unbounded regexes.
    return iter(())


_OVERRIDES: dict[str, Keyword] = {
    "pattern": _pattern,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
    "uniqueItems": _unique_items,
    "format": _no_format,
}


def _guarded_keywords() -> dict[str, Keyword]:
    keywords: dict[str, Keyword] = {}
    for name, keyword in Draft7Validator.VALIDATORS.items():
        keywords[name] = _guarded(_OVERRIDES.get(name) or cast(Keyword, keyword))
    return keywords


GuardedDraft7Validator = extend(Draft7Validator, validators=_guarded_keywords())  # type: ignore[no-untyped-call]
# An empty registry: "$ref" resolves inside the schema itself and never over the network.
_NO_REMOTE: Registry[Any] = Registry()


def violations(schema: dict[str, Any], instance: Any) -> list[Problem]:
    """Every way ``instance`` breaks ``schema`` (at most MAX_REPORTED); TooExpensive past the budget.

    Blocking: call it through ``asyncio.to_thread``.
    """
    _deadline.set(time.monotonic() + VALIDATION_SECONDS)
    validator = GuardedDraft7Validator(schema, registry=_NO_REMOTE)
    found: list[Problem] = []
    try:
        for error in validator.iter_errors(instance):
            found.append(Problem(pointer(error.absolute_path), _short(error.message), str(error.validator)))
            if len(found) >= MAX_REPORTED:
                break
    except RecursionError:
        raise TooExpensive("the schema refers to itself without end") from None
    except Unresolvable as exc:
        raise TooExpensive(f"a reference cannot be resolved: {_short(str(exc))}") from None
    return sorted(found, key=lambda p: (p.path, p.keyword, p.message))


# --- Schema checks -----------------------------------------------------------------------------


def schema_problems(schema: dict[str, Any]) -> list[Problem]:
    """Why ``schema`` is not an acceptable Draft 7 schema for a config page (empty if it is)."""
    try:
        Draft7Validator.check_schema(schema)
    except SchemaError as error:
        return [Problem(pointer(error.absolute_path), _short(error.message), str(error.validator))]
    except RecursionError:
        return [Problem("", "The schema is nested too deeply to check.", "maxDepth")]
    problems: list[Problem] = []
    for path, key, value in _schema_nodes(schema):
        if key == "$ref":
            problems.extend(_ref_problems(schema, path, value))
        elif key == "$id" and path:
            problems.append(
                Problem(pointer((*path, key)), "'$id' is only allowed at the root of a config schema.", "$id")
            )
        elif key == "pattern":
            problems.extend(_regex_problems((*path, key), value))
        elif key == "patternProperties" and isinstance(value, dict):
            for pattern in value:
                problems.extend(_regex_problems((*path, key, pattern), pattern))
    return problems


def _schema_nodes(schema: Any) -> Iterator[tuple[tuple[object, ...], str, Any]]:
    """(path of the owning object, key, value) for every key of every subschema-like object."""
    stack: list[tuple[Any, tuple[object, ...]]] = [(schema, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                yield path, key, value
                if key not in _DATA_KEYWORDS:
                    stack.append((value, (*path, key)))
        elif isinstance(node, list):
            stack.extend((item, (*path, index)) for index, item in enumerate(node))


def _ref_problems(root: dict[str, Any], path: Sequence[object], ref: Any) -> list[Problem]:
    where = pointer((*path, "$ref"))
    if not isinstance(ref, str):
        return []  # check_schema has already judged the type
    if not ref.startswith("#"):
        return [
            Problem(where, f"Only references inside the schema ('#/...') are allowed, not {ref!r}.", "$ref")
        ]
    if not _points_into(root, ref[1:]):
        return [Problem(where, f"The reference {_short(repr(ref))} does not point into the schema.", "$ref")]
    return []


def _points_into(root: Any, fragment: str) -> bool:
    if fragment == "":
        return True
    if not fragment.startswith("/"):
        return False
    node = root
    for raw in fragment[1:].split("/"):
        part = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def _regex_problems(path: Sequence[object], pattern: Any) -> list[Problem]:
    if not isinstance(pattern, str):
        return []
    try:
        regex.compile(pattern)
    except regex.error as exc:
        return [
            Problem(pointer(path), _short(f"{pattern!r} is not a valid regular expression: {exc}"), "pattern")
        ]
    return []
