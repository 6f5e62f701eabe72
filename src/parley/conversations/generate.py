"""Synthetic conversations for load tests and benchmarks, written in large batched inserts.

The rows look like what the runtime writes (same summary columns, same turn ``data`` keys), spread
over a time window, so that filters, sorts and cursors behave as they would on real traffic.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from parley.agents.service import MAIN_BRANCH
from parley.conversations.summary import add_names
from parley.kit.db import Base
from parley.kit.ids import new_id
from parley.models import Base as _registered  # noqa: F401 - every table in Base.metadata

TOPICS = ("Pool hours", "Parking", "Complaints", "Directions", "Breakfast", "Check-out", "Wi-Fi", "Spa")
FUNCTIONS = ("lookup_booking", "send_confirmation", "check_availability", "take_payment")
FLOWS = ("booking", "cancellation", "identify_caller")
VARIANTS: tuple[tuple[str | None, str | None], ...] = (
    ("VAR-london", "London"),
    ("VAR-paris", "Paris"),
    ("VAR-berlin", "Berlin"),
    (None, None),
)
CHANNELS = ("webchat", "api", "sms", "whatsapp", "voice")
ENVIRONMENTS = ("live",) * 8 + ("sandbox", "pre-release")
LANGUAGES = ("en-GB", "en-US", "fr-FR", "de-DE")
PHRASES = (
    "when is the pool open",
    "how much is parking",
    "I want to make a complaint",
    "where are you located",
    "can I book a room for friday",
    "is breakfast included",
    "what time is check-out",
    "what is the wifi password",
)


@dataclass(frozen=True)
class GenerateOptions:
    agent_id: str = "bench"
    account_id: str = "default"
    count: int = 1000
    batch: int = 10_000
    seed: int = 7
    window_days: int = 30
    end: datetime | None = None


def _conversation_rows(
    rng: random.Random, options: GenerateOptions, index: int, end: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    window = options.window_days * 86400
    started = end - timedelta(seconds=rng.random() * window)
    in_progress = rng.random() < 0.02
    n_turns = rng.randint(1, 6)
    turn_gap = rng.randint(3, 40)
    duration = (n_turns - 1) * turn_gap + rng.randint(0, 20)
    variant_id, variant_name = rng.choice(VARIANTS)
    handoff = rng.random() < 0.1
    channel = rng.choice(CHANNELS)
    cid = f"CONV-{options.seed:x}{index:010d}{rng.getrandbits(24):06x}"
    topics: list[str] = []
    functions: list[str] = []
    flows: list[str] = []
    turns: list[dict[str, Any]] = []
    for t in range(n_turns):
        at = started + timedelta(seconds=t * turn_gap)
        turn_topics = [rng.choice(TOPICS)] if t and rng.random() < 0.7 else []
        called = [rng.choice(FUNCTIONS)] if t and rng.random() < 0.3 else []
        calls: list[dict[str, Any]] = [{"name": name, "arguments": {}} for name in called]
        flow = rng.choice(FLOWS) if t and rng.random() < 0.2 else None
        topics += turn_topics
        functions += called
        flows += [flow] if flow else []
        turns.append(
            {
                "conversation_id": cid,
                "index": t,
                "user_input": rng.choice(PHRASES) if t else "",
                "agent_response": "Welcome to the Linden Hotel!" if t == 0 else "Certainly, here you are.",
                "user_input_at": at if t else None,
                "agent_response_at": at,
                "latency_ms": round(rng.uniform(40, 900), 3),
                "data": {
                    "topics": turn_topics,
                    "functionCalls": calls,
                    "entities": {},
                    "flow": flow,
                    "step": None,
                    "handoff": None,
                    "effects": [],
                    "nodeTrace": [],
                    "variant": variant_name,
                },
            }
        )
    ended = None if in_progress else started + timedelta(seconds=duration)
    row = {
        "id": cid,
        "account_id": options.account_id,
        "agent_id": options.agent_id,
        "environment": rng.choice(ENVIRONMENTS),
        "branch_id": None,
        "deployment_id": None,
        "version": "synthetic",
        "channel": channel,
        "source": "chat",
        "connector_id": None,
        "variant_id": variant_id,
        "variant_name": variant_name,
        "language": rng.choice(LANGUAGES),
        "caller_number": f"+4479460{rng.randint(0, 99999):05d}" if channel in ("voice", "sms") else None,
        "status": "active" if in_progress else rng.choice(("ended", "closed", "closed")),
        "started_at": started,
        "last_activity_at": started + timedelta(seconds=(n_turns - 1) * turn_gap),
        "ended_at": ended,
        "turn_count": n_turns,
        "handoff_destination": "duty_manager" if handoff else None,
        "handoff_reason": rng.choice(("complaint", "asked for a human", "")) if handoff else None,
        "integration_attributes": {},
        "runtime": {"state": {"generated": True}, "flow": None, "step": None},
        "duration_seconds": duration,
        "topic_names": add_names("", topics),
        "function_names": add_names("", functions),
        "flow_names": add_names("", flows),
        "shared_id": None,
    }
    return row, turns


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


async def ensure_agent(engine: AsyncEngine, account_id: str, agent_id: str) -> None:
    async with engine.begin() as conn:
        if await conn.scalar(_table("agent").select().where(_table("agent").c.id == agent_id)) is not None:
            return
        if await conn.scalar(_table("account").select().where(_table("account").c.id == account_id)) is None:
            raise ValueError(f"account '{account_id}' does not exist; run 'parley db upgrade' first")
        now = datetime.now(UTC)
        await conn.execute(
            insert(_table("agent")).values(
                id=agent_id,
                account_id=account_id,
                name="Synthetic conversations",
                response_settings={"greeting": "Hello"},
                created_at=now,
                updated_at=now,
                sequence=0,
            )
        )
        await conn.execute(
            insert(_table("branch")).values(
                id=new_id("BRANCH", 8), agent_id=agent_id, name=MAIN_BRANCH, created_at=now, sequence=0
            )
        )


async def generate(
    engine: AsyncEngine,
    options: GenerateOptions,
    progress: Callable[[int, float], None] | None = None,
) -> int:
    """Insert ``options.count`` conversations with their turns; one transaction per batch."""
    await ensure_agent(engine, options.account_id, options.agent_id)
    rng = random.Random(options.seed)
    end = options.end or datetime.now(UTC)
    began = time.perf_counter()
    written = 0
    while written < options.count:
        size = min(options.batch, options.count - written)
        conversations: list[dict[str, Any]] = []
        turns: list[dict[str, Any]] = []
        for i in range(written, written + size):
            row, rows = _conversation_rows(rng, options, i, end)
            conversations.append(row)
            turns.extend(rows)
        async with engine.begin() as conn:
            await conn.execute(insert(_table("conversation")), conversations)
            await conn.execute(insert(_table("conversation_turn")), turns)
        written += size
        if progress is not None:
            progress(written, time.perf_counter() - began)
    return written
