"""The Sandbox API directly: layers, the conv object, worker replacement, limits, the protocol."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from parley.config import SandboxSettings
from parley.runtime.sandbox import protocol
from parley.runtime.sandbox.policy import PolicyViolation, checked_tree
from parley.runtime.sandbox.pool import Sandbox, SandboxUnavailable

FAST = SandboxSettings(
    pool_size=2, timeout_seconds=1.0, memory_mb=128, max_effects=20, max_output_bytes=20_000
)


def _can_unshare_network() -> bool:
    unshare = shutil.which("unshare")
    return unshare is not None and subprocess.run([unshare, "-n", "true"], check=False).returncode == 0


CAN_UNSHARE = _can_unshare_network()


@pytest.fixture(scope="module")
async def sandbox() -> AsyncIterator[Sandbox]:
    shared = Sandbox(FAST)
    yield shared
    await shared.close()


@pytest.fixture
async def own_sandbox() -> AsyncIterator[Sandbox]:
    """For tests that kill workers: nobody else's executions are in the way."""
    private = Sandbox(FAST)
    yield private
    await private.close()


async def test_workers_report_their_layers(sandbox: Sandbox) -> None:
    outcome = await sandbox.run("def f(conv):\n    return 1\n", "f", {}, {})
    assert outcome.ok and outcome.return_value == 1
    layers = sandbox.layers
    assert layers is not None
    for layer in ("process", "resourceLimits", "auditHook", "restrictedBuiltins"):
        assert layers[layer] is True, layer
    assert layers["networkNamespace"] is CAN_UNSHARE
    assert layers["privilegesDropped"] is (os.geteuid() == 0)


async def test_required_network_namespace_fails_closed_where_unavailable() -> None:
    strict = Sandbox(FAST.model_copy(update={"network_namespace": "required"}))
    try:
        if CAN_UNSHARE:
            assert (await strict.run("def f(conv):\n    return 1\n", "f", {}, {})).return_value == 1
        else:
            with pytest.raises(SandboxUnavailable):
                await strict.run("def f(conv):\n    return 1\n", "f", {}, {})
    finally:
        await strict.close()


async def test_layers_can_be_turned_off_where_the_host_cannot_have_them() -> None:
    plain = Sandbox(FAST.model_copy(update={"network_namespace": "off", "run_as_uid": None}))
    try:
        assert (await plain.run("def f(conv):\n    return 2\n", "f", {}, {})).return_value == 2
        assert plain.layers is not None
        assert plain.layers["networkNamespace"] is False and plain.layers["privilegesDropped"] is False
        assert plain.layers["auditHook"] is True
    finally:
        await plain.close()


CONV_API = """
def flow_fn(conv, flow, party: int):
    conv.say("Hello")
    conv.state.party = party
    conv.state.visits = (conv.state.visits or 0) + 1
    del conv.state.drop_me
    flow.goto_step("Confirm", label="party known")
    conv.goto_flow("Payments")
    conv.exit_flow()
    conv.call_handoff("front_desk", reason="asked", utterance="Transferring", sip_headers={"X-Id": "1"})
    conv.send_sms(to_number="+15550001", from_number="+15550002", content="Hi")
    conv.send_sms_template("+15550001", "confirmation")
    conv.set_variant("Paris")
    conv.write_metric("party", party)
    conv.write_metric("party", 99, write_once=True)
    conv.write_metric("seen", write_once=True)
    conv.log.warning("careful", code=7)
    conv.log.error("bad")
    print("debug", party, sep="=")
    return {
        "variant": [conv.variant_name, conv.variant.city, conv.variant.missing],
        "entity": [conv.entities.party_size.value, conv.entities.party_size.valid, conv.entities.nothing],
        "history": [(t.role, t.text) for t in conv.history],
        "flow": [flow.name, flow.current_step],
        "context": [conv.env, conv.channel, conv.caller_number, conv.language],
        "helper": conv.functions.shout("ok"),
        "transition": flow.functions.check(2),
    }
"""


