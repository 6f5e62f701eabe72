"""The retry policy and response decoding on their own, for the cases the real app cannot produce."""

from __future__ import annotations

import email.utils

import httpx
import pytest

from parley.sdk import Client, ParleyError, ProjectNotFoundError
from parley.sdk._base import RetryPolicy, decode_list, decode_object, error_from_response, parse_retry_after

GET = httpx.Request("GET", "http://parley.test/v1/accounts")
POST = httpx.Request("POST", "http://parley.test/v1/accounts")


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("2", 2.0),
        (" 3 ", 3.0),
        ("0", 0.0),
        ("-4", 0.0),
        ("1.5", 1.5),
        ("soon", None),
        ("nan", None),
        (None, None),
    ],
)
def test_parse_retry_after_seconds(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


def test_parse_retry_after_http_date() -> None:
    now = 1_800_000_000.0
    assert parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now=now) == 30.0
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0


def response(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers, request=GET)


def test_429_and_503_with_retry_after_wait_that_long_for_any_method() -> None:
    policy = RetryPolicy(max_retries=2, max_retry_wait=60)
    for request in (GET, POST):
        assert policy.delay(request, response(429, **{"Retry-After": "3"}), 0) == 3.0
        assert policy.delay(request, response(503, **{"Retry-After": "5"}), 1) == 5.0
        assert policy.delay(request, response(429, **{"Retry-After": "3"}), 2) is None  # retries spent


def test_retry_after_is_capped() -> None:
    assert RetryPolicy(max_retry_wait=10).delay(POST, response(429, **{"Retry-After": "3600"}), 0) == 10.0


def test_429_without_retry_after_backs_off() -> None:
    delay = RetryPolicy().delay(POST, response(429), 0)
    assert delay is not None and 0.25 <= delay <= 0.5


@pytest.mark.parametrize("status", [200, 400, 404, 409, 500, 502, 504])
def test_other_statuses_are_not_retried(status: int) -> None:
    assert RetryPolicy().delay(GET, response(status, **{"Retry-After": "1"}), 0) is None


def test_503_without_retry_after_is_not_retried() -> None:
    # /health answers 503 when a store is down: a state, not a "come back in N seconds".
    assert RetryPolicy().delay(GET, response(503), 0) is None


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(max_retries=10, backoff_base=0.5, backoff_cap=2.0)
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 2.0), (8, 2.0)]:
        for _ in range(20):
            assert ceiling / 2 <= policy.backoff(attempt) <= ceiling


@pytest.mark.parametrize(
    ("method", "error", "retried"),
    [
        ("GET", httpx.ConnectError("refused"), True),
        ("PUT", httpx.ReadTimeout("slow"), True),
        ("DELETE", httpx.RemoteProtocolError("closed"), True),
        ("POST", httpx.ConnectError("refused"), False),
        ("PATCH", httpx.ReadTimeout("slow"), False),
        ("GET", httpx.UnsupportedProtocol("ftp"), False),
    ],
)
def test_transport_errors_are_retried_only_when_safe(method: str, error: Exception, retried: bool) -> None:
    request = httpx.Request(method, "http://parley.test/x")
    assert (RetryPolicy().delay(request, error, 0) is not None) is retried


def test_unknown_code_raises_the_base_class_with_its_fields() -> None:
    body = {"error": {"code": "BRAND_NEW", "id": 99001, "message": "New.", "correlation_id": "c-1"}}
    error = error_from_response(httpx.Response(418, json=body, request=GET))
    assert type(error) is ParleyError
    assert (error.status, error.code, error.id, error.message, error.correlation_id) == (
        418,
        "BRAND_NEW",
        99001,
        "New.",
        "c-1",
    )


def test_known_code_with_data() -> None:
    body = {
        "error": {
            "code": "PROJECT_NOT_FOUND",
            "id": 15001,
            "message": "No.",
            "correlation_id": "c",
            "data": {"a": 1},
        }
    }
    error = error_from_response(httpx.Response(404, json=body, request=GET))
    assert isinstance(error, ProjectNotFoundError)
    assert error.data == {"a": 1}
    assert repr(error).startswith("ProjectNotFoundError(status=404, code='PROJECT_NOT_FOUND'")


def test_a_body_that_is_not_an_envelope() -> None:
    raw = httpx.Response(
        502, text="<html>Bad gateway</html>", headers={"X-PolyAI-Correlation-Id": "edge-1"}, request=GET
    )
    error = error_from_response(raw)
    assert type(error) is ParleyError
    assert (error.status, error.code, error.id, error.correlation_id) == (502, None, None, "edge-1")
    assert "Bad gateway" in str(error) and "edge-1" in str(error)


def test_success_bodies_of_the_wrong_shape_are_refused() -> None:
    with pytest.raises(ParleyError, match="object"):
        decode_object(httpx.Response(200, json=[1], request=GET))
    with pytest.raises(ParleyError, match="array"):
        decode_list(httpx.Response(200, json={"a": 1}, request=GET))
    with pytest.raises(ParleyError, match="JSON"):
        decode_object(httpx.Response(200, text="not json", request=GET))


def test_settings_are_per_instance_and_validated() -> None:
    with Client("http://a.test", "k1", max_retries=0) as one, Client("http://b.test", "k2") as two:
        assert one.retry_policy.max_retries == 0 and two.retry_policy.max_retries == 2
        assert one._http.headers["x-api-key"] == "k1" and two._http.headers["x-api-key"] == "k2"
        assert one._http.headers["user-agent"].startswith("parley-sdk/")
    with Client("http://a.test", headers={"User-Agent": "mine"}) as custom:
        assert custom._http.headers["user-agent"] == "mine"
        assert "x-api-key" not in custom._http.headers
    with pytest.raises(ValueError, match="max_retries"):
        Client("http://a.test", max_retries=-1)
