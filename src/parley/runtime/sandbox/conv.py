"""The ``conv`` (and ``flow``) objects user functions receive, recording every call as an effect.

Per docs/functions.md and agent-model.md §1.6. Nothing here performs an action: effects are
data the runtime engine applies after the function returns.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from typing import Any

from parley.runtime.sandbox.restricted import SandboxViolation
from parley.runtime.sandbox.values import Budget, NotPlain, OverBudget, to_plain


class OutputLimitExceeded(Exception):
    """Raised when a function records more effects or output than the sandbox allows."""


class StateDict(dict[str, Any]):
    """``conv.state``: a dict with attribute access where unset keys read as None."""

    def __getattr__(self, name: str) -> Any:
        return self.get(name)

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        self.pop(name, None)


class AttributeView:
    """Read-only attribute access to a mapping; unknown names read as None."""

    __slots__ = ("_view_data", "_view_label")

    def __init__(self, data: Mapping[str, Any], label: str) -> None:
        object.__setattr__(self, "_view_data", dict(data))
        object.__setattr__(self, "_view_label", label)

    def __getattr__(self, name: str) -> Any:
        return self._view_data.get(name)

    def __getitem__(self, name: str) -> Any:
        return self._view_data[name]

    def __contains__(self, name: object) -> bool:
        return name in self._view_data

    def get(self, name: str, default: Any = None) -> Any:
        return self._view_data.get(name, default)

    def keys(self) -> list[str]:
        return list(self._view_data)

    def __setattr__(self, name: str, value: Any) -> None:
        raise SandboxViolation(f"{self._view_label} is read-only.")

    def __repr__(self) -> str:
        return f"{self._view_label}({self._view_data!r})"


class Entity:
    __slots__ = ("error", "type", "valid", "value")

    def __init__(self, value: Any, valid: bool = True, type: str | None = None, error: str | None = None):
        self.value = value
        self.valid = valid
        self.type = type
        self.error = error

    def __repr__(self) -> str:
        return f"Entity(value={self.value!r}, valid={self.valid!r})"


class Turn:
    __slots__ = ("role", "text")

    def __init__(self, role: str, text: str) -> None:
        self.role = role
        self.text = text

    def __repr__(self) -> str:
        return f"Turn(role={self.role!r}, text={self.text!r})"


def _frozen(value: Any) -> Any:
    """Deep read-only copy: mappings become MappingProxyType, lists become tuples."""
    if isinstance(value, dict):
        return types.MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


def _entity(raw: Any) -> Entity:
    if isinstance(raw, dict) and "value" in raw:
        return Entity(raw.get("value"), bool(raw.get("valid", True)), raw.get("type"), raw.get("error"))
    return Entity(raw)


def _text(value: Any, what: str, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, not {type(value).__name__}.")
    return str(value)


class Recorder:
    """The ordered effects of one execution, capped in number and size."""

    def __init__(self, max_effects: int, max_bytes: int) -> None:
        self.effects: list[dict[str, Any]] = []
        self.max_effects = max_effects
        self.budget = Budget(max_bytes)
        self.metrics_written: set[str] = set()

    def add(self, effect_type: str, **fields: Any) -> None:
        if len(self.effects) >= self.max_effects:
            raise OutputLimitExceeded(f"A function may record at most {self.max_effects} effects.")
        try:
            effect = to_plain({"type": effect_type, **fields}, self.budget)
        except OverBudget:
            raise OutputLimitExceeded("The function's output is larger than the sandbox allows.") from None
        except NotPlain as exc:
            raise TypeError(f"Arguments of conv calls must be JSON data: found {exc.reason}.") from None
        self.effects.append(effect)

    def print_function(self) -> Callable[..., None]:
        def captured_print(
            *values: Any, sep: Any = " ", end: Any = "\n", file: Any = None, flush: bool = False
        ) -> None:
            if file is not None:
                raise SandboxViolation("print() can only write to the function's output.")
            separator = " " if sep is None else _text(sep, "sep")
            ending = "\n" if end is None else _text(end, "end")
            self.add("print", text=str(separator).join(str(v) for v in values) + str(ending))

        return captured_print


class _Log:
    __slots__ = ("_log_recorder",)
    _log_recorder: Recorder

    def __init__(self, recorder: Recorder) -> None:
        object.__setattr__(self, "_log_recorder", recorder)

    def _write(self, level: str, message: Any, fields: dict[str, Any]) -> None:
        self._log_recorder.add("log", level=level, message=_text(message, "The log message"), fields=fields)

    def info(self, message: Any, **fields: Any) -> None:
        self._write("info", message, fields)

    def warning(self, message: Any, **fields: Any) -> None:
        self._write("warning", message, fields)

    def error(self, message: Any, **fields: Any) -> None:
        self._write("error", message, fields)

    def __setattr__(self, name: str, value: Any) -> None:
        raise SandboxViolation("conv.log is read-only.")


class FunctionTable:
    """``conv.functions.<name>(...)`` / ``flow.functions.<name>(...)``: call another function."""

    __slots__ = ("_table_call", "_table_names")
    _table_call: Callable[[str, tuple[Any, ...], dict[str, Any]], Any]
    _table_names: frozenset[str]

    def __init__(self, names: list[str], call: Callable[[str, tuple[Any, ...], dict[str, Any]], Any]) -> None:
        object.__setattr__(self, "_table_names", frozenset(names))
        object.__setattr__(self, "_table_call", call)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name not in self._table_names:
            raise AttributeError(f"There is no function named '{name}'.")
        call = self._table_call

        def call_function(*args: Any, **kwargs: Any) -> Any:
            return call(name, args, kwargs)

        return call_function

    def __setattr__(self, name: str, value: Any) -> None:
        raise SandboxViolation("The function table is read-only.")


class Conversation:
    """The ``conv`` argument of every user function."""

    _conv_recorder: Recorder
    _conv_variants: dict[str, Any] | None
    _conv_variant_name: Any
    _conv_variant: AttributeView
    state: StateDict

    def __init__(self, context: dict[str, Any], recorder: Recorder, functions: FunctionTable) -> None:
        variants = context.get("variants")
        values = {
            "_conv_recorder": recorder,
            "_conv_variants": variants if isinstance(variants, dict) else None,
            "_conv_variant_name": context.get("variant_name"),
            "_conv_variant": AttributeView(context.get("variant") or {}, "conv.variant"),
            "state": StateDict(context.get("state") or {}),
            "env": context.get("env", "draft"),
            "channel": context.get("channel", "api"),
            "caller_number": context.get("caller_number"),
            "callee_number": context.get("callee_number"),
            "language": context.get("language"),
            "current_flow": context.get("current_flow"),
            "current_step": context.get("current_step"),
            "real_time_config": _frozen(context.get("real_time_config") or {}),
            "sip_headers": _frozen(context.get("sip_headers") or {}),
            "integration_attributes": _frozen(context.get("integration_attributes") or {}),
            "entities": AttributeView(
                {name: _entity(raw) for name, raw in (context.get("entities") or {}).items()}, "conv.entities"
            ),
            "history": tuple(
                Turn(str(turn.get("role", "")), str(turn.get("text", "")))
                for turn in context.get("history") or []
                if isinstance(turn, dict)
            ),
            "log": _Log(recorder),
            "functions": functions,
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise SandboxViolation("conv attributes are read-only; keep your data in conv.state.")

    @property
    def variant_name(self) -> str | None:
        name = self._conv_variant_name
        return name if isinstance(name, str) else None

    @property
    def variant(self) -> AttributeView:
        view: AttributeView = self._conv_variant
        return view

    def say(self, utterance: Any) -> None:
        self._conv_recorder.add("say", text=_text(utterance, "conv.say() utterance"))

    def goto_flow(self, flow_name: Any) -> None:
        self._conv_recorder.add("goto_flow", flow=_text(flow_name, "The flow name"))

    def exit_flow(self) -> None:
        self._conv_recorder.add("exit_flow")

    def call_handoff(
        self,
        destination: Any,
        reason: Any = None,
        utterance: Any = None,
        sip_headers: Any = None,
        route: Any = None,
    ) -> None:
        effect: dict[str, Any] = {
            "destination": _text(destination, "The handoff destination"),
            "reason": _text(reason, "The handoff reason", optional=True),
            "utterance": _text(utterance, "The handoff utterance", optional=True),
        }
        if sip_headers is not None:
            effect["sipHeaders"] = sip_headers
        if route is not None:
            effect["route"] = _text(route, "The handoff route")
        self._conv_recorder.add("handoff", **effect)

    def send_sms(self, to_number: Any, from_number: Any, content: Any) -> None:
        self._conv_recorder.add(
            "send_sms",
            toNumber=_text(to_number, "to_number"),
            fromNumber=_text(from_number, "from_number"),
            content=_text(content, "content"),
        )

    def send_sms_template(self, to_number: Any, template: Any) -> None:
        self._conv_recorder.add(
            "send_sms_template", toNumber=_text(to_number, "to_number"), template=_text(template, "template")
        )

    def set_variant(self, variant_name: Any) -> None:
        name = _text(variant_name, "The variant name")
        variants = self._conv_variants
        if variants is not None:
            if name not in variants:
                raise ValueError(f"There is no variant named '{name}'.")
            object.__setattr__(self, "_conv_variant", AttributeView(variants[name] or {}, "conv.variant"))
        object.__setattr__(self, "_conv_variant_name", name)
        self._conv_recorder.add("set_variant", variant=name)

    def write_metric(self, name: Any, value: Any = None, *, write_once: bool = False) -> None:
        metric = _text(name, "The metric name")
        assert metric is not None
        recorder: Recorder = self._conv_recorder
        if write_once and metric in recorder.metrics_written:
            return
        recorder.metrics_written.add(metric)
        recorder.add("write_metric", name=metric, value=value, writeOnce=bool(write_once))

    def __repr__(self) -> str:
        return "<conv>"


class Flow:
    """The ``flow`` argument of transition functions and function steps."""

    _flow_recorder: Recorder

    def __init__(self, context: dict[str, Any], recorder: Recorder, functions: FunctionTable) -> None:
        object.__setattr__(self, "_flow_recorder", recorder)
        object.__setattr__(self, "name", context.get("name"))
        object.__setattr__(self, "current_step", context.get("current_step"))
        object.__setattr__(self, "functions", functions)

    def __setattr__(self, name: str, value: Any) -> None:
        raise SandboxViolation("flow attributes are read-only.")

    def goto_step(self, step_name: Any, label: Any = None) -> None:
        self._flow_recorder.add(
            "goto_step",
            step=_text(step_name, "The step name"),
            label=_text(label, "The step label", optional=True),
        )

    def __repr__(self) -> str:
        return "<flow>"
