"""SMS templates of a branch: a name, a text of at most 500 characters, a number per environment."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth.principal import Principal
from parley.branches import kinds
from parley.branches.references import ReferenceResolver
from parley.branches.scope import resolve_branch
from parley.branches.store import ResourceKind, ResourceStore
from parley.errors import KnowledgeBaseRichTextInvalid, SmsTemplateNameAlreadyExists, SmsTemplateNotFound
from parley.handoffs.phone import require_e164
from parley.sms_templates.schemas import CreateSmsTemplateBody, EnvPhoneNumbersBody, UpdateSmsTemplateBody

SMS_TEMPLATES = ResourceKind(
    name=kinds.SMS_TEMPLATE,
    id_prefix="SMS_TEMPLATE",
    label="SMS template",
    not_found=SmsTemplateNotFound,
    name_taken=SmsTemplateNameAlreadyExists,
)
# agent-model §1.3: an SMS text may reference variables and translations; parley has no
# translations yet, so `{{tn:...}}` is refused as an unknown reference kind.
TEXT_REFERENCES = ("vrbl",)


def _numbers(body: EnvPhoneNumbersBody) -> dict[str, str]:
    numbers: dict[str, str] = {}
    for environment, number in body.model_dump(by_alias=True).items():
        if number is not None:
            numbers[environment] = require_e164(number, f"/body/envPhoneNumbers/{environment}")
    return numbers


class SmsTemplateService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _store(
        self, principal: Principal, agent_id: str, branch_ref: str, *, write: bool
    ) -> ResourceStore:
        scope = await resolve_branch(self.session, principal, agent_id, branch_ref, write=write)
        return ResourceStore(self.session, scope.branch.id, SMS_TEMPLATES)

    async def _check_text(self, store: ResourceStore, text: str) -> str:
        bad = await ReferenceResolver(self.session, store.repo.branch_id).check(text, TEXT_REFERENCES)
        if bad:
            listed = ", ".join(f"{b.reference[:60]} ({b.reason})" for b in bad[:10])
            raise KnowledgeBaseRichTextInvalid(
                f"The SMS text has invalid references: {listed}. An SMS text may only reference "
                "variables that the branch's code uses, as {{vrbl:name}}.",
                data={"references": [b.as_dict() for b in bad]},
            )
        return text

    async def list(self, principal: Principal, agent_id: str, branch_ref: str) -> list[dict[str, Any]]:
        store = await self._store(principal, agent_id, branch_ref, write=False)
        return [row.data for row in await store.list()]

    async def get(
        self, principal: Principal, agent_id: str, branch_ref: str, template_id: str
    ) -> dict[str, Any]:
        store = await self._store(principal, agent_id, branch_ref, write=False)
        return (await store.get(template_id)).data

    async def create(
        self, principal: Principal, agent_id: str, branch_ref: str, body: CreateSmsTemplateBody
    ) -> dict[str, Any]:
        store = await self._store(principal, agent_id, branch_ref, write=True)
        document = {
            "name": body.name,
            "text": await self._check_text(store, body.text),
            "envPhoneNumbers": _numbers(body.env_phone_numbers),
        }
        return (await store.create(document)).data

    async def update(
        self,
        principal: Principal,
        agent_id: str,
        branch_ref: str,
        template_id: str,
        body: UpdateSmsTemplateBody,
    ) -> dict[str, Any]:
        store = await self._store(principal, agent_id, branch_ref, write=True)
        row = await store.get(template_id)
        changes: dict[str, Any] = {}
        if body.name is not None:
            changes["name"] = body.name
        if body.text is not None:
            changes["text"] = await self._check_text(store, body.text)
        if body.env_phone_numbers is not None:
            changes["envPhoneNumbers"] = _numbers(body.env_phone_numbers)
        return (await store.update(row, changes)).data

    async def delete(self, principal: Principal, agent_id: str, branch_ref: str, template_id: str) -> None:
        store = await self._store(principal, agent_id, branch_ref, write=True)
        await store.delete(template_id)
