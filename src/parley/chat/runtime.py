"""Starting, continuing and closing conversations: the one service every transport calls.

Chat, debug chat and webchat are thin adapters around this. It resolves what to talk to (an
environment's active deployment, or a branch compiled on the fly), runs the engine, and writes
the conversation and its turns.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.agents.repository import AgentRef, AgentRepository
from parley.agents.service import MAIN_BRANCH
from parley.branches.names import clean_name
from parley.branches.repository import BranchRepository
from parley.chat.repository import ConversationRepository, new_conversation
from parley.config import SmsSettings
from parley.conversations.records import LiveConversation, TurnRecord
from parley.conversations.summary import record_end, record_turn
from parley.deployments.artifacts import ArtifactCache
from parley.deployments.compiler import compile_branch
from parley.deployments.environments import ENVIRONMENTS, SANDBOX
from parley.errors import (
    ChatConversationEnded,
    ChatDraftDeploymentFailed,
    ChatDraftNotExist,
    ChatTimeout,
    Conflict,
    ConversationsNotFound,
    ParleyError,
    VariantNotFound,
)
from parley.kit.db import utcnow
from parley.kit.ids import new_id
from parley.models import Agent as AgentModel
from parley.realtime.service import real_time_variables
from parley.runtime.engine import Agent, Context, Engine, Session, TurnOutcome
from parley.sms.delivery import deliver_turn

DRAFT = "draft"
# What the runtime is told about the agent: the full model, or only its identity (chat turns).
AgentLike = AgentModel | AgentRef


@dataclass(frozen=True)
class RuntimeDeps:
    engine: Engine
    artifacts: ArtifactCache
    chat_timeout_seconds: float
    # None: the SMS settings of the environment (PARLEY_SMS_*).
    sms: SmsSettings | None = None


@dataclass(frozen=True)
class StartOptions:
    environment: str
    channel: str
    source: str
    branch_ref: str | None = None
    conversation_id: str | None = None
    variant_id: str | None = None
    integration_attributes: dict[str, Any] = field(default_factory=dict)
    connector_id: str | None = None
    caller_number: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Exchange:
    conversation: LiveConversation
    outcome: TurnOutcome
    user_input: str
    session: Session


class ConversationRuntime:
    def __init__(self, session: AsyncSession, deps: RuntimeDeps) -> None:
        self.session = session
        self.deps = deps
        self.repo = ConversationRepository(session)

    async def start(self, agent_model: AgentLike, options: StartOptions) -> Exchange:
        started = time.perf_counter()
        if options.conversation_id and await self.repo.exists(options.conversation_id):
            raise Conflict(f"Conversation '{options.conversation_id}' already exists.")
        version, deployment_id, branch_id, content = await self._artifact_for_start(agent_model, options)
        agent = await self.deps.engine.load((agent_model.id, version), content)
        variant_name = _variant_name(content, options.variant_id)
        context = await self._context(agent_model.id, options.environment, options.channel, options)
        session, outcome = await self.deps.engine.start(agent, context, variant_name)
        conversation = new_conversation(
            utcnow(),
            id=options.conversation_id or new_id("CONV", 16),
            account_id=agent_model.account_id,
            agent_id=agent_model.id,
            environment=options.environment,
            branch_id=branch_id,
            deployment_id=deployment_id,
            version=version,
            channel=options.channel,
            source=options.source,
            connector_id=options.connector_id,
            variant_id=_variant_id(content, session.variant),
            variant_name=session.variant,
            language=options.language
            or str((content.get("agent", {}).get("responseSettings") or {}).get("languageCode") or "en-GB"),
            caller_number=options.caller_number,
            integration_attributes=options.integration_attributes,
        )
        await deliver_turn(self.session, self.deps.sms, agent.sms_templates, conversation, outcome, "")
        turn = self._record(conversation, session, outcome, "", started, index=0)
        await self.repo.insert(conversation, turn)
        return Exchange(conversation, outcome, "", session)

    async def message(self, agent_model: AgentLike, conversation_id: str, text: str) -> Exchange:
        started = time.perf_counter()
        conversation = await self._live_conversation(agent_model, conversation_id)
        content, agent, context = await self._resume(agent_model, conversation)
        session = Session.from_json(conversation.runtime)
        outcome = await self.deps.engine.respond(agent, context, session, text)
        conversation.variant_name = session.variant
        conversation.variant_id = _variant_id(content, session.variant)
        await deliver_turn(self.session, self.deps.sms, agent.sms_templates, conversation, outcome, text)
        turn = self._record(conversation, session, outcome, text, started, index=conversation.turn_count)
        if outcome.end_conversation:
            await self._end(agent, context, conversation, session, "ended")
        await self.repo.save(conversation, turn)
        return Exchange(conversation, outcome, text, session)

    async def close(self, agent_model: AgentLike, conversation_id: str) -> LiveConversation:
        conversation = await self._live_conversation(agent_model, conversation_id)
        _, agent, context = await self._resume(agent_model, conversation)
        await self._end(agent, context, conversation, Session.from_json(conversation.runtime), "closed")
        await self.repo.save(conversation)
        return conversation

    async def get(self, agent_model: AgentLike, conversation_id: str) -> LiveConversation:
        conversation = await self.repo.get(agent_model.id, conversation_id)
        if conversation is None:
            raise ConversationsNotFound(f"Conversation '{conversation_id[:100]}' does not exist.")
        return conversation

    async def idle_conversation(
        self, agent_model: AgentLike, conversation_id: str
    ) -> LiveConversation | None:
        """The conversation, if it is still active and has been idle past the timeout."""
        conversation = await self.repo.get(agent_model.id, conversation_id)
        if conversation is None or conversation.status != "active" or not self._idle(conversation):
            return None
        return conversation

    async def time_out(self, agent_model: AgentLike, conversation: LiveConversation) -> None:
        """Ends an idle conversation: end_function runs, the conversation is timed out."""
        try:
            _, agent, context = await self._resume(agent_model, conversation)
        except ParleyError:
            # Its deployment or draft is gone, so there is no end_function left to run.
            _mark_ended(conversation, "timed_out")
        else:
            session = Session.from_json(conversation.runtime)
            await self._end(agent, context, conversation, session, "timed_out")
        await self.repo.save(conversation)

    # --- internals ---------------------------------------------------------------------------------

    async def _live_conversation(self, agent_model: AgentLike, conversation_id: str) -> LiveConversation:
        conversation = await self.get(agent_model, conversation_id)
        if conversation.status == "timed_out":
            raise ChatTimeout("The conversation timed out after a period of inactivity.")
        if conversation.status != "active":
            raise ChatConversationEnded(f"Conversation '{conversation.id}' has already ended.")
        if self._idle(conversation):
            # Claimed first: a sweeper in another process may be ending it at the same moment.
            if await self.repo.claim_idle(conversation.id, conversation.last_activity_at):
                await self.time_out(agent_model, conversation)
            # Recorded even though the request fails: the conversation is over from now on.
            raise ChatTimeout("The conversation timed out after a period of inactivity.", persist=True)
        return conversation

    def _idle(self, conversation: LiveConversation) -> bool:
        idle = utcnow() - conversation.last_activity_at
        return idle > timedelta(seconds=self.deps.chat_timeout_seconds)

    async def _resume(
        self, agent_model: AgentLike, conversation: LiveConversation
    ) -> tuple[dict[str, Any], Agent, Context]:
        """What an existing conversation runs on: its artifact, that artifact loaded, its context."""
        content = await self._artifact_for(agent_model, conversation)
        agent = await self.deps.engine.load((agent_model.id, conversation.version), content)
        context = await self._context(
            agent_model.id, conversation.environment, conversation.channel, None, conversation
        )
        return content, agent, context

    async def _artifact_for_start(
        self, agent_model: AgentLike, options: StartOptions
    ) -> tuple[str, str | None, str | None, dict[str, Any]]:
        if options.environment == DRAFT:
            branch_ref = options.branch_ref or MAIN_BRANCH
            branch = await BranchRepository(self.session).by_ref(agent_model.id, branch_ref)
            if branch is None:
                raise ChatDraftNotExist(
                    f"Branch '{branch_ref[:100]}' does not exist, so there is no draft to chat with."
                )
            version, content = await self._compile_draft(agent_model, branch.id)
            return version, None, branch.id, content
        if options.environment not in ENVIRONMENTS:
            raise ChatDraftNotExist(f"There is no '{options.environment[:50]}' environment to chat with.")
        active = await self.deps.artifacts.active(self.session, agent_model.id, options.environment)
        if active is None:
            raise ChatDraftNotExist(f"Nothing is deployed to {options.environment} for this agent.")
        deployment, content = active
        return deployment.version, deployment.id, None, content

    async def _artifact_for(self, agent_model: AgentLike, conversation: LiveConversation) -> dict[str, Any]:
        if conversation.environment == DRAFT:
            if conversation.branch_id is None:
                raise ChatDraftNotExist("The draft of this conversation no longer exists.")
            # Debug chat follows the branch as it is edited: recompile, keep the conversation.
            version, content = await self._compile_draft(agent_model, conversation.branch_id)
            conversation.version = version
            return content
        deployed = await self.deps.artifacts.load(self.session, agent_model.id, conversation.version)
        if deployed is None:
            raise ChatDraftNotExist("The deployment this conversation runs on no longer exists.")
        return deployed

    async def _compile_draft(self, agent_model: AgentLike, branch_id: str) -> tuple[str, dict[str, Any]]:
        branch = await BranchRepository(self.session).by_ref(agent_model.id, branch_id)
        if branch is None:
            raise ChatDraftNotExist("The branch of this draft no longer exists.")
        full_agent = agent_model if isinstance(agent_model, AgentModel) else await self._full(agent_model)
        compiled = await compile_branch(self.session, full_agent, branch)
        if not compiled.ok:
            raise ChatDraftDeploymentFailed(
                f"The draft has {len(compiled.errors)} error(s) and cannot run.",
                data={"errors": [e.as_dict() for e in compiled.errors]},
            )
        return compiled.version, compiled.content

    async def _full(self, agent: AgentRef) -> AgentModel:
        found = await AgentRepository(self.session).get(agent.id)
        if found is None:
            raise ChatDraftNotExist("The agent of this draft no longer exists.")
        return found

    async def _context(
        self,
        agent_id: str,
        environment: str,
        channel: str,
        options: StartOptions | None,
        conversation: LiveConversation | None = None,
    ) -> Context:
        config_env = SANDBOX if environment == DRAFT else environment
        return Context(
            environment=environment,
            channel=channel,
            caller_number=options.caller_number
            if options
            else (conversation.caller_number if conversation else None),
            integration_attributes=dict(
                options.integration_attributes
                if options
                else (conversation.integration_attributes if conversation else {})
            ),
            real_time_config=await real_time_variables(self.session, agent_id, config_env),
        )

    def _record(
        self,
        conversation: LiveConversation,
        session: Session,
        outcome: TurnOutcome,
        user_input: str,
        started: float,
        *,
        index: int,
    ) -> TurnRecord:
        """Records the turn on the conversation in memory; the caller writes both."""
        now = utcnow()
        conversation.runtime = session.to_json()
        conversation.turn_count = index + 1
        conversation.last_activity_at = now
        if outcome.handoff:
            conversation.handoff_destination = str(outcome.handoff.get("destination") or "")[:200]
            conversation.handoff_reason = str(outcome.handoff.get("reason") or "")[:500]
        turn = TurnRecord(
            conversation_id=conversation.id,
            index=index,
            user_input=user_input,
            agent_response=outcome.response,
            user_input_at=now if index > 0 else None,
            agent_response_at=now,
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
            data={
                "topics": outcome.topics,
                "functionCalls": outcome.function_calls,
                "entities": outcome.entities,
                "flow": session.flow,
                "step": session.step,
                "handoff": outcome.handoff,
                "effects": outcome.effects,
                "nodeTrace": outcome.node_trace,
                "variant": session.variant,
            },
        )
        record_turn(conversation, turn)
        return turn

    async def _end(
        self, agent: Agent, context: Context, conversation: LiveConversation, session: Session, status: str
    ) -> None:
        finished = await self.deps.engine.finish(agent, context, session)
        _mark_ended(conversation, status)
        conversation.runtime = {**session.to_json(), "endFunction": finished.function_calls}


def _mark_ended(conversation: LiveConversation, status: str) -> None:
    conversation.status = status
    conversation.ended_at = utcnow()
    record_end(conversation)


def _variant_name(content: dict[str, Any], variant_id: str | None) -> str | None:
    if variant_id is None:
        return None
    for variant in content.get("variants", []):
        if variant.get("id") == variant_id or clean_name(str(variant.get("name"))) == clean_name(variant_id):
            return str(variant["name"])
    raise VariantNotFound(f"Variant '{variant_id[:100]}' does not exist in this deployment.")


def _variant_id(content: dict[str, Any], variant_name: str | None) -> str | None:
    if variant_name is None:
        return None
    for variant in content.get("variants", []):
        if clean_name(str(variant.get("name"))) == clean_name(variant_name):
            return str(variant.get("id"))
    return None
