"""Variants CSV import (all-or-nothing) and export."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth.principal import Principal
from parley.branches.names import clean_name
from parley.branches.repository import lock_agent
from parley.branches.scope import BranchScope, resolve_branch
from parley.branches.store import ResourceStore
from parley.errors import (
    PayloadTooLarge,
    SchemaValidationFailed,
    UnsupportedMediaType,
    VariantNotFound,
    VariantsDuplicateNameError,
)
from parley.models import BranchResource
from parley.variants import csv_format
from parley.variants.attributes import attribute_limit_error
from parley.variants.csv_format import CsvRow, CsvTable
from parley.variants.resources import ATTRIBUTES, MAX_ATTRIBUTES, MAX_CSV_BYTES, MAX_VARIANTS, VARIANTS
from parley.variants.service import variant_document, variant_limit_error
from parley.variants.values import values_of

# What browsers, curl and spreadsheets send for .csv/.tsv/.txt files (curl: octet-stream).
CSV_MEDIA_TYPES = frozenset(
    {
        "text/csv",
        "text/plain",
        "text/x-csv",
        "text/comma-separated-values",
        "text/tab-separated-values",
        "application/csv",
        "application/x-csv",
        "application/vnd.ms-excel",
        "application/octet-stream",
    }
)


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str | None
    data: bytes  # read up to MAX_CSV_BYTES + 1, so that oversized files are recognised


@dataclass(frozen=True)
class ImportCounts:
    created: int
    updated: int
    attributes_created: int


def _media_type(content_type: str | None) -> str | None:
    return content_type.split(";", 1)[0].strip().lower() if content_type else None


def _csv_text(request_content_type: str | None, file: UploadedFile | None) -> str:
    request_type = _media_type(request_content_type)
    if request_type is not None and request_type != "multipart/form-data":
        raise UnsupportedMediaType(
            f"Upload the CSV as multipart/form-data with a part named 'file', not '{request_type[:100]}'."
        )
    if file is None:
        raise SchemaValidationFailed(
            "No file: upload the CSV as a multipart/form-data part named 'file'.",
            data={"errors": [{"path": "/body/file", "message": "Field required", "type": "missing"}]},
        )
    file_type = _media_type(file.content_type)
    if file_type is not None and file_type not in CSV_MEDIA_TYPES:
        raise UnsupportedMediaType(f"The file must be a CSV (text/csv), not '{file_type[:100]}'.")
    if len(file.data) > MAX_CSV_BYTES:
        raise PayloadTooLarge(f"CSV files are limited to {MAX_CSV_BYTES // (1024 * 1024)} MB.")
    return csv_format.decode(file.data)


def _duplicate_ids(table: CsvTable) -> None:
    first_line: dict[str, int] = {}
    for row in table.rows:
        if row.id is None:
            continue
        if row.id in first_line:
            message = f"variant '{row.id}' is listed twice (first on line {first_line[row.id]})"
            raise SchemaValidationFailed(
                f"Line {row.line}: {message}.",
                data={"errors": [{"line": row.line, "column": "id", "message": message}]},
            )
        first_line[row.id] = row.line


def _single_default(table: CsvTable) -> CsvRow | None:
    defaults = [row for row in table.rows if row.is_default]
    if len(defaults) > 1:
        lines = [row.line for row in defaults]
        raise SchemaValidationFailed(
            f"Only one row may have is_default true; lines {', '.join(map(str, lines[:20]))} do.",
            data={
                "errors": [
                    {"line": line, "column": "is_default", "message": "more than one default"}
                    for line in lines[:50]
                ]
            },
        )
    return defaults[0] if defaults else None


def _unique_names(existing: list[BranchResource], table: CsvTable) -> None:
    """Names must be unique (once cleaned) in the branch as it will be after the import."""
    owners: dict[str, str] = {row.resource_id: clean_name(str(row.data.get("name", ""))) for row in existing}
    lines: dict[str, CsvRow] = {}
    for index, row in enumerate(table.rows):
        key = row.id if row.id is not None else f"~new{index}"
        owners[key] = clean_name(row.name)
        lines[key] = row
    claimed: dict[str, list[str]] = {}
    for owner, name_key in owners.items():
        claimed.setdefault(name_key, []).append(owner)
    clashes = [
        lines[owner]
        for owners_ in claimed.values()
        if len(owners_) > 1
        for owner in owners_
        if owner in lines
    ]
    if clashes:
        row = min(clashes, key=lambda r: r.line)
        raise VariantsDuplicateNameError(
            f"Line {row.line}: another variant is named '{row.name}' (names are compared ignoring case "
            "and punctuation).",
            data={"line": row.line, "name": row.name},
        )


class VariantTransferService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def export_csv(self, principal: Principal, agent_id: str, branch_ref: str, delimiter: str) -> str:
        scope = await resolve_branch(self.session, principal, agent_id, branch_ref, write=False)
        attributes = await ResourceStore(self.session, scope.branch.id, ATTRIBUTES).list()
        variants = await ResourceStore(self.session, scope.branch.id, VARIANTS).list()
        return csv_format.render([a.data for a in attributes], [v.data for v in variants], delimiter)

    async def import_csv(
        self,
        principal: Principal,
        agent_id: str,
        branch_ref: str,
        request_content_type: str | None,
        file: UploadedFile | None,
    ) -> ImportCounts:
        scope = await resolve_branch(self.session, principal, agent_id, branch_ref, write=True)
        table = csv_format.parse(_csv_text(request_content_type, file))
        if len(table.rows) > MAX_VARIANTS:
            raise variant_limit_error(len(table.rows))
        await lock_agent(self.session, scope.agent.id)
        return await _Import(self.session, scope, table).run()


class _Import:
    """Checks the whole file against the branch first, then writes: nothing is half-applied."""

    def __init__(self, session: AsyncSession, scope: BranchScope, table: CsvTable) -> None:
        self.table = table
        self.attributes = ResourceStore(session, scope.branch.id, ATTRIBUTES)
        self.variants = ResourceStore(session, scope.branch.id, VARIANTS)

    async def run(self) -> ImportCounts:
        attribute_rows = await self.attributes.list()
        attribute_ids = {clean_name(str(r.data["name"])): r.resource_id for r in attribute_rows}
        new_attributes = [n for n in self.table.attribute_names if clean_name(n) not in attribute_ids]
        if len(attribute_rows) + len(new_attributes) > MAX_ATTRIBUTES:
            raise attribute_limit_error(len(attribute_rows) + len(new_attributes))
        existing = await self.variants.list()
        by_id = {row.resource_id: row for row in existing}
        for row in self.table.rows:
            if row.id is not None and row.id not in by_id:
                raise VariantNotFound(
                    f"Line {row.line}: variant '{row.id[:64]}' does not exist in this branch; leave id "
                    "empty to create a new variant.",
                    data={"line": row.line, "id": row.id[:64]},
                )
        _duplicate_ids(self.table)
        creates = [row for row in self.table.rows if row.id is None]
        if len(existing) + len(creates) > MAX_VARIANTS:
            raise variant_limit_error(len(existing) + len(creates))
        _unique_names(existing, self.table)
        default_row = _single_default(self.table)

        for name in new_attributes:
            attribute_ids[clean_name(name)] = (await self.attributes.create({"name": name})).resource_id
        await self._update(by_id, attribute_ids)
        created: dict[int, str] = {}
        for row in creates:
            values = {attribute_ids[clean_name(a)]: v for a, v in row.values.items() if v}
            document = variant_document(row.name, False, values)
            created[row.line] = (await self.variants.create(document)).resource_id
        await self._set_default(default_row, created, had_variants=bool(existing))
        return ImportCounts(
            created=len(creates),
            updated=len(self.table.rows) - len(creates),
            attributes_created=len(new_attributes),
        )

    async def _update(self, by_id: dict[str, BranchResource], attribute_ids: dict[str, str]) -> None:
        updates = [(row, by_id[row.id]) for row in self.table.rows if row.id is not None]
        renamed = [stored for row, stored in updates if clean_name(row.name) != stored.name_key]
        for stored in renamed:
            # Park renamed rows under a key no name can clean to, so that names swapped within one
            # file never collide midway (the final names were checked above).
            stored.name_key = f"~{stored.resource_id}"
        if renamed:
            await self.variants.repo.flush()
        for row, stored in updates:
            values = values_of(stored.data)
            for attribute, value in row.values.items():
                attribute_id = attribute_ids[clean_name(attribute)]
                if value:
                    values[attribute_id] = value
                else:
                    values.pop(attribute_id, None)
            await self.variants.update(stored, {"name": row.name, "attributeValues": {"values": values}})

    async def _set_default(
        self, default_row: CsvRow | None, created: dict[int, str], had_variants: bool
    ) -> None:
        if default_row is not None:
            target = default_row.id or created[default_row.line]
        elif not had_variants and created:
            # The first variant of a branch is its default, whatever the file says.
            target = created[min(created)]
        else:
            return
        for row in await self.variants.list():
            is_target = row.resource_id == target
            if bool(row.data.get("isDefault")) != is_target:
                await self.variants.update(row, {"isDefault": is_target})
