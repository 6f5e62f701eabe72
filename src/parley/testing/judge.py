"""What only a model can do in a test: play the caller from a scenario, and judge prompt assertions.

Both go through the configured ModelProvider's one ``decide`` call, so any provider that can hold
a conversation can also test one. The deterministic ``rules`` provider cannot, and says so.
"""

from __future__ import annotations

from typing import Any

from parley.runtime.providers.base import DecisionRequest, ModelProvider

NEEDS_MODEL = "needs a model provider"
MAX_SIMULATED_TURNS = 10
END_MARK = "[END]"

_CALLER_PROMPT = (
    "You are role-playing a caller talking to a virtual agent, to test it. Follow this scenario:\n"
    "{scenario}\n\nReply with only what the caller says next, in one short message. When the "
    "scenario is complete or the agent cannot help further, reply with exactly " + END_MARK + "."
)
_JUDGE_PROMPT = (
    "You judge a conversation between a caller and a virtual agent against one assertion. Answer "
    "with PASS or FAIL on the first line and a one-sentence reason on the second."
)


def can_use_model(provider: ModelProvider) -> bool:
    return provider.name != "rules"


def _transcript_text(turns: list[dict[str, Any]]) -> str:
    lines = []
    for turn in turns:
        if turn["userInput"]:
            lines.append(f"Caller: {turn['userInput']}")
        lines.append(f"Agent: {turn['agentResponse']}")
    return "\n".join(lines)


async def next_caller_message(
    provider: ModelProvider, scenario: str, turns: list[dict[str, Any]]
) -> str | None:
    """The simulated caller's next message, or None when it is done."""
    # The engine's history format ({role: user|agent, text}), seen from the caller's side: the
    # model's own earlier messages are the "agent" ones (sent as assistant), the agent's replies
    # the "user" ones.
    history: list[dict[str, str]] = []
    for turn in turns:
        if turn["userInput"]:
            history.append({"role": "agent", "text": str(turn["userInput"])})
        history.append({"role": "user", "text": str(turn["agentResponse"])})
    last = history.pop()["text"] if history else ""
    decision = await provider.decide(
        DecisionRequest(
            system_prompt=_CALLER_PROMPT.format(scenario=scenario),
            history=history,
            message=last,
            topics=[],
            step=None,
            step_prompt=None,
            tools=[],
            entities=[],
        )
    )
    reply = (decision.reply or "").strip()
    if not reply or END_MARK in reply:
        return None
    return reply


async def judge(provider: ModelProvider, assertion: str, turns: list[dict[str, Any]]) -> dict[str, Any]:
    """{prompt, isPass, reason} for one prompt assertion."""
    decision = await provider.decide(
        DecisionRequest(
            system_prompt=_JUDGE_PROMPT,
            history=[],
            message=f"Conversation:\n{_transcript_text(turns)}\n\nAssertion: {assertion}",
            topics=[],
            step=None,
            step_prompt=None,
            tools=[],
            entities=[],
        )
    )
    answer = (decision.reply or "").strip()
    verdict, _, reason = answer.partition("\n")
    is_pass = verdict.strip().upper().startswith("PASS")
    if not verdict.strip().upper().startswith(("PASS", "FAIL")):
        return {"prompt": assertion, "isPass": False, "reason": f"the judge gave no verdict: {answer[:200]}"}
    return {"prompt": assertion, "isPass": is_pass, "reason": reason.strip()[:500] or verdict.strip()}
