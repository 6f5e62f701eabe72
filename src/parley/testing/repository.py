"""SQL for test runs, their results and the agents' test settings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from parley.kit.db import utcnow
from parley.models import TestResult, TestRun, TestSettings

ACTIVE = ("pending", "in_progress")


class TestRunRepository:
    __test__ = False

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, run: TestRun) -> None:
        self.session.add(run)
        await self.session.flush()

    async def get(self, agent_id: str, run_id: str) -> TestRun | None:
        run = await self.session.get(TestRun, run_id)
        return run if run is not None and run.agent_id == agent_id else None

    async def by_id(self, run_id: str) -> TestRun | None:
        return await self.session.get(TestRun, run_id, populate_existing=True)

    async def list(
        self, agent_id: str, limit: int, offset: int, branch_id: str | None, status: str | None
    ) -> Sequence[TestRun]:
        query = select(TestRun).where(TestRun.agent_id == agent_id)
        if branch_id is not None:
            query = query.where(TestRun.branch_id == branch_id)
        if status is not None:
            query = query.where(TestRun.status == status)
        query = query.order_by(TestRun.created_at.desc(), TestRun.id.desc()).limit(limit).offset(offset)
        return (await self.session.scalars(query)).all()

    async def results(self, run_id: str) -> Sequence[TestResult]:
        query = select(TestResult).where(TestResult.run_id == run_id).order_by(TestResult.position)
        return (await self.session.scalars(query)).all()

    async def latest(self, agent_id: str, environment: str, version: str) -> TestRun | None:
        query = (
            select(TestRun)
            .where(
                TestRun.agent_id == agent_id, TestRun.environment == environment, TestRun.version == version
            )
            .order_by(TestRun.created_at.desc(), TestRun.id.desc())
            .limit(1)
        )
        return (await self.session.scalars(query)).first()

    async def claim(self, run_id: str, worker: str, stale_before: datetime) -> bool:
        """Take a pending run, or an in-progress one whose worker stopped beating; True if we won.

        One UPDATE decides: with several workers, exactly one sees an affected row.
        """
        now = utcnow()
        result = await self.session.execute(
            update(TestRun)
            .where(
                TestRun.id == run_id,
                (TestRun.status == "pending")
                | ((TestRun.status == "in_progress") & (TestRun.heartbeat_at < stale_before)),
            )
            .values(status="in_progress", claimed_by=worker, heartbeat_at=now, attempts=TestRun.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    async def beat(self, run_id: str, worker: str) -> bool:
        """Refresh the heartbeat; False when another worker has taken the run over."""
        result = await self.session.execute(
            update(TestRun)
            .where(TestRun.id == run_id, TestRun.claimed_by == worker, TestRun.status == "in_progress")
            .values(heartbeat_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    async def runnable(self, stale_before: datetime, limit: int = 100) -> Sequence[str]:
        query = (
            select(TestRun.id)
            .where(
                (TestRun.status == "pending")
                | ((TestRun.status == "in_progress") & (TestRun.heartbeat_at < stale_before))
            )
            .order_by(TestRun.created_at)
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()

    async def put_result(self, result: TestResult) -> None:
        await self.session.execute(
            delete(TestResult).where(
                TestResult.run_id == result.run_id, TestResult.position == result.position
            )
        )
        self.session.add(result)
        await self.session.flush()

    async def settings(self, agent_id: str) -> TestSettings | None:
        return await self.session.get(TestSettings, agent_id)

    async def add_settings(self, settings: TestSettings) -> None:
        self.session.add(settings)
        await self.session.flush()
