"""Property-based fuzzing of every operation in the app's own OpenAPI document.

For any request schemathesis can build from ``app.openapi()``, valid (positive) or not (negative):
no 5xx, the correlation id on every response, and every non-2xx body exactly the error envelope.

Requests reach the app in-process through schemathesis' ASGI transport, which runs the app (and its
lifespan) on an event loop thread of its own, so the tests themselves are sync. The database is a
real migrated one. The run is bounded by a total example budget that the operations share, and it
is derandomized, so CI sends the same cases every time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.python import asgi

from parley.accounts.service import bootstrap
from parley.app import create_app
from parley.errors import CATALOGUE
from parley.kit.db import create_engine, create_sessionmaker
from tests.conftest import ADMIN_KEY, OPERATOR_KEY, make_settings
from tests.support.envelope import CORRELATION_HEADER, assert_error

# Path parameters that name something the database really has, so that part of the cases get past
# "not found" into validation and business rules instead of stopping at the first lookup. Writes to
# main are refused (BRANCH_MAIN_READ_ONLY), hence a feature branch as well.
FUZZ_ACCOUNT = "default"
FUZZ_AGENT = "fuzz-agent"
FUZZ_BRANCH = "fuzz"

# Authenticated examples shared by all operations; each operation gets between MIN_EXAMPLES and
# MAX_EXAMPLES per generation mode, so the file stays well under a minute on 2 cores however many
# endpoints the app grows.
AUTHENTICATED_BUDGET = 1600
MIN_EXAMPLES = 4
MAX_EXAMPLES = 40
# Without a key every request must stop at authentication: a few cases per operation prove it.
ANONYMOUS_EXAMPLES = 3
OPERATOR_EXAMPLES = 4
# Slow or heavily filtered generation is expected for nested request bodies; it is not a finding.
SUPPRESSED_HEALTH_CHECKS = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
# Distinct failures reported per operation: enough to show a pattern, few enough to read.
MAX_REPORTED = 3


def _openapi_document() -> dict[str, Any]:
    # The document depends on the routes only; building it touches no database.
    document: dict[str, Any] = create_app(make_settings("sqlite+aiosqlite://")).openapi()
    return document


# Built once: generating the document and parsing it cost far more than the requests themselves.
SCHEMA = schemathesis.openapi.from_dict(_openapi_document())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.fixture
async def fuzz_database(database_url: str) -> str:
    """The suite's migrated database with the known bootstrap keys."""
    settings = make_settings(database_url)
    engine = create_engine(settings.database)
    try:
        async with create_sessionmaker(engine)() as session:
            await bootstrap(session, settings.bootstrap)
            await session.commit()
    finally:
        await engine.dispose()
    return database_url


@pytest.fixture
def fuzz_app(fuzz_database: str) -> Iterator[FastAPI]:
    app = create_app(make_settings(fuzz_database))
    try:
        yield app
    finally:
        # schemathesis keeps an app's lifespan running until told otherwise; end it so that the
        # engine is disposed before the database fixture cleans up.
        asgi.shutdown_lifespans()


@dataclass
class Findings:
    operation: str
    seen: set[str] = field(default_factory=set)
    reports: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    def add(self, signature: str, report: str) -> None:
        if signature not in self.seen and len(self.reports) < MAX_REPORTED:
            self.reports.append(report)
        self.seen.add(signature)

    def summary(self) -> str:
        return (
            f"{self.operation}: {len(self.seen)} kind(s) of contract violation "
            f"(statuses seen {self.statuses}):\n    " + "\n    ".join(self.reports)
        )


def _secured(operation: Any) -> bool:
    return bool(operation.definition.raw.get("security"))


def _describe_case(case: Any) -> str:
    return (
        f"{case.method} {case.formatted_path} query={case.query!r} headers={case.headers!r} "
        f"body={case.body!r}"
    )


def _describe(response: Any, text: str) -> str:
    """The request as it was sent (generated values merged with ours), and what came back."""
    request = response.request
    body = request.body[:300] if isinstance(request.body, bytes | str) else request.body
    return f"{request.method} {request.url} headers={dict(request.headers)!r} body={body!r}\n      -> " + (
        f"{response.status_code}: {text[:600]}"
    )


def _as_httpx(response: Any) -> httpx.Response:
    headers = [(name, value) for name, values in response.headers.items() for value in values]
    return httpx.Response(response.status_code, headers=headers, content=response.content)


def _check(response: Any, findings: Findings) -> None:
    status = response.status_code
    findings.statuses[status] = findings.statuses.get(status, 0) + 1
    text = response.content.decode("utf-8", "replace")
    if status >= 500:
        findings.add(f"{status}", _describe(response, text))
        return
    if not response.headers.get(CORRELATION_HEADER):
        findings.add(f"{status}:no-correlation-id", _describe(response, "no correlation id header"))
    if status < 400:
        return
    try:
        code = json.loads(text)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        findings.add(f"{status}:not-an-envelope", _describe(response, text))
        return
    if code not in CATALOGUE:
        findings.add(f"{status}:unknown-code:{code}", _describe(response, text))
        return
    try:
        # The same assertions as every hand-written error-path test.
        assert_error(_as_httpx(response), code)
    except AssertionError as exc:
        findings.add(f"{status}:{code}:bad-envelope", _describe(response, f"{exc}\n      {text}"))


