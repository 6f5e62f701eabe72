"""Namespaces of the build API: branches and everything that lives on a branch.

Branch-scoped calls take ``agent_id`` and ``branch_id`` first; ``branch_id`` is the id that
``branches.create`` returned, or ``"main"`` (read-only). Optional fields left as ``None`` are not
sent, so the server's defaults apply (or, in an update, the field stays as it is).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from parley.sdk._resources import Namespace, compact, path
from parley.sdk._transfer import NOT_GIVEN, CsvSource, NotGiven, TextNamespace, given

_Obj = TypeVar("_Obj")
_Arr = TypeVar("_Arr")
_Nil = TypeVar("_Nil")
_Txt = TypeVar("_Txt")


def _branch(agent_id: str, branch_id: str, tail: str = "", *ids: str) -> str:
    return path("/v1/agents/{}/branches/{}" + tail, agent_id, branch_id, *ids)


def _listed(values: Sequence[Any] | None) -> list[Any] | None:
    return list(values) if values is not None else None


def _mapped(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return dict(values) if values is not None else None


def _settings(blocks: Mapping[str, Mapping[str, Any]] | None) -> dict[str, dict[str, Any]]:
    return {name: dict(block) for name, block in (blocks or {}).items()}


class BranchesAPI(Namespace[_Obj, _Arr, _Nil]):
    """Branches of an agent; every agent has ``main``, and new branches start as a copy of it."""

    def list(self, agent_id: str, *, correlation_id: str | None = None) -> _Obj:
        """``{branches: [...]}``, main first."""
        return self._object("GET", path("/v1/agents/{}/branches", agent_id), correlation_id)

    def create(self, agent_id: str, name: str, *, correlation_id: str | None = None) -> _Obj:
        """``{branchId, sequenceId}``."""
        url = path("/v1/agents/{}/branches", agent_id)
        return self._object("POST", url, correlation_id, json={"branchName": name})

    def delete(self, agent_id: str, branch_id: str, *, correlation_id: str | None = None) -> _Obj:
        return self._object("DELETE", _branch(agent_id, branch_id), correlation_id)

    def merge(
        self,
        agent_id: str,
        branch_id: str,
        *,
        conflict_resolutions: Sequence[Mapping[str, Any]] | None = None,
        deployment_message: str | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        """Merge into main, which is then published to sandbox.

        A conflict raises ``BranchMergeConflictError`` with ``data["conflicts"]``; settle each with
        ``{"path": [...], "strategy": "ours" | "theirs" | "base"}`` (ours is the branch).
        """
        body = compact(
            conflictResolutions=[dict(r) for r in conflict_resolutions] if conflict_resolutions else None,
            deploymentMessage=deployment_message,
        )
        return self._object("POST", _branch(agent_id, branch_id, "/merge"), correlation_id, json=body)

    def export(self, agent_id: str, branch_id: str, *, correlation_id: str | None = None) -> _Obj:
        """The whole branch as one agent document (no ids), for ``import_``."""
        return self._object("GET", _branch(agent_id, branch_id, "/export"), correlation_id)

    def import_(
        self,
        agent_id: str,
        branch_id: str,
        document: Mapping[str, Any],
        *,
        correlation_id: str | None = None,
    ) -> _Obj:
        """Replace the branch's content with an agent document, all or nothing: ``{imported: {...}}``."""
        url = _branch(agent_id, branch_id, "/import")
        return self._object("POST", url, correlation_id, json=dict(document))


class BehaviorAPI(Namespace[_Obj, _Arr, _Nil]):
    """The branch's behavior (rules) prompt."""

    def get(self, agent_id: str, branch_id: str, *, correlation_id: str | None = None) -> _Obj:
        """``{behavior}``."""
        return self._object("GET", _branch(agent_id, branch_id, "/behavior"), correlation_id)

    def update(
        self, agent_id: str, branch_id: str, behavior: str, *, correlation_id: str | None = None
    ) -> _Obj:
        url = _branch(agent_id, branch_id, "/behavior")
        return self._object("PATCH", url, correlation_id, json={"behavior": behavior})


