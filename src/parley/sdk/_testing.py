"""Namespaces of the test suite: test cases (branch-scoped) and test runs (agent-scoped)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from parley.sdk._resources import Namespace, compact, path

_Obj = TypeVar("_Obj")
_Arr = TypeVar("_Arr")
_Nil = TypeVar("_Nil")

FINISHED = ("passed", "failed", "errored", "timed_out")


class TestCasesAPI(Namespace[_Obj, _Arr, _Nil]):
    """Test cases of a branch. Bodies use the wire's camelCase fields (``userTurns``,
    ``responseAssertions``, ``functionCallAssertions``, ``promptAssertions`` ...)."""

    __test__ = False

    def list(self, agent_id: str, branch_id: str, *, correlation_id: str | None = None) -> _Obj:
        """``{testCases: [...]}``."""
        url = path("/v1/agents/{}/branches/{}/test-cases", agent_id, branch_id)
        return self._object("GET", url, correlation_id)

    def create(
        self, agent_id: str, branch_id: str, case: Mapping[str, Any], *, correlation_id: str | None = None
    ) -> _Obj:
        url = path("/v1/agents/{}/branches/{}/test-cases", agent_id, branch_id)
        return self._object("POST", url, correlation_id, json=dict(case))

    def get(
        self, agent_id: str, branch_id: str, test_case_id: str, *, correlation_id: str | None = None
    ) -> _Obj:
        url = path("/v1/agents/{}/branches/{}/test-cases/{}", agent_id, branch_id, test_case_id)
        return self._object("GET", url, correlation_id)

    def update(
        self,
        agent_id: str,
        branch_id: str,
        test_case_id: str,
        changes: Mapping[str, Any],
        *,
        correlation_id: str | None = None,
    ) -> _Obj:
        """Change the given fields; a field set to None is cleared."""
        url = path("/v1/agents/{}/branches/{}/test-cases/{}", agent_id, branch_id, test_case_id)
        return self._object("PATCH", url, correlation_id, json=dict(changes))

    def delete(
        self, agent_id: str, branch_id: str, test_case_id: str, *, correlation_id: str | None = None
    ) -> _Nil:
        url = path("/v1/agents/{}/branches/{}/test-cases/{}", agent_id, branch_id, test_case_id)
        return self._empty("DELETE", url, correlation_id)


class TestRunsAPI(Namespace[_Obj, _Arr, _Nil]):
    """Test runs: trigger one (it runs in the background), then poll ``get`` until ``status`` is one
    of :data:`FINISHED`."""

    __test__ = False

    def trigger(
        self,
        agent_id: str,
        *,
        branch_id: str | None = None,
        environment: str | None = None,
        test_case_ids: Sequence[str] | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        """Start a run of the branch's cases (default ``main``) against its draft, or against
        ``environment``'s active deployment; returns the pending run."""
        body = compact(
            branchId=branch_id,
            environment=environment,
            testCaseIds=list(test_case_ids) if test_case_ids is not None else None,
        )
        return self._object(
            "POST", path("/v1/agents/{}/testing/test-runs/trigger", agent_id), correlation_id, json=body
        )

    def list(
        self,
        agent_id: str,
        *,
        limit: int | None = None,
        offset: int | None = None,
        branch_id: str | None = None,
        status: str | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        """``{testRuns: [...]}``, newest first, without per-case results."""
        params = compact(limit=limit, offset=offset, branchId=branch_id, status=status)
        return self._object(
            "GET", path("/v1/agents/{}/testing/test-runs", agent_id), correlation_id, params=params
        )

    def get(self, agent_id: str, test_run_id: str, *, correlation_id: str | None = None) -> _Obj:
        """One run with ``results[]``: status, reason, assertion results and transcript per case."""
        url = path("/v1/agents/{}/testing/test-runs/{}", agent_id, test_run_id)
        return self._object("GET", url, correlation_id)

    def settings(self, agent_id: str, *, correlation_id: str | None = None) -> _Obj:
        """``{runOnDeploy, blockLiveOnFailure}``."""
        return self._object("GET", path("/v1/agents/{}/testing/settings", agent_id), correlation_id)

    def update_settings(
        self,
        agent_id: str,
        *,
        run_on_deploy: bool | None = None,
        block_live_on_failure: bool | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        body = compact(runOnDeploy=run_on_deploy, blockLiveOnFailure=block_live_on_failure)
        return self._object(
            "PATCH", path("/v1/agents/{}/testing/settings", agent_id), correlation_id, json=body
        )
