"""docs/errors.md is generated from the catalogue and must match it exactly."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest

from parley.errors import (
    CATALOGUE,
    WS_CLOSE_ABNORMAL,
    WS_CLOSE_NORMAL,
    WS_CLOSE_PONG_TIMEOUT,
    DeploymentsEnvironmentAlreadyPublished,
)

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "errors.md"
GENERATOR = ROOT / "scripts" / "gen_error_docs.py"
CODE_ROW = re.compile(r"^\| `(?P<code>[^`]+)` \| (?P<id>\d+) \| (?P<status>\d{3}) \| (?P<message>.*) \|$")


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    # scripts/ is not a package; load the generator the way `python scripts/...` would run it.
    spec = importlib.util.spec_from_file_location("gen_error_docs", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(generator: ModuleType) -> str:
    text = generator.render()
    assert isinstance(text, str)
    return text


def test_committed_docs_match_the_catalogue(generator: ModuleType, generated: str) -> None:
    committed = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    assert committed == generated, (
        f"docs/errors.md is out of date with parley.errors.CATALOGUE; "
        f"regenerate it with: {generator.REGENERATE_COMMAND}"
    )


def test_render_is_deterministic(generator: ModuleType, generated: str) -> None:
    assert generator.render() == generated


def test_every_code_has_one_row_with_its_id_status_and_message(generated: str) -> None:
    rows = [m.groupdict() for line in generated.splitlines() if (m := CODE_ROW.match(line))]
    documented = {row["code"]: (int(row["id"]), int(row["status"])) for row in rows}
    assert len(rows) == len(documented), "a code is documented twice"
    expected = {code: (cls.spec.id, cls.spec.status) for code, cls in CATALOGUE.items()}
    assert documented == expected
    for row in rows:
        assert row["message"].startswith(CATALOGUE[row["code"]].spec.message.replace("|", "\\|"))


def test_every_domain_has_its_own_table(generator: ModuleType, generated: str) -> None:
    headings = re.findall(r"^### (.+)$", generated, flags=re.MULTILINE)
    domains = {cls.spec.domain for cls in CATALOGUE.values()}
    assert sorted(headings) == sorted(generator.domain_title(d) for d in domains)
    # Each code sits under its own domain's heading.
    current = None
    for line in generated.splitlines():
        if line.startswith("### "):
            current = line[4:]
        elif match := CODE_ROW.match(line):
            assert current == generator.domain_title(CATALOGUE[match["code"]].spec.domain), line


def test_envelope_example_is_exactly_the_envelope(generated: str) -> None:
    block = re.search(r"```http\n(?P<head>.*?)\n\n(?P<body>\{.*?\})\n```", generated, flags=re.DOTALL)
    assert block is not None
    body = json.loads(block["body"])
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "id", "message", "correlation_id"}
    spec = CATALOGUE[body["error"]["code"]].spec
    assert body["error"]["id"] == spec.id
    assert block["head"].startswith(f"HTTP/1.1 {spec.status} ")
    header = re.search(r"^X-PolyAI-Correlation-Id: (\S+)$", block["head"], flags=re.MULTILINE)
    assert header is not None and header[1] == body["error"]["correlation_id"]


def test_correlation_rule_is_documented(generated: str) -> None:
    section = generated.split("## Correlation id", 1)[1].split("\n## ", 1)[0]
    assert "`X-PolyAI-Correlation-Id`" in section
    assert "1 to 128 characters" in section
    assert "`[A-Za-z0-9._:-]`" in section
    assert "UUID4" in section
    assert "every response" in section


def test_websocket_close_codes_are_documented(generated: str) -> None:
    section = generated.split("## WebSocket close codes", 1)[1]
    codes = [int(c) for c in re.findall(r"^\| (\d+) \|", section, flags=re.MULTILINE)]
    assert codes == [WS_CLOSE_NORMAL, WS_CLOSE_ABNORMAL, WS_CLOSE_PONG_TIMEOUT]
    abnormal = next(line for line in section.splitlines() if line.startswith(f"| {WS_CLOSE_ABNORMAL} |"))
    assert "never sends" in abnormal


def test_environment_already_published_is_documented_as_a_notice(generated: str) -> None:
    spec = DeploymentsEnvironmentAlreadyPublished.spec
    section = generated.split(f"## `{spec.code}` is not an error", 1)[1].split("\n## ", 1)[0]
    notice = json.loads(re.search(r"```json\n(.*?)\n```", section, flags=re.DOTALL)[1])  # type: ignore[index]
    assert notice == {"notice": {"code": spec.code, "id": spec.id, "message": spec.message}}
    assert f"HTTP {spec.status}" in section
