"""The catalogue against the contract: the seed's platform tables and CONTRACT.md's decisions.

tests/data/seed_error_codes.csv carries the seed's platform-code tables so that these tests run
anywhere. Where the seed file itself is reachable (../shared/seed next to the repository, as in CI),
one more test parses it and proves the CSV is a faithful copy.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

import pytest

from parley.errors import (
    CATALOGUE,
    WS_CLOSE_ABNORMAL,
    WS_CLOSE_NORMAL,
    WS_CLOSE_PONG_TIMEOUT,
    DeploymentsEnvironmentAlreadyPublished,
    ParleyError,
    SchemaValidationFailed,
)

ROOT = Path(__file__).resolve().parents[1]
SEED_CSV = ROOT / "tests" / "data" / "seed_error_codes.csv"
SEED_FILE = ROOT.parent / "shared" / "seed" / "000_1b805da56e7b2933.txt"

# CONTRACT.md, "Error envelope": ids for the seed codes the seed lists without one.
CONTRACT_ASSIGNED_IDS = {
    "ChatConversationEnded": 4004,
    "GET_CONVERSATIONS_FILTER_PARSE_ERROR": 5004,
    "GET_CONVERSATIONS_INVALID_SORT_PARAMETER": 5005,
    "ErrPreReleaseNotReady": 6010,
    "VariantsImportInvalidDelimiter": 26004,
    "VariantImportMissingColumnsHttp": 26005,
    "VariantImportDuplicateColumnsHttp": 26006,
    "MissingTestCasesHttp": 30001,
    "NoTestCasesHttp": 30002,
}

# CONTRACT.md, "Error envelope": generic codes, code -> (id, status).
CONTRACT_GENERIC = {
    "SCHEMA_VALIDATION_FAILED": (1, 400),
    "RESOURCE_NOT_FOUND": (4, 404),
    "METHOD_NOT_ALLOWED": (5, 405),
    "REQUEST_TIMEOUT": (6, 408),
    "UNSUPPORTED_MEDIA_TYPE": (7, 415),
    "UNPROCESSABLE_ENTITY": (8, 422),
    "RATE_LIMIT_EXCEEDED": (9, 429),
    "INTERNAL_SERVER_ERROR": (10, 500),
    "NOT_IMPLEMENTED": (11, 501),
    "BAD_GATEWAY": (12, 502),
    "SERVICE_UNAVAILABLE": (13, 503),
    "PAYLOAD_TOO_LARGE": (14, 413),
    "CONFLICT": (15, 409),
    "GONE": (16, 410),
    "PRECONDITION_FAILED": (17, 412),
}

# CONTRACT.md, "Error envelope": new domain codes whose ids the contract fixes.
CONTRACT_EXTENSIONS = {
    "BRANCH_NOT_FOUND": (7001, 404),
    "BRANCH_NAME_ALREADY_EXISTS": (7002, 409),
    "BRANCH_MAIN_READ_ONLY": (7003, 422),
    "BRANCH_MERGE_CONFLICT": (7004, 409),
    "KNOWLEDGE_BASE_TOPIC_NOT_FOUND": (11007, 404),
    "VARIANT_NOT_FOUND": (26007, 404),
    "ATTRIBUTE_NOT_FOUND": (26008, 404),
    "SMS_TEMPLATE_NAME_ALREADY_EXISTS": (20002, 409),
    "TEST_RUN_NOT_FOUND": (30003, 404),
    "TEST_CASE_NOT_FOUND": (30004, 404),
}

UPPER_SNAKE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")


@dataclass(frozen=True)
class SeedRow:
    section: str
    code: str
    id: int | None
    status: int


def load_seed_csv(path: Path = SEED_CSV) -> list[SeedRow]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["section", "code", "id", "status"], reader.fieldnames
        return [
            SeedRow(
                section=row["section"],
                code=row["code"],
                id=int(row["id"]) if row["id"] else None,
                status=int(row["status"]),
            )
            for row in reader
        ]


# --- The seed's own format --------------------------------------------------------------------

_TABLE_HEADER = "CodeIDHTTPDescription"
_PLATFORM_START = "Platform error codes"
_PLATFORM_END = "WebSocket close codes"
# Columns run together: code, optional id, three-digit status, description. No code contains a
# digit and no description starts with one, so the split is unambiguous.
_SEED_ROW = re.compile(r"^(?P<code>[A-Za-z_]+)(?P<id>\d*)(?P<status>\d{3})(?P<description>\D.*)$")


def parse_seed(text: str) -> list[SeedRow]:
    """Every row of every platform table in the seed's text, in order."""
    lines = [line.strip() for line in text.splitlines()]
    start = lines.index(_PLATFORM_START)
    end = lines.index(_PLATFORM_END, start)
    rows: list[SeedRow] = []
    section: str | None = None
    previous = ""
    for line in lines[start:end]:
        if line == _TABLE_HEADER:
            section = previous
        elif not line:
            section = None
        elif section is not None:
            match = _SEED_ROW.match(line)
            # A row the pattern cannot split must fail loudly, never be dropped.
            assert match is not None, f"cannot parse seed row {line!r} in section {section!r}"
            rows.append(
                SeedRow(
                    section=section,
                    code=match["code"],
                    id=int(match["id"]) if match["id"] else None,
                    status=int(match["status"]),
                )
            )
        if line:
            previous = line
    return rows