class TopicsAPI(TextNamespace[_Obj, _Arr, _Nil, _Txt]):
    """Knowledge-base topics."""

    def list(self, agent_id: str, branch_id: str, *, correlation_id: str | None = None) -> _Arr:
        return self._list("GET", _branch(agent_id, branch_id, "/knowledge-base/topics"), correlation_id)

    def create(
        self,
        agent_id: str,
        branch_id: str,
        *,
        name: str,
        content: str,
        actions: str | None = None,
        example_queries: Sequence[str] | None = None,
        is_active: bool | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        body = compact(
            name=name,
            content=content,
            actions=actions,
            exampleQueries={"queries": list(example_queries)} if example_queries is not None else None,
            isActive=is_active,
        )
        url = _branch(agent_id, branch_id, "/knowledge-base/topics")
        return self._object("POST", url, correlation_id, json=body)

    def get(self, agent_id: str, branch_id: str, topic_id: str, *, correlation_id: str | None = None) -> _Obj:
        url = _branch(agent_id, branch_id, "/knowledge-base/topics/{}", topic_id)
        return self._object("GET", url, correlation_id)

    def update(
        self,
        agent_id: str,
        branch_id: str,
        topic_id: str,
        *,
        name: str | None = None,
        content: str | None = None,
        actions: str | None = None,
        example_queries: Sequence[str] | None = None,
        is_active: bool | None = None,
        correlation_id: str | None = None,
    ) -> _Nil:
        """Change the fields given; the server answers 204, so this returns nothing."""
        body = compact(
            name=name,
            content=content,
            actions=actions,
            exampleQueries={"queries": list(example_queries)} if example_queries is not None else None,
            isActive=is_active,
        )
        url = _branch(agent_id, branch_id, "/knowledge-base/topics/{}", topic_id)
        return self._empty("PATCH", url, correlation_id, json=body)

    def delete(
        self, agent_id: str, branch_id: str, topic_id: str, *, correlation_id: str | None = None
    ) -> _Nil:
        url = _branch(agent_id, branch_id, "/knowledge-base/topics/{}", topic_id)
        return self._empty("DELETE", url, correlation_id)

    def import_csv(
        self, agent_id: str, branch_id: str, source: CsvSource, *, correlation_id: str | None = None
    ) -> _Obj:
        """Create or update topics (matched by name) from a CSV file path or bytes, all or nothing.

        Returns ``{created, updated, topics}``.
        """
        url = _branch(agent_id, branch_id, "/knowledge-base/import")
        return self._upload(url, source, "topics.csv", correlation_id)

    def export_csv(self, agent_id: str, branch_id: str, *, correlation_id: str | None = None) -> _Txt:
        """The branch's topics as CSV text that ``import_csv`` reads back unchanged."""
        return self._text(_branch(agent_id, branch_id, "/knowledge-base/export"), correlation_id)


class FlowsAPI(Namespace[_Obj, _Arr, _Nil]):
    """Flows; their steps are ``client.steps`` and their transition functions ``client.flow_functions``."""

    def list(self, agent_id: str, branch_id: str, *, correlation_id: str | None = None) -> _Obj:
        """``{flows: [...]}``."""
        return self._object("GET", _branch(agent_id, branch_id, "/flows"), correlation_id)

    def create(
        self,
        agent_id: str,
        branch_id: str,
        *,
        name: str,
        description: str | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        """A new flow has no steps, so its ``startStep`` is set with ``update`` afterwards."""
        body = compact(name=name, description=description)
        return self._object("POST", _branch(agent_id, branch_id, "/flows"), correlation_id, json=body)

    def get(self, agent_id: str, branch_id: str, flow_id: str, *, correlation_id: str | None = None) -> _Obj:
        return self._object("GET", _branch(agent_id, branch_id, "/flows/{}", flow_id), correlation_id)

    def update(
        self,
        agent_id: str,
        branch_id: str,
        flow_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        start_step: str | NotGiven | None = NOT_GIVEN,
        correlation_id: str | None = None,
    ) -> _Obj:
        """``start_step`` names a step of the flow; ``start_step=None`` clears it."""
        body = {**compact(name=name, description=description), **given(startStep=start_step)}
        url = _branch(agent_id, branch_id, "/flows/{}", flow_id)
        return self._object("PATCH", url, correlation_id, json=body)

    def delete(
        self, agent_id: str, branch_id: str, flow_id: str, *, correlation_id: str | None = None
    ) -> _Nil:
        """Delete a flow with its steps and transition functions."""
        return self._empty("DELETE", _branch(agent_id, branch_id, "/flows/{}", flow_id), correlation_id)


class StepsAPI(Namespace[_Obj, _Arr, _Nil]):
    """Steps of a flow: ``default`` (prompt, entities, conditions), ``advanced`` or ``function``."""

    def list(self, agent_id: str, branch_id: str, flow_id: str, *, correlation_id: str | None = None) -> _Obj:
        """``{steps: [...]}``."""
        url = _branch(agent_id, branch_id, "/flows/{}/steps", flow_id)
        return self._object("GET", url, correlation_id)

    def create(
        self,
        agent_id: str,
        branch_id: str,
        flow_id: str,
        *,
        name: str,
        step_type: str,
        prompt: str | None = None,
        extracted_entities: Sequence[str] | None = None,
        conditions: Sequence[Mapping[str, Any]] | None = None,
        code: str | None = None,
        settings: Mapping[str, Mapping[str, Any]] | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        """``conditions`` are sent as given: ``{name, conditionType, childStep?, ...}``.

        ``settings``: the step's settings blocks by wire name (``asrBiasing``, ``dtmfConfig``,
        ``asr``, ``vad``, ``bargeIn``, ``llm``), each sent whole.
        """
        body = compact(
            name=name,
            stepType=step_type,
            prompt=prompt,
            extractedEntities=_listed(extracted_entities),
            conditions=[dict(c) for c in conditions] if conditions is not None else None,
            code=code,
        )
        body.update(_settings(settings))
        url = _branch(agent_id, branch_id, "/flows/{}/steps", flow_id)
        return self._object("POST", url, correlation_id, json=body)

    def get(
        self, agent_id: str, branch_id: str, flow_id: str, step_id: str, *, correlation_id: str | None = None
    ) -> _Obj:
        url = _branch(agent_id, branch_id, "/flows/{}/steps/{}", flow_id, step_id)
        return self._object("GET", url, correlation_id)

    def update(
        self,
        agent_id: str,
        branch_id: str,
        flow_id: str,
        step_id: str,
        *,
        name: str | None = None,
        step_type: str | None = None,
        prompt: str | None = None,
        extracted_entities: Sequence[str] | None = None,
        conditions: Sequence[Mapping[str, Any]] | None = None,
        code: str | None = None,
        settings: Mapping[str, Mapping[str, Any]] | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        """A rename is followed by the flow's startStep and the conditions naming the step.

        Each settings block sent replaces that block; blocks not sent are kept.
        """
        body = compact(
            name=name,
            stepType=step_type,
            prompt=prompt,
            extractedEntities=_listed(extracted_entities),
            conditions=[dict(c) for c in conditions] if conditions is not None else None,
            code=code,
        )
        body.update(_settings(settings))
        url = _branch(agent_id, branch_id, "/flows/{}/steps/{}", flow_id, step_id)
        return self._object("PATCH", url, correlation_id, json=body)

    def delete(
        self, agent_id: str, branch_id: str, flow_id: str, step_id: str, *, correlation_id: str | None = None
    ) -> _Nil:
        url = _branch(agent_id, branch_id, "/flows/{}/steps/{}", flow_id, step_id)
        return self._empty("DELETE", url, correlation_id)


class FlowFunctionsAPI(Namespace[_Obj, _Arr, _Nil]):
    """Transition functions of a flow: ``def <name>(conv, flow, <typed params>)``."""

    def list(self, agent_id: str, branch_id: str, flow_id: str, *, correlation_id: str | None = None) -> _Obj:
        """``{functions: [...]}``."""
        url = _branch(agent_id, branch_id, "/flows/{}/functions", flow_id)
        return self._object("GET", url, correlation_id)

    def create(
        self,
        agent_id: str,
        branch_id: str,
        flow_id: str,
        *,
        name: str,
        code: str,
        description: str | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        body = compact(name=name, description=description, code=code)
        url = _branch(agent_id, branch_id, "/flows/{}/functions", flow_id)
        return self._object("POST", url, correlation_id, json=body)

    def get(
        self,
        agent_id: str,
        branch_id: str,
        flow_id: str,
        function_id: str,
        *,
        correlation_id: str | None = None,
    ) -> _Obj:
        url = _branch(agent_id, branch_id, "/flows/{}/functions/{}", flow_id, function_id)
        return self._object("GET", url, correlation_id)

    def update(
        self,
        agent_id: str,
        branch_id: str,
        flow_id: str,
        function_id: str,
        *,
        name: str | None = None,
        code: str | None = None,
        description: str | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        body = compact(name=name, description=description, code=code)
        url = _branch(agent_id, branch_id, "/flows/{}/functions/{}", flow_id, function_id)
        return self._object("PATCH", url, correlation_id, json=body)

    def delete(
        self,
        agent_id: str,
        branch_id: str,
        flow_id: str,
        function_id: str,
        *,
        correlation_id: str | None = None,
    ) -> _Nil:
        url = _branch(agent_id, branch_id, "/flows/{}/functions/{}", flow_id, function_id)
        return self._empty("DELETE", url, correlation_id)


class FunctionsAPI(Namespace[_Obj, _Arr, _Nil]):
    """Global functions (``def <name>(conv, ...)``), and the start and end functions."""

    def list(self, agent_id: str, branch_id: str, *, correlation_id: str | None = None) -> _Obj:
        """``{functions: [...]}``, by name."""
        return self._object("GET", _branch(agent_id, branch_id, "/functions"), correlation_id)

    def create(
        self,
        agent_id: str,
        branch_id: str,
        *,
        name: str,
        code: str,
        description: str | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        body = compact(name=name, description=description, code=code)
        return self._object("POST", _branch(agent_id, branch_id, "/functions"), correlation_id, json=body)

    def get(
        self, agent_id: str, branch_id: str, function_id: str, *, correlation_id: str | None = None
    ) -> _Obj:
        url = _branch(agent_id, branch_id, "/functions/{}", function_id)
        return self._object("GET", url, correlation_id)

    def update(
        self,
        agent_id: str,
        branch_id: str,
        function_id: str,
        *,
        name: str | None = None,
        code: str | None = None,
        description: str | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        body = compact(name=name, description=description, code=code)
        url = _branch(agent_id, branch_id, "/functions/{}", function_id)
        return self._object("PATCH", url, correlation_id, json=body)

    def delete(
        self, agent_id: str, branch_id: str, function_id: str, *, correlation_id: str | None = None
    ) -> _Nil:
        url = _branch(agent_id, branch_id, "/functions/{}", function_id)
        return self._empty("DELETE", url, correlation_id)

    def set_start(
        self, agent_id: str, branch_id: str, code: str, *, correlation_id: str | None = None
    ) -> _Obj:
        """Set the start function: ``code`` defines ``def start_function(conv)``."""
        url = _branch(agent_id, branch_id, "/functions/start")
        return self._object("PUT", url, correlation_id, json={"code": code})

    def set_end(self, agent_id: str, branch_id: str, code: str, *, correlation_id: str | None = None) -> _Obj:
        """Set the end function: ``code`` defines ``def end_function(conv)``."""
        url = _branch(agent_id, branch_id, "/functions/end")
        return self._object("PUT", url, correlation_id, json={"code": code})

    def get_start(self, agent_id: str, branch_id: str, *, correlation_id: str | None = None) -> _Obj:
        return self._object("GET", _branch(agent_id, branch_id, "/functions/start"), correlation_id)

    def get_end(self, agent_id: str, branch_id: str, *, correlation_id: str | None = None) -> _Obj:
        return self._object("GET", _branch(agent_id, branch_id, "/functions/end"), correlation_id)

    def delete_start(self, agent_id: str, branch_id: str, *, correlation_id: str | None = None) -> _Nil:
        return self._empty("DELETE", _branch(agent_id, branch_id, "/functions/start"), correlation_id)

    def delete_end(self, agent_id: str, branch_id: str, *, correlation_id: str | None = None) -> _Nil:
        return self._empty("DELETE", _branch(agent_id, branch_id, "/functions/end"), correlation_id)

    def execute(
        self,
        agent_id: str,
        branch_id: str,
        function_id: str,
        *,
        args: Mapping[str, Any] | None = None,
        state: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        """Run a function in the sandbox: ``{returnValue, effects, state}``.

        ``function_id`` may be ``"start"`` or ``"end"`` for the start and end functions. An
        exception in the function raises ``FunctionExecutionFailedError``.
        """
        body = compact(args=_mapped(args), state=_mapped(state), context=_mapped(context))
        url = _branch(agent_id, branch_id, "/functions/{}/execute", function_id)
        return self._object("POST", url, correlation_id, json=body)


class EntitiesAPI(Namespace[_Obj, _Arr, _Nil]):
    """Entities the agent extracts (number, date, enum with options, regex with pattern, ...)."""

    def list(self, agent_id: str, branch_id: str, *, correlation_id: str | None = None) -> _Obj:
        """``{entities: [...]}``."""
        return self._object("GET", _branch(agent_id, branch_id, "/entities"), correlation_id)

    def create(
        self,
        agent_id: str,
        branch_id: str,
        *,
        name: str,
        type: str,
        description: str | None = None,
        config: Mapping[str, Any] | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        body = compact(name=name, description=description, type=type, config=_mapped(config))
        return self._object("POST", _branch(agent_id, branch_id, "/entities"), correlation_id, json=body)

    def get(
        self, agent_id: str, branch_id: str, entity_id: str, *, correlation_id: str | None = None
    ) -> _Obj:
        return self._object("GET", _branch(agent_id, branch_id, "/entities/{}", entity_id), correlation_id)

    def update(
        self,
        agent_id: str,
        branch_id: str,
        entity_id: str,
        *,
        name: str | None = None,
        type: str | None = None,
        description: str | None = None,
        config: Mapping[str, Any] | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        """``config`` replaces the whole config; a type change without one resets it."""
        body = compact(name=name, description=description, type=type, config=_mapped(config))
        url = _branch(agent_id, branch_id, "/entities/{}", entity_id)
        return self._object("PATCH", url, correlation_id, json=body)

    def delete(
        self, agent_id: str, branch_id: str, entity_id: str, *, correlation_id: str | None = None
    ) -> _Nil:
        return self._empty("DELETE", _branch(agent_id, branch_id, "/entities/{}", entity_id), correlation_id)


class HandoffsAPI(Namespace[_Obj, _Arr, _Nil]):
    """Handoffs to people or numbers (method ``refer``, ``invite`` or ``bye``)."""

    def list(self, agent_id: str, branch_id: str, *, correlation_id: str | None = None) -> _Obj:
        """``{handoffs: [...]}``."""
        return self._object("GET", _branch(agent_id, branch_id, "/handoffs"), correlation_id)

    def create(
        self,
        agent_id: str,
        branch_id: str,
        *,
        name: str,
        method: str,
        destination: str | None = None,
        reason: str | None = None,
        description: str | None = None,
        is_default: bool | None = None,
        sip_headers: Sequence[Mapping[str, str]] | None = None,
        outbound_endpoint: str | None = None,
        outbound_encryption: str | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        """The branch's first handoff is its default. Only an ``invite`` takes the outbound_* fields."""
        body = compact(
            name=name,
            description=description,
            method=method,
            destination=destination,
            reason=reason,
            isDefault=is_default,
            sipHeaders=[dict(h) for h in sip_headers] if sip_headers is not None else None,
            outboundEndpoint=outbound_endpoint,
            outboundEncryption=outbound_encryption,
        )
        return self._object("POST", _branch(agent_id, branch_id, "/handoffs"), correlation_id, json=body)

    def get(
        self, agent_id: str, branch_id: str, handoff_id: str, *, correlation_id: str | None = None
    ) -> _Obj:
        url = _branch(agent_id, branch_id, "/handoffs/{}", handoff_id)
        return self._object("GET", url, correlation_id)

    def update(
        self,
        agent_id: str,
        branch_id: str,
        handoff_id: str,
        *,
        name: str | None = None,
        method: str | None = None,
        destination: str | NotGiven | None = NOT_GIVEN,
        reason: str | None = None,
        description: str | None = None,
        is_default: bool | None = None,
        sip_headers: Sequence[Mapping[str, str]] | None = None,
        outbound_endpoint: str | NotGiven | None = NOT_GIVEN,
        outbound_encryption: str | NotGiven | None = NOT_GIVEN,
        correlation_id: str | None = None,
    ) -> _Obj:
        """``destination=None`` clears the destination (a ``bye`` handoff has none); likewise
        ``outbound_endpoint=None`` and ``outbound_encryption=None``, which only an invite has."""
        body = {
            **compact(
                name=name,
                description=description,
                method=method,
                reason=reason,
                isDefault=is_default,
                sipHeaders=[dict(h) for h in sip_headers] if sip_headers is not None else None,
            ),
            **given(
                destination=destination,
                outboundEndpoint=outbound_endpoint,
                outboundEncryption=outbound_encryption,
            ),
        }
        url = _branch(agent_id, branch_id, "/handoffs/{}", handoff_id)
        return self._object("PATCH", url, correlation_id, json=body)

    def delete(
        self, agent_id: str, branch_id: str, handoff_id: str, *, correlation_id: str | None = None
    ) -> _Nil:
        """If it was the default, the oldest remaining handoff becomes the default."""
        url = _branch(agent_id, branch_id, "/handoffs/{}", handoff_id)
        return self._empty("DELETE", url, correlation_id)


class SmsTemplatesAPI(Namespace[_Obj, _Arr, _Nil]):
    """SMS templates; ``env_phone_numbers`` maps ``sandbox``/``pre-release``/``live`` to a sender."""

    def list(self, agent_id: str, branch_id: str, *, correlation_id: str | None = None) -> _Obj:
        """``{smsTemplates: [...]}``."""
        return self._object("GET", _branch(agent_id, branch_id, "/sms-templates"), correlation_id)

    def create(
        self,
        agent_id: str,
        branch_id: str,
        *,
        name: str,
        text: str,
        env_phone_numbers: Mapping[str, str | None] | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        body = compact(name=name, text=text, envPhoneNumbers=_mapped(env_phone_numbers))
        url = _branch(agent_id, branch_id, "/sms-templates")
        return self._object("POST", url, correlation_id, json=body)

    def get(
        self, agent_id: str, branch_id: str, template_id: str, *, correlation_id: str | None = None
    ) -> _Obj:
        url = _branch(agent_id, branch_id, "/sms-templates/{}", template_id)
        return self._object("GET", url, correlation_id)

    def update(
        self,
        agent_id: str,
        branch_id: str,
        template_id: str,
        *,
        name: str | None = None,
        text: str | None = None,
        env_phone_numbers: Mapping[str, str | None] | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        body = compact(name=name, text=text, envPhoneNumbers=_mapped(env_phone_numbers))
        url = _branch(agent_id, branch_id, "/sms-templates/{}", template_id)
        return self._object("PATCH", url, correlation_id, json=body)

    def delete(
        self, agent_id: str, branch_id: str, template_id: str, *, correlation_id: str | None = None
    ) -> _Nil:
        url = _branch(agent_id, branch_id, "/sms-templates/{}", template_id)
        return self._empty("DELETE", url, correlation_id)


class AttributesAPI(Namespace[_Obj, _Arr, _Nil]):
    """Variant attributes (the columns every variant has a value for)."""

    def list(self, agent_id: str, branch_id: str, *, correlation_id: str | None = None) -> _Obj:
        """``{attributes: [...]}``."""
        return self._object("GET", _branch(agent_id, branch_id, "/attributes"), correlation_id)

    def create(self, agent_id: str, branch_id: str, name: str, *, correlation_id: str | None = None) -> _Obj:
        url = _branch(agent_id, branch_id, "/attributes")
        return self._object("POST", url, correlation_id, json={"name": name})

    def update(
        self,
        agent_id: str,
        branch_id: str,
        attribute_id: str,
        name: str,
        *,
        correlation_id: str | None = None,
    ) -> _Obj:
        """Rename; variants keep their values (they refer to the attribute by id)."""
        url = _branch(agent_id, branch_id, "/attributes/{}", attribute_id)
        return self._object("PATCH", url, correlation_id, json={"name": name})

    def delete(
        self, agent_id: str, branch_id: str, attribute_id: str, *, correlation_id: str | None = None
    ) -> _Obj:
        """Delete the attribute and its value in every variant: ``{id}``."""
        url = _branch(agent_id, branch_id, "/attributes/{}", attribute_id)
        return self._object("DELETE", url, correlation_id)


class VariantsAPI(TextNamespace[_Obj, _Arr, _Nil, _Txt]):
    """Variants; ``attribute_values`` maps attribute ids to values."""

    def list(self, agent_id: str, branch_id: str, *, correlation_id: str | None = None) -> _Obj:
        """``{variants: [...]}``."""
        return self._object("GET", _branch(agent_id, branch_id, "/variants"), correlation_id)

    def create(
        self,
        agent_id: str,
        branch_id: str,
        *,
        name: str,
        attribute_values: Mapping[str, str] | None = None,
        is_default: bool | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        """The branch's first variant is its default."""
        body = compact(
            name=name,
            attributeValues={"values": dict(attribute_values)} if attribute_values is not None else None,
            isDefault=is_default,
        )
        return self._object("POST", _branch(agent_id, branch_id, "/variants"), correlation_id, json=body)

    def update(
        self,
        agent_id: str,
        branch_id: str,
        variant_id: str,
        *,
        name: str | None = None,
        attribute_values: Mapping[str, str] | None = None,
        is_default: bool | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        """``attribute_values`` replaces all of the variant's values."""
        body = compact(
            name=name,
            attributeValues={"values": dict(attribute_values)} if attribute_values is not None else None,
            isDefault=is_default,
        )
        url = _branch(agent_id, branch_id, "/variants/{}", variant_id)
        return self._object("PATCH", url, correlation_id, json=body)

    def delete(
        self, agent_id: str, branch_id: str, variant_id: str, *, correlation_id: str | None = None
    ) -> _Obj:
        """Delete a variant other than the default: ``{id}``."""
        url = _branch(agent_id, branch_id, "/variants/{}", variant_id)
        return self._object("DELETE", url, correlation_id)

    def import_csv(
        self, agent_id: str, branch_id: str, source: CsvSource, *, correlation_id: str | None = None
    ) -> _Obj:
        """Create and update variants from a CSV file path or bytes, all or nothing.

        Returns ``{created, updated, attributesCreated}``.
        """
        url = _branch(agent_id, branch_id, "/variants/import")
        return self._upload(url, source, "variants.csv", correlation_id)

    def export_csv(
        self,
        agent_id: str,
        branch_id: str,
        *,
        delimiter: str | None = None,
        correlation_id: str | None = None,
    ) -> _Txt:
        """CSV text (``id, name, is_default, attribute_<name>...``); ``delimiter`` is ``comma``
        (default), ``semicolon``, ``tab`` or ``pipe``."""
        url = _branch(agent_id, branch_id, "/variants/export")
        return self._text(url, correlation_id, params=compact(delimiter=delimiter))


class RealTimeConfigsAPI(Namespace[_Obj, _Arr, _Nil]):
    """Real-time configs: one page per environment (``sandbox``, ``pre-release``, ``live``), not
    branched."""

    def list(self, agent_id: str, *, correlation_id: str | None = None) -> _Obj:
        """``{configPages: [...]}``."""
        return self._object("GET", path("/v1/agents/{}/real-time-configs", agent_id), correlation_id)

    def get(self, agent_id: str, environment: str, *, correlation_id: str | None = None) -> _Obj:
        """``{clientEnv, variables, schema, lastUpdated?}``."""
        url = path("/v1/agents/{}/real-time-configs/{}", agent_id, environment)
        return self._object("GET", url, correlation_id)

    def put_schema(
        self,
        agent_id: str,
        environment: str,
        schema: Mapping[str, Any],
        *,
        correlation_id: str | None = None,
    ) -> _Obj:
        """Replace the JSON Schema; refused if the current values would not satisfy it."""
        url = path("/v1/agents/{}/real-time-configs/{}/schema", agent_id, environment)
        return self._object("PUT", url, correlation_id, json={"schema": dict(schema)})

    def patch_variables(
        self,
        agent_id: str,
        environment: str,
        variables: Mapping[str, Any],
        *,
        correlation_id: str | None = None,
    ) -> _Obj:
        """Shallow-merge values (``None`` removes a key), validated against the schema."""
        url = path("/v1/agents/{}/real-time-configs/{}/variables", agent_id, environment)
        return self._object("PATCH", url, correlation_id, json={"variables": dict(variables)})
