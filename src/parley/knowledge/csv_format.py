"""The knowledge-base CSV format: checking an upload, reading its rows, writing an export.

Pure: no database and no HTTP. One topic per row, columns ``name``, ``content`` (required),
``actions``, ``example_queries`` (one query per line inside the cell) and ``is_active``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from parley.errors import (
    KnowledgeBaseImportInvalidType,
    KnowledgeBaseImportMissingColumns,
    KnowledgeBaseImportNoCsvFound,
    KnowledgeBaseTopicsInvalid,
)

COLUMNS = ("name", "content", "actions", "example_queries", "is_active")
REQUIRED_COLUMNS = ("name", "content")
MAX_ROWS = 5000

# Media types a browser, curl or a script may give a CSV part. Generic ones say nothing about the
# file (curl sends application/octet-stream for .csv), so only the content decides for those.
# application/vnd.ms-excel is what Windows browsers send for .csv; a real .xls fails the content check.
CSV_MEDIA_TYPES = frozenset(
    {
        "text/csv",
        "application/csv",
        "text/x-csv",
        "application/x-csv",
        "text/comma-separated-values",
        "text/x-comma-separated-values",
        "application/vnd.ms-excel",
        "text/plain",
    }
)
GENERIC_MEDIA_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})

_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook is one)"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\xff\xfe", "UTF-16 text (save it as 'CSV UTF-8')"),
    (b"\xfe\xff", "UTF-16 text (save it as 'CSV UTF-8')"),
)
_UTF8_BOM = b"\xef\xbb\xbf"

# Spreadsheets run a cell that starts with = + - @ tab or CR as a formula (CSV injection). Export
# prefixes such cells with an apostrophe; a cell that already starts with apostrophes before such
# a character gets one more, so that unprotect() is the exact inverse of protect().
_NEEDS_PROTECTION = re.compile(r"'*[=+\-@\t\r]")


@dataclass(frozen=True)
class Upload:
    content_type: str  # the file part's own Content-Type, "" when it has none
    content: bytes


@dataclass(frozen=True)
class MissingUpload:
    """The request carried no usable file part; ``reason`` tells the client what to send."""

    reason: str


@dataclass(frozen=True)
class Row:
    number: int  # the spreadsheet row number: the header is row 1
    cells: dict[str, str]  # known columns present in the header -> cell text, unprotected
    overflow: bool = False  # non-empty cells beyond the header's columns


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]  # the known columns the header has, in COLUMNS order
    rows: list[Row] = field(default_factory=list)


def protect(cell: str) -> str:
    return "'" + cell if _NEEDS_PROTECTION.match(cell) else cell


def unprotect(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and _NEEDS_PROTECTION.match(cell, 1) else cell


def decode(upload: Upload | MissingUpload) -> str:
    """The upload's text, or the import error that says why it is not a CSV file."""
    if isinstance(upload, MissingUpload):
        raise KnowledgeBaseImportNoCsvFound(upload.reason)
    media_type = upload.content_type.split(";", 1)[0].strip().lower()
    if media_type not in CSV_MEDIA_TYPES and media_type not in GENERIC_MEDIA_TYPES:
        raise KnowledgeBaseImportInvalidType(
            f"The file was sent as '{media_type[:100]}'; upload a CSV file (text/csv).",
            data={"contentType": media_type[:100]},
        )
    content = upload.content.removeprefix(_UTF8_BOM)
    if not content.strip():
        raise KnowledgeBaseImportNoCsvFound("The uploaded file is empty.")
    for magic, description in _MAGIC:
        if content.startswith(magic):
            raise KnowledgeBaseImportInvalidType(f"The file is {description}, not a CSV file.")
    if b"\x00" in content:
        raise KnowledgeBaseImportInvalidType("The file contains NUL bytes: it is binary, not a CSV file.")
    try:
        # Other stray control characters are left to the row checks, which can say where they are.
        return content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KnowledgeBaseImportInvalidType(
            f"The file is not UTF-8 text (invalid byte at offset {exc.start}); save it as 'CSV UTF-8'."
        ) from None


def column_name(header: str) -> str:
    """`Example Queries`, `example-queries` and `exampleQueries` all name `example_queries`."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", header.strip().removeprefix("\ufeff"))
    return re.sub(r"[\s\-]+", "_", text.lower())


def read_table(text: str) -> Table:
    """Rows of a CSV text, RFC 4180 with ',' as delimiter. Blank rows are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    number = 0
    header: list[str] | None = None
    positions: dict[str, int] = {}
    rows: list[Row] = []
    try:
        for record in reader:
            number += 1
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = record
                positions = _positions(header)
                continue
            if len(rows) == MAX_ROWS:
                raise KnowledgeBaseTopicsInvalid(
                    f"The file has more than {MAX_ROWS} topic rows; split it into several imports.",
                    data={"maxRows": MAX_ROWS},
                )
            cells = {
                name: unprotect(record[index]) if index < len(record) else ""
                for name, index in positions.items()
            }
            overflow = any(cell.strip() for cell in record[len(header) :])
            rows.append(Row(number, cells, overflow))
    except csv.Error as exc:
        raise _csv_error(exc, number + 1, reader.line_num) from None
    if header is None:
        raise KnowledgeBaseImportNoCsvFound("The uploaded file has no header row and no data.")
    return Table(tuple(name for name in COLUMNS if name in positions), rows)


def _positions(header: list[str]) -> dict[str, int]:
    names = [column_name(cell) for cell in header]
    duplicates = sorted({name for name in names if name in COLUMNS and names.count(name) > 1})
    if duplicates:
        raise KnowledgeBaseTopicsInvalid(
            f"The header repeats the column(s) {', '.join(duplicates)}.",
            data={"duplicateColumns": duplicates},
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise KnowledgeBaseImportMissingColumns(
            f"The CSV header lacks the required column(s) {', '.join(missing)}. "
            f"Expected columns: {', '.join(COLUMNS)} (separated by commas).",
            data={"missingColumns": missing, "foundColumns": [cell[:100] for cell in header[:50]]},
        )
    return {name: index for index, name in enumerate(names) if name in COLUMNS}


def _csv_error(exc: csv.Error, row: int, line: int) -> Exception:
    if "field larger than field limit" in str(exc):
        # A well-formed file whose cell is far over every topic limit: a row error, not a type error.
        return KnowledgeBaseTopicsInvalid(
            f"Row {row} has a cell longer than any topic field allows; nothing was imported.",
            data={
                "invalidRows": [row],
                "rows": [
                    {"row": row, "errors": [{"column": None, "message": "cell too long", "type": "too_long"}]}
                ],
            },
        )
    return KnowledgeBaseImportInvalidType(
        f"The file cannot be read as CSV (line {line}: {exc}).", data={"line": line}
    )


def split_queries(cell: str) -> list[str]:
    # Only CSV line breaks separate queries; str.splitlines would also split on U+2028 and the like.
    return [line.strip() for line in _LINE_BREAK.split(cell) if line.strip()]


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


def parse_active(cell: str) -> bool | None:
    """true/false/1/0/yes/no in any case; an empty cell means active. None: not a boolean."""
    value = cell.strip().lower()
    if not value or value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None


def write_table(topics: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for topic in topics:
        queries = topic.get("exampleQueries", {}).get("queries", [])
        cells = (
            str(topic.get("name", "")),
            str(topic.get("content", "")),
            str(topic.get("actions", "")),
            "\n".join(queries),
            "true" if topic.get("isActive", True) else "false",
        )
        writer.writerow([protect(cell) for cell in cells])
    return out.getvalue()
