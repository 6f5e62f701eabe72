"""The rules of the Conversations API: access, parameter checks, queries, shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from parley.agents.service import AgentService
from parley.auth.principal import Principal
from parley.conversations import present
from parley.conversations.concurrency import max_concurrent, round_down, round_up
from parley.conversations.fields import CHANNELS, in_progress_is
from parley.conversations.filters import compile_filter
from parley.conversations.paging import decode_cursor, encode_cursor, fingerprint, parse_sort
from parley.conversations.repository import ConversationQueryRepository, transcript_match
from parley.errors import (
    ConversationsNotFound,
    ConversationsRecordingNotFound,
    ConversationsValidationFailed,
    NotImplementedYet,
    PayloadTooLarge,
    ProjectNotFound,
    UnsupportedMediaType,
)
from parley.kit.db import utcnow
from parley.models import Agent
from parley.models.conversation import Conversation, ConversationRecording

WAV_CONTENT_TYPES = ("audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave")
MAX_RECORDING_BYTES = 10 * 1024 * 1024
MAX_CONCURRENCY_RANGE = timedelta(days=7)


@dataclass(frozen=True)
class ListQuery:
    """The v3 list parameters after FastAPI checked their types and ranges."""

    client_env: str = "live"
    channel: list[str] = field(default_factory=list)
    start_time: datetime | None = None
    end_time: datetime | None = None
    variant_id: str | None = None
    variant_name: str | None = None
    in_progress: bool | None = None
    include_latency: bool = False
    limit: int = 1000
    offset: int = 0
    cursor: str | None = None
    query_type: str | None = None
    query: str | None = None
    turn_type: str | None = None
    sample: str | None = None
    filter: str | None = None
    sort: str | None = None


def _invalid(problems: list[tuple[str, str]]) -> ConversationsValidationFailed:
    return ConversationsValidationFailed(
        problems[0][1],
        data={
            "errors": [
                {"path": f"/query/{name}", "message": message, "type": "value_error"}
                for name, message in problems
            ]
        },
    )


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class ConversationService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = ConversationQueryRepository(session)

    # --- access ---------------------------------------------------------------------------------

    async def project(self, principal: Principal, account_id: str, project_id: str) -> Agent:
        """Any role may read conversations, external included (CONTRACT.md)."""
        principal.require_account(account_id)
        agent = await AgentService(self.session).accessible(principal, project_id)
        if agent.account_id != account_id:
            raise ProjectNotFound(f"Agent '{project_id}' does not exist.")
        return agent

    async def conversation(self, principal: Principal, agent_id: str, conversation_id: str) -> Conversation:
        agent = await AgentService(self.session).accessible(principal, agent_id)
        found = await self.repo.get(agent.id, conversation_id)
        if found is None:
            raise ConversationsNotFound(f"Conversation '{conversation_id[:100]}' does not exist.")
        return found

    # --- v3 list --------------------------------------------------------------------------------

    async def list_v3(
        self, principal: Principal, account_id: str, project_id: str, query: ListQuery
    ) -> dict[str, Any]:
        agent = await self.project(principal, account_id, project_id)
        channels = self._check_v3(query)
        sort = parse_sort(query.sort)
        conditions = self._base_conditions(agent.id, query.client_env, query, channels)
        if query.filter is not None and query.filter.strip():
            conditions.append(compile_filter(query.filter))
        if query.query_type == "transcript" and query.query is not None:
            conditions.append(transcript_match(query.query, query.turn_type))

        if query.sample == "random":
            rows = list(await self.repo.sample(conditions, query.limit))
            return {"conversations": await self._summaries(rows, query.include_latency), "cursor": None}

        token = fingerprint(self._fingerprint_parts(agent.id, query, channels))
        offset = 0 if query.cursor is not None else query.offset
        if query.cursor is not None:
            after = decode_cursor(query.cursor, sort, token)
            conditions.append(sort.after(after.value, after.last_id))
        rows = list(await self.repo.page(conditions, sort.order_by(), query.limit + 1, offset))
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        body: dict[str, Any] = {
            "conversations": await self._summaries(rows, query.include_latency),
            "cursor": encode_cursor(sort, rows[-1], token) if more and rows else None,
        }
        if more and query.cursor is None:
            body["next_offset"] = offset + query.limit
        return body

    def _check_v3(self, query: ListQuery) -> list[str]:
        problems: list[tuple[str, str]] = []
        if query.query_type is not None and query.sample is not None:
            problems.append(("sample", "Send either 'query_type' or 'sample', not both."))
        if query.query_type is not None and not (query.query or "").strip():
            problems.append(("query", "'query' is required when 'query_type' is set."))
        if (query.query_type is not None or query.sample is not None) and (
            query.start_time is None or query.end_time is None
        ):
            problems.append(
                ("start_time", "'start_time' and 'end_time' are required with 'query_type' or 'sample'.")
            )
        if query.sample is not None and query.cursor is not None:
            problems.append(("cursor", "A random sample has no pages; do not send 'cursor'."))
        problems += self._common_problems(
            query.start_time, query.end_time, query.variant_id, query.variant_name
        )
        channels, channel_problems = _channels(query.channel)
        problems += channel_problems
        if problems:
            raise _invalid(problems)
        if query.query_type == "semantic":
            raise NotImplementedYet(
                "Semantic search needs an embedding provider, and none is configured on this server. "
                "Use query_type=transcript."
            )
        return channels

    @staticmethod
    def _common_problems(
        start: datetime | None, end: datetime | None, variant_id: str | None, variant_name: str | None
    ) -> list[tuple[str, str]]:
        problems = []
        if variant_id is not None and variant_name is not None:
            problems.append(("variant_name", "Send either 'variant_id' or 'variant_name', not both."))
        if start is not None and end is not None and _utc(start) > _utc(end):  # type: ignore[operator]
            problems.append(("end_time", "'end_time' must not be before 'start_time'."))
        return problems

    def _base_conditions(
        self, agent_id: str, client_env: str, query: ListQuery, channels: list[str]
    ) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [
            Conversation.agent_id == agent_id,
            Conversation.environment == client_env,
        ]
        if channels:
            conditions.append(Conversation.channel.in_(channels))
        start, end = _utc(query.start_time), _utc(query.end_time)
        if start is not None:
            conditions.append(Conversation.started_at >= start)
        if end is not None:
            conditions.append(Conversation.started_at < end)
        if query.variant_id is not None:
            conditions.append(Conversation.variant_id == query.variant_id)
        if query.variant_name is not None:
            conditions.append(Conversation.variant_name == query.variant_name)
        if query.in_progress is not None:
            conditions.append(in_progress_is(query.in_progress))
        return conditions

    @staticmethod
    def _fingerprint_parts(agent_id: str, query: ListQuery, channels: list[str]) -> dict[str, Any]:
        return {
            "agent": agent_id,
            "env": query.client_env,
            "channel": sorted(channels),
            "start": _utc(query.start_time),
            "end": _utc(query.end_time),
            "variant_id": query.variant_id,
            "variant_name": query.variant_name,
            "in_progress": query.in_progress,
            "query_type": query.query_type,
            "query": query.query,
            "turn_type": query.turn_type,
            "filter": query.filter,
        }

    async def _summaries(self, rows: list[Conversation], include_latency: bool) -> list[dict[str, Any]]:
        turns = await self.repo.turns_of([c.id for c in rows])
        return [present.summary(c, turns[c.id], include_latency=include_latency) for c in rows]

    # --- v1 list --------------------------------------------------------------------------------

    async def list_v1(
        self, principal: Principal, account_id: str, project_id: str, query: ListQuery
    ) -> dict[str, Any]:
        agent = await self.project(principal, account_id, project_id)
        problems = self._common_problems(
            query.start_time, query.end_time, query.variant_id, query.variant_name
        )
        if problems:
            raise _invalid(problems)
        conditions = self._base_conditions(agent.id, query.client_env, query, [])
        order = [Conversation.started_at.asc(), Conversation.id.asc()]
        rows = list(await self.repo.page(conditions, order, query.limit + 1, query.offset))
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        body: dict[str, Any] = {
            "conversations": await self._summaries(rows, False),
            "descriptions": {"conversations": present.V1_DESCRIPTIONS},
        }
        if more:
            body["next_offset"] = query.offset + query.limit
        return body

    # --- detail and audio -----------------------------------------------------------------------

    async def detail(self, principal: Principal, agent_id: str, conversation_id: str) -> dict[str, Any]:
        conversation = await self.conversation(principal, agent_id, conversation_id)
        turns = (await self.repo.turns_of([conversation.id]))[conversation.id]
        recording = await self.repo.recording(conversation.id, "combined", False)
        audio_url = (
            f"/v1/agents/{conversation.agent_id}/conversations/{conversation.id}/audio" if recording else None
        )
        return present.detail(conversation, turns, audio_url)

    async def audio(
        self, principal: Principal, agent_id: str, conversation_id: str, direction: str, redacted: bool
    ) -> ConversationRecording:
        conversation = await self.conversation(principal, agent_id, conversation_id)
        recording = await self.repo.recording(conversation.id, direction, redacted)
        if recording is None:
            kind = f"{'redacted ' if redacted else ''}{direction}"
            raise ConversationsRecordingNotFound(
                f"Conversation '{conversation.id}' has no {kind} recording.",
                data={"direction": direction, "redacted": redacted},
            )
        return recording

    async def upload_audio(
        self,
        principal: Principal,
        agent_id: str,
        conversation_id: str,
        direction: str,
        redacted: bool,
        content_type: str | None,
        audio: bytes,
    ) -> dict[str, Any]:
        conversation = await self.conversation(principal, agent_id, conversation_id)
        principal.require_role("editor")
        media = (content_type or "").split(";", 1)[0].strip().lower()
        if media not in WAV_CONTENT_TYPES:
            raise UnsupportedMediaType(
                f"Recordings are WAV: send 'Content-Type: audio/wav', not '{media[:100] or 'nothing'}'."
            )
        if len(audio) > MAX_RECORDING_BYTES:
            raise PayloadTooLarge(
                f"A recording may be at most {MAX_RECORDING_BYTES} bytes.",
                data={"maxBytes": MAX_RECORDING_BYTES, "sizeBytes": len(audio)},
            )
        if len(audio) < 12 or audio[:4] != b"RIFF" or audio[8:12] != b"WAVE":
            raise _invalid([("body", "The body is not a WAV file (RIFF/WAVE header missing).")])
        recording = ConversationRecording(
            conversation_id=conversation.id,
            direction=direction,
            redacted=redacted,
            content_type="audio/wav",
            size_bytes=len(audio),
            audio=audio,
            uploaded_at=utcnow(),
        )
        await self.repo.save_recording(recording)
        return {
            "conversationId": conversation.id,
            "direction": direction,
            "redacted": redacted,
            "contentType": "audio/wav",
            "sizeBytes": len(audio),
            "uploadedAt": present._iso(recording.uploaded_at),
        }

    # --- handoff state --------------------------------------------------------------------------

    async def handoff_state(
        self,
        principal: Principal,
        account_id: str,
        project_id: str,
        conversation_id: str | None,
        shared_id: str | None,
    ) -> dict[str, Any]:
        agent = await self.project(principal, account_id, project_id)
        if not conversation_id and not shared_id:
            raise _invalid([("id", "Send 'id' (conversation id) or 'shared_id'.")])
        if shared_id:
            found = await self.repo.by_shared_id(agent.id, shared_id)
            asked = f"shared id '{shared_id[:100]}'"
        else:
            assert conversation_id is not None
            found = await self.repo.get(agent.id, conversation_id)
            asked = f"'{conversation_id[:100]}'"
        if found is None:
            raise ConversationsNotFound(f"Conversation {asked} does not exist.")
        if found.handoff_destination is None:
            raise ConversationsNotFound(f"Conversation {asked} has no handoff state: it was not handed off.")
        return {
            "id": found.id,
            "shared_id": found.shared_id,
            "data": dict((found.runtime or {}).get("state") or {}),
        }

    # --- concurrency ----------------------------------------------------------------------------

    async def concurrency(
        self,
        principal: Principal,
        account_id: str,
        project_id: str,
        *,
        start_time: datetime,
        end_time: datetime,
        client_env: str,
        variant_id: str | None,
        variant_name: str | None,
        language: str | None,
        phone_number: str | None,
        slice_by: str | None,
    ) -> dict[str, Any]:
        agent = await self.project(principal, account_id, project_id)
        start, end = round_down(_utc(start_time) or utcnow()), round_up(_utc(end_time) or utcnow())
        problems = self._common_problems(start_time, end_time, variant_id, variant_name)
        if end - start > MAX_CONCURRENCY_RANGE:
            problems.append(("end_time", "'start_time' and 'end_time' must be at most 1 week apart."))
        if slice_by not in (None, "variant", "language", "phone_number"):
            problems.append(("slice_by", "'slice_by' is one of variant, language, phone_number."))
        if problems:
            raise _invalid(problems)
        if slice_by in ("language", "phone_number"):
            raise NotImplementedYet(f"Slicing by {slice_by} is not implemented; slice by variant.")
        conditions: list[ColumnElement[bool]] = [
            Conversation.agent_id == agent.id,
            Conversation.environment == client_env,
        ]
        if variant_id is not None:
            conditions.append(Conversation.variant_id == variant_id)
        if variant_name is not None:
            conditions.append(Conversation.variant_name == variant_name)
        if language is not None:
            conditions.append(Conversation.language == language)
        if phone_number is not None:
            conditions.append(Conversation.caller_number == phone_number)
        now = utcnow()
        groups: dict[tuple[str | None, str | None], list[tuple[datetime, datetime]]] = {}
        for began, ended, last, status, v_id, v_name in await self.repo.overlapping(conditions, start, end):
            finished = ended or (now if status == "active" else last)
            key = (v_id, v_name) if slice_by == "variant" else (None, None)
            groups.setdefault(key, []).append((began, finished))
        if slice_by != "variant":
            groups.setdefault((None, None), [])
        intervals: list[dict[str, Any]] = []
        for (v_id, v_name), spans in sorted(groups.items(), key=lambda g: (g[0][1] or "", g[0][0] or "")):
            for k, peak in enumerate(max_concurrent(spans, start, end)):
                interval: dict[str, Any] = {
                    "time": present._iso(start + k * timedelta(minutes=5)),
                    "max_concurrent_conversations": peak,
                }
                if slice_by == "variant":
                    interval |= {"variant_id": v_id, "variant_name": v_name}
                intervals.append(interval)
        intervals.sort(key=lambda i: str(i["time"]))
        return {"account_id": agent.account_id, "project_id": agent.id, "intervals": intervals}


def _channels(raw: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    channels: list[str] = []
    problems: list[tuple[str, str]] = []
    for value in raw:
        # Accept repeated parameters and comma-separated lists alike.
        for part in value.split(","):
            name = part.strip().lower()
            if not name:
                continue
            if name not in CHANNELS:
                problems.append(
                    ("channel", f"Unknown channel '{part[:50]}'; use one of {', '.join(CHANNELS)}.")
                )
            elif name not in channels:
                channels.append(name)
    return channels, problems
