"""Test runs, their per-case results, and each agent's test settings (test cases themselves are
branch resources)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parley.kit.db import Base, utcnow


class TestRun(Base):
    """One run of some test cases against a branch draft or an environment.

    The cases are copied in at trigger time, so a run never depends on its branch still existing
    (a merge deletes the branch) and a resumed run executes exactly what was asked for.
    """

    __test__ = False  # a table, not a pytest class
    __tablename__ = "test_run"
    __table_args__ = (
        Index("ix_test_run_agent_id_created_at", "agent_id", "created_at"),
        Index("ix_test_run_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"))
    account_id: Mapped[str] = mapped_column(String(40))
    # The branch the cases came from (public id: "main" or BRANCH-...), kept even once deleted.
    branch_id: Mapped[str | None] = mapped_column(String(32), default=None)
    # "draft" (the branch compiled on the fly) or sandbox | pre-release | live.
    environment: Mapped[str] = mapped_column(String(16))
    deployment_id: Mapped[str | None] = mapped_column(String(36), default=None)
    version: Mapped[str | None] = mapped_column(String(64), default=None)
    trigger: Mapped[str] = mapped_column(String(16), default="manual")  # manual | publish | promote | merge
    status: Mapped[str] = mapped_column(String(16), default="pending")
    test_cases: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    test_case_count: Mapped[int] = mapped_column(default=0)
    passed_count: Mapped[int] = mapped_column(default=0)
    failed_count: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    timed_out_count: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_by: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    # Which process runs it, and when it last showed signs of life (a stale one is taken over).
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(default=0)


class TestResult(Base):
    """The outcome of one test case in one run, with its transcript."""

    __test__ = False
    __tablename__ = "test_result"

    run_id: Mapped[str] = mapped_column(ForeignKey("test_run.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    test_case_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # passed | failed | errored | timed_out
    reason: Mapped[str] = mapped_column(Text, default="")
    conversation_id: Mapped[str | None] = mapped_column(String(100), default=None)
    # Assertion results and the transcript, in the shapes the API returns.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime] = mapped_column(default=utcnow)


class TestSettings(Base):
    """Per-agent switches: run the tests on every deployment, and gate live on pre-release."""

    __test__ = False
    __tablename__ = "test_settings"

    agent_id: Mapped[str] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"), primary_key=True)
    run_on_deploy: Mapped[bool] = mapped_column(default=False)
    block_live_on_failure: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
