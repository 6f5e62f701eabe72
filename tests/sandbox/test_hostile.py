"""Hostile functions through the HTTP API: each one fails cleanly and the server keeps serving.

The app here has a 1 s wall clock, 128 MiB of memory and small output caps (see conftest).
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import httpx
import pytest

from parley.config import SandboxSettings
from tests.functions.helpers import Branch, source
from tests.support.envelope import assert_error

NORMAL = "def normal(conv, x: int):\n    conv.say('still here')\n    return x + 1\n"

# name -> (body of `def attack(conv):` or a full source, expected errorType, expected line or None)
ATTACKS: dict[str, tuple[str, str, int | None]] = {
    "read_passwd": ("return open('/etc/passwd').read()", "SandboxViolation", 2),
    "import_os": ("import os\n    return os.listdir('/')", "SandboxViolation", 2),
    "import_socket": ("import socket\n    socket.create_connection(('1.1.1.1', 80))", "SandboxViolation", 2),
    "import_sys": ("import sys\n    return sys.modules", "SandboxViolation", 2),
    "from_os_import": ("from os import system\n    system('id')", "SandboxViolation", 2),
    "import_ctypes": ("import ctypes\n    ctypes.CDLL(None)", "SandboxViolation", 2),
    "import_subprocess": ("import subprocess\n    subprocess.run(['id'])", "SandboxViolation", 2),
    "dunder_import": ("return __import__('os').system('id')", "SandboxViolation", 2),
    "builtins": ("return __builtins__", "SandboxViolation", 2),
    "subclasses": ("return ().__class__.__bases__[0].__subclasses__()", "SandboxViolation", 2),
    "globals": ("return attack.__globals__", "SandboxViolation", 2),
    "getattr_globals": ("return getattr(attack, '__glo' + 'bals__')", "SandboxViolation", 2),
    "frame_walk": (
        "g = (i for i in [1])\n    return getattr(g, 'gi_' + 'frame').f_back",
        "SandboxViolation",
        3,
    ),
    "format_walk": ("return '{0.__class__.__mro__}'.format(1)", "SandboxViolation", 2),
    "format_map_walk": ("return str.format_map('{x.__class__}', {'x': 1})", "SandboxViolation", 2),
    "format_subclass_walk": (
        "class S(str):\n        pass\n    return S('{0.__class__}').format(1)",
        "SandboxViolation",
        4,
    ),
    "format_super_walk": (
        "class S(str):\n        pass\n    return super(S, S('{0.__class__}')).format(1)",
        "SandboxViolation",
        4,
    ),
    "format_getattr_walk": ("return getattr('{0.__class__}', 'format')(1)", "SandboxViolation", 2),
    "format_spec_walk": ("return '{0:{1.__class__}}'.format(1, 2)", "SandboxViolation", 2),
    "match_class": (
        "match 1:\n        case int(__class__=c):\n            return c",
        "SandboxViolation",
        3,
    ),
    "exec": ("exec('import os')", "SandboxViolation", 2),
    "eval": ("return eval('1 + 1')", "SandboxViolation", 2),
    "compile_via_stdlib": (
        "import collections\n    return collections.namedtuple('P', 'x y')(1, 2)",
        "SandboxViolation",
        3,
    ),
    "patch_module": ("import json\n    json.dumps = print", "SandboxViolation", 3),
    "globals_builtin": ("return globals()", "SandboxViolation", 2),
    "infinite_loop": ("while True:\n        pass", "TimeoutError", None),
    "swallowed_deadline": (
        "while True:\n        try:\n            while True:\n                pass\n"
        "        except BaseException:\n            pass",
        "TimeoutError",
        None,
    ),
    "sleep": ("import time\n    time.sleep(30)", "TimeoutError", None),
    "catastrophic_regex": (
        "import re\n    return bool(re.match('(a+)+$', 'a' * 64 + 'b'))",
        "TimeoutError",
        None,
    ),
    "string_bomb": ("x = 'a' * 10**10\n    return len(x)", "MemoryError", 2),
    "list_bomb": ("x = []\n    while True:\n        x.append([0] * 100000)", "MemoryError", 4),
    "recursion_bomb": ("def down(n):\n        return down(n + 1)\n    return down(0)", "RecursionError", 3),
    "huge_return": ("return 'a' * 5_000_000", "OutputLimitExceeded", None),
    "effect_flood": ("for i in range(10**6):\n        conv.say('spam')", "OutputLimitExceeded", 3),
    "print_flood": ("for i in range(10**6):\n        print('x' * 1000)", "OutputLimitExceeded", 3),
    "huge_say": ("conv.say('x' * 1_000_000)", "OutputLimitExceeded", 2),
    "not_json": ("return {1, 2, 3}", "InvalidReturnValue", None),
    "boom_on_line_3": ("x = 1\n    raise ValueError('boom')", "ValueError", 3),
    "system_exit": ("raise SystemExit(0)", "SystemExit", 2),
}


def attack_source(body: str) -> str:
    return f"def attack(conv):\n    {body}\n"


async def execute(feature: Branch, function_id: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return await feature.client.post(
        feature.path(f"/{function_id}/execute"), json=body or {}, headers=feature.headers
    )


def assert_failed(response: httpx.Response, error_type: str, line: int | None) -> dict[str, Any]:
    error = assert_error(response, "FUNCTION_EXECUTION_FAILED")
    data: dict[str, Any] = error["data"]
    assert data["errorType"] == error_type, data
    if line is not None:
        assert data["line"] == line, data
    assert isinstance(data["message"], str) and data["message"], data
    # Never a server path or a traceback of ours.
    for text in (error["message"], data["message"]):
        assert sys.prefix not in text and "/work/" not in text and "site-packages" not in text, text
        assert "Traceback" not in text and "parley" not in text, text
    return data


async def test_every_attack_fails_cleanly_and_the_server_keeps_serving(feature: Branch) -> None:
    # One app for all attacks (starting one per attack would dominate the run time); every
    # mismatch is collected so that one failure does not hide the others.
    normal = await feature.created("normal", NORMAL)
    mismatches: list[str] = []
    for name, (body, error_type, line) in ATTACKS.items():
        attack = await feature.created(
            f"attack_{name}", attack_source(body).replace("attack", f"attack_{name}")
        )
        try:
            data = assert_failed(await execute(feature, attack["id"]), error_type, line)
            assert data["function"] == f"attack_{name}" or line is None, data
            response = await execute(feature, normal["id"], {"args": {"x": 41}})
            assert response.status_code == 200, response.text
            assert response.json() == {
                "returnValue": 42,
                "effects": [{"type": "say", "text": "still here"}],
                "state": {},
            }
        except AssertionError as exc:
            mismatches.append(f"{name}: {exc}")
    assert not mismatches, "\n".join(mismatches)


async def test_module_level_attacks_are_caught_too(feature: Branch) -> None:
    code = "import os\nos.system('touch /tmp/pwned')\n\ndef attack(conv):\n    return 1\n"
    attack = await feature.created("attack", code)
    assert_failed(await execute(feature, attack["id"]), "SandboxViolation", 1)
    code = "x = 1\nopen('/tmp/pwned', 'w')\n\ndef attack(conv):\n    return 1\n"
    await feature.client.patch(feature.path(f"/{attack['id']}"), json={"code": code}, headers=feature.headers)
    assert_failed(await execute(feature, attack["id"]), "SandboxViolation", 2)


# Roomier limits: these tests measure time, and the machine running them may be busy.
ROOMY = SandboxSettings(pool_size=2, timeout_seconds=2.0, memory_mb=128)


@pytest.mark.parametrize("sandbox_limits", [ROOMY], indirect=True)
async def test_a_normal_request_succeeds_while_an_attack_runs(feature: Branch) -> None:
    attack = await feature.created("attack", attack_source("while True:\n        pass"))
    normal = await feature.created("normal", NORMAL)
    hostile = asyncio.create_task(execute(feature, attack["id"]))
    await asyncio.sleep(0.3)
    response = await execute(feature, normal["id"], {"args": {"x": 1}})
    assert response.status_code == 200, response.text
    listed = await feature.client.get(feature.path(), headers=feature.headers)
    assert listed.status_code == 200
    assert not hostile.done(), "the attack should still be running"
    assert_failed(await hostile, "TimeoutError", None)


@pytest.mark.parametrize("sandbox_limits", [ROOMY], indirect=True)
async def test_two_slow_executions_run_concurrently(feature: Branch) -> None:
    slow = await feature.created(
        "slow", "import time\n\ndef slow(conv, n: int):\n    time.sleep(1.0)\n    return n\n"
    )
    # Warm both workers first, so the measurement is of execution, not of process start.
    warm = await feature.created("warm", source("warm"))
    await asyncio.gather(*(execute(feature, warm["id"]) for _ in range(2)))
    started = time.monotonic()
    responses = await asyncio.gather(*(execute(feature, slow["id"], {"args": {"n": n}}) for n in (1, 2)))
    elapsed = time.monotonic() - started
    assert [r.json()["returnValue"] for r in responses] == [1, 2]
    assert elapsed < 1.8, elapsed  # one after the other would take at least 2 s


FORGED = "import json\n\ndef attack(conv):\n    json.JSONEncoder.encode = lambda self, o: {reply!r}\n"


@pytest.mark.parametrize(
    ("reply", "error_type"),
    [
        ('{"ok": true, "returnValue": NaN, "effects": [], "state": {}}', "WorkerCrashed"),
        ('{"ok": true, "returnValue": 1, "effects": {}, "state": {}}', "WorkerCrashed"),
        ("[" * 40_000 + "]" * 40_000, "WorkerCrashed"),
        ('{"ok": false, "error": {"errorType": "X", "message": "m", "line": -4}}', "X"),
    ],
)
async def test_forged_replies_are_checked(feature: Branch, reply: str, error_type: str) -> None:
    # A function can patch json inside its own process and so choose the bytes it sends back;
    # the server must still answer with the contract.
    attack = await feature.created("attack", FORGED.format(reply=reply))
    data = assert_failed(await execute(feature, attack["id"]), error_type, None)
    assert data["line"] is None


async def test_forged_success_is_only_the_functions_own_result(feature: Branch) -> None:
    reply = '{"ok": true, "returnValue": "\\ud800", "effects": [{"type": "say", "text": "x"}], "state": {}}'
    attack = await feature.created("attack", FORGED.format(reply=reply))
    response = await execute(feature, attack["id"])
    assert response.status_code == 200, response.text
    assert response.json()["returnValue"] == "\ufffd"


async def test_lone_surrogates_in_output_are_replaced(feature: Branch) -> None:
    code = (
        "def odd(conv):\n    conv.say('a\\ud800')\n    conv.state.k = '\\udfff'\n    return {'\\ud801': 1}\n"
    )
    odd = await feature.created("odd", code)
    response = await execute(feature, odd["id"])
    assert response.status_code == 200, response.text
    assert response.json() == {
        "returnValue": {"\ufffd": 1},
        "effects": [{"type": "say", "text": "a\ufffd"}],
        "state": {"k": "\ufffd"},
    }


@pytest.mark.parametrize(
    "sandbox_limits", [SandboxSettings(timeout_seconds=1.0, start_timeout_seconds=0.001)], indirect=True
)
async def test_a_sandbox_that_cannot_start_answers_503(feature: Branch) -> None:
    normal = await feature.created("normal", NORMAL)
    error = assert_error(await execute(feature, normal["id"], {"args": {"x": 1}}), "SERVICE_UNAVAILABLE")
    assert "sandbox" in error["message"] and "data" not in error
    assert (await feature.client.get(feature.path(), headers=feature.headers)).status_code == 200
