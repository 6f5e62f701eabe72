"""Outbound calls and DNI need a voice channel: until one exists, each path answers 501."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.envelope import assert_error

PATHS: list[tuple[str, str, dict[str, Any] | None]] = [
    (
        "POST",
        "/v1/agents/hotel/telephony/outbound-calls",
        {"toNumber": "+447911123456", "environment": "live"},
    ),
    ("GET", "/v1/agents/hotel/telephony/outbound-calls/OUT-550e8400/status?environment=live", None),
    ("POST", "/v1/outbound-calling", {"to_number": "+447911123456"}),
    ("GET", "/v1/outbound-calling/OUT-550e8400/status", None),
    ("POST", "/v1/conversations/dni-reservation", {"attributes": {"campaign": "spring"}}),
]


@pytest.mark.parametrize(("method", "path", "body"), PATHS, ids=[f"{m} {p}" for m, p, _ in PATHS])
async def test_answers_the_501_envelope(
    client: httpx.AsyncClient, admin: dict[str, str], method: str, path: str, body: dict[str, Any] | None
) -> None:
    response = await client.request(method, path, json=body, headers=admin)
    error = assert_error(response, "NOT_IMPLEMENTED")
    assert "does not serve it yet" in error["message"]


async def test_not_a_bare_404_even_without_a_key(client: httpx.AsyncClient) -> None:
    assert_error(await client.post("/v1/conversations/dni-reservation", json={}), "NOT_IMPLEMENTED")
