"""The worker's table of compiled sources, which the children it forks afterwards inherit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from parley.runtime.sandbox import child, protocol
from parley.runtime.sandbox.restricted import build_module_views
from parley.runtime.sandbox.worker import _preload

GREET = "def greet(conv):\n    return 'hi'\n"
HELPER = "def helper(conv, x):\n    return x * 2\n"
STEP = "def step(conv, flow):\n    return None\n"
BROKEN = "def broken(conv):\n    return (\n"
FORBIDDEN = "def sneaky(conv):\n    return conv.__class__\n"


@pytest.fixture(autouse=True)
def empty_table() -> Iterator[None]:
    child._COMPILED.clear()
    yield
    child._COMPILED.clear()


def _request(**context: Any) -> dict[str, Any]:
    return {"id": 1, "entry": "greet", "source": GREET, "args": {}, "context": context}


def test_every_source_of_a_call_is_compiled_once_and_reused() -> None:
    request = _request(functions={"helper": HELPER}, flow={"functions": {"step": STEP}})
    child.remember_sources(request)
    assert set(child._COMPILED) == {("greet", GREET), ("helper", HELPER), ("flow.step", STEP)}
    first = child._compile("helper", HELPER)
    child.remember_sources(request)  # nothing new: nothing recompiled
    assert child._compile("helper", HELPER).code is first.code is child._COMPILED[("helper", HELPER)].code
    # The same source under another name is another entry (errors and tracebacks carry the name).
    assert child._compile("other", HELPER).code is not first.code


def test_failures_are_remembered_as_the_same_replies() -> None:
    child.remember_sources(
        {"entry": "broken", "source": BROKEN, "context": {"functions": {"sneaky": FORBIDDEN}}}
    )
    for name, source in (("broken", BROKEN), ("sneaky", FORBIDDEN)):
        cached = child._compile(name, source)
        fresh = child._compile_fresh(name, source)
        assert cached.code is None and cached.error == fresh.error and cached.error is not None
    assert child._compile("broken", BROKEN).error["error"]["errorType"] == "SyntaxError"  # type: ignore[index]
    assert child._compile("sneaky", FORBIDDEN).error["error"]["errorType"] == protocol.VIOLATION  # type: ignore[index]


@pytest.mark.parametrize(
    "request_",
    [
        {},
        {"entry": None, "source": 42, "context": "not an object"},
        {"source": GREET, "context": {"functions": ["not", "a", "map"], "flow": "x"}},
        {"source": GREET, "context": {"functions": {"n": None}, "flow": {"functions": {"m": 7}}}},
    ],
)
def test_malformed_calls_never_fail_the_worker(request_: dict[str, Any]) -> None:
    child.remember_sources(request_)
    assert all(isinstance(source, str) for _, source in child._COMPILED)


def test_the_table_is_bounded() -> None:
    big = "def big(conv):\n    return 1\n" + "#" * child.COMPILED_MAX_SOURCE_CHARS
    child.remember_sources({"entry": "big", "source": big})
    assert child._COMPILED == {}
    for i in range(child.COMPILED_ENTRIES + 10):
        child.remember_sources({"entry": f"f{i}", "source": f"def f{i}(conv):\n    return {i}\n"})
    assert len(child._COMPILED) == child.COMPILED_ENTRIES
    assert ("f0", "def f0(conv):\n    return 0\n") not in child._COMPILED  # the oldest went first


def test_an_execution_drops_the_table_before_user_code_runs() -> None:
    _preload()
    views = build_module_views(protocol.ALLOWED_MODULES)
    child.remember_sources(_request(functions={"helper": HELPER}))
    child.remember_sources(
        {"entry": "other_tenant", "source": "def other_tenant(conv):\n    return 's3cr3t'\n"}
    )
    limits = protocol.Limits(
        timeout_seconds=1.0, memory_bytes=1 << 30, max_output_bytes=10_000, max_effects=10
    )
    execution = child._Execution(_request(functions={"helper": HELPER}), limits, views)
    assert child._COMPILED == {}
    assert execution.main.code is not None and execution.globals["helper"].code is not None
