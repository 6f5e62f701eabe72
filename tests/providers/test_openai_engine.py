"""The engine driving the openai provider through a default step: entities the model records
through record_entities fill the step's condition and move the flow on."""

from __future__ import annotations

from datetime import date
from typing import Any

from parley.config import SandboxSettings
from parley.runtime.engine import Context, Engine, Session
from parley.runtime.providers.openai import OpenAIProvider
from parley.runtime.sandbox.pool import Sandbox
from tests.providers.fake_openai import FakeOpenAI

CONTENT: dict[str, Any] = {
    "agent": {"responseSettings": {"greeting": "Hello."}},
    "behavior": "You take table bookings.",
    "entities": [
        {"id": "E1", "name": "party_size", "description": "Guests", "type": "number", "config": {"max": 12}}
    ],
    "flows": [
        {
            "name": "Booking",
            "startStep": "Collect",
            "functions": [],
            "steps": [
                {
                    "name": "Collect",
                    "stepType": "default",
                    "prompt": "How many guests?",
                    "extractedEntities": ["party_size"],
                    "conditions": [
                        {
                            "name": "Got it",
                            "conditionType": "step",
                            "childStep": "Confirm",
                            "requiredEntities": ["party_size"],
                        }
                    ],
                },
                {"name": "Confirm", "stepType": "advanced", "prompt": "A table for {{entity:party_size}}?"},
            ],
        }
    ],
}


async def test_default_step_extraction_moves_the_flow(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    sandbox = Sandbox(SandboxSettings())
    engine = Engine(runner=sandbox, provider=provider)
    try:
        agent = await engine.load(("agent", "v1"), CONTENT)
        session = Session(flow="Booking", step="Collect")
        context = Context(environment="sandbox", channel="api", today=date(2025, 3, 5))
        fake.call(("record_entities", {"party_size": "six"}))
        outcome = await engine.respond(agent, context, session, "There will be six of us")
    finally:
        await sandbox.close()
    assert outcome.entities == {"party_size": 6}
    assert (session.flow, session.step) == ("Booking", "Confirm")
    assert outcome.response == "A table for 6?"
    [sent] = fake.requests
    assert sent.body["tool_choice"] == {"type": "function", "function": {"name": "record_entities"}}
    system = sent.body["messages"][0]["content"]
    assert system.startswith("You take table bookings.\n\n## Current step\nFollow this instruction now:\n")
    assert "How many guests?" in system and "Today's date is 2025-03-05." in system
    assert sent.body["messages"][-1] == {"role": "user", "content": "There will be six of us"}
