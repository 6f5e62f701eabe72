"""What the sync and async clients share: settings, request building, the retry policy, decoding.

Only the I/O and the waiting differ between the twins, so only those live in ``_client.py``.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx

from parley import __version__
from parley.sdk._build import (
    AttributesAPI,
    BehaviorAPI,
    BranchesAPI,
    EntitiesAPI,
    FlowFunctionsAPI,
    FlowsAPI,
    FunctionsAPI,
    HandoffsAPI,
    RealTimeConfigsAPI,
    SmsTemplatesAPI,
    StepsAPI,
    TopicsAPI,
    VariantsAPI,
)
from parley.sdk._conversations import ConversationsAPI
from parley.sdk._errors import ERRORS_BY_CODE
from parley.sdk._exceptions import (
    ParleyConnectionError,
    ParleyError,
    ParleyTimeoutError,
    ParleyTransportError,
)
from parley.sdk._resources import AccountsAPI, AgentsAPI, ApiKeysAPI, Call, UsersAPI
from parley.sdk._runtime import ChatAPI, DebugChatAPI, DeploymentsAPI
from parley.sdk._telephony import ConnectorsAPI, PhoneNumbersAPI, SmsAPI
from parley.sdk._testing import TestCasesAPI, TestRunsAPI

_Obj = TypeVar("_Obj")
_Arr = TypeVar("_Arr")
_Nil = TypeVar("_Nil")
_Txt = TypeVar("_Txt")

JSONObject = dict[str, Any]
JSONList = list[dict[str, Any]]

CORRELATION_HEADER = "X-PolyAI-Correlation-Id"
# Methods whose repetition cannot do more than the first attempt did. A POST that may have reached
# the server before the connection broke is not among them: resending could create things twice.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Failures of the network itself: connect, read and write errors, timeouts, a connection dropped
# mid-response. Anything else (an unsupported URL scheme, an invalid header) would only fail the
# same way again.
_RETRYABLE_TRANSPORT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)

log = logging.getLogger("parley.sdk")


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date); None if unusable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 2
    max_retry_wait: float = 60.0
    backoff_base: float = 0.5
    backoff_cap: float = 8.0

    def backoff(self, attempt: int) -> float:
        """Exponential, with jitter so that many clients failing together do not retry together."""
        ceiling = min(self.backoff_cap, self.max_retry_wait, self.backoff_base * 2.0**attempt)
        return ceiling / 2 + random.uniform(0.0, ceiling / 2)

    def delay(
        self, request: httpx.Request, outcome: httpx.Response | Exception, attempt: int
    ) -> float | None:
        """Seconds to wait before the next attempt, or None to stop with this outcome.

        ``attempt`` counts the retries already made.
        """
        if attempt >= self.max_retries:
            return None
        if isinstance(outcome, httpx.Response):
            return self._delay_after_response(outcome, attempt)
        if isinstance(outcome, _RETRYABLE_TRANSPORT_ERRORS) and request.method in IDEMPOTENT_METHODS:
            return self.backoff(attempt)
        return None

    def _delay_after_response(self, response: httpx.Response, attempt: int) -> float | None:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        # Both are refusals before any work was done (rate limit, maintenance), so even a POST is
        # safe to send again. A 503 without Retry-After (a store is down) is not a "come back
        # later" and would most likely fail again.
        if response.status_code == 429:
            if retry_after is None:
                return self.backoff(attempt)
            return min(retry_after, self.max_retry_wait)
        if response.status_code == 503 and retry_after is not None:
            return min(retry_after, self.max_retry_wait)
        return None


def error_from_response(response: httpx.Response) -> ParleyError:
    """The exception for an error response: the class of its envelope's code, else the base class."""
    header_correlation_id = response.headers.get(CORRELATION_HEADER)
    error = _envelope(response)
    if error is None:
        snippet = response.text[:200].strip() if response.content else ""
        message = f"{response.reason_phrase or 'error'} (the body is not a parley error envelope)"
        return ParleyError(
            status=response.status_code,
            code=None,
            id=None,
            message=f"{message}: {snippet}" if snippet else message,
            correlation_id=header_correlation_id,
            headers=response.headers,
        )
    code = error["code"]
    error_id = error.get("id")
    data = error.get("data")
    return ERRORS_BY_CODE.get(code, ParleyError)(
        status=response.status_code,
        code=code,
        id=error_id if isinstance(error_id, int) else None,
        message=str(error.get("message") or ""),
        correlation_id=error.get("correlation_id") or header_correlation_id,
        data=data if isinstance(data, dict) else None,
        headers=response.headers,
    )


