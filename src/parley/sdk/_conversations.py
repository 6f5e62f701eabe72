"""``client.conversations``: the v3 list (with cursor iteration), detail, audio, legacy endpoints."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from parley.sdk._resources import Call, Namespace, path

_Obj = TypeVar("_Obj")
_Arr = TypeVar("_Arr")
_Nil = TypeVar("_Nil")


def _when(value: datetime | str | None) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def _bool(value: bool | None) -> str | None:
    return None if value is None else ("true" if value else "false")


class ConversationsAPI(Namespace[_Obj, _Arr, _Nil]):
    """Conversations of an agent. ``list`` returns one page; ``iterate``/``aiterate`` follow cursors."""

    @staticmethod
    def _list_params(
        *,
        client_env: str | None = None,
        channel: Sequence[str] | None = None,
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
        variant_id: str | None = None,
        variant_name: str | None = None,
        in_progress: bool | None = None,
        include_latency: bool | None = None,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
        query_type: str | None = None,
        query: str | None = None,
        turn_type: str | None = None,
        sample: str | None = None,
        filter: str | None = None,
        sort: str | None = None,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "client_env": client_env,
            "channel": list(channel) if channel else None,
            "start_time": _when(start_time),
            "end_time": _when(end_time),
            "variant_id": variant_id,
            "variant_name": variant_name,
            "in_progress": _bool(in_progress),
            "include_latency": _bool(include_latency),
            "limit": limit,
            "offset": offset,
            "cursor": cursor,
            "query_type": query_type,
            "query": query,
            "turn_type": turn_type,
            "sample": sample,
            "filter": filter,
            "sort": sort,
        }
        return {k: v for k, v in params.items() if v is not None}

    def list(
        self, account_id: str, project_id: str, *, correlation_id: str | None = None, **params: Any
    ) -> _Obj:
        """One page: ``{conversations, cursor, next_offset?}``. Keyword arguments are the query
        parameters (``filter``, ``sort``, ``channel=[...]``, ``start_time=datetime`` ...)."""
        url = path("/v3/{}/{}/conversations", account_id, project_id)
        return self._object("GET", url, correlation_id, params=self._list_params(**params))

    def iterate(self, account_id: str, project_id: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every matching conversation, page after page (sync client)."""
        url = path("/v3/{}/{}/conversations", account_id, project_id)
        query = self._list_params(**params)
        while True:
            page: Any = self._runner._call_object(Call("GET", url, params=query))
            if inspect.isawaitable(page):
                getattr(page, "close", lambda: None)()  # the unawaited coroutine
                raise TypeError("AsyncClient: use 'async for c in client.conversations.aiterate(...)'.")
            yield from page["conversations"]
            if not page.get("cursor"):
                return
            query = {**query, "cursor": page["cursor"]}

    async def aiterate(
        self, account_id: str, project_id: str, **params: Any
    ) -> AsyncIterator[dict[str, Any]]:
        """Every matching conversation, page after page (async client)."""
        url = path("/v3/{}/{}/conversations", account_id, project_id)
        query = self._list_params(**params)
        while True:
            pending: Any = self._runner._call_object(Call("GET", url, params=query))
            page = await pending if inspect.isawaitable(pending) else pending
            for conversation in page["conversations"]:
                yield conversation
            if not page.get("cursor"):
                return
            query = {**query, "cursor": page["cursor"]}

    def get(self, agent_id: str, conversation_id: str, *, correlation_id: str | None = None) -> _Obj:
        """One conversation with its turns and what the runtime recorded."""
        url = path("/v1/agents/{}/conversations/{}", agent_id, conversation_id)
        return self._object("GET", url, correlation_id)

    def list_v1(
        self, account_id: str, project_id: str, *, correlation_id: str | None = None, **params: Any
    ) -> _Obj:
        """The legacy v1 list (offset paging, oldest first)."""
        url = path("/v1/{}/{}/conversations", account_id, project_id)
        return self._object("GET", url, correlation_id, params=self._list_params(**params))

    def handoff_state(
        self,
        account_id: str,
        project_id: str,
        *,
        id: str | None = None,
        shared_id: str | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        url = path("/v1/{}/{}/handoff_state", account_id, project_id)
        params = {k: v for k, v in {"id": id, "shared_id": shared_id}.items() if v is not None}
        return self._object("GET", url, correlation_id, params=params)

    def concurrency(
        self,
        account_id: str,
        project_id: str,
        *,
        start_time: datetime | str,
        end_time: datetime | str,
        correlation_id: str | None = None,
        **params: Any,
    ) -> _Obj:
        """Max concurrent conversations per 5-minute interval (``client_env``, ``slice_by`` ...)."""
        url = path("/v1/{}/{}/conversations/concurrency", account_id, project_id)
        query = {"start_time": _when(start_time), "end_time": _when(end_time), **params}
        return self._object(
            "GET", url, correlation_id, params={k: v for k, v in query.items() if v is not None}
        )
