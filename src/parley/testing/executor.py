"""Running one test case: a real conversation (source "test"), then its assertions.

Scripted cases send ``userTurns``; scenario cases let the model play the caller. Each exchange is
committed as it happens, so a case cut short by its timeout still shows how far it got.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.chat.runtime import DRAFT, ConversationRuntime, RuntimeDeps, StartOptions
from parley.errors import ChatDraftNotExist, ParleyError
from parley.models import Agent
from parley.testing import judge
from parley.testing.evaluation import Transcript, check_function_call, check_response

SOURCE = "test"


@dataclass
class CaseOutcome:
    status: str  # passed | failed | errored | timed_out
    reason: str
    conversation_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class CaseProgress:
    """Shared with the caller, so a timeout can still report the partial transcript."""

    transcript: Transcript = field(default_factory=Transcript)
    conversation_id: str | None = None


@dataclass(frozen=True)
class Target:
    agent_id: str
    environment: str  # draft | sandbox | pre-release | live
    branch_id: str | None  # the internal branch id, for drafts


def needs_model(case: dict[str, Any]) -> bool:
    return bool(case.get("promptAssertions")) or not case.get("userTurns")


def error_reason(exc: ParleyError) -> str:
    listed = [
        f"{e.get('path')}: {e.get('message')}" if isinstance(e, dict) and e.get("path") else str(e)
        for e in (exc.data or {}).get("errors", [])
    ][:5]
    return f"{exc.message} {'; '.join(listed)}".strip()


class ModelStepFailed(Exception):
    """The model failed while playing the caller or judging: the case errors, saying which."""

    def __init__(self, who: str, exc: ParleyError) -> None:
        super().__init__(who)
        self.reason = f"{who} failed: {error_reason(exc)}"


def details(progress: CaseProgress, **results: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "responseAssertionResults": results.get("responses", []),
        "promptAssertionResults": results.get("prompts", []),
        "functionCallFailures": results.get("calls", []),
        "rawConversation": progress.transcript.as_json(),
    }


class CaseExecutor:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], deps: RuntimeDeps, target: Target) -> None:
        self.sessions = sessions
        self.deps = deps
        self.target = target

    async def run(self, case: dict[str, Any], progress: CaseProgress) -> CaseOutcome:
        provider = self.deps.engine.provider
        if needs_model(case) and not judge.can_use_model(provider):
            what = (
                "prompt assertions" if case.get("promptAssertions") else "a simulated caller (no userTurns)"
            )
            return CaseOutcome(
                "errored",
                f"This case {judge.NEEDS_MODEL}: it uses {what}, and the server runs the '{provider.name}' "
                "provider. Set PARLEY_RUNTIME_PROVIDER=openai, or give the case userTurns and "
                "responseAssertions instead.",
                details=details(progress),
            )
        try:
            await self._converse(case, progress)
        except ParleyError as exc:
            return CaseOutcome("errored", error_reason(exc), progress.conversation_id, details(progress))
        except ModelStepFailed as exc:
            return CaseOutcome("errored", exc.reason, progress.conversation_id, details(progress))
        try:
            return await self._assess(case, progress)
        except ModelStepFailed as exc:
            return CaseOutcome("errored", exc.reason, progress.conversation_id, details(progress))

    async def _converse(self, case: dict[str, Any], progress: CaseProgress) -> None:
        transcript = progress.transcript
        async with self.sessions() as session:
            runtime = ConversationRuntime(session, self.deps)
            agent = await session.get(Agent, self.target.agent_id)
            if agent is None:
                raise ChatDraftNotExist("The agent no longer exists.")
            exchange = await runtime.start(agent, self._options(case))
            await session.commit()
            progress.conversation_id = exchange.conversation.id
            transcript.add("", exchange.outcome.response, exchange.outcome.function_calls)
            ended = exchange.outcome.end_conversation
            scripted = list(case.get("userTurns") or [])
            scenario = str(case.get("scenario") or "")
            index = 0
            while not ended:
                if scripted:
                    if index >= len(scripted):
                        break
                    text: str | None = scripted[index]
                elif index >= judge.MAX_SIMULATED_TURNS:
                    break
                else:
                    try:
                        text = await judge.next_caller_message(
                            self.deps.engine.provider, scenario, transcript.turns
                        )
                    except ParleyError as exc:
                        raise ModelStepFailed("The simulated caller", exc) from exc
                if text is None:
                    break
                exchange = await runtime.message(agent, exchange.conversation.id, text)
                await session.commit()
                transcript.add(text, exchange.outcome.response, exchange.outcome.function_calls)
                ended = exchange.outcome.end_conversation
                index += 1
            if ended and scripted and index < len(scripted):
                transcript.ended_early_at = len(transcript.turns) - 1

    def _options(self, case: dict[str, Any]) -> StartOptions:
        return StartOptions(
            environment=self.target.environment,
            channel=str(case.get("channel") or "webchat"),
            source=SOURCE,
            branch_ref=self.target.branch_id if self.target.environment == DRAFT else None,
            variant_id=case.get("variant"),
            integration_attributes=dict(case.get("integrationAttributes") or {}),
            caller_number=case.get("callerNumber"),
            language=case.get("language"),
        )

    async def _assess(self, case: dict[str, Any], progress: CaseProgress) -> CaseOutcome:
        transcript = progress.transcript
        responses = [await check_response(a, transcript) for a in case.get("responseAssertions") or []]
        calls = [
            failure
            for a in case.get("functionCallAssertions") or []
            if (failure := check_function_call(a, transcript.calls())) is not None
        ]
        try:
            prompts = [
                await judge.judge(self.deps.engine.provider, p, transcript.turns)
                for p in case.get("promptAssertions") or []
            ]
        except ParleyError as exc:
            raise ModelStepFailed("The judge of the prompt assertions", exc) from exc
        problems = [f"response: {r['reason']}" for r in responses if not r["isPass"]]
        problems += [f"function call: {f['failureReason']}" for f in calls]
        problems += [f"prompt '{p['prompt'][:80]}': {p['reason']}" for p in prompts if not p["isPass"]]
        if transcript.ended_early_at is not None:
            problems.append(
                f"the agent ended the conversation after reply {transcript.ended_early_at}, "
                "before every user turn was sent"
            )
        result = details(progress, responses=responses, prompts=prompts, calls=calls)
        if problems:
            return CaseOutcome("failed", "; ".join(problems), progress.conversation_id, result)
        checked = len(responses) + len(prompts) + len(case.get("functionCallAssertions") or [])
        return CaseOutcome("passed", f"{checked} assertion(s) passed.", progress.conversation_id, result)