async def test_the_conv_api_records_effects_in_order(sandbox: Sandbox) -> None:
    context: dict[str, Any] = {
        "state": {"visits": 1, "drop_me": True},
        "variant_name": "London",
        "variant": {"city": "London"},
        "variants": {"London": {"city": "London"}, "Paris": {"city": "Paris"}},
        "entities": {"party_size": {"value": 4, "valid": True, "type": "number"}},
        "history": [{"role": "user", "text": "table for 4"}],
        "env": "sandbox",
        "channel": "webchat",
        "caller_number": "+15550001",
        "language": "en-GB",
        "functions": {"shout": "def shout(conv, text: str):\n    return text.upper()\n"},
        "flow": {
            "name": "Booking",
            "current_step": "Ask party",
            "functions": {"check": "def check(conv, flow, n: int):\n    return n > 1\n"},
        },
    }
    outcome = await sandbox.run(CONV_API, "flow_fn", {"party": 4}, context, with_flow=True)
    assert outcome.error is None, outcome.error
    assert outcome.effects == [
        {"type": "say", "text": "Hello"},
        {"type": "goto_step", "step": "Confirm", "label": "party known"},
        {"type": "goto_flow", "flow": "Payments"},
        {"type": "exit_flow"},
        {
            "type": "handoff",
            "destination": "front_desk",
            "reason": "asked",
            "utterance": "Transferring",
            "sipHeaders": {"X-Id": "1"},
        },
        {"type": "send_sms", "toNumber": "+15550001", "fromNumber": "+15550002", "content": "Hi"},
        {"type": "send_sms_template", "toNumber": "+15550001", "template": "confirmation"},
        {"type": "set_variant", "variant": "Paris"},
        {"type": "write_metric", "name": "party", "value": 4, "writeOnce": False},
        {"type": "write_metric", "name": "seen", "value": None, "writeOnce": True},
        {"type": "log", "level": "warning", "message": "careful", "fields": {"code": 7}},
        {"type": "log", "level": "error", "message": "bad", "fields": {}},
        {"type": "print", "text": "debug=4\n"},
    ]
    assert outcome.state == {"visits": 2, "party": 4}
    assert outcome.return_value == {
        "variant": ["Paris", "Paris", None],
        "entity": [4, True, None],
        "history": [["user", "table for 4"]],
        "flow": ["Booking", "Ask party"],
        "context": ["sandbox", "webchat", "+15550001", "en-GB"],
        "helper": "OK",
        "transition": True,
    }


@pytest.mark.parametrize(
    ("body", "error_type"),
    [
        ("conv.variant.city = 'x'", "SandboxViolation"),
        ("conv.real_time_config['a'] = 1", "TypeError"),
        ("conv.env = 'live'", "SandboxViolation"),
        ("conv.say(42)", "TypeError"),
        ("conv.write_metric('m', {1, 2})", "TypeError"),
        ("conv.set_variant('Nowhere')", "ValueError"),
        ("conv.functions.missing()", "AttributeError"),
        ("print('x', file=None); print('y', file='out')", "SandboxViolation"),
        ("import json\n    json.loads('{')", "JSONDecodeError"),
    ],
)
async def test_misuse_is_reported_on_the_user_line(sandbox: Sandbox, body: str, error_type: str) -> None:
    source = f"def f(conv):\n    {body}\n"
    context = {"real_time_config": {"a": 0}, "variants": {"London": {}}}
    outcome = await sandbox.run(source, "f", {}, context)
    assert outcome.error is not None
    assert outcome.error["errorType"] == error_type, outcome.error
    assert outcome.error["line"] in (2, 3) and outcome.error["function"] == "f"


async def test_each_execution_starts_from_a_clean_process(sandbox: Sandbox) -> None:
    source = (
        "import json\n"
        "calls = []\n"
        "def f(conv, tamper: bool):\n"
        "    calls.append(1)\n"
        "    if tamper:\n"
        "        json.JSONEncoder.item_separator = ' | '\n"
        "    return [len(calls), json.dumps([1, 2])]\n"
    )
    tampered = await sandbox.run(source, "f", {"tamper": True}, {})
    assert tampered.return_value == [1, "[1 | 2]"]
    for _ in range(3):
        clean = await sandbox.run(source, "f", {"tamper": False}, {})
        assert clean.return_value == [1, "[1, 2]"]


async def test_limits_on_output(sandbox: Sandbox) -> None:
    many = await sandbox.run("def f(conv):\n    for i in range(21):\n        conv.say(str(i))\n", "f", {}, {})
    assert many.error is not None and many.error["errorType"] == "OutputLimitExceeded"
    assert many.error["line"] == 3
    big_state = await sandbox.run("def f(conv):\n    conv.state.blob = 'x' * 50_000\n", "f", {}, {})
    assert big_state.error is not None and big_state.error["errorType"] == "OutputLimitExceeded"
    deep = await sandbox.run(
        "def f(conv):\n    x = []\n    for _ in range(100):\n        x = [x]\n    return x\n", "f", {}, {}
    )
    assert deep.error is not None and deep.error["errorType"] == "InvalidReturnValue"
    nan = await sandbox.run("def f(conv):\n    return float('nan')\n", "f", {}, {})
    assert nan.error is not None and nan.error["errorType"] == "InvalidReturnValue"