def _strategy(operation: Any, mode: GenerationMode, known: dict[str, list[str]]) -> Any:
    names = [parameter.name for parameter in operation.path_parameters]
    choices = {name: known[name] for name in names if name in known}
    strategies = [operation.as_strategy(mode)]
    # A negative case with every path parameter fixed needs something else to break.
    other_inputs = any(len(c) for c in (operation.query, operation.headers, operation.body))
    if choices and (mode == GenerationMode.POSITIVE or len(choices) < len(names) or other_inputs):
        for i in range(max(len(values) for values in choices.values())):
            fixed = {name: values[min(i, len(values) - 1)] for name, values in choices.items()}
            strategies.append(operation.as_strategy(mode, path_parameters=fixed))
    return st.one_of(*strategies)


def _modes(operation: Any, negative: bool) -> list[GenerationMode]:
    inputs = (operation.path_parameters, operation.query, operation.headers, operation.body)
    # Negative generation needs something to break; a bare, public GET has nothing.
    if negative and (any(len(c) for c in inputs) or _secured(operation)):
        return [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    return [GenerationMode.POSITIVE]


def _fuzz(
    app: FastAPI,
    operation: Any,
    headers: dict[str, str],
    modes: list[GenerationMode],
    n: int,
    known: dict[str, list[str]],
) -> Findings:
    findings = Findings(operation.label)
    for mode in modes:

        @settings(
            max_examples=n,
            derandomize=True,
            database=None,
            deadline=None,
            # Findings are collected, not raised: nothing to shrink, and no replay against a
            # database that the first run already changed.
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=SUPPRESSED_HEALTH_CHECKS,
        )
        @given(case=_strategy(operation, mode, known))
        def run(case: Any) -> None:
            try:
                response = case.call(headers=headers, app=app)
            except Exception as exc:
                findings.add(f"raised:{type(exc).__name__}", f"{_describe_case(case)}\n      -> {exc!r}")
                return
            _check(response, findings)

        try:
            run()
        except Unsatisfiable:
            # Only negative generation may find nothing: e.g. optional string headers accept any
            # value a request can carry, so no request violates the schema.
            if mode != GenerationMode.NEGATIVE:
                raise
    return findings


def _known_path_values(app: FastAPI) -> dict[str, list[str]]:
    """Make sure the agent and its feature branch exist (a case may have deleted them)."""
    admin = {"x-api-key": ADMIN_KEY}
    with asgi.get_client(app) as client:
        created = client.post(
            f"/v1/accounts/{FUZZ_ACCOUNT}/agents",
            json={"name": "Fuzz", "agentId": FUZZ_AGENT, "responseSettings": {"greeting": "Hi"}},
            headers=admin,
        )
        assert created.status_code == 200 or created.json()["error"]["code"] == "PROJECT_ID_ALREADY_EXISTS", (
            created.text
        )
        listed = client.get(f"/v1/agents/{FUZZ_AGENT}/branches", headers=admin)
        assert listed.status_code == 200, listed.text
        branch = next((b["branchId"] for b in listed.json()["branches"] if b["name"] == FUZZ_BRANCH), None)
        if branch is None:
            made = client.post(
                f"/v1/agents/{FUZZ_AGENT}/branches", json={"branchName": FUZZ_BRANCH}, headers=admin
            )
            assert made.status_code == 201, made.text
            branch = made.json()["branchId"]
    return {"accountId": [FUZZ_ACCOUNT], "agentId": [FUZZ_AGENT], "branchId": ["main", branch]}


def test_schema_has_operations() -> None:
    labels = [operation.label for operation in OPERATIONS]
    assert "GET /health" in labels
    assert len(labels) == len(set(labels))


def test_authenticated_cases_keep_the_contract(fuzz_app: FastAPI, admin: dict[str, str]) -> None:
    per_operation = [(operation, _modes(operation, negative=True)) for operation in OPERATIONS]
    runs = sum(len(modes) for _, modes in per_operation)
    n = max(MIN_EXAMPLES, min(MAX_EXAMPLES, AUTHENTICATED_BUDGET // runs))
    failures = []
    for operation, modes in per_operation:
        known = _known_path_values(fuzz_app)
        findings = _fuzz(fuzz_app, operation, admin, modes, n, known)
        assert findings.statuses, f"{operation.label}: no case was sent"
        if findings.reports:
            failures.append(findings.summary())
    assert not failures, f"{len(failures)} operation(s) broke the contract:\n" + "\n".join(failures)


def test_unauthenticated_cases_keep_the_contract(fuzz_app: FastAPI) -> None:
    known = _known_path_values(fuzz_app)
    failures = []
    for operation in OPERATIONS:
        findings = _fuzz(fuzz_app, operation, {}, [GenerationMode.POSITIVE], ANONYMOUS_EXAMPLES, known)
        refused = 401 in findings.statuses and all(status >= 400 for status in findings.statuses)
        if _secured(operation) and not refused:
            # Without a key nothing succeeds, and the refusal is the contract's 401.
            findings.add("anonymous-not-401", f"statuses without a key: {findings.statuses}")
        if findings.reports:
            failures.append(findings.summary())
    assert not failures, f"{len(failures)} operation(s) broke the contract:\n" + "\n".join(failures)


def test_operator_cases_keep_the_contract(fuzz_app: FastAPI) -> None:
    """The platform operator may name any account and agent: the widest reach, so the most paths."""
    operator = {"x-api-key": OPERATOR_KEY}
    known = _known_path_values(fuzz_app)
    failures = []
    for operation in OPERATIONS:
        findings = _fuzz(fuzz_app, operation, operator, [GenerationMode.POSITIVE], OPERATOR_EXAMPLES, known)
        if findings.reports:
            failures.append(findings.summary())
    assert not failures, f"{len(failures)} operation(s) broke the contract:\n" + "\n".join(failures)
