"""Background execution of test runs: one asyncio task per run, its state in the database.

A request creates a run ``pending`` and, once its transaction is committed, asks the runner to
start it. Any worker may start any pending run; the claim (one conditional UPDATE) lets exactly
one win. Results are written case by case, so a run interrupted by a crash or a restart is
resumed from its first unfinished case by whichever worker sweeps it up once its heartbeat is
stale; a run interrupted ``max_attempts`` times ends ``errored`` instead. Nothing stays stuck.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.chat.runtime import RuntimeDeps
from parley.kit.db import utcnow
from parley.kit.logging import get_logger
from parley.models import TestResult, TestRun
from parley.testing.executor import CaseExecutor, CaseOutcome, CaseProgress, Target, details
from parley.testing.repository import TestRunRepository
from parley.testing.settings import TestingSettings

log = get_logger("parley.testing")


def run_status(statuses: Iterable[str]) -> str:
    """A failure outranks a timeout, which outranks an error; all passed is passed."""
    found = set(statuses)
    for status in ("failed", "timed_out", "errored"):
        if status in found:
            return status
    return "passed"


class TestRunner:
    __test__ = False

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        deps: RuntimeDeps,
        settings: TestingSettings,
    ) -> None:
        self.sessions = sessions
        self.deps = deps
        self.settings = settings
        self.worker = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Pick up what a previous process left behind, then keep sweeping."""
        try:
            await self.sweep()
        except Exception:  # start-up goes on; the sweeper retries
            log.exception("testing.sweep_failed")
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="test-run-sweeper")

    async def stop(self) -> None:
        tasks = [t for t in [self._sweeper, *self.tasks.values()] if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # Runs cut short by a clean shutdown go back to pending: the next start resumes them at once.
        async with self.sessions() as session:
            await session.execute(
                update(TestRun)
                .where(TestRun.claimed_by == self.worker, TestRun.status == "in_progress")
                .values(status="pending", claimed_by=None)
            )
            await session.commit()

    def kick(self, run_ids: Iterable[str]) -> None:
        for run_id in run_ids:
            if run_id not in self.tasks:
                task = asyncio.create_task(self._execute(run_id), name=f"test-run-{run_id}")
                self.tasks[run_id] = task
                task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        for run_id, known in list(self.tasks.items()):
            if known is task:
                del self.tasks[run_id]

    async def idle(self) -> None:
        """Wait for every run this worker is executing (tests and orderly shutdowns)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks.values()), return_exceptions=True)

    async def sweep(self) -> None:
        async with self.sessions() as session:
            ids = await TestRunRepository(session).runnable(self._stale_before())
        self.kick(ids)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.sweep_interval_seconds)
            try:
                await self.sweep()
            except Exception:  # a database blip must not end the sweeping for good
                log.exception("testing.sweep_failed")

    def _stale_before(self) -> Any:
        return utcnow() - timedelta(seconds=self.settings.stale_after_seconds)

    async def _execute(self, run_id: str) -> None:
        try:
            await self._execute_claimed(run_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("testing.run_failed", test_run_id=run_id)
            await self._finish(run_id, error="The test run stopped on an internal error; see the server log.")

    async def _execute_claimed(self, run_id: str) -> None:
        async with self.sessions() as session:
            repo = TestRunRepository(session)
            won = await repo.claim(run_id, self.worker, self._stale_before())
            await session.commit()
            if not won:
                return
            run = await repo.by_id(run_id)
            assert run is not None
            if run.attempts > self.settings.max_attempts:
                await self._finish(
                    run_id,
                    error=f"The run was interrupted {run.attempts - 1} times and was not resumed again.",
                )
                return
            if run.started_at is None:
                run.started_at = utcnow()
                await session.commit()
            done = {r.position for r in await repo.results(run_id)}
            cases = list(run.test_cases)
            target = Target(run.agent_id, run.environment, run.branch_id)
        executor = CaseExecutor(self.sessions, self.deps, target)
        for position, case in enumerate(cases):
            if position in done:
                continue
            started = utcnow()
            outcome = await self._run_case(executor, case)
            async with self.sessions() as session:
                repo = TestRunRepository(session)
                await repo.put_result(
                    TestResult(
                        run_id=run_id,
                        position=position,
                        test_case_id=str(case.get("id", "")),
                        name=str(case.get("name", ""))[:200],
                        status=outcome.status,
                        reason=outcome.reason,
                        conversation_id=outcome.conversation_id,
                        details=outcome.details,
                        started_at=started,
                        finished_at=utcnow(),
                    )
                )
                still_ours = await repo.beat(run_id, self.worker)
                await session.commit()
            if not still_ours:
                return  # another worker took the run over; it finishes it
        await self._finish(run_id)

    async def _run_case(self, executor: CaseExecutor, case: dict[str, Any]) -> CaseOutcome:
        progress = CaseProgress()
        timeout = self.settings.case_timeout_seconds
        try:
            return await asyncio.wait_for(executor.run(case, progress), timeout)
        except TimeoutError:
            return CaseOutcome(
                "timed_out",
                f"The case did not finish within {timeout:g} seconds.",
                progress.conversation_id,
                details(progress),
            )
        except Exception:
            log.exception("testing.case_failed", test_case_id=case.get("id"))
            return CaseOutcome(
                "errored",
                "The case stopped on an internal error; see the server log.",
                progress.conversation_id,
                details(progress),
            )

    async def _finish(self, run_id: str, *, error: str | None = None) -> None:
        async with self.sessions() as session:
            repo = TestRunRepository(session)
            run = await repo.by_id(run_id)
            if run is None:
                return
            statuses = [r.status for r in await repo.results(run_id)]
            run.passed_count = statuses.count("passed")
            run.failed_count = statuses.count("failed")
            run.error_count = statuses.count("errored")
            run.timed_out_count = statuses.count("timed_out")
            run.status = "errored" if error else run_status(statuses)
            run.error = error
            run.finished_at = utcnow()
            run.claimed_by = None
            await session.commit()
        log.info("testing.run_finished", test_run_id=run_id, status=run.status)


async def start_test_runner(state: Any, settings: TestingSettings | None = None) -> TestRunner:
    """Build the runner from the app's collaborators and resume what a dead process left."""
    runner = TestRunner(
        state.sessionmaker,
        RuntimeDeps(
            engine=state.conversation_engine,
            artifacts=state.artifacts,
            chat_timeout_seconds=state.settings.runtime.chat_timeout_seconds,
        ),
        settings or getattr(state, "testing_settings", None) or TestingSettings(),
    )
    await runner.start()
    return runner
