"""The JSON-lines protocol between the server and its workers, shared by both sides.

Standard library only: the worker imports this module before it locks itself down.

Server -> worker, once: ``{"limits": {...}, "parentNetns": int | null, "runAsUid": int | null}``;
worker -> server: ``{"ready": true, "layers": {...}}`` or ``{"ready": false, "error": str}``.
Then, per execution, server -> worker: ``{"id", "source", "entry", "args", "context", "withFlow"}``
and worker -> server: ``{"id", "ok": true, "returnValue", "effects", "state"}`` or
``{"id", "ok": false, "error": {"errorType", "message", "line", "function"}}``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass
from typing import Any

# Modules user code may import. Everything else (os, sys, socket, ctypes, ...) is refused.
# `time` is allowed: sleeping counts against the wall-clock limit like any other work.
ALLOWED_MODULES = (
    "collections",
    "collections.abc",
    "datetime",
    "decimal",
    "functools",
    "itertools",
    "json",
    "math",
    "random",
    "re",
    "statistics",
    "string",
    "time",
    "typing",
    "uuid",
)

# Error types the sandbox itself reports (user exceptions keep their own class name).
TIMEOUT = "TimeoutError"
VIOLATION = "SandboxViolation"
OUTPUT_LIMIT = "OutputLimitExceeded"
INVALID_RETURN = "InvalidReturnValue"
INVALID_STATE = "InvalidState"
CRASHED = "WorkerCrashed"
INTERNAL = "SandboxError"

MAX_MESSAGE_CHARS = 2000
# Room for the envelope of a reply around the capped user output.
REPLY_OVERHEAD_BYTES = 64 * 1024
# Values are at most 64 levels deep (values.MAX_DEPTH); the reply wraps them in a few more.
MAX_REPLY_DEPTH = 80
_LONE_SURROGATES = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Limits:
    timeout_seconds: float
    memory_bytes: int
    max_output_bytes: int
    max_effects: int

    @property
    def cpu_seconds(self) -> int:
        # CPU time can never exceed wall time by much in a single-threaded child; the wall clock
        # is the real limit, this one catches a child the wall clock somehow failed to stop.
        return math.ceil(self.timeout_seconds) + 1

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Limits:
        return cls(
            timeout_seconds=float(data["timeout_seconds"]),
            memory_bytes=int(data["memory_bytes"]),
            max_output_bytes=int(data["max_output_bytes"]),
            max_effects=int(data["max_effects"]),
        )


def encode(message: dict[str, Any]) -> bytes:
    """One line of JSON. json escapes newlines inside strings, so a line is always one message.

    Lone surrogates (legal in a Python str, not in UTF-8) travel as-is: ``decode`` reads them
    back, and ``checked_reply`` replaces them before anything leaves the server.
    """
    text = json.dumps(message, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8", "surrogatepass") + b"\n"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def decode(line: bytes) -> Any:
    """The inverse of ``encode``; refuses NaN/Infinity and nesting the parser cannot handle."""
    try:
        return json.loads(line, parse_constant=_refuse_constant)  # bytes: surrogatepass
    except RecursionError:
        raise ValueError("message nested too deeply") from None


def _clean(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return _LONE_SURROGATES.sub("\ufffd", value)
    if depth > MAX_REPLY_DEPTH:
        raise ValueError("reply nested too deeply")
    if isinstance(value, list):
        return [_clean(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {_clean(key): _clean(item, depth + 1) for key, item in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("reply holds a non-finite number")
    return value


def error_reply(
    error_type: str, message: str, line: int | None = None, function: str | None = None
) -> dict[str, Any]:
    return {
        "ok": False,
        "error": {
            "errorType": error_type[:200],
            "message": message[:MAX_MESSAGE_CHARS],
            "line": line,
            "function": function,
        },
    }


def success_reply(return_value: Any, effects: list[dict[str, Any]], state: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "returnValue": return_value, "effects": effects, "state": state}


def checked_reply(message: Any) -> dict[str, Any]:
    """The reply's shape, verified and cleaned: whatever a worker sends is untrusted until then."""
    message = _clean(message)
    if not isinstance(message, dict) or not isinstance(message.get("ok"), bool):
        raise ValueError("reply is not an object with a boolean 'ok'")
    if message["ok"]:
        effects, state = message.get("effects"), message.get("state")
        if not isinstance(effects, list) or not all(
            isinstance(e, dict) and isinstance(e.get("type"), str) for e in effects
        ):
            raise ValueError("reply effects are not a list of typed objects")
        if not isinstance(state, dict):
            raise ValueError("reply state is not an object")
        return success_reply(message.get("returnValue"), effects, state)
    error = message.get("error")
    if not isinstance(error, dict):
        raise ValueError("failed reply carries no error object")
    line, function = error.get("line"), error.get("function")
    return error_reply(
        str(error.get("errorType") or INTERNAL),
        str(error.get("message") or ""),
        line if isinstance(line, int) and not isinstance(line, bool) and line > 0 else None,
        function if isinstance(function, str) else None,
    )
