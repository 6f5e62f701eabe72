"""`parley test run`: trigger a test run through the API, show its progress, then a summary table."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

import typer

from parley.remote.connection import DEFAULT_URL, AgentOption, KeyOption, UrlOption, connected, fail
from parley.sdk._testing import FINISHED

app = typer.Typer(help="The agent's test suite.", no_args_is_help=True)

Environment = Literal["sandbox", "pre-release", "live"]
REASON_WIDTH = 90


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def summary_table(run: dict[str, Any]) -> str:
    """One line per case (name, status, reason), then the counts."""
    rows = [["TEST CASE", "STATUS", "REASON"]]
    for result in run.get("results") or []:
        reason = " ".join(str(result.get("reason", "")).split())
        if len(reason) > REASON_WIDTH:
            reason = reason[: REASON_WIDTH - 3] + "..."
        rows.append([str(result.get("name", "")), str(result.get("status", "")).upper(), reason])
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [_row(rows[0], widths), _row(["-" * w for w in widths], widths)]
    lines += [_row(row, widths) for row in rows[1:]]
    lines.append("")
    lines.append(
        f"{run['status'].upper()}: {run['passedCount']} passed, {run['failedCount']} failed, "
        f"{run['errorCount']} errored, {run['timedOutCount']} timed out, of {run['testCaseCount']}."
    )
    if run.get("error"):
        lines.append(f"Run error: {run['error']}")
    return "\n".join(lines)


@app.command("run")
def run(
    agent: AgentOption,
    branch: Annotated[
        str | None, typer.Option("--branch", help="Branch whose cases run (default main).")
    ] = None,
    environment: Annotated[
        Environment | None,
        typer.Option("--environment", "-e", help="Run against this environment instead of the draft."),
    ] = None,
    case: Annotated[
        list[str] | None, typer.Option("--case", help="Only this test case id (repeatable).")
    ] = None,
    timeout: Annotated[float, typer.Option(min=1, help="Give up waiting after this many seconds.")] = 600,
    interval: Annotated[float, typer.Option(min=0.05, help="Seconds between polls.")] = 1.0,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Run the test cases and wait for them; exit 0 only when every case passed."""
    with connected(url, key) as client:
        started = client.test_runs.trigger(
            agent, branch_id=branch, environment=environment, test_case_ids=case
        )
        run_id = str(started["id"])
        target = environment or f"draft of {started.get('branchId') or 'main'}"
        typer.echo(f"Test run {run_id}: {started['testCaseCount']} case(s) against the {target}.", err=True)
        deadline = time.monotonic() + timeout
        shown = -1
        while True:
            current = client.test_runs.get(agent, run_id)
            done = len(current.get("results") or [])
            if done != shown:
                shown = done
                typer.echo(
                    f"  {current['status']}: {done}/{current['testCaseCount']} case(s) finished", err=True
                )
            if current["status"] in FINISHED:
                break
            if time.monotonic() > deadline:
                raise fail(f"the run is still {current['status']} after {timeout:g}s (id {run_id})")
            time.sleep(interval)
    typer.echo(summary_table(current))
    if current["status"] != "passed":
        raise typer.Exit(code=1)
