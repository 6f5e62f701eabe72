"""Namespaces of what runs: deployments, the Chat API and debug chat."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from parley.sdk._resources import Call, Namespace, compact, path

_Obj = TypeVar("_Obj")
_Arr = TypeVar("_Arr")
_Nil = TypeVar("_Nil")


class DeploymentsAPI(Namespace[_Obj, _Arr, _Nil]):
    """Deployments of an agent to ``sandbox``, then ``pre-release``, then ``live``.

    Publish, promote and rollback answer ``{deployment, testRunIds, notice?}``; ``notice`` is there
    when a promote found the target already running that version (nothing was deployed).
    """

    def list(
        self,
        agent_id: str,
        environment: str,
        *,
        limit: int | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        """``{deployments: [...]}`` of one environment, newest first."""
        params = compact(environment=environment, limit=limit)
        url = path("/v1/agents/{}/deployments", agent_id)
        return self._object("GET", url, correlation_id, params=params)

    def active(self, agent_id: str, *, correlation_id: str | None = None) -> _Obj:
        """``{activeDeployments: {sandbox, pre-release, live}}``, each a deployment or None."""
        return self._object("GET", path("/v1/agents/{}/deployments/active", agent_id), correlation_id)

    def publish(
        self,
        agent_id: str,
        *,
        environment: str | None = None,
        deployment_message: str | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        """Compile main into an immutable version and deploy it (default: sandbox)."""
        body = compact(environment=environment, deploymentMessage=deployment_message)
        url = path("/v1/agents/{}/deployments/publish", agent_id)
        return self._object("POST", url, correlation_id, json=body)

    def promote(
        self,
        agent_id: str,
        deployment_id: str,
        *,
        target_environment: str | None = None,
        deployment_message: str | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        """Deploy a deployment's version to a later environment (default: the next one)."""
        body = compact(targetEnvironment=target_environment, deploymentMessage=deployment_message)
        url = path("/v1/agents/{}/deployments/{}/promote", agent_id, deployment_id)
        return self._object("POST", url, correlation_id, json=body)

    def rollback(
        self,
        agent_id: str,
        deployment_id: str,
        *,
        deployment_message: str | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        """Make an earlier deployment's version active again in its environment."""
        body = compact(deploymentMessage=deployment_message)
        url = path("/v1/agents/{}/deployments/{}/rollback", agent_id, deployment_id)
        return self._object("POST", url, correlation_id, json=body)


class ChatAPI(Namespace[_Obj, _Arr, _Nil]):
    """PolyAI's Chat API: snake_case bodies under ``/{version}/{account_id}/{agent_id}/chat``.

    ``token`` is a connector token, sent as ``X-TOKEN`` (optional in parley; when sent it also
    picks the connector's environment and variant).
    """

    def create(
        self,
        account_id: str,
        agent_id: str,
        *,
        environment: str | None = None,
        channel: str | None = None,
        variant_id: str | None = None,
        integration_attributes: Mapping[str, Any] | None = None,
        asr_lang_code: str | None = None,
        tts_lang_code: str | None = None,
        token: str | None = None,
        version: str = "v1",
        correlation_id: str | None = None,
    ) -> _Obj:
        """Start a conversation (default environment: live): ``{conversation_id, response}``."""
        body = compact(
            environment=environment,
            channel=channel,
            variant_id=variant_id,
            integration_attributes=dict(integration_attributes) if integration_attributes else None,
            asr_lang_code=asr_lang_code,
            tts_lang_code=tts_lang_code,
        )
        return self._chat(version, account_id, agent_id, "create", "POST", body, token, correlation_id)

    def respond(
        self,
        account_id: str,
        agent_id: str,
        conversation_id: str,
        message: str,
        *,
        integration_attributes: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        asr_lang_code: str | None = None,
        tts_lang_code: str | None = None,
        token: str | None = None,
        version: str = "v1",
        correlation_id: str | None = None,
    ) -> _Obj:
        """``{conversation_id, response, end_conversation, handoff?: {destination, reason}}``."""
        body = compact(
            conversation_id=conversation_id,
            message=message,
            integration_attributes=dict(integration_attributes) if integration_attributes else None,
            metadata=dict(metadata) if metadata else None,
            asr_lang_code=asr_lang_code,
            tts_lang_code=tts_lang_code,
        )
        return self._chat(version, account_id, agent_id, "respond", "POST", body, token, correlation_id)

    def close(
        self,
        account_id: str,
        agent_id: str,
        conversation_id: str,
        *,
        token: str | None = None,
        version: str = "v1",
        correlation_id: str | None = None,
    ) -> _Obj:
        """End the conversation (its end function runs): ``{success: true}``."""
        body = {"conversation_id": conversation_id}
        return self._chat(version, account_id, agent_id, "close", "PUT", body, token, correlation_id)

    def _chat(
        self,
        version: str,
        account_id: str,
        agent_id: str,
        action: str,
        method: str,
        body: dict[str, Any],
        token: str | None,
        correlation_id: str | None,
    ) -> _Obj:
        url = path("/{}/{}/{}/chat/" + action, version, account_id, agent_id)
        headers = {"X-TOKEN": token} if token is not None else None
        return self._runner._call_object(
            Call(method, url, body, correlation_id=correlation_id, headers=headers)
        )


class DebugChatAPI(Namespace[_Obj, _Arr, _Nil]):
    """Debug chat: talk to a deployment, or with ``client_env="draft"`` to a branch as it is now.

    Answers ``{conversationId, userInput, response, metadata, conversationEnded, delayedResponse}``;
    ``metadata`` has the state, node trace, function events, retrieved topics and handoff.
    """

    def create(
        self,
        agent_id: str,
        client_env: str,
        *,
        branch_id: str | None = None,
        conversation_id: str | None = None,
        variant_id: str | None = None,
        channel: str | None = None,
        integration_attributes: Mapping[str, Any] | None = None,
        asr_lang_code: str | None = None,
        tts_lang_code: str | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        """``client_env`` is ``sandbox``, ``pre-release``, ``live`` or ``draft`` (``branch_id``,
        default main, is compiled on the fly)."""
        body = compact(
            clientEnv=client_env,
            branchId=branch_id,
            conversationId=conversation_id,
            variantId=variant_id,
            channel=channel,
            integrationAttributes=dict(integration_attributes) if integration_attributes else None,
            asrLangCode=asr_lang_code,
            ttsLangCode=tts_lang_code,
        )
        return self._object("POST", path("/v1/agents/{}/debug-chat", agent_id), correlation_id, json=body)

    def respond(
        self,
        agent_id: str,
        conversation_id: str,
        message: str,
        *,
        client_env: str,
        metadata: Mapping[str, Any] | None = None,
        asr_lang_code: str | None = None,
        tts_lang_code: str | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        body = compact(
            clientEnv=client_env,
            message=message,
            metadata=dict(metadata) if metadata else None,
            asrLangCode=asr_lang_code,
            ttsLangCode=tts_lang_code,
        )
        url = path("/v1/agents/{}/debug-chat/{}", agent_id, conversation_id)
        return self._object("POST", url, correlation_id, json=body)
