"""Chat benchmark: turns/s and turn latency of a real `parley serve` over real HTTP.

Starts one server process on a fresh SQLite database with the demo agent deployed to live, then
drives it from this process with an async httpx load generator: N concurrent conversations, each
a create followed by a scripted walk (knowledge questions, or a booking / wake-up flow). The floor
is the same server's GET /health at the same concurrency. Writes report.json and report.md.

    .venv/bin/python bench/chat/run.py            # full run (a few minutes)
    .venv/bin/python bench/chat/run.py --quick    # seconds: proves the harness works

Everything is bounded: conversation counts, a time cap per phase, loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
AGENT = "linden-hotel"
CHAT = f"/v1/default/{AGENT}/chat"
KEY = "pk_bench_" + "0" * 40
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Questions a guest asks; none of them ends the conversation (handoffs are walks of their own).
KB_QUESTIONS = [
    "What time is breakfast?",
    "when can I check in",
    "Is there parking?",
    "what is the wifi password",
    "when is the pool open",
    "Can I bring my dog?",
    "is there a gym",
    "what time is check out",
    "do you have a spa",
    "is there room service",
    "do you do laundry",
    "can you keep my bags",
    "taxi to the airport",
    "wheelchair access",
    "what is your cancellation policy",
    "do you allow children",
    "is there a minibar",
    "when is the restaurant open",
    "meeting rooms",
    "what is your address",  # runs send_directions in the sandbox
    "something nobody has an answer for, surely",
]
BOOKING = ["I'd like to book a table for dinner", "four of us", "2027-03-14", "7:30pm please", "yes please"]
WAKE_UP = ["can I get a wake up call", "6:45am", "room 214", "thanks, when is breakfast?"]
COMPLAINT = ["is there parking?", "I want to make a complaint about the noise"]


def script_for(rng: random.Random, kb_turns: int) -> tuple[str, list[str]]:
    """A conversation's user messages: mostly knowledge questions, some flow walks."""
    roll = rng.random()
    if roll < 0.15:
        return "booking", list(BOOKING)
    if roll < 0.22:
        return "wake_up", list(WAKE_UP)
    if roll < 0.25:
        return "complaint", list(COMPLAINT)
    return "knowledge", rng.sample(KB_QUESTIONS, kb_turns)


# --- the server under test -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    workdir: Path
    env: dict[str, str]

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, keep_log: Path | None = None) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if keep_log is not None:
            shutil.copy(self.workdir / "server.log", keep_log)
        shutil.rmtree(self.workdir, ignore_errors=True)


