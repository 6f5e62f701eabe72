"""The conversation engine: one user turn in, one agent reply (and its effects) out. No HTTP, no DB.

It works on a deployed artifact (the compiled JSON document) and a ``Session`` (the conversation's
runtime state, persisted by the caller between turns). User code runs through a FunctionRunner
(the sandbox); what to say and which tools to call is decided by a ModelProvider.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from parley.branches.names import clean_name
from parley.deployments.compiler import step_entry_name
from parley.runtime.functions import FunctionOutcome, FunctionRunner
from parley.runtime.providers.base import Decision, DecisionRequest, ModelProvider, Tool, ToolResult
from parley.runtime.retrieval import DEFAULT_THRESHOLD, IndexCache, TopicIndex

MAX_TOOL_ROUNDS = 3
MAX_STEP_HOPS = 10
FALLBACK_REPLY = "Sorry, I don't have an answer to that. Could you put it another way?"
_REFERENCE = re.compile(r"\{\{(\w+):([\w-]+)\}\}")
_DOLLAR_VARIABLE = re.compile(r"\$([A-Za-z_]\w*)")


@dataclass
class Session:
    """Everything about a conversation the engine needs between turns (JSON-serialisable)."""

    state: dict[str, Any] = field(default_factory=dict)
    flow: str | None = None  # current flow name
    step: str | None = None  # current step name
    entities: dict[str, Any] = field(default_factory=dict)
    variant: str | None = None  # variant name
    history: list[dict[str, str]] = field(default_factory=list)
    ended: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "flow": self.flow,
            "step": self.step,
            "entities": self.entities,
            "variant": self.variant,
            "history": self.history[-50:],
            "ended": self.ended,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Session:
        return cls(
            state=dict(data.get("state") or {}),
            flow=data.get("flow"),
            step=data.get("step"),
            entities=dict(data.get("entities") or {}),
            variant=data.get("variant"),
            history=list(data.get("history") or []),
            ended=bool(data.get("ended")),
        )


@dataclass(frozen=True)
class Context:
    """What the channel and deployment say about this conversation."""

    environment: str
    channel: str
    caller_number: str | None = None
    integration_attributes: dict[str, Any] = field(default_factory=dict)
    real_time_config: dict[str, Any] = field(default_factory=dict)
    today: date | None = None


@dataclass
class TurnOutcome:
    response: str = ""
    end_conversation: bool = False
    handoff: dict[str, Any] | None = None
    topics: list[str] = field(default_factory=list)
    function_calls: list[dict[str, Any]] = field(default_factory=list)
    effects: list[dict[str, Any]] = field(default_factory=list)
    entities: dict[str, Any] = field(default_factory=dict)
    node_trace: list[str] = field(default_factory=list)

    def say(self, text: str | None) -> None:
        if text and text.strip():
            self.response = f"{self.response}\n{text.strip()}" if self.response else text.strip()


class Agent:
    """A deployed artifact with lookup tables, built once per version."""

    def __init__(self, key: tuple[str, str], content: dict[str, Any], index: TopicIndex) -> None:
        self.key = key
        self.content = content
        self.index = index
        self.functions = {clean_name(f["name"]): f for f in content.get("functions", [])}
        self.flows = {clean_name(f["name"]): f for f in content.get("flows", [])}
        self.entities = {clean_name(e["name"]): e for e in content.get("entities", [])}
        self.handoffs = {clean_name(h["name"]): h for h in content.get("handoffs", [])}
        self.sms_templates = {clean_name(t["name"]): t for t in content.get("smsTemplates", [])}
        self.variants = {clean_name(v["name"]): v for v in content.get("variants", [])}
        self.attribute_names = {a["id"]: a["name"] for a in content.get("attributes", [])}
        self.function_sources = {str(f["name"]): str(f.get("code", "")) for f in content.get("functions", [])}
        self.all_variant_attributes = {
            str(v["name"]): self.variant_attributes(str(v["name"])) for v in content.get("variants", [])
        }

    def step(self, flow: str | None, step: str | None) -> dict[str, Any] | None:
        if flow is None or step is None:
            return None
        found = self.flows.get(clean_name(flow))
        if found is None:
            return None
        return next((s for s in found.get("steps", []) if clean_name(s["name"]) == clean_name(step)), None)

    def flow_function(self, flow: str | None, name: str) -> dict[str, Any] | None:
        found = self.flows.get(clean_name(flow or ""))
        if found is None:
            return None
        return next(
            (f for f in found.get("functions", []) if clean_name(f["name"]) == clean_name(name)), None
        )

    def default_variant(self) -> str | None:
        default = next((v for v in self.content.get("variants", []) if v.get("isDefault")), None)
        return default["name"] if default else None

    def variant_attributes(self, variant: str | None) -> dict[str, str]:
        found = self.variants.get(clean_name(variant or ""))
        values = ((found or {}).get("attributeValues") or {}).get("values") or {}
        return {self.attribute_names.get(k, k): v for k, v in values.items()}


class Engine:
    def __init__(
        self,
        runner: FunctionRunner,
        provider: ModelProvider,
        indexes: IndexCache | None = None,
        retrieval_threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        self.runner = runner
        self.provider = provider
        self.indexes = indexes or IndexCache()
        self._agents: OrderedDict[tuple[str, str], Agent] = OrderedDict()
        self.retrieval_threshold = retrieval_threshold

    async def load(self, key: tuple[str, str], content: dict[str, Any]) -> Agent:
        # Building a BM25 index is CPU work: keep it off the event loop. Finding a built one is not,
        # and a thread hop per turn would cost more than the lookup.
        agent = self._agents.get(key)
        if agent is not None:
            self._agents.move_to_end(key)
            return agent
        index = self.indexes.cached(key)
        if index is None:
            index = await asyncio.to_thread(self.indexes.get, key, list(content.get("topics", [])))
        # The key's version is the content's hash, so one Agent per key serves every turn on it.
        agent = self._agents[key] = Agent(key, content, index)
        if len(self._agents) > self.indexes.max_entries:
            self._agents.popitem(last=False)
        return agent

    # --- conversation lifecycle ---------------------------------------------------------------

    async def start(
        self, agent: Agent, context: Context, variant: str | None = None
    ) -> tuple[Session, TurnOutcome]:
        session = Session(variant=variant or agent.default_variant())
        outcome = TurnOutcome()
        start_function = agent.content.get("startFunction")
        if start_function:
            result = await self._run(
                agent, context, session, outcome, "start_function", start_function["code"], {}
            )
            self._apply(agent, context, session, outcome, result, flow_scope=None)
        greeting = str((agent.content.get("agent", {}).get("responseSettings") or {}).get("greeting", ""))
        spoken_by_start = outcome.response
        outcome.response = ""
        outcome.say(self.substitute(agent, session, greeting))
        outcome.say(spoken_by_start)
        if session.flow and not outcome.end_conversation:
            await self._enter_step(agent, context, session, outcome)
        self._remember(session, None, outcome.response)
        return session, outcome

    async def respond(self, agent: Agent, context: Context, session: Session, message: str) -> TurnOutcome:
        outcome = TurnOutcome()
        session.history.append({"role": "user", "text": message})
        if session.flow and agent.step(session.flow, session.step):
            await self._flow_turn(agent, context, session, outcome, message)
        else:
            session.flow = session.step = None
            await self._knowledge_turn(agent, context, session, outcome, message)
        if not outcome.response and not outcome.end_conversation:
            outcome.say(FALLBACK_REPLY)
        self._remember(session, message, outcome.response, user_recorded=True)
        return outcome

    async def finish(self, agent: Agent, context: Context, session: Session) -> TurnOutcome:
        """Runs end_function once the conversation is over; its effects are recorded only."""
        outcome = TurnOutcome()
        session.ended = True
        end_function = agent.content.get("endFunction")
        if end_function:
            await self._run(agent, context, session, outcome, "end_function", end_function["code"], {})
        return outcome

    # --- turns ---------------------------------------------------------------------------------

    async def _knowledge_turn(
        self, agent: Agent, context: Context, session: Session, outcome: TurnOutcome, message: str
    ) -> None:
        matches = agent.index.search(message, threshold=self.retrieval_threshold)
        topics = [m.topic for m in matches]
        outcome.topics = [str(t["name"]) for t in topics]
        outcome.node_trace.append("knowledge_base")
        tools: list[Tool] = []
        if topics:
            actions = str(topics[0].get("actions", ""))
            for prefix, name in _REFERENCE.findall(actions):
                function = agent.functions.get(clean_name(name)) if prefix == "fn" else None
                if function:
                    tools.append(_tool(function, "global"))
        decision = await self._decide(
            agent, context, session, outcome, message, topics=topics, step=None, tools=tools, entities=[]
        )
        outcome.say(self.substitute(agent, session, decision.reply or ""))
        if topics and not outcome.end_conversation:
            self._topic_actions(agent, context, session, outcome, str(topics[0].get("actions", "")))
        if session.flow and not outcome.end_conversation:
            await self._enter_step(agent, context, session, outcome)

    async def _flow_turn(
        self, agent: Agent, context: Context, session: Session, outcome: TurnOutcome, message: str
    ) -> None:
        step = agent.step(session.flow, session.step)
        assert step is not None
        position = (session.flow, session.step)
        outcome.node_trace.append(f"{session.flow}/{session.step}")
        tools: list[Tool] = []
        wanted: list[dict[str, Any]] = []
        if step.get("stepType") == "advanced":
            for prefix, name in _REFERENCE.findall(str(step.get("prompt", ""))):
                function = (
                    agent.flow_function(session.flow, name)
                    if prefix == "ft"
                    else agent.functions.get(clean_name(name))
                )
                if function:
                    tools.append(_tool(function, "flow" if prefix == "ft" else "global"))
        else:
            names = list(step.get("extractedEntities") or [])
            for condition in step.get("conditions") or []:
                names += list(condition.get("requiredEntities") or [])
            wanted = [
                agent.entities[clean_name(n)] for n in dict.fromkeys(names) if clean_name(n) in agent.entities
            ]
        decision = await self._decide(
            agent, context, session, outcome, message, topics=[], step=step, tools=tools, entities=wanted
        )
        session.entities.update(decision.entities)
        outcome.entities.update(decision.entities)
        if outcome.end_conversation:
            return
        moved = (session.flow, session.step) != position
        if not moved and step.get("stepType") != "advanced":
            moved = self._follow_conditions(session, outcome, step)
        if moved:
            if session.flow:
                await self._enter_step(agent, context, session, outcome)
            else:
                if step.get("stepType") == "advanced":
                    outcome.say(self.substitute(agent, session, decision.reply or ""))
            return
        if step.get("stepType") == "advanced":
            outcome.say(self.substitute(agent, session, decision.reply or ""))
        else:
            # Still missing what the conditions need: ask again.
            outcome.say(self.substitute(agent, session, str(step.get("prompt", ""))))

    def _follow_conditions(self, session: Session, outcome: TurnOutcome, step: dict[str, Any]) -> bool:
        for condition in step.get("conditions") or []:
            required = [clean_name(n) for n in condition.get("requiredEntities") or []]
            filled = {clean_name(k) for k, v in session.entities.items() if v is not None}
            if not all(name in filled for name in required):
                continue
            outcome.node_trace.append(f"condition:{condition.get('name')}")
            if condition.get("conditionType") == "exit_flow" or not condition.get("childStep"):
                session.flow = session.step = None
            else:
                session.step = str(condition["childStep"])
            return True
        return False

    async def _enter_step(
        self, agent: Agent, context: Context, session: Session, outcome: TurnOutcome
    ) -> None:
        """Speak the new step's prompt, or run function steps until a speaking step is reached."""
        for _ in range(MAX_STEP_HOPS):
            if session.flow and session.step is None:
                flow = agent.flows.get(clean_name(session.flow))
                session.step = str(flow.get("startStep")) if flow and flow.get("startStep") else None
            step = agent.step(session.flow, session.step)
            if step is None:
                session.flow = session.step = None
                return
            outcome.node_trace.append(f"{session.flow}/{session.step}")
            if step.get("stepType") != "function":
                outcome.say(self.substitute(agent, session, str(step.get("prompt", ""))))
                return
            position = (session.flow, session.step)
            result = await self._run(
                agent,
                context,
                session,
                outcome,
                step_entry_name(step),
                str(step.get("code", "")),
                {},
                with_flow=True,
            )
            self._apply(agent, context, session, outcome, result, flow_scope=session.flow)
            if outcome.end_conversation or (session.flow, session.step) == position:
                if (session.flow, session.step) == position:
                    # A function step that routes nowhere leaves the flow rather than loop forever.
                    session.flow = session.step = None
                return
        session.flow = session.step = None

    async def _decide(
        self,
        agent: Agent,
        context: Context,
        session: Session,
        outcome: TurnOutcome,
        message: str,
        *,
        topics: list[dict[str, Any]],
        step: dict[str, Any] | None,
        tools: list[Tool],
        entities: list[dict[str, Any]],
    ) -> Decision:
        request = DecisionRequest(
            system_prompt=self.substitute(agent, session, str(agent.content.get("behavior", ""))),
            history=list(session.history[-20:]),
            message=message,
            topics=topics,
            step=step,
            step_prompt=self.substitute(agent, session, str(step.get("prompt", ""))) if step else None,
            tools=tools,
            entities=entities,
            today=(context.today or date.today()).isoformat(),
        )
        decision = Decision()
        by_name = {t.name: t for t in tools}
        # Entities a provider reports in a round that also called tools must not be lost.
        found: dict[str, Any] = {}
        for _ in range(MAX_TOOL_ROUNDS + 1):
            decision = await self.provider.decide(request)
            found.update(decision.entities)
            if not decision.tool_calls or outcome.end_conversation:
                return Decision(reply=decision.reply, entities=found)
            for call in decision.tool_calls:
                tool = by_name.get(call.name)
                if tool is None:
                    request.tool_results.append(
                        ToolResult(call.name, call.arguments, f"No tool named {call.name}.")
                    )
                    continue
                function = (
                    agent.flow_function(session.flow, tool.name)
                    if tool.scope == "flow"
                    else agent.functions.get(clean_name(tool.name))
                )
                assert function is not None
                result = await self._run(
                    agent,
                    context,
                    session,
                    outcome,
                    str(function["name"]),
                    str(function.get("code", "")),
                    call.arguments,
                    with_flow=tool.scope == "flow",
                )
                content = self._apply(agent, context, session, outcome, result, flow_scope=session.flow)
                request.tool_results.append(ToolResult(call.name, call.arguments, content))
                if outcome.end_conversation:
                    return Decision(reply=None, entities=found)
        return Decision(reply=decision.reply, entities=found)

    # --- functions and their effects ---------------------------------------------------------------

    async def _run(
        self,
        agent: Agent,
        context: Context,
        session: Session,
        outcome: TurnOutcome,
        name: str,
        code: str,
        args: dict[str, Any],
        *,
        with_flow: bool = False,
    ) -> FunctionOutcome:
        result = await self.runner.run(
            code, name, args, self._function_context(agent, context, session), with_flow=with_flow
        )
        record: dict[str, Any] = {"name": name, "arguments": args}
        if result.ok:
            record["result"] = result.return_value
            session.state = dict(result.state)
        else:
            record["error"] = result.error
        outcome.function_calls.append(record)
        return result

    def _function_context(self, agent: Agent, context: Context, session: Session) -> dict[str, Any]:
        flow = agent.flows.get(clean_name(session.flow or ""))
        return {
            "state": session.state,
            "variant": agent.variant_attributes(session.variant),
            "variant_name": session.variant,
            "variants": agent.all_variant_attributes,
            "functions": agent.function_sources,
            "flow": {
                "name": session.flow,
                "current_step": session.step,
                "functions": {
                    str(f["name"]): str(f.get("code", "")) for f in (flow or {}).get("functions", [])
                },
            },
            "entities": session.entities,
            "history": session.history[-50:],
            "env": context.environment,
            "channel": context.channel,
            "caller_number": context.caller_number,
            "real_time_config": context.real_time_config,
            "integration_attributes": context.integration_attributes,
            "current_flow": session.flow,
            "current_step": session.step,
        }

    def _apply(
        self,
        agent: Agent,
        context: Context,
        session: Session,
        outcome: TurnOutcome,
        result: FunctionOutcome,
        *,
        flow_scope: str | None,
    ) -> str:
        """Apply a function's effects and return value; returns what a model would be told."""
        if not result.ok:
            return "The function failed."
        for effect in result.effects:
            kind = effect.get("type")
            if kind == "say":
                outcome.say(str(effect.get("text", effect.get("utterance", ""))))
            elif kind == "goto_flow":
                self._goto_flow(agent, session, outcome, str(effect.get("flow", effect.get("name", ""))))
            elif kind == "goto_step" and (flow_scope or session.flow):
                session.flow = session.flow or flow_scope
                session.step = str(effect.get("step", effect.get("name", "")))
            elif kind == "exit_flow":
                session.flow = session.step = None
            elif kind in ("handoff", "call_handoff"):
                self._handoff(
                    agent,
                    session,
                    outcome,
                    effect.get("destination"),
                    effect.get("reason"),
                    effect.get("utterance"),
                )
            elif kind == "set_variant":
                session.variant = str(effect.get("name", effect.get("variant", ""))) or session.variant
            elif kind in ("send_sms_template", "send_sms"):
                self._sms(agent, context, session, outcome, effect)
            elif kind == "hangup":
                outcome.end_conversation = True
            else:
                outcome.effects.append(dict(effect))
        return self._return_value(agent, session, outcome, result.return_value)

    def _return_value(self, agent: Agent, session: Session, outcome: TurnOutcome, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if not isinstance(value, dict):
            return str(value)
        if "utterance" in value:
            outcome.say(str(value["utterance"]))
        if isinstance(value.get("handoff"), dict):
            handoff = value["handoff"]
            self._handoff(agent, session, outcome, handoff.get("destination"), handoff.get("reason"), None)
        if value.get("hangup"):
            outcome.end_conversation = True
        if isinstance(value.get("variant"), str):
            session.variant = value["variant"]
        transition = value.get("transition")
        if isinstance(transition, dict):
            if transition.get("goto_flow"):
                self._goto_flow(agent, session, outcome, str(transition["goto_flow"]))
            if transition.get("goto_step") and session.flow:
                session.step = str(transition["goto_step"])
        return str(value.get("content", ""))

    def _goto_flow(self, agent: Agent, session: Session, outcome: TurnOutcome, name: str) -> None:
        flow = agent.flows.get(clean_name(name))
        if flow is None:
            outcome.effects.append({"type": "error", "message": f"goto_flow: no flow named '{name}'"})
            return
        session.flow = str(flow["name"])
        session.step = None  # resolved to the start step when entered

    def _handoff(
        self,
        agent: Agent,
        session: Session,
        outcome: TurnOutcome,
        destination: Any,
        reason: Any,
        utterance: Any,
    ) -> None:
        handoff = agent.handoffs.get(clean_name(str(destination or "")))
        outcome.handoff = {
            "destination": str(destination or ""),
            "reason": str(reason or (handoff or {}).get("reason") or ""),
        }
        if handoff is not None:
            outcome.handoff["method"] = handoff.get("method")
            outcome.handoff["number"] = handoff.get("destination")
        if utterance:
            outcome.say(str(utterance))
        outcome.end_conversation = True
        session.flow = session.step = None

    def _sms(
        self, agent: Agent, context: Context, session: Session, outcome: TurnOutcome, effect: dict[str, Any]
    ) -> None:
        record = dict(effect)
        record["type"] = "sms"
        template_name = effect.get("template")
        if template_name is not None:
            template = agent.sms_templates.get(clean_name(str(template_name)))
            if template is None:
                outcome.effects.append(
                    {"type": "error", "message": f"send_sms_template: no template '{template_name}'"}
                )
                return
            record["template"] = template["name"]
            record["content"] = self.substitute(agent, session, str(template.get("text", "")))
            record["from"] = (template.get("envPhoneNumbers") or {}).get(context.environment)
        if effect.get("fromNumber"):
            record["from"] = effect["fromNumber"]
        record["to"] = effect.get("toNumber") or effect.get("to_number") or context.caller_number
        outcome.effects.append(record)

    def _topic_actions(
        self, agent: Agent, context: Context, session: Session, outcome: TurnOutcome, actions: str
    ) -> None:
        for prefix, name in _REFERENCE.findall(actions):
            if prefix == "ho":
                self._handoff(agent, session, outcome, name, None, None)
            elif prefix in ("sms", "twilio_sms"):
                self._sms(agent, context, session, outcome, {"type": "send_sms_template", "template": name})

    # --- text ------------------------------------------------------------------------------------

    def substitute(self, agent: Agent, session: Session, text: str) -> str:
        """Fill attr/vrbl/entity references; drop tool references, which are not for speaking."""
        attributes = {clean_name(k): v for k, v in agent.variant_attributes(session.variant).items()}
        entities = {clean_name(k): v for k, v in session.entities.items()}

        def replace(match: re.Match[str]) -> str:
            prefix, name = match.group(1), match.group(2)
            if prefix == "attr":
                return str(attributes.get(clean_name(name), ""))
            if prefix == "vrbl":
                value = session.state.get(name)
                return "" if value is None else str(value)
            if prefix == "entity":
                value = entities.get(clean_name(name))
                return "" if value is None else str(value)
            return ""

        text = _REFERENCE.sub(replace, text)
        text = _DOLLAR_VARIABLE.sub(lambda m: str(session.state.get(m.group(1), m.group(0))), text)
        return re.sub(r"[ \t]{2,}", " ", text).strip()

    def _remember(
        self, session: Session, message: str | None, reply: str, user_recorded: bool = False
    ) -> None:
        if message is not None and not user_recorded:
            session.history.append({"role": "user", "text": message})
        if reply:
            session.history.append({"role": "agent", "text": reply})
        del session.history[:-50]


def _tool(function: dict[str, Any], scope: str) -> Tool:
    return Tool(
        name=str(function["name"]),
        description=str(function.get("description", "")),
        parameters=list(function.get("parameters") or []),
        scope=scope,
    )
