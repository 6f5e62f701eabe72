"""One execution, inside a process forked for it alone and discarded afterwards.

Order matters: everything that needs the file system or the compiler happens first; then the
audit hook is armed and the wall-clock alarm set; then user code runs. Nothing after that point
needs a privilege the hook refuses, so the hook never has to be disarmed.
"""

from __future__ import annotations

import os
import resource
import signal
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from parley.runtime.sandbox import protocol
from parley.runtime.sandbox.conv import (
    Conversation,
    Flow,
    FunctionTable,
    OutputLimitExceeded,
    Recorder,
    StateDict,
)
from parley.runtime.sandbox.policy import PolicyViolation, checked_tree
from parley.runtime.sandbox.restricted import AuditGuard, ModuleView, build_builtins
from parley.runtime.sandbox.values import Budget, NotPlain, OverBudget, to_plain

FILENAME_PREFIX = "<function:"


class _WallClock(BaseException):
    """Not an Exception: a bare `except Exception` in user code must not swallow the deadline."""


@dataclass
class _Source:
    name: str
    code: types.CodeType | None = None
    error: dict[str, Any] | None = None  # a ready error reply when the source cannot run
    namespace: dict[str, Any] | None = None


def _filename(name: str) -> str:
    return f"{FILENAME_PREFIX}{name}>"


@dataclass(frozen=True)
class _Compiled:
    code: types.CodeType | None
    error: dict[str, Any] | None


# Sources the worker checked and compiled between calls, inherited by the children it forks after:
# parsing, checking and compiling a branch's functions was most of a call's time, and the same
# functions come back call after call. A child drops the whole table before user code runs (see
# _Execution), so other calls' sources are not live objects in a function's process.
_COMPILED: dict[tuple[str, str], _Compiled] = {}
COMPILED_ENTRIES = 256
COMPILED_MAX_SOURCE_CHARS = 50_000


def _compile(name: str, source: Any) -> _Source:
    if isinstance(source, str):
        known = _COMPILED.get((name, source))
        if known is not None:
            return _Source(name, code=known.code, error=known.error)
    return _compile_fresh(name, source)


def _sources_of(request: dict[str, Any]) -> list[tuple[str, Any]]:
    """The (name, source) pairs an execution of ``request`` compiles, named as _Execution names them."""
    context = request.get("context")
    context = context if isinstance(context, dict) else {}
    functions = context.get("functions")
    flow = context.get("flow")
    flow_functions = flow.get("functions") if isinstance(flow, dict) else None
    return [
        (str(request.get("entry", "")), request.get("source")),
        *(functions.items() if isinstance(functions, dict) else ()),
        *((f"flow.{n}", s) for n, s in (flow_functions.items() if isinstance(flow_functions, dict) else ())),
    ]


def remember_sources(request: dict[str, Any]) -> None:
    """Run by the worker after a call: compile what it has not seen, for the next children."""
    try:
        for name, source in _sources_of(request):
            if not isinstance(source, str) or len(source) > COMPILED_MAX_SOURCE_CHARS:
                continue
            if (name, source) in _COMPILED:
                continue
            compiled = _compile_fresh(name, source)
            while len(_COMPILED) >= COMPILED_ENTRIES:
                del _COMPILED[next(iter(_COMPILED))]
            _COMPILED[(name, source)] = _Compiled(compiled.code, compiled.error)
    except (MemoryError, RecursionError):
        # A cache, never a reason for the worker to fail: children compile for themselves.
        _COMPILED.clear()


def _compile_fresh(name: str, source: Any) -> _Source:
    if not isinstance(source, str):
        return _Source(name, error=protocol.error_reply(protocol.INTERNAL, "Function source must be text."))
    try:
        tree = checked_tree(source, _filename(name))
        return _Source(name, code=compile(tree, _filename(name), "exec"))
    except SyntaxError as exc:
        return _Source(name, error=protocol.error_reply("SyntaxError", str(exc.msg), exc.lineno, name))
    except PolicyViolation as exc:
        return _Source(name, error=protocol.error_reply(protocol.VIOLATION, exc.message, exc.line, name))
    except (RecursionError, MemoryError, ValueError) as exc:
        message = "The source is too deeply nested." if isinstance(exc, RecursionError) else str(exc)
        return _Source(
            name, error=protocol.error_reply("SyntaxError", message or type(exc).__name__, None, name)
        )


