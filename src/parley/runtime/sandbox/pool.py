"""The server's handle on the sandbox: a small pool of worker processes behind one async call.

Workers start on first use (a server that never runs a function never pays for them). Each
execution takes a worker from the pool, so at most ``pool_size`` run at once; a worker that
misses its deadline, breaks the protocol or dies is killed with its process group and replaced
by a fresh one on the next call.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
from typing import Any

from parley.config import SandboxSettings
from parley.kit.logging import get_logger
from parley.runtime.functions import FunctionOutcome
from parley.runtime.sandbox import protocol
from parley.runtime.sandbox.isolation import Isolation, IsolationUnavailable, probe

log = get_logger("parley.sandbox")

# Extra seconds the server gives a worker past the execution limit before killing it (the
# worker's own kill of the child comes first; this one catches a stuck worker).
SERVER_GRACE_SECONDS = 1.5


class SandboxUnavailable(Exception):
    """The sandbox cannot run code at all (not: the code failed)."""


class _WorkerLost(Exception):
    pass


def _limits(settings: SandboxSettings) -> protocol.Limits:
    return protocol.Limits(
        timeout_seconds=settings.timeout_seconds,
        memory_bytes=settings.memory_mb * 1024 * 1024,
        max_output_bytes=settings.max_output_bytes,
        max_effects=settings.max_effects,
    )


class _Worker:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    async def send(self, line: bytes) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        try:
            stdin.write(line)
            await stdin.drain()
        except (ConnectionError, RuntimeError) as exc:
            raise _WorkerLost(f"worker input closed: {exc}") from None

    async def receive(self) -> dict[str, Any]:
        stdout = self.process.stdout
        assert stdout is not None
        try:
            line = await stdout.readline()
        except (ValueError, asyncio.LimitOverrunError):
            raise _WorkerLost("worker sent a line longer than the protocol allows") from None
        if not line.endswith(b"\n"):
            raise _WorkerLost("worker closed its output")
        try:
            message = protocol.decode(line)
        except ValueError:
            raise _WorkerLost("worker sent something that is not JSON") from None
        if not isinstance(message, dict):
            raise _WorkerLost("worker sent something that is not an object")
        return message

    async def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # the worker and any child it forked
        except ProcessLookupError:
            pass  # already gone
        except PermissionError:
            self.process.kill()
        await self.process.wait()


class Sandbox:
    """Runs user functions out of process. Satisfies runtime.functions.FunctionRunner."""

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self.limits = _limits(settings)
        self._slots = asyncio.Semaphore(settings.pool_size)
        self._idle: list[_Worker] = []
        self._workers: set[_Worker] = set()
        self._isolation: Isolation | None = None
        self._isolation_lock = asyncio.Lock()
        self._layers: dict[str, bool] | None = None
        self._ids = itertools.count(1)
        self._closed = False

    @property
    def layers(self) -> dict[str, bool] | None:
        """The isolation layers the workers run with; None until the first worker started."""
        return dict(self._layers) if self._layers is not None else None

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (for operations and tests)."""
        return sorted(w.process.pid for w in self._workers if w.alive)

    async def run(
        self,
        source: str,
        entry: str,
        args: dict[str, Any],
        context: dict[str, Any],
        *,
        with_flow: bool = False,
    ) -> FunctionOutcome:
        """Run ``entry(conv[, flow], **args)`` from ``source``; failures are outcomes, not raises.

        ``context`` carries the conv data (state, variant, variant_name, variants, entities,
        history, env, channel, caller_number, real_time_config, ...), ``functions`` (name ->
        source of the global functions ``conv.functions`` can call) and, with ``with_flow``,
        ``flow`` ({name, current_step, functions}). Raises SandboxUnavailable only when no
        worker can be started at all.
        """
        if self._closed:
            raise SandboxUnavailable("the sandbox is shut down")
        request_id = next(self._ids)
        # Encoded before a worker is taken: data that is not JSON is the caller's error (it
        # raises here) and must not cost a worker.
        line = protocol.encode(
            {
                "id": request_id,
                "source": source,
                "entry": entry,
                "args": args,
                "context": context,
                "withFlow": with_flow,
            }
        )
        async with self._slots:
            worker = await self._take()
            try:
                reply = await self._exchange(worker, request_id, line)
            except _WorkerLost as exc:
                log.warning("sandbox.worker_lost", reason=str(exc), pid=worker.process.pid)
                await self._discard(worker)
                return _outcome(_lost_reply(exc, self.limits))
            except BaseException:
                # Cancelled mid-call: the worker's state is unknown, so it goes.
                await self._discard(worker)
                raise
            self._idle.append(worker)
        return _outcome(reply)

    async def close(self) -> None:
        self._closed = True
        workers, self._workers, self._idle = list(self._workers), set(), []
        for worker in workers:
            stdin = worker.process.stdin
            if stdin is not None:
                stdin.close()
            await worker.kill()

    async def _exchange(self, worker: _Worker, request_id: int, line: bytes) -> dict[str, Any]:
        await worker.send(line)
        deadline = self.limits.timeout_seconds + SERVER_GRACE_SECONDS
        try:
            # A timeout scope, not wait_for: no extra task, so no extra loop iteration per call on
            # a busy loop, where every iteration the worker's slot is held costs the next caller.
            async with asyncio.timeout(deadline):
                message = await worker.receive()
        except TimeoutError:
            raise _WorkerLost("timeout") from None
        if message.get("id") != request_id:
            raise _WorkerLost("worker answered another request")
        try:
            return protocol.checked_reply(message)
        except ValueError as exc:
            raise _WorkerLost(f"malformed reply: {exc}") from None

    async def _take(self) -> _Worker:
        while self._idle:
            worker = self._idle.pop()
            if worker.alive:
                return worker
            await self._discard(worker)
        return await self._spawn()

    async def _discard(self, worker: _Worker) -> None:
        self._workers.discard(worker)
        await worker.kill()

    async def _isolation_for_workers(self) -> Isolation:
        async with self._isolation_lock:
            if self._isolation is None:
                try:
                    self._isolation = await probe(self.settings)
                except IsolationUnavailable as exc:
                    raise SandboxUnavailable(str(exc)) from None
            return self._isolation

    async def _spawn(self) -> _Worker:
        isolation = await self._isolation_for_workers()
        try:
            process = await asyncio.create_subprocess_exec(
                *isolation.command(),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
                env=isolation.environment(),
                cwd="/",
                start_new_session=True,
                limit=self.limits.max_output_bytes + 2 * protocol.REPLY_OVERHEAD_BYTES,
            )
        except (OSError, IsolationUnavailable) as exc:
            raise SandboxUnavailable(f"cannot start a sandbox worker: {exc}") from None
        worker = _Worker(process)
        self._workers.add(worker)
        try:
            await worker.send(
                protocol.encode(
                    {
                        "limits": self.limits.as_dict(),
                        "parentNetns": Isolation.parent_netns() if isolation.network_namespace else None,
                        "runAsUid": isolation.run_as_uid,
                    }
                )
            )
            hello = await asyncio.wait_for(worker.receive(), timeout=self.settings.start_timeout_seconds)
            layers = self._check_layers(hello, isolation)
        except (_WorkerLost, TimeoutError, SandboxUnavailable) as exc:
            await self._discard(worker)
            log.error("sandbox.worker_failed_to_start", reason=str(exc))
            raise SandboxUnavailable(f"a sandbox worker failed to start: {exc}") from None
        if self._layers is None:
            self._layers = layers
            inactive = sorted(name for name, on in layers.items() if not on)
            log_method = log.warning if inactive else log.info
            log_method(
                "sandbox.layers", active=sorted(n for n, on in layers.items() if on), inactive=inactive
            )
        return worker

    @staticmethod
    def _check_layers(hello: dict[str, Any], isolation: Isolation) -> dict[str, bool]:
        if hello.get("ready") is not True:
            raise SandboxUnavailable(str(hello.get("error") or "worker not ready"))
        raw = hello.get("layers")
        layers = {str(k): v is True for k, v in raw.items()} if isinstance(raw, dict) else {}
        required = ["process", "resourceLimits", "auditHook", "restrictedBuiltins"]
        if isolation.network_namespace:
            required.append("networkNamespace")
        if isolation.drops_privileges:
            required.append("privilegesDropped")
        missing = [name for name in required if not layers.get(name)]
        if missing:
            raise SandboxUnavailable(f"worker started without required layers: {', '.join(missing)}")
        return layers


def _lost_reply(exc: _WorkerLost, limits: protocol.Limits) -> dict[str, Any]:
    if str(exc) == "timeout":
        return protocol.error_reply(
            protocol.TIMEOUT, f"The function did not finish within {limits.timeout_seconds:g} seconds."
        )
    return protocol.error_reply(
        protocol.CRASHED, "The function's sandbox process failed; it has been replaced."
    )


def _outcome(reply: dict[str, Any]) -> FunctionOutcome:
    if reply["ok"]:
        return FunctionOutcome(
            return_value=reply["returnValue"], effects=reply["effects"], state=reply["state"], error=None
        )
    return FunctionOutcome(error=reply["error"])