def _envelope(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        return error
    return None


def transport_error(request: httpx.Request, exc: httpx.RequestError) -> ParleyTransportError:
    cls = ParleyTimeoutError if isinstance(exc, httpx.TimeoutException) else ParleyConnectionError
    return cls(f"{request.method} {request.url}: {type(exc).__name__}: {exc}")


def _unexpected_body(response: httpx.Response, expected: str) -> ParleyError:
    return ParleyError(
        status=response.status_code,
        code=None,
        id=None,
        message=f"expected a JSON {expected} in the response body",
        correlation_id=response.headers.get(CORRELATION_HEADER),
        headers=response.headers,
    )


def decode(response: httpx.Response) -> Any:
    """The JSON body of a successful response (None when empty); raise the error of a failed one."""
    if not response.is_success:
        raise error_from_response(response)
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise _unexpected_body(response, "body") from None


def decode_object(response: httpx.Response) -> JSONObject:
    body = decode(response)
    if not isinstance(body, dict):
        raise _unexpected_body(response, "object")
    return body


def decode_list(response: httpx.Response) -> JSONList:
    body = decode(response)
    if not isinstance(body, list):
        raise _unexpected_body(response, "array")
    return body


def decode_empty(response: httpx.Response) -> None:
    decode(response)


def decode_text(response: httpx.Response) -> str:
    """The body of a successful non-JSON response (a CSV export) as text."""
    if not response.is_success:
        raise error_from_response(response)
    return response.text


class BaseClient(Generic[_Obj, _Arr, _Nil, _Txt]):
    """Settings, namespaces and the retry decisions; subclasses supply the I/O."""

    def __init__(
        self,
        base_url: str | httpx.URL,
        api_key: str | None,
        *,
        max_retries: int,
        max_retry_wait: float,
        headers: Mapping[str, str] | None,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        if max_retry_wait < 0:
            raise ValueError("max_retry_wait must be 0 or more")
        self.base_url = httpx.URL(base_url)
        self.retry_policy = RetryPolicy(max_retries=max_retries, max_retry_wait=max_retry_wait)
        self._headers = httpx.Headers(
            {
                "Accept": "application/json",
                "User-Agent": f"parley-sdk/{__version__} httpx/{httpx.__version__}",
            }
        )
        self._headers.update(headers or {})
        if api_key is not None:
            self._headers["x-api-key"] = api_key

        self.accounts: AccountsAPI[_Obj, _Arr, _Nil] = AccountsAPI(self)
        self.users: UsersAPI[_Obj, _Arr, _Nil] = UsersAPI(self)
        self.api_keys: ApiKeysAPI[_Obj, _Arr, _Nil] = ApiKeysAPI(self)
        self.agents: AgentsAPI[_Obj, _Arr, _Nil] = AgentsAPI(self)
        self.conversations: ConversationsAPI[_Obj, _Arr, _Nil] = ConversationsAPI(self)
        self.branches: BranchesAPI[_Obj, _Arr, _Nil] = BranchesAPI(self)
        self.behavior: BehaviorAPI[_Obj, _Arr, _Nil] = BehaviorAPI(self)
        self.topics: TopicsAPI[_Obj, _Arr, _Nil, _Txt] = TopicsAPI(self)
        self.flows: FlowsAPI[_Obj, _Arr, _Nil] = FlowsAPI(self)
        self.steps: StepsAPI[_Obj, _Arr, _Nil] = StepsAPI(self)
        self.flow_functions: FlowFunctionsAPI[_Obj, _Arr, _Nil] = FlowFunctionsAPI(self)
        self.functions: FunctionsAPI[_Obj, _Arr, _Nil] = FunctionsAPI(self)
        self.entities: EntitiesAPI[_Obj, _Arr, _Nil] = EntitiesAPI(self)
        self.handoffs: HandoffsAPI[_Obj, _Arr, _Nil] = HandoffsAPI(self)
        self.sms_templates: SmsTemplatesAPI[_Obj, _Arr, _Nil] = SmsTemplatesAPI(self)
        self.attributes: AttributesAPI[_Obj, _Arr, _Nil] = AttributesAPI(self)
        self.variants: VariantsAPI[_Obj, _Arr, _Nil, _Txt] = VariantsAPI(self)
        self.real_time_configs: RealTimeConfigsAPI[_Obj, _Arr, _Nil] = RealTimeConfigsAPI(self)
        self.deployments: DeploymentsAPI[_Obj, _Arr, _Nil] = DeploymentsAPI(self)
        self.chat: ChatAPI[_Obj, _Arr, _Nil] = ChatAPI(self)
        self.debug_chat: DebugChatAPI[_Obj, _Arr, _Nil] = DebugChatAPI(self)
        self.connectors: ConnectorsAPI[_Obj, _Arr, _Nil] = ConnectorsAPI(self)
        self.phone_numbers: PhoneNumbersAPI[_Obj, _Arr, _Nil] = PhoneNumbersAPI(self)
        self.sms: SmsAPI[_Obj, _Arr, _Nil] = SmsAPI(self)
        self.test_cases: TestCasesAPI[_Obj, _Arr, _Nil] = TestCasesAPI(self)
        self.test_runs: TestRunsAPI[_Obj, _Arr, _Nil] = TestRunsAPI(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={str(self.base_url)!r})"

    def health(self, *, correlation_id: str | None = None) -> _Obj:
        """``{status, region, version, stores}``; needs no key."""
        return self._call_object(Call("GET", "/health", correlation_id=correlation_id))

    # The twins implement these: run the call (with retries) and decode the answer.
    def _call_object(self, call: Call) -> _Obj:
        raise NotImplementedError

    def _call_list(self, call: Call) -> _Arr:
        raise NotImplementedError

    def _call_empty(self, call: Call) -> _Nil:
        raise NotImplementedError

    def _call_text(self, call: Call) -> _Txt:
        raise NotImplementedError

    def _build_request(self, http: httpx.Client | httpx.AsyncClient, call: Call) -> httpx.Request:
        headers = dict(call.headers or {})
        if call.correlation_id:
            headers[CORRELATION_HEADER] = call.correlation_id
        return http.build_request(
            call.method, call.path, json=call.json, params=call.params, files=call.files, headers=headers
        )

    def _next_delay(
        self, request: httpx.Request, outcome: httpx.Response | httpx.RequestError, attempt: int
    ) -> float | None:
        delay = self.retry_policy.delay(request, outcome, attempt)
        if delay is not None:
            reason = (
                f"HTTP {outcome.status_code}"
                if isinstance(outcome, httpx.Response)
                else type(outcome).__name__
            )
            log.info(
                "retrying %s %s in %.2fs after %s (retry %d of %d)",
                request.method,
                request.url,
                delay,
                reason,
                attempt + 1,
                self.retry_policy.max_retries,
            )
        return delay

    @staticmethod
    def _final(request: httpx.Request, outcome: httpx.Response | httpx.RequestError) -> httpx.Response:
        if isinstance(outcome, httpx.Response):
            return outcome
        raise transport_error(request, outcome) from outcome