class _Execution:
    def __init__(
        self, request: dict[str, Any], limits: protocol.Limits, views: dict[str, ModuleView]
    ) -> None:
        self.limits = limits
        self.entry = str(request.get("entry", ""))
        self.args = request.get("args") or {}
        self.context = request.get("context") or {}
        self.with_flow = bool(request.get("withFlow"))
        self.recorder = Recorder(limits.max_effects, limits.max_output_bytes)
        self.builtins = build_builtins(views, self.recorder.print_function())
        self.main = _compile(self.entry, request.get("source"))
        others = self.context.get("functions") or {}
        flow_context = self.context.get("flow") or {}
        flow_functions = flow_context.get("functions") or {} if isinstance(flow_context, dict) else {}
        # Compiled separately from the entry even when it is one of them: `conv.functions.x`
        # always means the branch's global function x, whatever kind of function is running.
        self.globals = {n: _compile(n, s) for n, s in others.items()}
        self.flow_functions = {n: _compile(f"flow.{n}", s) for n, s in flow_functions.items()}
        _COMPILED.clear()  # this child's own copy: what other calls compiled is not kept alive here
        self.guard = AuditGuard(
            [s.code for s in (self.main, *self.globals.values(), *self.flow_functions.values()) if s.code]
        )
        self.conv = Conversation(
            self.context, self.recorder, FunctionTable(list(self.globals), self._call_global)
        )
        self.flow = Flow(
            flow_context if isinstance(flow_context, dict) else {},
            self.recorder,
            FunctionTable(list(self.flow_functions), self._call_flow_function),
        )

    def _function(self, source: _Source, entry: str) -> Any:
        if source.error is not None:
            raise _SourceFailed(source.error)
        if source.namespace is None:
            source.namespace = {"__builtins__": self.builtins, "__name__": "functions"}
            assert source.code is not None
            exec(source.code, source.namespace)  # noqa: S102 - checked user code, under the audit hook
        function = source.namespace.get(entry)
        if not callable(function):
            raise _SourceFailed(
                protocol.error_reply(
                    "NameError", f"The source does not define a function '{entry}'.", None, entry
                )
            )
        return function

    def _call_global(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return self._function(self.globals[name], name)(self.conv, *args, **kwargs)

    def _call_flow_function(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return self._function(self.flow_functions[name], name)(self.conv, self.flow, *args, **kwargs)

    def run(self) -> dict[str, Any]:
        if self.main.error is not None:
            return self.main.error
        if not isinstance(self.args, dict) or not all(isinstance(k, str) for k in self.args):
            return protocol.error_reply(protocol.INTERNAL, "Arguments must be an object.")
        leading = (self.conv, self.flow) if self.with_flow else (self.conv,)
        self.guard.install()
        signal.setitimer(signal.ITIMER_REAL, self.limits.timeout_seconds)
        try:
            value = self._function(self.main, self.entry)(*leading, **self.args)
            return self._success(value)
        except _SourceFailed as failed:
            return failed.reply
        except _WallClock as exc:
            return self._failure(exc, protocol.TIMEOUT, self._timeout_message())
        except BaseException as exc:
            return self._failure(exc)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def _timeout_message(self) -> str:
        return f"The function did not finish within {self.limits.timeout_seconds:g} seconds."

    def _success(self, value: Any) -> dict[str, Any]:
        budget = Budget(self.recorder.budget.remaining)
        try:
            plain_value = to_plain(value, budget, "returnValue")
        except NotPlain as exc:
            return protocol.error_reply(
                protocol.INVALID_RETURN, f"The return value must be JSON data: found {exc.reason}."
            )
        except OverBudget:
            return self._too_large()
        try:
            state = to_plain(self.conv.state, budget, "state", (dict, StateDict))
        except NotPlain as exc:
            return protocol.error_reply(
                protocol.INVALID_STATE, f"conv.state must hold JSON data: found {exc.reason}."
            )
        except OverBudget:
            return self._too_large()
        return protocol.success_reply(plain_value, self.recorder.effects, state)

    def _too_large(self) -> dict[str, Any]:
        return protocol.error_reply(
            protocol.OUTPUT_LIMIT,
            f"The function's output is larger than {self.limits.max_output_bytes} bytes.",
        )

    def _failure(
        self, exc: BaseException, error_type: str | None = None, message: str | None = None
    ) -> dict[str, Any]:
        frames = self.guard.user_frames(exc.__traceback__, FILENAME_PREFIX)
        exc.__traceback__ = None  # frames hold user locals (maybe the memory that just ran out)
        filename, line = frames[-1] if frames else (None, None)
        function = filename[len(FILENAME_PREFIX) : -1] if filename else None
        if error_type is None:
            error_type = type(exc).__name__ if type(type(exc).__name__) is str else "Exception"
        if message is None:
            message = _scrub(_describe(exc))
        return protocol.error_reply(error_type, message, line, function)


class _SourceFailed(Exception):
    def __init__(self, reply: dict[str, Any]) -> None:
        super().__init__("source failed")
        self.reply = reply


def _describe(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return "The function ran out of memory."
    if isinstance(exc, RecursionError):
        return "Maximum recursion depth exceeded."
    if isinstance(exc, OutputLimitExceeded):
        return str(exc.args[0]) if exc.args else "Output limit exceeded."
    try:
        text = str(exc)
    except BaseException:
        text = ""
    return text if type(text) is str else ""


_INTERNAL_PATHS = tuple(
    sorted(
        {
            p
            for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(__file__).resolve().parents[3]))
            if p
        },
        key=len,
        reverse=True,
    )
)


def _scrub(message: str) -> str:
    """Messages are the user's to read: no server paths in them."""
    for path in _INTERNAL_PATHS:
        message = message.replace(path, "<internal>")
    return message


def _on_alarm(_signum: int, _frame: Any) -> NoReturn:
    raise _WallClock()


def _limit_process(limits: protocol.Limits) -> None:
    cpu = limits.cpu_seconds
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    # No child processes of its own (enforced for non-root; root workers drop privileges first).
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    signal.signal(signal.SIGALRM, _on_alarm)


_FALLBACK = protocol.encode(
    protocol.error_reply(protocol.INTERNAL, "The function's result could not be sent.")
)


def run(
    request: dict[str, Any], limits: protocol.Limits, views: dict[str, ModuleView], out_fd: int
) -> NoReturn:
    """Execute, write one reply to out_fd, and exit without running any cleanup of the parent's."""
    try:
        _limit_process(limits)
        reply = _Execution(request, limits, views).run()
        data = protocol.encode({**reply, "id": request.get("id")})
        if len(data) > limits.max_output_bytes + protocol.REPLY_OVERHEAD_BYTES:
            data = protocol.encode(
                {
                    **protocol.error_reply(
                        protocol.OUTPUT_LIMIT,
                        f"The function's output is larger than {limits.max_output_bytes} bytes.",
                    ),
                    "id": request.get("id"),
                }
            )
    except _WallClock:  # the deadline fell while the reply was being built
        data = protocol.encode(
            {
                **protocol.error_reply(protocol.TIMEOUT, "The function did not finish in time."),
                "id": request.get("id"),
            }
        )
    except BaseException:
        data = _FALLBACK
    try:
        view = memoryview(data)
        while view:
            written = os.write(out_fd, view)
            view = view[written:]
    finally:
        os._exit(0)