async def test_a_worker_killed_while_idle_is_replaced(own_sandbox: Sandbox) -> None:
    await asyncio.gather(*(own_sandbox.run("def f(conv):\n    return 1\n", "f", {}, {}) for _ in range(2)))
    for pid in _worker_pids(own_sandbox):
        os.killpg(pid, signal.SIGKILL)
    await asyncio.sleep(0.1)
    assert (await own_sandbox.run("def f(conv):\n    return 3\n", "f", {}, {})).return_value == 3


async def test_a_worker_killed_mid_call_fails_that_call_only(own_sandbox: Sandbox) -> None:
    sleeper = "import time\ndef f(conv):\n    time.sleep(0.8)\n"
    running = asyncio.create_task(own_sandbox.run(sleeper, "f", {}, {}))
    await _until(lambda: bool(own_sandbox.worker_pids))
    await asyncio.sleep(0.2)
    for pid in _worker_pids(own_sandbox):
        os.killpg(pid, signal.SIGKILL)
    outcome = await running
    assert outcome.error is not None and outcome.error["errorType"] == "WorkerCrashed"
    assert (await own_sandbox.run("def f(conv):\n    return 4\n", "f", {}, {})).return_value == 4


async def test_a_stuck_worker_is_killed_by_the_server(own_sandbox: Sandbox) -> None:
    await own_sandbox.run("def f(conv):\n    return 1\n", "f", {}, {})
    (pid,) = _worker_pids(own_sandbox)
    os.kill(pid, signal.SIGSTOP)  # the worker cannot even enforce its own deadline now
    started = time.monotonic()
    outcome = await own_sandbox.run("def f(conv):\n    return 1\n", "f", {}, {})
    assert outcome.error is not None and outcome.error["errorType"] == "TimeoutError"
    assert time.monotonic() - started < 4
    assert pid not in _worker_pids(own_sandbox)
    assert (await own_sandbox.run("def f(conv):\n    return 5\n", "f", {}, {})).return_value == 5


async def test_a_cancelled_call_discards_its_worker(own_sandbox: Sandbox) -> None:
    running = asyncio.create_task(
        own_sandbox.run("while True:\n    pass\ndef f(conv):\n    pass\n", "f", {}, {})
    )
    await asyncio.sleep(0.3)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert _worker_pids(own_sandbox) == []
    assert (await own_sandbox.run("def f(conv):\n    return 6\n", "f", {}, {})).return_value == 6


async def test_the_pool_bounds_concurrency() -> None:
    single = Sandbox(FAST.model_copy(update={"pool_size": 1}))
    try:
        sleeper = "import time\ndef f(conv):\n    time.sleep(0.3)\n"
        await single.run(sleeper, "f", {}, {})
        started = time.monotonic()
        await asyncio.gather(single.run(sleeper, "f", {}, {}), single.run(sleeper, "f", {}, {}))
        assert time.monotonic() - started >= 0.6
        assert len(_worker_pids(single)) == 1
    finally:
        await single.close()


async def test_a_closed_sandbox_refuses_work() -> None:
    closing = Sandbox(FAST)
    await closing.run("def f(conv):\n    return 1\n", "f", {}, {})
    await closing.close()
    with pytest.raises(SandboxUnavailable):
        await closing.run("def f(conv):\n    return 1\n", "f", {}, {})


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("x = ().__class__", 1),
        ("def f(conv):\n    return conv._conv_recorder", 2),
        ("g = (i for i in [])\ng.gi_frame", 2),
        ("import os", 1),
        ("import collections.abc as __builtins__", 1),
        ("from json import *", 1),
        ("from . import x", 1),
        ("__builtins__ = {}", 1),
        ("def __import__(n):\n    pass", 1),
        ("try:\n    pass\nexcept Exception as __x__:\n    pass", 3),
        ("match x:\n    case C(__dict__=d):\n        pass", 2),
        ("type.mro(int)", 1),
        ("f = lambda: t.tb_frame", 1),
    ],
)
def test_policy_refuses_with_line_numbers(source: str, line: int) -> None:
    with pytest.raises(PolicyViolation) as refused:
        checked_tree(source, "<function:f>")
    assert refused.value.line == line


