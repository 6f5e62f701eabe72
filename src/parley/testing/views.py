"""ORM rows -> response bodies."""

from __future__ import annotations

from datetime import datetime

from parley.models import TestResult, TestRun, TestSettings
from parley.testing.schemas import TestResultView, TestRunView, TestSettingsView


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def result_view(result: TestResult) -> TestResultView:
    details = result.details or {}
    return TestResultView(
        test_case_id=result.test_case_id,
        name=result.name,
        status=result.status,
        reason=result.reason,
        conversation_id=result.conversation_id,
        response_assertion_results=list(details.get("responseAssertionResults") or []),
        prompt_assertion_results=list(details.get("promptAssertionResults") or []),
        function_call_failures=list(details.get("functionCallFailures") or []),
        raw_conversation=dict(details.get("rawConversation") or {"turns": []}),
        started_at=_iso(result.started_at) or "",
        finished_at=_iso(result.finished_at) or "",
        duration_ms=round((result.finished_at - result.started_at).total_seconds() * 1000, 3),
    )


def run_view(run: TestRun, results: list[TestResult] | None = None) -> TestRunView:
    return TestRunView(
        id=run.id,
        agent_id=run.agent_id,
        branch_id=run.branch_id,
        environment=run.environment,
        deployment_id=run.deployment_id,
        version=run.version,
        trigger=run.trigger,
        status=run.status,
        test_case_ids=[str(case.get("id", "")) for case in run.test_cases],
        test_case_count=run.test_case_count,
        passed_count=run.passed_count,
        failed_count=run.failed_count,
        error_count=run.error_count,
        timed_out_count=run.timed_out_count,
        error=run.error,
        created_by=run.created_by,
        created_at=_iso(run.created_at) or "",
        started_at=_iso(run.started_at),
        finished_at=_iso(run.finished_at),
        results=None if results is None else [result_view(r) for r in results],
    )


def settings_view(settings: TestSettings) -> TestSettingsView:
    return TestSettingsView(
        run_on_deploy=settings.run_on_deploy, block_live_on_failure=settings.block_live_on_failure
    )
