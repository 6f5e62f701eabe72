"""The two clients. Each owns its httpx client and its way of waiting; the rest is in ``_base.py``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from parley.sdk._base import (
    BaseClient,
    JSONList,
    JSONObject,
    decode_empty,
    decode_list,
    decode_object,
    decode_text,
)
from parley.sdk._resources import Call

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_RETRY_WAIT = 60.0

TimeoutTypes = float | httpx.Timeout | None


class Client(BaseClient[JSONObject, JSONList, None, str]):
    """Synchronous client.

    ``sleep`` is how the client waits between retries (``time.sleep`` by default); tests pass a
    recorder so that they do not really wait.
    """

    def __init__(
        self,
        base_url: str | httpx.URL,
        api_key: str | None = None,
        *,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        transport: httpx.BaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        super().__init__(
            base_url, api_key, max_retries=max_retries, max_retry_wait=max_retry_wait, headers=headers
        )
        self._http = httpx.Client(
            base_url=self.base_url, headers=self._headers, timeout=timeout, transport=transport
        )
        self._sleep = sleep or time.sleep

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _send(self, call: Call) -> httpx.Response:
        request = self._build_request(self._http, call)
        attempt = 0
        while True:
            outcome: httpx.Response | httpx.RequestError
            try:
                outcome = self._http.send(request)
            except httpx.RequestError as exc:
                outcome = exc
            delay = self._next_delay(request, outcome, attempt)
            if delay is None:
                return self._final(request, outcome)
            self._sleep(delay)
            attempt += 1

    def _call_object(self, call: Call) -> JSONObject:
        return decode_object(self._send(call))

    def _call_list(self, call: Call) -> JSONList:
        return decode_list(self._send(call))

    def _call_empty(self, call: Call) -> None:
        decode_empty(self._send(call))

    def _call_text(self, call: Call) -> str:
        return decode_text(self._send(call))


class AsyncClient(
    BaseClient[
        Coroutine[Any, Any, JSONObject],
        Coroutine[Any, Any, JSONList],
        Coroutine[Any, Any, None],
        Coroutine[Any, Any, str],
    ]
):
    """Asynchronous client; every API method returns a coroutine.

    ``sleep`` is how the client waits between retries (``asyncio.sleep`` by default).
    """

    def __init__(
        self,
        base_url: str | httpx.URL,
        api_key: str | None = None,
        *,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(
            base_url, api_key, max_retries=max_retries, max_retry_wait=max_retry_wait, headers=headers
        )
        self._http = httpx.AsyncClient(
            base_url=self.base_url, headers=self._headers, timeout=timeout, transport=transport
        )
        self._sleep = sleep or asyncio.sleep

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _send(self, call: Call) -> httpx.Response:
        request = self._build_request(self._http, call)
        attempt = 0
        while True:
            outcome: httpx.Response | httpx.RequestError
            try:
                outcome = await self._http.send(request)
            except httpx.RequestError as exc:
                outcome = exc
            delay = self._next_delay(request, outcome, attempt)
            if delay is None:
                return self._final(request, outcome)
            await self._sleep(delay)
            attempt += 1

    async def _call_object(self, call: Call) -> JSONObject:
        return decode_object(await self._send(call))

    async def _call_list(self, call: Call) -> JSONList:
        return decode_list(await self._send(call))

    async def _call_empty(self, call: Call) -> None:
        decode_empty(await self._send(call))

    async def _call_text(self, call: Call) -> str:
        return decode_text(await self._send(call))