def test_policy_allows_ordinary_code() -> None:
    checked_tree(
        "import json, collections.abc\nfrom datetime import date as d\n"
        "class Booking:\n    def __init__(self, ref):\n        self.ref = ref\n    def __eq__(self, o):\n"
        "        return self.ref == o.ref\n"
        "def f(conv, x: int):\n    _ = [i for i in range(x)]\n    return '{} {name}'.format(1, name=x)\n",
        "<function:f>",
    )


@pytest.mark.parametrize(
    "message",
    [
        None,
        [],
        {"ok": "yes"},
        {"ok": True, "effects": {}, "state": {}},
        {"ok": True, "effects": [{"no": "type"}], "state": {}},
        {"ok": True, "effects": [], "state": []},
        {"ok": False},
        {"ok": False, "error": "boom"},
    ],
)
def test_replies_are_checked_before_they_are_trusted(message: object) -> None:
    with pytest.raises(ValueError):
        protocol.checked_reply(message)


def test_failed_replies_are_normalised() -> None:
    reply = protocol.checked_reply(
        {"ok": False, "error": {"errorType": "X" * 500, "message": None, "line": True, "function": 3}}
    )
    assert reply["error"] == {"errorType": "X" * 200, "message": "", "line": None, "function": None}


def _worker_pids(sandbox: Sandbox) -> list[int]:
    return sandbox.worker_pids


async def _until(condition: Any, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition never became true"
        await asyncio.sleep(0.02)


async def test_ordinary_formatting_still_works(sandbox: Sandbox) -> None:
    source = (
        "def f(conv, name: str):\n"
        "    fmt = '{:>5}|{name}'.format\n"
        "    return [fmt(1, name=name), str.format('{0}-{1}', 'a', 'b'), '{0[k]}'.format({'k': 2}),\n"
        "            '{x}'.format_map({'x': 3}), f'{name!r:>8}', getattr('{}!', 'format')(4)]\n"
    )
    outcome = await sandbox.run(source, "f", {"name": "Ada"}, {})
    assert outcome.error is None, outcome.error
    assert outcome.return_value == ["    1|Ada", "a-b", "2", "3", "   'Ada'", "4!"]


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as listing:
                children = [int(child) for child in listing.read().split()]
        except FileNotFoundError:
            continue
        for child_pid in children:
            found += [child_pid, *_descendants(child_pid)]
    return found


async def _spare_of(worker: int) -> int:
    """The worker's idle child: its one live descendant, the same one for a while (right after a
    call the child that served it may still be exiting while the next is not forked yet)."""
    seen: list[int] = []

    def settled() -> bool:
        live = [pid for pid in _descendants(worker) if not _dead(pid)]
        seen.append(live[0] if len(live) == 1 else -1)
        return len(seen) >= 5 and len(set(seen[-5:])) == 1 and seen[-1] != -1

    await _until(settled)
    return seen[-1]


def _dead(pid: int) -> bool:
    """Gone, or a zombie: either way its files (the request pipe) are closed."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


async def test_each_worker_forks_the_next_child_before_the_call_comes(own_sandbox: Sandbox) -> None:
    outcome = await own_sandbox.run("def f(conv):\n    return 1\n", "f", {}, {})
    assert outcome.ok
    # One idle child per worker, waiting for its one request; it has not run anything yet.
    spares = {pid: await _spare_of(pid) for pid in _worker_pids(own_sandbox)}
    for _ in range(FAST.pool_size * 2):
        assert (await own_sandbox.run("def f(conv):\n    return 2\n", "f", {}, {})).return_value == 2
    # Each child served one call and is gone; each worker holds a fresh one.
    for worker, spare in spares.items():
        assert await _spare_of(worker) != spare


async def test_a_child_that_dies_before_its_call_fails_only_that_call(own_sandbox: Sandbox) -> None:
    assert (await own_sandbox.run("def f(conv):\n    return 1\n", "f", {}, {})).ok
    workers = _worker_pids(own_sandbox)
    killed = [await _spare_of(pid) for pid in workers]
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    await _until(lambda: all(_dead(pid) for pid in killed))
    outcomes = [
        await own_sandbox.run("def f(conv):\n    return 3\n", "f", {}, {}) for _ in range(FAST.pool_size * 3)
    ]
    failed = [o for o in outcomes if not o.ok]
    assert 1 <= len(failed) <= len(workers)
    assert all(o.error is not None and o.error["errorType"] == protocol.CRASHED for o in failed)
    assert outcomes[-1].return_value == 3
    assert _worker_pids(own_sandbox) == workers  # the workers themselves lived on
