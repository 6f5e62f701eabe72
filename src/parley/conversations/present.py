"""The public shapes: v3/v1 summaries (snake_case), the detail (camelCase), turns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from parley.conversations.summary import names_of
from parley.models.conversation import Conversation, ConversationTurn


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _entities(data: dict[str, Any]) -> list[dict[str, Any]]:
    found = data.get("entities") or {}
    if not isinstance(found, dict):
        return []
    return [{str(k): v if isinstance(v, list) else str(v)} for k, v in found.items()]


def _is_silence(turn: ConversationTurn) -> bool:
    return turn.index > 0 and not turn.user_input.strip()


def _is_ood(turn: ConversationTurn) -> bool:
    # Out of domain: the user said something and nothing (no topic, function or flow) handled it.
    data = turn.data or {}
    handled = data.get("topics") or data.get("functionCalls") or data.get("flow") or data.get("handoff")
    return turn.index > 0 and bool(turn.user_input.strip()) and not handled


def turn_v3(turn: ConversationTurn, *, include_latency: bool) -> dict[str, Any]:
    data = turn.data or {}
    shaped: dict[str, Any] = {
        "user_input": turn.user_input,
        "user_input_dtmf": "",
        "user_input_datetime": _iso(turn.user_input_at),
        "agent_response": turn.agent_response,
        "agent_response_datetime": _iso(turn.agent_response_at),
        "translated_user_input": "",
        "english_agent_response": "",
        "intents": [str(t) for t in data.get("topics") or []],
        "entities": _entities(data),
        "is_ood": _is_ood(turn),
        "is_silence": _is_silence(turn),
    }
    if include_latency:
        shaped["latency"] = round(turn.latency_ms / 1000, 6)
    return shaped


def turn_detail(turn: ConversationTurn) -> dict[str, Any]:
    """The v3 turn plus what the runtime recorded about it."""
    data = turn.data or {}
    return {
        **turn_v3(turn, include_latency=True),
        "index": turn.index,
        "topics": list(data.get("topics") or []),
        "function_calls": list(data.get("functionCalls") or []),
        "flow": data.get("flow"),
        "step": data.get("step"),
        "handoff": data.get("handoff"),
        "variant": data.get("variant"),
        "effects": list(data.get("effects") or []),
    }


def metrics(turns: list[ConversationTurn]) -> dict[str, Any]:
    """Metric name -> value, or the list of values when written more than once (spec)."""
    written: dict[str, list[str]] = {}
    for turn in turns:
        for effect in (turn.data or {}).get("effects") or []:
            if isinstance(effect, dict) and effect.get("type") == "write_metric":
                value = effect.get("value")
                written.setdefault(str(effect.get("name")), []).append("" if value is None else str(value))
    return {name: values[0] if len(values) == 1 else values for name, values in written.items()}


def _handoff(conversation: Conversation) -> bool:
    return conversation.handoff_destination is not None


def summary(
    conversation: Conversation, turns: list[ConversationTurn], *, include_latency: bool
) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "account_id": conversation.account_id,
        "project_id": conversation.agent_id,
        "variant_id": conversation.variant_id,
        "variant_name": conversation.variant_name,
        "environment": conversation.environment,
        "started_at": _iso(conversation.started_at),
        "channel": conversation.channel,
        "from_number": conversation.caller_number,
        "to_number": None,
        "in_progress": conversation.status == "active",
        "num_turns": conversation.turn_count,
        "total_duration": conversation.duration_seconds,
        "polyai_duration": conversation.duration_seconds,
        "handoff": _handoff(conversation),
        "handoff_reason": conversation.handoff_reason,
        "handoff_destination": conversation.handoff_destination,
        "num_silences": sum(1 for t in turns if _is_silence(t)),
        "num_ood": sum(1 for t in turns if _is_ood(t)),
        "metrics": metrics(turns),
        "state": dict((conversation.runtime or {}).get("state") or {}),
        "turns": [turn_v3(t, include_latency=include_latency) for t in turns],
    }


def detail(
    conversation: Conversation, turns: list[ConversationTurn], audio_url: str | None
) -> dict[str, Any]:
    runtime = conversation.runtime or {}
    function_events: dict[str, list[dict[str, Any]]] = {}
    for turn in turns:
        for call in (turn.data or {}).get("functionCalls") or []:
            if isinstance(call, dict):
                function_events.setdefault(str(call.get("name")), []).append({"turn": turn.index, **call})
    for call in runtime.get("endFunction") or []:
        if isinstance(call, dict):
            function_events.setdefault(str(call.get("name")), []).append({"turn": None, **call})
    return {
        "conversationId": conversation.id,
        "accountId": conversation.account_id,
        "projectId": conversation.agent_id,
        "createdAt": _iso(conversation.started_at),
        "startedAt": _iso(conversation.started_at),
        "finishedAt": _iso(conversation.ended_at),
        "channel": conversation.channel,
        "fromNumber": conversation.caller_number,
        "toNumber": None,
        "language": conversation.language,
        "variantId": conversation.variant_id,
        "variantName": conversation.variant_name,
        "clientEnv": conversation.environment,
        "totalDuration": conversation.duration_seconds,
        "polyaiDuration": conversation.duration_seconds,
        "duration": conversation.duration_seconds,
        "inProgress": conversation.status == "active",
        "status": conversation.status,
        "handoff": _handoff(conversation),
        "handoffDestination": conversation.handoff_destination,
        "handoffReason": conversation.handoff_reason,
        "direction": "inbound",
        "tags": [],
        "deploymentId": conversation.deployment_id,
        "branchId": conversation.branch_id,
        "version": conversation.version,
        "source": conversation.source,
        "audioUrl": audio_url,
        "topics": names_of(conversation.topic_names or ""),
        "functions": names_of(conversation.function_names or ""),
        "flows": names_of(conversation.flow_names or ""),
        "flow": runtime.get("flow"),
        "step": runtime.get("step"),
        "state": dict(runtime.get("state") or {}),
        "turns": [turn_detail(t) for t in turns],
        "metrics": metrics(turns),
        "functionEvents": function_events,
    }


V1_DESCRIPTIONS = {
    "id": "Unique ID for this conversation.",
    "account_id": "ID of the customer account this conversation is under.",
    "project_id": "ID of the project this conversation is under.",
    "variant_id": "ID of the variant this conversation is in.",
    "variant_name": "Name of the variant this conversation is in.",
    "environment": "Deployment environment: sandbox, pre-release or live.",
    "started_at": "Time when the conversation began, in ISO8601 format.",
    "channel": "Medium of the conversation: webchat, api, sms, whatsapp or voice.",
    "from_number": "Caller's phone number.",
    "to_number": "Phone number of the agent the caller was connected to.",
    "in_progress": "If true, the conversation is still in progress and its properties may change.",
    "num_turns": "Number of turns in the conversation.",
    "total_duration": "Duration of the entire conversation, in seconds.",
    "polyai_duration": "Duration of the portion handled by the agent, in seconds.",
    "handoff": "Whether the agent handed the conversation off.",
    "handoff_reason": "Brief reason why the agent handed the conversation off.",
    "handoff_destination": "Which handoff destination was used.",
    "num_silences": "Number of silence turns.",
    "num_ood": "Number of out-of-domain turns.",
    "metrics": "Mapping of metric name -> value(s).",
    "state": "Mapping of keys -> values written to the dialogue state.",
    "turns": "Ordered list of turns in the conversation.",
}