SEED_ROWS = load_seed_csv()


def test_parse_seed_splits_the_run_together_columns() -> None:
    sample = "\n".join(
        [
            "Platform error codes",
            "",
            "Authentication and authorization",
            "",
            _TABLE_HEADER,
            "USER_ACCESS_FORBIDDEN2403User lacks permission for the requested action.",
            "ACCOUNT_INSUFFICIENT_PERMISSIONS1003403User lacks permissions for this account operation.",
            "",
            "Chat",
            "",
            _TABLE_HEADER,
            "ChatConversationEnded410You sent a message to a conversation that has already ended.",
            "",
            _PLATFORM_END,
            _TABLE_HEADER,
            "1000Normal closureConnection closed cleanly.",
        ]
    )
    assert parse_seed(sample) == [
        SeedRow("Authentication and authorization", "USER_ACCESS_FORBIDDEN", 2, 403),
        SeedRow("Authentication and authorization", "ACCOUNT_INSUFFICIENT_PERMISSIONS", 1003, 403),
        SeedRow("Chat", "ChatConversationEnded", None, 410),
    ]


def test_parse_seed_refuses_a_row_it_cannot_split() -> None:
    sample = f"{_PLATFORM_START}\nChat\n{_TABLE_HEADER}\nCHAT_TIMEOUT\n\n{_PLATFORM_END}\n"
    with pytest.raises(AssertionError, match="cannot parse seed row"):
        parse_seed(sample)


if SEED_FILE.is_file():
    # Defined only where the seed is reachable; everywhere else the CSV is the single source.

    def test_csv_is_a_faithful_copy_of_the_seed() -> None:
        text = SEED_FILE.read_text(encoding="utf-8")
        assert parse_seed(text) == SEED_ROWS
        # The seed's envelope example is the generic schema-validation code.
        example = re.search(r'"code": "(\w+)",\s*"id": (\d+),\s*"message": "([^"]+)"', text)
        assert example is not None
        spec = CATALOGUE[example[1]].spec
        assert (spec.id, spec.message) == (int(example[2]), example[3])
        assert spec is SchemaValidationFailed.spec


# --- The CSV against the catalogue ------------------------------------------------------------


def test_seed_csv_holds_every_platform_table() -> None:
    sections = list(dict.fromkeys(row.section for row in SEED_ROWS))
    assert len(sections) == 13, sections
    assert len(SEED_ROWS) == 63
    codes = [row.code for row in SEED_ROWS]
    assert len(codes) == len(set(codes)), "a seed code appears twice in the CSV"


@pytest.mark.parametrize("row", SEED_ROWS, ids=[row.code for row in SEED_ROWS])
def test_seed_code_is_in_the_catalogue_verbatim(row: SeedRow) -> None:
    assert row.code in CATALOGUE, f"{row.code} (seed section {row.section!r}) is missing"
    spec = CATALOGUE[row.code].spec
    assert spec.code == row.code
    assert spec.status == row.status
    expected_id = row.id if row.id is not None else CONTRACT_ASSIGNED_IDS[row.code]
    assert spec.id == expected_id


def test_contract_assigns_ids_to_exactly_the_seed_codes_without_one() -> None:
    without_id = {row.code for row in SEED_ROWS if row.id is None}
    assert without_id == set(CONTRACT_ASSIGNED_IDS)
    seed_ids = {row.id for row in SEED_ROWS if row.id is not None}
    assert not seed_ids & set(CONTRACT_ASSIGNED_IDS.values())