def server_env(workdir: Path, port: int, extra: list[str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env.update(
        PARLEY_DATABASE_URL=f"sqlite:///{workdir / 'bench.db'}",
        PARLEY_EXAMPLES_DIR=str(ROOT / "examples"),
        PARLEY_BOOTSTRAP_API_KEY=KEY,
        PARLEY_RATE_LIMIT_PER_SECOND="1000000",
        PARLEY_RATE_LIMIT_BURST="1000000",
        PARLEY_LOG_LEVEL="WARNING",
        PARLEY_RUNTIME_PROVIDER="rules",
    )
    for item in extra or []:
        name, _, value = item.partition("=")
        env[name] = value
    return env


async def start_server(python: str, extra_env: list[str], wait_seconds: float = 60.0) -> Server:
    workdir = Path(tempfile.mkdtemp(prefix="parley-bench-"))
    port = free_port()
    env = server_env(workdir, port, extra_env)
    log = (workdir / "server.log").open("wb")
    # Started once, before any load: blocking here costs the measurement nothing.
    process = subprocess.Popen(  # noqa: S603, ASYNC220 - our own interpreter, fixed arguments
        [python, "-m", "parley", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(process, f"http://127.0.0.1:{port}", workdir, env)
    deadline = time.monotonic() + wait_seconds
    async with httpx.AsyncClient(base_url=server.base_url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            try:
                if (await client.get("/health")).status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    output = (workdir / "server.log").read_text(errors="replace")[-4000:]
    server.stop()
    raise RuntimeError(f"the server did not become healthy:\n{output}")


def process_tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo += [int(c) for c in children]
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLK_TCK


def main_thread_cpu_seconds(pid: int) -> float:
    """CPU of the server's event-loop thread: what caps one process, whatever the other cores do."""
    try:
        fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- load ------------------------------------------------------------------------------------------


@dataclass
class Samples:
    turns: list[float] = field(default_factory=list)  # seconds, respond calls
    creates: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    conversations: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


async def timed(samples: list[float], call: Awaitable[httpx.Response]) -> httpx.Response:
    started = time.perf_counter()
    response = await call
    samples.append(time.perf_counter() - started)
    return response


async def conversation(client: httpx.AsyncClient, rng: random.Random, kb_turns: int, out: Samples) -> None:
    kind, messages = script_for(rng, kb_turns)
    try:
        created = await timed(out.creates, client.post(f"{CHAT}/create", json={}))
        if created.status_code != 200:
            out.errors.append(f"create {created.status_code}: {created.text[:200]}")
            return
        conversation_id = created.json()["conversation_id"]
        for message in messages:
            body = {"conversation_id": conversation_id, "message": message}
            reply = await timed(out.turns, client.post(f"{CHAT}/respond", json=body))
            if reply.status_code != 200:
                out.errors.append(f"respond {reply.status_code}: {reply.text[:200]}")
                return
    except httpx.HTTPError as exc:
        out.errors.append(f"{type(exc).__name__}: {exc}")
        return
    out.conversations += 1
    out.by_kind[kind] = out.by_kind.get(kind, 0) + 1


async def run_workers(
    concurrency: int, total: int, max_seconds: float, job: Callable[[int], Awaitable[None]]
) -> float:
    """``concurrency`` workers share ``total`` jobs; stops early at ``max_seconds``. Returns wall time."""
    counter = iter(range(total))
    deadline = time.monotonic() + max_seconds

    async def worker() -> None:
        for index in counter:
            if time.monotonic() > deadline:
                return
            await job(index)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


def make_client(base_url: str, concurrency: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(
        base_url=base_url, headers={"x-api-key": KEY}, limits=limits, timeout=30.0, http2=False
    )


def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None, "mean_ms": None}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1] * 1000, 2),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
    }


async def chat_level(
    server: Server, concurrency: int, conversations: int, kb_turns: int, max_seconds: float, seed: int
) -> dict[str, Any]:
    samples = Samples()
    rng = random.Random(seed)
    server_cpu, own_cpu = cpu_seconds(process_tree(server.pid)), own_cpu_seconds()
    main_cpu = cpu_seconds([server.pid])
    loop_cpu = main_thread_cpu_seconds(server.pid)
    async with make_client(server.base_url, concurrency) as client:
        wall = await run_workers(
            concurrency,
            conversations,
            max_seconds,
            lambda _: conversation(client, rng, kb_turns, samples),
        )
    server_cpu = cpu_seconds(process_tree(server.pid)) - server_cpu
    main_cpu = cpu_seconds([server.pid]) - main_cpu
    loop_cpu = main_thread_cpu_seconds(server.pid) - loop_cpu
    own_cpu = own_cpu_seconds() - own_cpu
    requests = len(samples.turns) + len(samples.creates)
    return {
        "concurrency": concurrency,
        "conversations": samples.conversations,
        "conversation_kinds": samples.by_kind,
        "turns": len(samples.turns),
        "creates": len(samples.creates),
        "wall_seconds": round(wall, 3),
        "turns_per_second": round(len(samples.turns) / wall, 1),
        "requests_per_second": round(requests / wall, 1),
        "turn_latency": percentiles(samples.turns),
        "create_latency": percentiles(samples.creates),
        "errors": len(samples.errors),
        "error_examples": samples.errors[:5],
        "server_cpu_percent": round(100 * server_cpu / wall, 1),
        "server_cpu_ms_per_request": round(1000 * server_cpu / max(1, requests), 3),
        "server_loop_thread_cpu_ms_per_request": round(1000 * loop_cpu / max(1, requests), 3),
        "sandbox_cpu_ms_per_request": round(1000 * (server_cpu - main_cpu) / max(1, requests), 3),
        "generator_cpu_percent": round(100 * own_cpu / wall, 1),
        "generator_cpu_ms_per_request": round(1000 * own_cpu / max(1, requests), 3),
    }


async def health_level(server: Server, concurrency: int, requests: int, max_seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    server_cpu, own_cpu = cpu_seconds(process_tree(server.pid)), own_cpu_seconds()
    async with make_client(server.base_url, concurrency) as client:

        async def one(_: int) -> None:
            try:
                response = await timed(latencies, client.get("/health"))
                if response.status_code != 200:
                    errors.append(f"health {response.status_code}")
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")

        wall = await run_workers(concurrency, requests, max_seconds, one)
    server_cpu = cpu_seconds(process_tree(server.pid)) - server_cpu
    own_cpu = own_cpu_seconds() - own_cpu
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "wall_seconds": round(wall, 3),
        "requests_per_second": round(len(latencies) / wall, 1),
        "latency": percentiles(latencies),
        "errors": len(errors),
        "server_cpu_percent": round(100 * server_cpu / wall, 1),
        "server_cpu_ms_per_request": round(1000 * server_cpu / max(1, len(latencies)), 3),
        "generator_cpu_percent": round(100 * own_cpu / wall, 1),
        "generator_cpu_ms_per_request": round(1000 * own_cpu / max(1, len(latencies)), 3),
    }


@contextlib.contextmanager
def profiler(out: Path | None, pid: int, concurrency: int) -> Iterator[None]:
    """Samples the server with py-spy (a dev tool) while a level runs: collapsed stacks per level."""
    if out is None:
        yield
        return
    out.mkdir(parents=True, exist_ok=True)
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    target = out / f"server-c{concurrency}.txt"
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            spy,
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--rate",
            "200",
            "--threads",
            "-o",
            str(target),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


# --- the report ------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return {
        "cpu": model,
        "cpus": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def commit() -> dict[str, Any]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(  # noqa: S603 - read-only git queries
                ["git", *args],  # noqa: S607
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    return {"sha": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--", "src"))}


def render_markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Chat benchmark",
        "",
        f"Run {report['started_at']} on {report['machine']['cpu']} "
        f"({report['machine']['cpus']} CPUs, Python {report['machine']['python']}), "
        f"commit `{report['commit']['sha'][:12]}`"
        f"{' + uncommitted changes' if report['commit']['dirty'] else ''}.",
        "",
        "One `parley serve` process (uvicorn, uvloop, httptools), SQLite, `rules` provider, the demo "
        "agent `linden-hotel` on live. The load generator (httpx, HTTP/1.1 keep-alive, one connection "
        "per concurrent conversation) runs in a separate process **on the same 2 cores**, so the "
        "server never has the machine to itself: the CPU columns show who used what. Load average "
        f"of the machine (other work included) at start {report['machine']['load_average_start']}, "
        f"at end {report['machine']['load_average_end']}.",
        "",
        "Turns are `respond` calls; each conversation also makes one `create` (its own latency column). "
        "Latency is measured by the client, per request, from send to full response.",
        "",
        "## Chat turns (`POST .../chat/respond`)",
        "",
        "| concurrent conversations | turns | turns/s | p50 ms | p95 ms | p99 ms | max ms "
        "| create p50/p99 ms | errors | server CPU ms/request (event loop) | generator CPU ms/request |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for level in report["chat"]:
        t, c = level["turn_latency"], level["create_latency"]
        lines.append(
            f"| {level['concurrency']} | {level['turns']} | **{level['turns_per_second']}** | {t['p50_ms']} "
            f"| {t['p95_ms']} | **{t['p99_ms']}** | {t['max_ms']} | {c['p50_ms']} / {c['p99_ms']} "
            f"| {level['errors']} | {level['server_cpu_ms_per_request']} "
            f"({level['server_loop_thread_cpu_ms_per_request']}) | {level['generator_cpu_ms_per_request']} |"
        )
    lines += [
        "",
        "## Floor: `GET /health` on the same server",
        "",
        "| concurrency | requests | requests/s | p50 ms | p95 ms | p99 ms | errors "
        "| server CPU ms/request | generator CPU ms/request |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for level in report["health"]:
        t = level["latency"]
        lines.append(
            f"| {level['concurrency']} | {level['requests']} | {level['requests_per_second']} "
            f"| {t['p50_ms']} | {t['p95_ms']} | {t['p99_ms']} | {level['errors']} "
            f"| {level['server_cpu_ms_per_request']} | {level['generator_cpu_ms_per_request']} |"
        )
    memory = report["memory"]
    lines += [
        "",
        "## Memory",
        "",
        f"Server resident memory (VmRSS of the server process) after {memory['conversations']} "
        f"conversations ({memory['turns']} turns): **{memory['server_rss_mb']} MB** "
        f"(at start {memory['server_rss_start_mb']} MB; sandbox workers add "
        f"{memory['sandbox_rss_mb']} MB in {memory['sandbox_processes']} processes).",
        "",
        "## Targets",
        "",
    ]
    for target in report["targets"]:
        mark = "met" if target["met"] else "NOT met"
        lines.append(f"- {target['name']}: measured {target['measured']} -> **{mark}**")
    lines += ["", "## Settings", "", "```json", json.dumps(report["settings"], indent=2), "```", ""]
    notes = HERE / "notes.md"
    if notes.exists():
        lines += [notes.read_text().rstrip(), ""]
    return "\n".join(lines)


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    at16 = next((level for level in report["chat"] if level["concurrency"] == 16), None)
    result = []
    if at16 is not None:
        result += [
            {
                "name": "at least 400 turns/s at 16 concurrent conversations",
                "measured": at16["turns_per_second"],
                "met": at16["turns_per_second"] >= 400,
            },
            {
                "name": "p99 turn latency under 50 ms at 16 concurrent conversations",
                "measured": at16["turn_latency"]["p99_ms"],
                "met": (at16["turn_latency"]["p99_ms"] or 1e9) < 50,
            },
        ]
    memory = report["memory"]
    result.append(
        {
            "name": f"under 300 MB resident after {memory['target_conversations']} conversations",
            "measured": f"{memory['server_rss_mb']} MB after {memory['conversations']} conversations",
            "met": memory["server_rss_mb"] < 300
            and memory["conversations"] >= memory["target_conversations"],
        }
    )
    result.append(
        {
            "name": "zero errors",
            "measured": sum(level["errors"] for level in report["chat"] + report["health"]),
            "met": all(level["errors"] == 0 for level in report["chat"] + report["health"]),
        }
    )
    return result


# --- main ------------------------------------------------------------------------------------------


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    load_start = load_average()
    server = await start_server(args.python, args.server_env)
    try:
        rss_start = rss_mb(server.pid)
        # Warm-up: loads the artifact and its index, starts the sandbox workers.
        await chat_level(server, 4, args.warmup, args.kb_turns, args.max_seconds, seed=0)
        done_conversations = args.warmup
        done_turns = 0
        chat_results, health_results = [], []
        for index, concurrency in enumerate(args.levels):
            health_results.append(
                await health_level(server, concurrency, args.health_requests, args.max_seconds)
            )
            count = args.conversations_at_1 if concurrency == 1 else args.conversations
            with profiler(args.profile, server.pid, concurrency):
                level = await chat_level(
                    server, concurrency, count, args.kb_turns, args.max_seconds, seed=index + 1
                )
            chat_results.append(level)
            done_conversations += level["conversations"]
            done_turns += level["turns"]
            print(
                f"c={concurrency}: {level['turns_per_second']} turns/s, "
                f"p50 {level['turn_latency']['p50_ms']} ms, p99 {level['turn_latency']['p99_ms']} ms, "
                f"errors {level['errors']}, server CPU {level['server_cpu_ms_per_request']} ms/request "
                f"(event loop {level['server_loop_thread_cpu_ms_per_request']}, "
                f"sandbox {level['sandbox_cpu_ms_per_request']}), "
                f"generator CPU {level['generator_cpu_ms_per_request']} ms/request",
                file=sys.stderr,
            )
        # Fill up to the memory target with the same mix, then read the server's memory.
        remaining = max(0, args.memory_conversations - done_conversations)
        if remaining:
            fill = await chat_level(
                server, 16, remaining, args.kb_turns, args.memory_max_seconds, seed=len(args.levels) + 1
            )
            done_conversations += fill["conversations"]
            done_turns += fill["turns"]
            if fill["errors"]:
                chat_results.append({**fill, "concurrency": "fill (16)"})
        await asyncio.sleep(0.5)
        tree = process_tree(server.pid)
        memory = {
            "target_conversations": args.memory_conversations,
            "conversations": done_conversations,
            "turns": done_turns,
            "server_rss_start_mb": round(rss_start, 1),
            "server_rss_mb": round(rss_mb(server.pid), 1),
            "sandbox_processes": len(tree) - 1,
            "sandbox_rss_mb": round(sum(rss_mb(pid) for pid in tree[1:]), 1),
        }
    finally:
        server.stop(keep_log=args.server_log)
    report: dict[str, Any] = {
        "started_at": started_at,
        "machine": {**machine(), "load_average_start": load_start, "load_average_end": load_average()},
        "commit": commit(),
        "settings": {
            "server": "python -m parley serve (1 process), SQLite (WAL), rules provider",
            "levels": args.levels,
            "conversations_per_level": args.conversations,
            "conversations_at_concurrency_1": args.conversations_at_1,
            "knowledge_turns_per_conversation": args.kb_turns,
            "conversation_mix": "75% knowledge questions, 15% table booking, 7% wake-up call, "
            "3% complaint handoff",
            "health_requests_per_level": args.health_requests,
            "max_seconds_per_phase": args.max_seconds,
            "warmup_conversations": args.warmup,
            "generator": "httpx AsyncClient, HTTP/1.1 keep-alive, "
            + ("uvloop" if args.uvloop else "asyncio")
            + ", separate process on the same machine",
        },
        "chat": chat_results,
        "health": health_results,
        "memory": memory,
    }
    report["targets"] = targets(report)
    return report


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--levels", default="1,16,64", help="concurrent conversations per level")
    parser.add_argument("--conversations", type=int, default=1500, help="conversations per level")
    parser.add_argument("--conversations-at-1", type=int, default=200)
    parser.add_argument("--kb-turns", type=int, default=6, help="questions per knowledge conversation")
    parser.add_argument("--health-requests", type=int, default=5000)
    parser.add_argument("--memory-conversations", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--max-seconds", type=float, default=120.0, help="time cap per phase")
    parser.add_argument("--memory-max-seconds", type=float, default=600.0)
    parser.add_argument("--out", type=Path, default=HERE, help="where report.json/report.md go")
    parser.add_argument("--python", default=sys.executable, help="interpreter that runs the server")
    parser.add_argument("--no-uvloop", dest="uvloop", action="store_false")
    parser.add_argument("--profile", type=Path, help="py-spy the server per level into this folder")
    parser.add_argument(
        "--server-env", action="append", default=[], metavar="NAME=VALUE", help="extra server setting"
    )
    parser.add_argument("--server-log", type=Path, help="keep the server's output here")
    parser.add_argument("--quick", action="store_true", help="tiny counts: checks that everything runs")
    args = parser.parse_args(argv)
    args.levels = [int(x) for x in str(args.levels).split(",") if x]
    if args.quick:
        args.conversations, args.conversations_at_1, args.health_requests = 8, 3, 20
        args.memory_conversations, args.warmup, args.kb_turns = 20, 2, 2
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.uvloop:
        try:
            import uvloop
        except ImportError:
            args.uvloop = False
        else:
            uvloop.install()
    report = asyncio.run(bench(args))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "report.md").write_text(render_markdown(report))
    for target in report["targets"]:
        print(f"{'ok ' if target['met'] else 'NO '} {target['name']}: {target['measured']}", file=sys.stderr)
    return 0 if all(level["errors"] == 0 for level in report["chat"] + report["health"]) else 1


if __name__ == "__main__":
    sys.exit(main())
