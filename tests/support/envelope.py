"""Assertions on the error contract, used by every test of an error path."""

from __future__ import annotations

from typing import Any

import httpx

from parley.errors import CATALOGUE

CORRELATION_HEADER = "x-polyai-correlation-id"


def assert_error(response: httpx.Response, code: str, status: int | None = None) -> dict[str, Any]:
    """The response is the seed envelope for ``code``: status, id, message, correlation id."""
    spec = CATALOGUE[code].spec
    expected_status = status if status is not None else spec.status
    assert response.status_code == expected_status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) <= {"code", "id", "message", "correlation_id", "data"}, error
    assert error["code"] == code, error
    assert error["id"] == spec.id, error
    assert isinstance(error["message"], str) and error["message"], error
    assert error["correlation_id"] == response.headers[CORRELATION_HEADER], error
    assert "Traceback" not in response.text
    return error