def test_each_seed_section_is_one_catalogue_domain() -> None:
    domains: dict[str, set[str]] = {}
    for row in SEED_ROWS:
        domains.setdefault(row.section, set()).add(CATALOGUE[row.code].spec.domain)
    for section, found in domains.items():
        assert len(found) == 1, (section, found)
    assert len({next(iter(found)) for found in domains.values()}) == len(domains)


@pytest.mark.parametrize("code", sorted(CONTRACT_GENERIC))
def test_generic_code(code: str) -> None:
    assert code in CATALOGUE
    spec = CATALOGUE[code].spec
    assert (spec.id, spec.status) == CONTRACT_GENERIC[code]
    assert spec.domain == "generic"


@pytest.mark.parametrize("code", sorted(CONTRACT_EXTENSIONS))
def test_extension_code_fixed_by_the_contract(code: str) -> None:
    assert code in CATALOGUE
    spec = CATALOGUE[code].spec
    assert (spec.id, spec.status) == CONTRACT_EXTENSIONS[code]


def test_codes_and_ids_are_unique() -> None:
    assert all(code == cls.spec.code for code, cls in CATALOGUE.items())
    ids = [cls.spec.id for cls in CATALOGUE.values()]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, duplicates
    classes = list(CATALOGUE.values())
    assert len(set(classes)) == len(classes)


def test_catalogue_refuses_a_duplicate_code_or_id() -> None:
    taken = next(iter(CATALOGUE.values())).spec
    free_id = max(cls.spec.id for cls in CATALOGUE.values()) + 1
    attempts = [
        {"code": taken.code, "id": free_id},
        {"code": "TEST_ONLY_DUPLICATE_ID", "id": taken.id},
    ]
    for attempt in attempts:
        before = dict(CATALOGUE)
        try:
            with pytest.raises(RuntimeError, match="duplicate error"):
                type(
                    "Duplicate",
                    (ParleyError,),
                    {},
                    **attempt,
                    status=400,
                    message="duplicate",
                    domain="generic",
                )
        finally:
            # Whatever happened, later tests (and the docs) must see the real catalogue.
            CATALOGUE.clear()
            CATALOGUE.update(before)


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_status_is_a_valid_http_error_status(code: str) -> None:
    spec = CATALOGUE[code].spec
    HTTPStatus(spec.status)  # raises for anything that is not an HTTP status
    if code == DeploymentsEnvironmentAlreadyPublished.spec.code:
        # CONTRACT.md: a notice on a successful response, never an error envelope.
        assert spec.status == 200
    else:
        assert 400 <= spec.status <= 599
    assert spec.message.strip() and spec.domain.strip()


def test_new_codes_follow_the_seed_style_and_id_ranges() -> None:
    seed_codes = {row.code for row in SEED_ROWS}
    seed_blocks: dict[str, set[int]] = {}
    for row in SEED_ROWS:
        spec = CATALOGUE[row.code].spec
        seed_blocks.setdefault(spec.domain, set()).add(spec.id // 1000)
    for code, cls in CATALOGUE.items():
        if code in seed_codes:
            continue
        spec = cls.spec
        assert UPPER_SNAKE.match(code), f"{code}: new codes use UPPER_SNAKE_CASE like the seed"
        if code in CONTRACT_GENERIC or code in CONTRACT_EXTENSIONS:
            continue
        assert spec.id // 1000 in seed_blocks.get(spec.domain, set()), (
            f"{code} ({spec.id}) is outside the id range of its domain {spec.domain!r}"
        )


def test_websocket_close_codes() -> None:
    # The seed's 408 moves into the application range because RFC 6455 forbids it (CONTRACT.md).
    assert (WS_CLOSE_NORMAL, WS_CLOSE_ABNORMAL, WS_CLOSE_PONG_TIMEOUT) == (1000, 1006, 4408)


def test_envelope_has_exactly_the_seed_fields() -> None:
    error = CATALOGUE["FLOW_NOT_FOUND"]("Flow 'x' does not exist.")
    assert error.envelope("cid-1") == {
        "error": {
            "code": "FLOW_NOT_FOUND",
            "id": 8001,
            "message": "Flow 'x' does not exist.",
            "correlation_id": "cid-1",
        }
    }
    with_data = CATALOGUE["FLOW_NOT_FOUND"](data={"flowId": "x"}).envelope("cid-2")["error"]
    assert with_data["data"] == {"flowId": "x"}
    assert with_data["message"] == CATALOGUE["FLOW_NOT_FOUND"].spec.message
