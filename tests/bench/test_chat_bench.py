"""The chat benchmark runs end to end (tiny counts; it measures nothing here and asserts no speed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_run_writes_both_reports_without_errors(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "chat" / "run.py"),
            "--quick",
            "--rate",
            "40",
            "--paced-seconds",
            "2",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())
    assert [level["concurrency"] for level in report["chat"]] == [1, 16, 64]
    assert [level["concurrency"] for level in report["health"]] == [1, 16, 64]
    for level in report["chat"]:
        assert level["errors"] == 0, level["error_examples"]
        assert level["turns"] > 0 and level["turn_latency"]["p99_ms"] is not None
        # One keep-alive connection per worker, each opened once.
        assert level["connections_opened"] == level["concurrency"]
        assert level["generator_cpu_ms_per_request"] >= 0
    for level in report["health"]:
        assert level["errors"] == 0 and level["requests"] == 20
    assert report["memory"]["conversations"] >= report["memory"]["target_conversations"]
    assert report["memory"]["server_rss_mb"] > 0

    # The paced (open-loop) run: 40 turns/s offered for 2 s at 16 conversations.
    (paced,) = report["paced"]
    assert paced["concurrency"] == 16 and paced["offered_turns_per_second"] == 40
    assert paced["errors"] == 0, paced["error_examples"]
    assert paced["turns_offered"] == 80
    assert paced["turns_answered_ok"] == paced["turns"] == 80  # every slot used, every turn answered
    assert paced["creates"] >= 16 and paced["conversations"] > 0
    assert 0 < paced["achieved_turns_per_second"] <= 40
    latency, service = paced["turn_latency"], paced["turn_service_latency"]
    assert latency["p99_ms"] is not None and latency["p50_ms"] <= latency["p99_ms"] <= latency["max_ms"]
    assert latency["p50_ms"] >= service["p50_ms"]  # timed from the scheduled send, never later
    assert paced["connections_opened"] == 16 and paced["stale_connection_retries"] >= 0
    assert paced["server_cpu_ms_per_request"] > 0 and paced["generator_cpu_ms_per_request"] >= 0
    assert "turns (`respond` calls) per second" in report["settings"]["paced_semantics"]
    assert any("paced run" in target["name"] for target in report["targets"])

    markdown = (tmp_path / "report.md").read_text()
    assert "| 16 |" in markdown and "## Targets" in markdown
    assert "## Chat turns, paced (open loop)" in markdown
    paced_table = markdown.split("## Chat turns, paced (open loop)")[1].split("## Floor")[0]
    assert "| 16 | 40 | 80 | 80 |" in paced_table
    assert "judged on the paced run" in markdown
