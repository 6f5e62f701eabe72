"""The variants CSV format: reading (delimiter sniffing, column checks) and writing. Pure.

Columns are ``id`` (empty for a new variant), ``name``, ``is_default`` and one
``attribute_<name>`` per attribute, as in PolyAI Studio. Cells that a spreadsheet would run as a
formula (starting with = + - @ tab or carriage return) are written with a leading apostrophe,
which reading removes again; a cell that itself starts with an apostrophe gets one more, so that
every value survives the round trip.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from parley.branches.names import clean_name
from parley.errors import (
    SchemaValidationFailed,
    UnsupportedMediaType,
    VariantImportDuplicateColumnsHttp,
    VariantImportMissingColumnsHttp,
    VariantsImportInvalidDelimiter,
)
from parley.variants.resources import NAME_MAX_CHARS, VALUE_MAX_CHARS
from parley.variants.schemas import has_control_characters
from parley.variants.values import values_of

DELIMITERS = (",", ";", "\t", "|")
ID_COLUMN, NAME_COLUMN, DEFAULT_COLUMN = "id", "name", "is_default"
ATTRIBUTE_PREFIX = "attribute_"
REQUIRED_COLUMNS = (NAME_COLUMN,)
_FORMULA_STARTS = frozenset("=+-@\t\r")
_ESCAPE = "'"
_TRUE = frozenset({"true", "yes", "1", "y"})
_FALSE = frozenset({"false", "no", "0", "n", ""})
_MAX_REPORTED_ERRORS = 50
_ID_MAX_CHARS = 64


def protect(cell: str) -> str:
    if cell and (cell[0] in _FORMULA_STARTS or cell[0] == _ESCAPE):
        return _ESCAPE + cell
    return cell


def unprotect(cell: str) -> str:
    if len(cell) > 1 and cell[0] == _ESCAPE and (cell[1] in _FORMULA_STARTS or cell[1] == _ESCAPE):
        return cell[1:]
    return cell


def _cell(raw: str) -> str:
    return unprotect(raw.strip()).strip()


@dataclass(frozen=True)
class CsvRow:
    line: int
    id: str | None
    name: str
    is_default: bool
    # Attribute name as written in its column -> value; an empty cell clears the value.
    values: dict[str, str]


@dataclass
class CsvTable:
    delimiter: str
    attribute_names: list[str] = field(default_factory=list)
    rows: list[CsvRow] = field(default_factory=list)


def decode(raw: bytes) -> str:
    """UTF-8 text (a byte-order mark is allowed); anything else is not a CSV file we can read."""
    if b"\x00" in raw:
        raise UnsupportedMediaType("The file is binary, not a CSV text file.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnsupportedMediaType(
            f"The file is not UTF-8 text (invalid byte at offset {exc.start}); save the CSV as UTF-8.",
        ) from None


def _count_outside_quotes(line: str, char: str) -> int:
    count, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == char and not quoted:
            count += 1
    return count


def sniff_delimiter(text: str) -> str:
    """The candidate that splits the header line most often.

    A header with none of them is a one-column file when that column could be valid (``name``),
    and otherwise was written with a delimiter we do not read (``:``, spaces, ...).
    """
    header = next((line.rstrip("\r") for line in text.split("\n") if line.strip()), "")
    counts = {d: _count_outside_quotes(header, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties go to the earlier candidate
    if counts[best] > 0:
        return best
    single = header.strip().strip('"').strip()
    if single and not all(c.isalnum() or c in "_-" for c in single):
        raise VariantsImportInvalidDelimiter(
            "Could not find the CSV delimiter in the header line: separate columns with one of "
            "',' ';' tab or '|'.",
            data={"allowedDelimiters": list(DELIMITERS), "header": header[:200]},
        )
    return ","


@dataclass(frozen=True)
class _Columns:
    id: int | None
    name: int
    is_default: int | None
    attributes: list[tuple[int, str]]


def _columns(headers: Sequence[str]) -> _Columns:
    positions: dict[str, int] = {}
    seen: dict[str, str] = {}
    duplicates: list[str] = []
    unknown: list[str] = []
    attributes: list[tuple[int, str]] = []
    for index, raw in enumerate(headers):
        header = raw.strip()
        lowered = header.lower()
        if lowered in (ID_COLUMN, NAME_COLUMN, DEFAULT_COLUMN):
            key = lowered
        elif lowered.startswith(ATTRIBUTE_PREFIX) and header[len(ATTRIBUTE_PREFIX) :].strip():
            # attribute_City and attribute_city name one attribute (names are unique once cleaned).
            key = "attribute:" + clean_name(header[len(ATTRIBUTE_PREFIX) :].strip())
        else:
            unknown.append(header)
            continue
        if key in seen:
            if seen[key] not in duplicates:
                duplicates.append(seen[key])
            duplicates.append(header)
            continue
        seen[key] = header
        positions[key] = index
        if key.startswith("attribute:"):
            attributes.append((index, header[len(ATTRIBUTE_PREFIX) :].strip()))
    if duplicates:
        raise VariantImportDuplicateColumnsHttp(
            "The CSV has duplicate column headers: " + ", ".join(repr(h[:80]) for h in duplicates[:10]) + ".",
            data={"duplicateColumns": [h[:200] for h in duplicates]},
        )
    missing = [column for column in REQUIRED_COLUMNS if column not in positions]
    if missing:
        raise VariantImportMissingColumnsHttp(
            "The CSV is missing required column(s): " + ", ".join(missing) + ".",
            data={"missingColumns": missing},
        )
    if unknown:
        raise SchemaValidationFailed(
            "Unknown CSV column(s): "
            + ", ".join(repr(h[:80]) for h in unknown[:10])
            + f". Columns are id, name, is_default and {ATTRIBUTE_PREFIX}<attribute name>.",
            data={"unknownColumns": [h[:200] for h in unknown]},
        )
    bad_names = [name for _, name in attributes if len(name) > NAME_MAX_CHARS or has_control_characters(name)]
    if bad_names:
        raise SchemaValidationFailed(
            f"Attribute names in column headers must be at most {NAME_MAX_CHARS} printable characters.",
            data={"invalidColumns": [ATTRIBUTE_PREFIX + name[:200] for name in bad_names]},
        )
    return _Columns(
        id=positions.get(ID_COLUMN),
        name=positions[NAME_COLUMN],
        is_default=positions.get(DEFAULT_COLUMN),
        attributes=attributes,
    )


class _Problems:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, line: int, column: str, message: str) -> None:
        if len(self.items) < _MAX_REPORTED_ERRORS:
            self.items.append({"line": line, "column": column, "message": message})

    def raise_if_any(self) -> None:
        if self.items:
            first = self.items[0]
            raise SchemaValidationFailed(
                f"The CSV has {len(self.items)} invalid cell(s); first: line {first['line']}, "
                f"column '{first['column']}': {first['message']}",
                data={"errors": self.items},
            )


def _row(cells: list[str], line: int, columns: _Columns, width: int, problems: _Problems) -> CsvRow | None:
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        problems.add(line, "", f"the row has {len(cells)} cells but the header has {width} columns")
        return None
    cells = cells + [""] * (width - len(cells))
    name = _cell(cells[columns.name])
    if not name:
        problems.add(line, NAME_COLUMN, "a name is required")
    elif len(name) > NAME_MAX_CHARS or has_control_characters(name):
        problems.add(line, NAME_COLUMN, f"names are at most {NAME_MAX_CHARS} printable characters")
    variant_id = _cell(cells[columns.id]) if columns.id is not None else ""
    if len(variant_id) > _ID_MAX_CHARS:
        problems.add(line, ID_COLUMN, f"ids are at most {_ID_MAX_CHARS} characters")
    flag = _cell(cells[columns.is_default]).lower() if columns.is_default is not None else ""
    if flag not in _TRUE and flag not in _FALSE:
        problems.add(line, DEFAULT_COLUMN, "use true or false")
    values: dict[str, str] = {}
    for index, attribute in columns.attributes:
        value = _cell(cells[index])
        if len(value) > VALUE_MAX_CHARS:
            problems.add(
                line, ATTRIBUTE_PREFIX + attribute, f"values are at most {VALUE_MAX_CHARS} characters"
            )
        values[attribute] = value
    return CsvRow(line=line, id=variant_id or None, name=name, is_default=flag in _TRUE, values=values)


def parse(text: str) -> CsvTable:
    """Raises the variants import codes for the file's shape, and 400 with every bad cell."""
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    problems = _Problems()
    table = CsvTable(delimiter=delimiter)
    try:
        headers = next((cells for cells in reader if any(c.strip() for c in cells)), [])
        columns = _columns(headers)
        table.attribute_names = [name for _, name in columns.attributes]
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            row = _row(cells, reader.line_num, columns, len(headers), problems)
            if row is not None:
                table.rows.append(row)
    except csv.Error as exc:
        raise SchemaValidationFailed(
            f"The CSV could not be read near line {reader.line_num}: {exc}.",
            data={"errors": [{"line": reader.line_num, "column": "", "message": str(exc)}]},
        ) from None
    problems.raise_if_any()
    return table


def render(attributes: Iterable[dict[str, Any]], variants: Iterable[dict[str, Any]], delimiter: str) -> str:
    """Attributes and variants are the stored documents, in the order they should appear."""
    attribute_list = list(attributes)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(
        [ID_COLUMN, NAME_COLUMN, DEFAULT_COLUMN]
        + [ATTRIBUTE_PREFIX + str(attribute["name"]) for attribute in attribute_list]
    )
    for variant in variants:
        values = values_of(variant)
        writer.writerow(
            [
                protect(str(variant["id"])),
                protect(str(variant["name"])),
                "true" if variant.get("isDefault") else "false",
            ]
            + [protect(values.get(str(attribute["id"]), "")) for attribute in attribute_list]
        )
    return buffer.getvalue()
