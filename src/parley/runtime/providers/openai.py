"""A model provider for any OpenAI-compatible chat-completions endpoint, with tool calling.

This module is the HTTP side: one shared client, the timeout, one retry, and turning every
upstream failure into 502 BAD_GATEWAY. What goes in the body and how the answer reads is
openai_wire.py. Error messages name the upstream status at most: never the key, never the body
(upstream bodies can echo the key back, masked or not).
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from parley import __version__
from parley.config import RuntimeSettings
from parley.errors import BadGateway
from parley.kit.logging import get_logger
from parley.runtime.providers.base import Decision, DecisionRequest
from parley.runtime.providers.openai_wire import MalformedResponse, build_body, parse_decision

log = get_logger("parley.runtime.openai")

# No real completion comes near this; a bigger body is a misbehaving upstream, not an answer.
MAX_RESPONSE_BYTES = 4 * 1024 * 1024


class OpenAIProvider:
    name = "openai"

    def __init__(
        self,
        settings: RuntimeSettings,
        *,
        retry_backoff_seconds: float = 0.5,
        max_retry_wait_seconds: float = 5.0,
    ) -> None:
        self.url = settings.openai_base_url.strip().rstrip("/") + "/chat/completions"
        self.model = settings.openai_model
        self.timeout = settings.openai_timeout_seconds
        self.retry_backoff_seconds = retry_backoff_seconds
        # A Retry-After longer than this is not waited for: the turn fails instead of stalling.
        self.max_retry_wait_seconds = max_retry_wait_seconds
        self._headers = {"accept": "application/json", "user-agent": f"parley/{__version__}"}
        if settings.openai_api_key:
            self._headers["authorization"] = f"Bearer {settings.openai_api_key}"
        self._client: httpx.AsyncClient | None = None

    async def decide(self, request: DecisionRequest) -> Decision:
        body, names = build_body(request, self.model)
        answer = await self._complete(body)
        try:
            return parse_decision(answer, names, request.entities, request.today)
        except MalformedResponse as exc:
            log.warning("model_provider.malformed_response", reason=str(exc))
            raise BadGateway(
                "The model provider's answer was not a chat completion.", data={"reason": "invalidResponse"}
            ) from None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # --- HTTP ----------------------------------------------------------------------------------------

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            # Per-phase limits come from the settings; asyncio.timeout in _send bounds the whole call.
            self._client = httpx.AsyncClient(
                headers=self._headers, timeout=self.timeout, follow_redirects=False
            )
        return self._client

    async def _complete(self, body: dict[str, Any]) -> Any:
        """The parsed JSON of a 2xx answer, after at most one retry."""
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                status, headers, raw = await self._send(body)
            except (TimeoutError, httpx.TimeoutException):
                # Not retried: the turn's time is already spent.
                self._log_failure("timeout", attempt, started)
                raise BadGateway(
                    f"The model provider did not answer within {self.timeout:g} seconds.",
                    data={"reason": "timeout"},
                ) from None
            except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as exc:
                self._log_failure("unreachable", attempt, started, error=type(exc).__name__)
                if attempt == 1:
                    await asyncio.sleep(self.retry_backoff_seconds)
                    continue
                raise BadGateway(
                    "The model provider could not be reached.", data={"reason": "unreachable"}
                ) from None
            except (httpx.HTTPError, _TooLarge) as exc:
                self._log_failure("invalid_response", attempt, started, error=type(exc).__name__)
                raise BadGateway(
                    "The model provider's answer could not be read.", data={"reason": "invalidResponse"}
                ) from None
            if 200 <= status < 300:
                try:
                    return json.loads(raw)
                except (ValueError, RecursionError):
                    self._log_failure("invalid_json", attempt, started, status=status)
                    raise BadGateway(
                        "The model provider's answer was not JSON.", data={"reason": "invalidResponse"}
                    ) from None
            self._log_failure("status", attempt, started, status=status, **_upstream_error(raw))
            if attempt == 1 and (status == 429 or status >= 500):
                wait = self._retry_wait(headers)
                if wait is not None:
                    await asyncio.sleep(wait)
                    continue
            raise BadGateway(
                f"The model provider answered HTTP {status}.",
                data={"reason": "upstreamStatus", "upstreamStatus": status},
            )
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns or raises

    async def _send(self, body: dict[str, Any]) -> tuple[int, httpx.Headers, bytes]:
        async with asyncio.timeout(self.timeout):
            async with self._http().stream("POST", self.url, json=body) as response:
                raw = bytearray()
                async for chunk in response.aiter_bytes():
                    raw += chunk
                    if len(raw) > MAX_RESPONSE_BYTES:
                        raise _TooLarge
                return response.status_code, response.headers, bytes(raw)

    def _retry_wait(self, headers: httpx.Headers) -> float | None:
        """Seconds to wait before the retry; None when the upstream asks for longer than the cap."""
        value = headers.get("retry-after")
        if value is None:
            return self.retry_backoff_seconds
        wait = _retry_after_seconds(value)
        if wait is None:
            return self.retry_backoff_seconds
        return wait if wait <= self.max_retry_wait_seconds else None

    def _log_failure(self, reason: str, attempt: int, started: float, **fields: Any) -> None:
        log.warning(
            "model_provider.failed",
            provider=self.name,
            reason=reason,
            attempt=attempt,
            latency_ms=round((time.perf_counter() - started) * 1000),
            **fields,
        )


class _TooLarge(Exception):
    pass


def _retry_after_seconds(value: str) -> float | None:
    """Retry-After as delay-seconds or an HTTP date; None when it is neither."""
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _upstream_error(raw: bytes) -> dict[str, str]:
    """The upstream's error type and code, for the log: short identifiers, never its message."""
    try:
        error = json.loads(raw).get("error")
    except (ValueError, AttributeError):
        return {}
    if not isinstance(error, dict):
        return {}
    return {
        f"upstream_{key}": value
        for key in ("type", "code")
        if isinstance(value := error.get(key), str) and len(value) <= 100
    }
