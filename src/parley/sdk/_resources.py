"""Resource namespaces (``client.accounts``, ``client.agents`` ...), written once for both clients.

A namespace method only describes its HTTP call (a :class:`Call`) and hands it to the client,
which runs it: :class:`~parley.sdk.Client` returns the result, :class:`~parley.sdk.AsyncClient`
returns a coroutine. The three type parameters are what a call that answers with an object, a
list, or nothing turns into for a given client, so each method has its precise type on both
twins without being written twice.

To add a namespace: subclass :class:`Namespace` here, describe each call, and attach it in
``BaseClient.__init__`` (``_base.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import quote

_Obj = TypeVar("_Obj")
_Arr = TypeVar("_Arr")
_Nil = TypeVar("_Nil")
_Obj_co = TypeVar("_Obj_co", covariant=True)
_Arr_co = TypeVar("_Arr_co", covariant=True)
_Nil_co = TypeVar("_Nil_co", covariant=True)


@dataclass(frozen=True)
class Call:
    """One API call, described but not made."""

    method: str
    path: str
    json: Any = None
    params: Mapping[str, Any] | None = None
    correlation_id: str | None = None
    # Multipart parts (httpx ``files=``), for the CSV imports.
    files: Mapping[str, Any] | None = None
    # Extra headers of this call only (the Chat API's X-TOKEN, Accept for CSV downloads).
    headers: Mapping[str, str] | None = None


class Runner(Protocol[_Obj_co, _Arr_co, _Nil_co]):
    """What a namespace needs from its client: make a call, decode the answer as one shape."""

    def _call_object(self, call: Call) -> _Obj_co: ...

    def _call_list(self, call: Call) -> _Arr_co: ...

    def _call_empty(self, call: Call) -> _Nil_co: ...


def path(template: str, *segments: str) -> str:
    """Fill ``{}`` slots with percent-encoded ids.

    Encoding keeps an id with ``/`` or ``?`` inside its own segment; refusing empty and dot
    segments stops an id from silently addressing a different resource (``..`` would be resolved
    away by URL normalisation before the request leaves).
    """
    for segment in segments:
        if segment in ("", ".", ".."):
            raise ValueError(f"invalid id in path {template!r}: {segment!r}")
    return template.format(*(quote(segment, safe="") for segment in segments))


def compact(**fields: Any) -> dict[str, Any]:
    """A request body without the optional fields the caller left out, so server defaults apply."""
    return {name: value for name, value in fields.items() if value is not None}


class Namespace(Generic[_Obj, _Arr, _Nil]):
    def __init__(self, runner: Runner[_Obj, _Arr, _Nil]) -> None:
        self._runner = runner

    def _object(
        self, method: str, url: str, correlation_id: str | None, *, json: Any = None, params: Any = None
    ) -> _Obj:
        return self._runner._call_object(Call(method, url, json, params, correlation_id))

    def _list(
        self, method: str, url: str, correlation_id: str | None, *, json: Any = None, params: Any = None
    ) -> _Arr:
        return self._runner._call_list(Call(method, url, json, params, correlation_id))

    def _empty(
        self, method: str, url: str, correlation_id: str | None, *, json: Any = None, params: Any = None
    ) -> _Nil:
        return self._runner._call_empty(Call(method, url, json, params, correlation_id))


class AccountsAPI(Namespace[_Obj, _Arr, _Nil]):
    """Accounts (workspaces). Creating one needs the platform-operator key."""

    def create(
        self,
        account_id: str,
        name: str,
        *,
        admin_email: str | None = None,
        admin_name: str | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        """Create an account; returns ``{account, adminUser, adminKey}``, the key shown only here."""
        body = compact(accountId=account_id, name=name, adminEmail=admin_email, adminName=admin_name)
        return self._object("POST", "/v1/accounts", correlation_id, json=body)

    def get(self, account_id: str, *, correlation_id: str | None = None) -> _Obj:
        return self._object("GET", path("/v1/accounts/{}", account_id), correlation_id)

    def list(self, *, correlation_id: str | None = None) -> _Obj:
        """``{accounts: [...]}``: every account for the operator key, the key's own otherwise."""
        return self._object("GET", "/v1/accounts", correlation_id)


