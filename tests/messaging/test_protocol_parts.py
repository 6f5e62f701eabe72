"""The pure parts of the protocol: token signing, host matching, chunking, cursors, client frames."""

from __future__ import annotations

import base64
import json

import pytest

from parley.messaging import tokens
from parley.messaging.conversation import chunks
from parley.messaging.events import Refusal, parse_client_event
from parley.messaging.hosts import host_allowed, normalise_host
from parley.messaging.socket import parse_cursor

SECRET = b"s" * 48
NOW = 1_800_000_000


def _sign(**overrides: object) -> str:
    values: dict[str, object] = {
        "connector_id": "CONNECTOR-AAAAAAAA",
        "agent_id": "linden",
        "account_id": "default",
        "client_env": "sandbox",
        "host": "example.com",
        "now": NOW,
        "ttl_seconds": 60,
        "secret": SECRET,
        **overrides,
    }
    token, _claims = tokens.sign(**values)  # type: ignore[arg-type]
    return token


def _b64(value: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_token_round_trip_carries_every_claim() -> None:
    token = _sign()
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "HS256", "typ": "JWT"}
    claims = tokens.verify(token, SECRET, NOW + 59)
    assert (claims.connector_id, claims.agent_id, claims.account_id) == (
        "CONNECTOR-AAAAAAAA",
        "linden",
        "default",
    )
    assert (claims.client_env, claims.host, claims.expires_at - claims.issued_at) == (
        "sandbox",
        "example.com",
        60,
    )


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", "malformed"),
        ("a.b", "malformed"),
        ("a.b.c.d", "malformed"),
        ("x" * 5000, "malformed"),
        ("é.é.é", "malformed"),
        ("'; DROP TABLE messaging_session; --", "malformed"),
    ],
)
def test_garbage_is_rejected(token: str, reason: str) -> None:
    with pytest.raises(tokens.TokenRejected) as caught:
        tokens.verify(token, SECRET, NOW)
    assert caught.value.reason == reason


def test_tampering_expiry_and_foreign_keys_are_rejected() -> None:
    token = _sign()
    header, payload, signature = token.split(".")
    forged_payload = _b64({**json.loads(base64.urlsafe_b64decode(payload + "==")), "agent_id": "other"})
    cases = {
        "signature": [
            f"{header}.{forged_payload}.{signature}",
            f"{header}.{payload}.{signature[:-2]}AA",
            _sign(secret=b"another secret of at least thirty-two bytes"),
            # alg=none with no signature, and HS256 claims re-labelled as none.
            f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
            f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.{signature}",
        ],
        "expired": [_sign(now=NOW - 61)],
    }
    for reason, forged in cases.items():
        for candidate in forged:
            with pytest.raises(tokens.TokenRejected) as caught:
                tokens.verify(candidate, SECRET, NOW)
            assert caught.value.reason in (reason, "malformed"), (candidate, caught.value.reason)
    with pytest.raises(tokens.TokenRejected, match="expired"):
        tokens.verify(token, SECRET, NOW + 60)


@pytest.mark.parametrize(
    ("presented", "allowed", "expected"),
    [
        ("example.com", ["example.com"], True),
        ("chat.example.com", ["example.com"], True),
        ("a.b.example.com", ["example.com"], True),
        ("EXAMPLE.com.", ["example.com"], True),
        ("https://www.example.com/", ["example.com"], True),
        ("example.com:8443", ["example.com"], True),
        ("example.com:8443", ["example.com:8443"], True),
        ("example.com:9000", ["example.com:8443"], False),
        ("badexample.com", ["example.com"], False),
        ("example.com.evil.net", ["example.com"], False),
        ("example.org", ["example.com"], False),
        ("com", ["example.com"], False),
        ("app.mobile.ios", ["mobile.ios", "example.com"], True),
    ],
)
def test_host_matching(presented: str, allowed: list[str], expected: bool) -> None:
    host = normalise_host(presented)
    assert host is not None
    assert host_allowed(host, allowed) is expected


@pytest.mark.parametrize(
    "presented",
    ["", "   ", "exa mple.com", "https://example.com/path", "https://user@example.com", "例え.jp", "a" * 300],
)
def test_hosts_that_are_not_hosts(presented: str) -> None:
    assert normalise_host(presented) is None


@pytest.mark.parametrize(
    "text",
    [
        "Free parking is available behind the hotel, and it is open all night long.",
        "short",
        "x" * 130,
        "  leading and trailing  ",
        "Ünïcödé 🙂 wörds, many of them, again and again and again and again.",
    ],
)
def test_chunks_rebuild_the_text(text: str) -> None:
    pieces = chunks(text, 20)
    assert "".join(pieces) == text
    assert all(0 < len(piece) <= 20 for piece in pieces)


def test_cursors() -> None:
    assert parse_cursor(None) is None
    assert parse_cursor("7") == 7
    assert parse_cursor("seq:7") == 7
    for invalid in ("-1", "abc", "7.5", "", "1" * 30, "٣"):
        assert parse_cursor(invalid) is None


def _refusal(frame: str | bytes) -> Refusal:
    with pytest.raises(Refusal) as caught:
        parse_client_event(frame, 1024)
    return caught.value


def test_client_frames() -> None:
    event = parse_client_event(
        json.dumps(
            {"type": "EVENT_TYPE_USER_MESSAGE", "payload": {"text": "hi"}, "metadata": {"custom": {"a": 1}}}
        ),
        1024,
    )
    assert (event.type, event.payload, event.metadata) == (
        "EVENT_TYPE_USER_MESSAGE",
        {"text": "hi"},
        {"custom": {"a": 1}},
    )
    assert parse_client_event(b'{"type": "EVENT_TYPE_HEARTBEAT"}', 1024).metadata is None
    too_big = _refusal(json.dumps({"type": "EVENT_TYPE_USER_MESSAGE", "payload": {"text": "x" * 2000}}))
    assert too_big.error.spec.code == "PAYLOAD_TOO_LARGE"
    assert _refusal('{"type": "EVENT_TYPE_NOPE"}').text == "Unknown event type or invalid message format"
    server_only = _refusal('{"type": "EVENT_TYPE_SESSION_END"}')
    assert server_only.text == "Event type not allowed: EVENT_TYPE_SESSION_END"
    for frame in (
        "[",
        "[]",
        "null",
        '{"type": 1}',
        '{"payload": {}}',
        b"\xff\xfe",
        '{"type": "x", "n": NaN}',
    ):
        refusal = _refusal(frame)
        assert refusal.error.spec.code == "SCHEMA_VALIDATION_FAILED", frame
