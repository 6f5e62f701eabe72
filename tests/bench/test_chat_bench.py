"""The chat benchmark runs end to end (tiny counts; it measures nothing here and asserts no speed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_run_writes_both_reports_without_errors(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "chat" / "run.py"), "--quick", "--out", str(tmp_path)],
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
    assert report["memory"]["conversations"] >= report["memory"]["target_conversations"]
    assert report["memory"]["server_rss_mb"] > 0
    markdown = (tmp_path / "report.md").read_text()
    assert "| 16 |" in markdown and "## Targets" in markdown