class UsersAPI(Namespace[_Obj, _Arr, _Nil]):
    """Users of an account. Changes need an admin key."""

    def list(self, account_id: str, *, correlation_id: str | None = None) -> _Obj:
        """``{users: [...]}``."""
        return self._object("GET", path("/v1/accounts/{}/users", account_id), correlation_id)

    def create(
        self, account_id: str, *, email: str, name: str, role: str, correlation_id: str | None = None
    ) -> _Obj:
        """``role`` is one of ``admin``, ``editor``, ``viewer``, ``external``."""
        body = {"email": email, "name": name, "role": role}
        return self._object("POST", path("/v1/accounts/{}/users", account_id), correlation_id, json=body)

    def get(self, account_id: str, user_id: str, *, correlation_id: str | None = None) -> _Obj:
        return self._object("GET", path("/v1/accounts/{}/users/{}", account_id, user_id), correlation_id)

    def delete(self, account_id: str, user_id: str, *, correlation_id: str | None = None) -> _Nil:
        """Delete a user; every key it owns stops working."""
        return self._empty("DELETE", path("/v1/accounts/{}/users/{}", account_id, user_id), correlation_id)


class ApiKeysAPI(Namespace[_Obj, _Arr, _Nil]):
    """API keys of an account. A key's value is returned only by ``create`` and ``rotate``."""

    def list(self, account_id: str, *, correlation_id: str | None = None) -> _Obj:
        """``{apiKeys: [...]}``, without the keys' values."""
        return self._object("GET", path("/v1/accounts/{}/api-keys", account_id), correlation_id)

    def create(
        self,
        account_id: str,
        *,
        name: str,
        role: str,
        agent_ids: Sequence[str] | None = None,
        expires_at: datetime | str | None = None,
        user_id: str | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        """Without ``user_id`` the key belongs to the caller's user; ``agent_ids`` limits its agents."""
        body = compact(
            name=name,
            role=role,
            agentIds=list(agent_ids) if agent_ids is not None else None,
            expiresAt=expires_at.isoformat() if isinstance(expires_at, datetime) else expires_at,
            userId=user_id,
        )
        return self._object("POST", path("/v1/accounts/{}/api-keys", account_id), correlation_id, json=body)

    def revoke(self, account_id: str, key_id: str, *, correlation_id: str | None = None) -> _Nil:
        return self._empty("DELETE", path("/v1/accounts/{}/api-keys/{}", account_id, key_id), correlation_id)

    def rotate(
        self,
        account_id: str,
        key_id: str,
        *,
        grace_period_seconds: int = 0,
        correlation_id: str | None = None,
    ) -> _Obj:
        """Issue a replacement key; the old one stops working after ``grace_period_seconds``."""
        url = path("/v1/accounts/{}/api-keys/{}/rotate", account_id, key_id)
        return self._object("POST", url, correlation_id, json={"gracePeriodSeconds": grace_period_seconds})


class AgentsAPI(Namespace[_Obj, _Arr, _Nil]):
    """Agents (PolyAI's projects)."""

    def list(self, account_id: str, *, correlation_id: str | None = None) -> _Arr:
        """The agents of the account that this key may see."""
        return self._list("GET", path("/v1/accounts/{}/agents", account_id), correlation_id)

    def create(
        self,
        account_id: str,
        *,
        name: str,
        greeting: str,
        agent_id: str | None = None,
        language_code: str | None = None,
        voice_id: str | None = None,
        llm_model_id: str | None = None,
        experimental_config: Mapping[str, Any] | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        """Create an agent with its ``main`` branch; the server picks ``agent_id`` when omitted."""
        body = compact(
            name=name,
            agentId=agent_id,
            responseSettings=compact(greeting=greeting, languageCode=language_code),
            voiceSettings=compact(voiceId=voice_id) if voice_id is not None else None,
            llmSettings=compact(modelId=llm_model_id) if llm_model_id is not None else None,
            experimentalConfig=dict(experimental_config) if experimental_config is not None else None,
        )
        return self._object("POST", path("/v1/accounts/{}/agents", account_id), correlation_id, json=body)

    def delete(self, agent_id: str, *, correlation_id: str | None = None) -> _Nil:
        """Delete an agent with all its branches and deployments."""
        return self._empty("DELETE", path("/v1/agents/{}", agent_id), correlation_id)

    def duplicate(
        self,
        agent_id: str,
        *,
        new_agent_name: str,
        new_agent_id: str | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        body = compact(newAgentName=new_agent_name, newAgentId=new_agent_id)
        return self._object("POST", path("/v1/agents/{}/duplicate", agent_id), correlation_id, json=body)
