"""Starting test runs once the request that created them is committed."""

from __future__ import annotations

from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request

from parley.testing.runner import TestRunner


class RunStarter:
    """Background tasks run after the response is sent, which is after the route class commits:
    the runner never looks for a run before its row is visible to other sessions."""

    def __init__(self, request: Request, background: BackgroundTasks) -> None:
        self.runner: TestRunner | None = getattr(request.app.state, "test_runner", None)
        self.background = background

    def start(self, run_ids: list[str]) -> None:
        if run_ids and self.runner is not None:
            self.background.add_task(self._kick, list(run_ids))

    async def _kick(self, run_ids: list[str]) -> None:
        # Async on purpose: a sync background task would run in a thread, away from the loop.
        if self.runner is not None:
            self.runner.kick(run_ids)


RunStarterDep = Annotated[RunStarter, Depends(RunStarter)]
