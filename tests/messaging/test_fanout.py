"""Several sockets of one session, on one worker and across workers (Redis, or the journal alone)."""

from __future__ import annotations

import os
import uuid

import pytest

from parley.config import RedisSettings
from tests.messaging.support import (
    PARKING,
    Seed,
    Webchat,
    assert_still_open,
    closed_with,
    of_type,
    receive_until,
    replay,
    send,
    types,
    webchat,
)

GREETED = ["REQUEST_POLY_AGENT_JOIN", "POLY_AGENT_JOINED", "POLY_AGENT_THINKING", "POLY_AGENT_MESSAGE"]
REPLIED = ["USER_MESSAGE", "POLY_AGENT_THINKING", "POLY_AGENT_MESSAGE"]


def test_two_sockets_of_a_session_see_the_same_conversation(seed: Seed, chat: Webchat) -> None:
    session_id = chat.session()
    with chat.connect(session_id) as first, chat.connect(session_id) as second:
        replay(first)
        replay(second)
        joined = chat.join(first, replayed=True)
        assert types(joined) == GREETED
        assert receive_until(second, of_type("EVENT_TYPE_POLY_AGENT_MESSAGE")) == joined
        # Frames about one client's own traffic stay on its socket: heartbeats, errors.
        assert_still_open(first)
        send(first, "EVENT_TYPE_BOGUS")
        assert first.receive_json()["type"] == "EVENT_TYPE_SYSTEM_MESSAGE"
        replied = chat.say(second, "Where can I park my car?")
        assert types(replied) == REPLIED
        assert receive_until(first, of_type("EVENT_TYPE_POLY_AGENT_MESSAGE")) == replied
        send(second, "EVENT_TYPE_USER_END_SESSION")
        ended = receive_until(second, of_type("EVENT_TYPE_SESSION_END"))
        assert receive_until(first, of_type("EVENT_TYPE_SESSION_END")) == ended
        assert closed_with(first) == (1000, "")
        assert closed_with(second) == (1000, "")


def test_without_a_broker_the_journal_fills_the_gaps(seed: Seed) -> None:
    """Two workers with no Redis: no live fan-out, yet a socket never misses or repeats an event."""
    alone = RedisSettings(url=None)
    with webchat(seed, redis=alone) as one, webchat(seed, redis=alone) as two:
        session_id = one.session()
        with one.connect(session_id) as here, two.connect(session_id) as there:
            replay(here)
            replay(there)
            greeted = two.join(there, replayed=True)
            # "here" heard nothing live; its next own event brings everything before it first.
            send(here, "EVENT_TYPE_USER_MESSAGE", {"text": "Where can I park my car?"})
            caught_up = receive_until(here, lambda e: e["payload"].get("text") == PARKING)
            journaled = [e for e in greeted if e["sequence"] is not None]
            assert caught_up[: len(journaled)] == journaled
            assert types(caught_up[len(journaled) :]) == REPLIED
            sequences = [e["sequence"] for e in caught_up if e["sequence"] is not None]
            assert sequences == list(range(2, 2 + len(sequences)))


def test_fan_out_through_redis_across_workers(seed: Seed) -> None:
    # Redis runs on every machine of this project, so this check always runs (default URL).
    redis_url = os.environ.get("PARLEY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    shared = RedisSettings(url=redis_url, key_prefix=f"parley-test-{uuid.uuid4().hex[:12]}:")
    with (
        webchat(seed, redis=shared, max_connections_per_session=2) as one,
        webchat(seed, redis=shared, max_connections_per_session=2) as two,
    ):
        session_id = one.session()
        with one.connect(session_id) as here, two.connect(session_id) as there:
            replay(here)
            replay(there)
            joined = two.join(there, replayed=True)
            assert types(joined) == GREETED
            assert receive_until(here, of_type("EVENT_TYPE_POLY_AGENT_MESSAGE")) == joined
            replied = one.say(here, "Where can I park my car?")
            assert receive_until(there, of_type("EVENT_TYPE_POLY_AGENT_MESSAGE")) == replied
            # The connection limit counts sockets on every worker.
            with pytest.raises(Exception) as denied, one.connect(session_id):
                pass
            assert getattr(denied.value, "status_code", None) == 429
            send(here, "EVENT_TYPE_USER_END_SESSION")
            ended = receive_until(here, of_type("EVENT_TYPE_SESSION_END"))
            assert receive_until(there, of_type("EVENT_TYPE_SESSION_END")) == ended
            assert closed_with(there) == (1000, "")
