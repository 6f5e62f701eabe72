"""Knowledge-base topics of a branch: the rules of create, read, update, delete, import, export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth.principal import Principal
from parley.branches import kinds
from parley.branches.references import ReferenceResolver
from parley.branches.scope import BranchScope, public_branch_id, resolve_branch
from parley.branches.store import ResourceKind, ResourceStore
from parley.errors import KnowledgeBaseTopicAlreadyExists, KnowledgeBaseTopicNotFound
from parley.knowledge.csv_format import MissingUpload, Upload, decode, read_table, write_table
from parley.knowledge.references import bad_references, rich_text_error
from parley.knowledge.rows import validate_rows
from parley.knowledge.schemas import CreateTopicBody, UpdateTopicBody

TOPIC = ResourceKind(
    name=kinds.TOPIC,
    id_prefix="TOPIC",
    label="Topic",
    not_found=KnowledgeBaseTopicNotFound,
    name_taken=KnowledgeBaseTopicAlreadyExists,
)
MAX_ID_CHARS = 64  # the width of branch_resource.resource_id
# An import can hold thousands of rows; past this many, bad references are counted, not listed.
MAX_REPORTED_REFERENCES = 1000


@dataclass(frozen=True)
class ImportOutcome:
    created: int
    updated: int
    topics: list[dict[str, Any]]


@dataclass(frozen=True)
class CsvExport:
    filename: str
    text: str


class TopicService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _open(
        self, principal: Principal, agent_id: str, branch_ref: str, *, write: bool
    ) -> tuple[BranchScope, ResourceStore]:
        scope = await resolve_branch(self.session, principal, agent_id, branch_ref, write=write)
        return scope, ResourceStore(self.session, scope.branch.id, TOPIC)

    async def list(self, principal: Principal, agent_id: str, branch_ref: str) -> list[dict[str, Any]]:
        _, store = await self._open(principal, agent_id, branch_ref, write=False)
        return [row.data for row in await store.list()]

    async def get(
        self, principal: Principal, agent_id: str, branch_ref: str, topic_id: str
    ) -> dict[str, Any]:
        _, store = await self._open(principal, agent_id, branch_ref, write=False)
        return (await store.get(_checked_id(topic_id))).data

    async def create(
        self, principal: Principal, agent_id: str, branch_ref: str, body: CreateTopicBody
    ) -> dict[str, Any]:
        scope, store = await self._open(principal, agent_id, branch_ref, write=True)
        document = body.document()
        await self._require_valid_references(scope, document)
        return (await store.create(document)).data

    async def update(
        self, principal: Principal, agent_id: str, branch_ref: str, topic_id: str, body: UpdateTopicBody
    ) -> None:
        scope, store = await self._open(principal, agent_id, branch_ref, write=True)
        row = await store.get(_checked_id(topic_id))
        changes = body.changes()
        # Only the text being changed is checked: a reference left dangling by deleting its target
        # elsewhere (allowed, CONTRACT.md) must not block unrelated edits such as deactivating.
        await self._require_valid_references(scope, changes)
        if changes:
            await store.update(row, changes)

    async def delete(self, principal: Principal, agent_id: str, branch_ref: str, topic_id: str) -> None:
        _, store = await self._open(principal, agent_id, branch_ref, write=True)
        await store.delete(_checked_id(topic_id))

    async def import_csv(
        self, principal: Principal, agent_id: str, branch_ref: str, upload: Upload | MissingUpload
    ) -> ImportOutcome:
        """Upsert by name, all or nothing: every row is checked before the first write."""
        scope, store = await self._open(principal, agent_id, branch_ref, write=True)
        candidates = validate_rows(read_table(decode(upload)))
        resolver = ReferenceResolver(self.session, scope.branch.id)
        bad: list[dict[str, Any]] = []
        for candidate in candidates:
            bad += [
                {"row": candidate.row, **ref} for ref in await bad_references(resolver, candidate.changes())
            ]
        if bad:
            raise rich_text_error(
                bad[:MAX_REPORTED_REFERENCES],
                invalidRows=sorted({ref["row"] for ref in bad}),
                totalReferences=len(bad),
            )
        existing = {row.name_key: row for row in await store.list()}
        created = updated = 0
        topics = []
        for candidate in candidates:
            row = existing.get(candidate.name_key)
            if row is None:
                row = await store.create(candidate.body.document())
                created += 1
            else:
                row = await store.update(row, candidate.changes())
                updated += 1
            topics.append(row.data)
        return ImportOutcome(created=created, updated=updated, topics=topics)

    async def export_csv(self, principal: Principal, agent_id: str, branch_ref: str) -> CsvExport:
        scope, store = await self._open(principal, agent_id, branch_ref, write=False)
        text = write_table(row.data for row in await store.list())
        filename = f"{scope.agent.id}-{public_branch_id(scope.branch)}-knowledge-base.csv"
        return CsvExport(filename=filename, text=text)

    async def _require_valid_references(self, scope: BranchScope, document: dict[str, Any]) -> None:
        bad = await bad_references(ReferenceResolver(self.session, scope.branch.id), document)
        if bad:
            raise rich_text_error(bad)


def _checked_id(topic_id: str) -> str:
    """An id that no topic can have is not looked up: PostgreSQL refuses NUL in text parameters."""
    if len(topic_id) > MAX_ID_CHARS or "\x00" in topic_id:
        raise KnowledgeBaseTopicNotFound(
            f"Topic '{topic_id[:MAX_ID_CHARS].replace(chr(0), '')}' does not exist."
        )
    return topic_id
