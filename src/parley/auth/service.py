"""Authentication of API keys, and the management of users and keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.repository import AccountRepository
from parley.agents.repository import AgentRepository
from parley.auth import keys
from parley.auth.principal import Principal, role_rank
from parley.auth.repository import AuthRepository
from parley.auth.schemas import CreateApiKeyBody, CreateUserBody
from parley.errors import (
    AccountNotFound,
    ApiKeyNotFound,
    AuthUserAlreadyExists,
    AuthUserNotFound,
    AuthUserUnauthorised,
    ProjectNotFound,
    SchemaValidationFailed,
    UserAccessForbidden,
)
from parley.kit.db import utcnow
from parley.kit.ids import new_id
from parley.models import ApiKey, User

ROTATED_MESSAGE = "This API key was rotated and is no longer valid. Use the key that replaced it."


async def authenticate(session: AsyncSession, presented: str | None) -> Principal:
    if not presented:
        raise AuthUserUnauthorised("Missing API key: send it in the 'x-api-key' header.")
    digest = keys.digest(presented)
    key = await AuthRepository(session).key_by_lookup(keys.lookup_of(digest))
    if key is None or not keys.digests_match(digest, key.key_hash):
        raise AuthUserUnauthorised("Invalid API key.")
    now = utcnow()
    if key.revoked_at is not None and key.revoked_at <= now:
        if key.revoked_reason == "rotated":
            raise UserAccessForbidden(ROTATED_MESSAGE)
        raise AuthUserUnauthorised("This API key has been revoked.")
    if key.expires_at is not None and key.expires_at <= now:
        raise AuthUserUnauthorised("This API key has expired.")
    if key.user_id is not None and (not key.user_exists or key.user_disabled_at is not None):
        raise AuthUserUnauthorised("The user that owns this API key has been deleted.")
    return Principal(
        key_id=key.id,
        account_id=key.account_id,
        user_id=key.user_id,
        role=key.role,  # type: ignore[arg-type]
        agent_ids=None if key.agent_ids is None else frozenset(key.agent_ids),
    )


@dataclass(frozen=True)
class IssuedKey:
    record: ApiKey
    secret: str


def new_key_record(
    *,
    name: str,
    role: str,
    account_id: str | None,
    user_id: str | None,
    agent_ids: list[str] | None = None,
    expires_at: datetime | None = None,
    secret: str | None = None,
) -> IssuedKey:
    secret = secret or keys.generate_key()
    digest = keys.digest(secret)
    record = ApiKey(
        id=new_id("KEY", 12),
        account_id=account_id,
        user_id=user_id,
        name=name,
        role=role,
        agent_ids=agent_ids,
        lookup=keys.lookup_of(digest),
        hint=keys.hint_of(secret),
        key_hash=digest,
        expires_at=expires_at,
        created_at=utcnow(),
    )
    return IssuedKey(record=record, secret=secret)


async def require_account_exists(session: AsyncSession, principal: Principal, account_id: str) -> None:
    """The tenant check, then existence: the operator may name any account, but only a real one."""
    principal.require_account(account_id)
    if await AccountRepository(session).get(account_id) is None:
        raise AccountNotFound(f"Account '{account_id[:100]}' does not exist.")


class UserService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = AuthRepository(session)

    async def create(self, principal: Principal, account_id: str, body: CreateUserBody) -> User:
        await require_account_exists(self.session, principal, account_id)
        principal.require_account_admin()
        email = body.email.strip().lower()
        if await self.repo.user_by_email(account_id, email) is not None:
            raise AuthUserAlreadyExists(f"A user with email '{email}' already exists in this account.")
        user = User(id=new_id("USER"), account_id=account_id, email=email, name=body.name, role=body.role)
        await self.repo.add(user)
        return user

    async def list_users(self, principal: Principal, account_id: str) -> list[User]:
        await require_account_exists(self.session, principal, account_id)
        principal.require_account_admin()
        return list(await self.repo.active_users(account_id))

    async def get(self, principal: Principal, account_id: str, user_id: str) -> User:
        await require_account_exists(self.session, principal, account_id)
        principal.require_account_admin()
        user = await self.repo.active_user(account_id, user_id)
        if user is None:
            raise AuthUserNotFound(f"User '{user_id}' does not exist.")
        return user

    async def delete(self, principal: Principal, account_id: str, user_id: str) -> None:
        user = await self.get(principal, account_id, user_id)
        if user.id == principal.user_id:
            raise UserAccessForbidden("You cannot delete the user that owns the key you are using.")
        now = utcnow()
        # Soft delete keeps the audit trail; the user's keys stop working at once.
        user.disabled_at = now
        await self.repo.revoke_keys_of_user(account_id, user.id, now)


class ApiKeyService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = AuthRepository(session)
        self.agents = AgentRepository(session)

    async def create(self, principal: Principal, account_id: str, body: CreateApiKeyBody) -> IssuedKey:
        await require_account_exists(self.session, principal, account_id)
        principal.require_account_admin()
        owner = await self._owner(principal, account_id, body.user_id)
        if owner.role == "external" and body.role != "external":
            raise UserAccessForbidden("An external user can only hold external keys.")
        if body.role != "external" and role_rank(body.role) > role_rank(owner.role):
            raise UserAccessForbidden(
                f"A key cannot have more rights than its user: '{body.role}' exceeds '{owner.role}'."
            )
        expires_at = _future_or_none(body.expires_at)
        agent_ids = None
        if body.agent_ids is not None:
            agent_ids = sorted(set(body.agent_ids))
            missing = await self.agents.missing_ids(account_id, agent_ids)
            if missing:
                raise ProjectNotFound(
                    f"Agent '{missing[0]}' does not exist in this account.", data={"missingAgentIds": missing}
                )
        issued = new_key_record(
            name=body.name,
            role=body.role,
            account_id=account_id,
            user_id=owner.id,
            agent_ids=agent_ids,
            expires_at=expires_at,
        )
        await self.repo.add(issued.record)
        return issued

    async def list_keys(self, principal: Principal, account_id: str) -> list[ApiKey]:
        await require_account_exists(self.session, principal, account_id)
        principal.require_account_admin()
        return list(await self.repo.live_keys(account_id, utcnow()))

    async def revoke(self, principal: Principal, account_id: str, key_id: str) -> None:
        key = await self._live_key(principal, account_id, key_id)
        key.revoked_at = utcnow()
        key.revoked_reason = "deleted"

    async def rotate(
        self, principal: Principal, account_id: str, key_id: str, grace_period_seconds: int
    ) -> IssuedKey:
        old = await self._live_key(principal, account_id, key_id)
        issued = new_key_record(
            name=old.name,
            role=old.role,
            account_id=account_id,
            user_id=old.user_id,
            agent_ids=old.agent_ids,
            expires_at=old.expires_at,
        )
        await self.repo.add(issued.record)
        old.revoked_at = utcnow() + timedelta(seconds=grace_period_seconds)
        old.revoked_reason = "rotated"
        old.replaced_by_id = issued.record.id
        return issued

    async def _live_key(self, principal: Principal, account_id: str, key_id: str) -> ApiKey:
        await require_account_exists(self.session, principal, account_id)
        principal.require_account_admin()
        key = await self.repo.live_key(account_id, key_id, utcnow())
        if key is None:
            raise ApiKeyNotFound(f"API key '{key_id}' does not exist.")
        return key

    async def _owner(self, principal: Principal, account_id: str, user_id: str | None) -> User:
        if user_id is not None:
            user = await self.repo.active_user(account_id, user_id)
            if user is None:
                raise AuthUserNotFound(f"User '{user_id}' does not exist.")
            return user
        if principal.user_id is not None:
            user = await self.repo.active_user(account_id, principal.user_id)
            if user is not None:
                return user
        # The operator key has no user of its own: such keys belong to the account's first admin.
        admin = await self.repo.first_admin(account_id)
        if admin is None:
            raise AuthUserNotFound("The account has no admin user to own this key; pass 'userId'.")
        return admin


def _future_or_none(expires_at: datetime | None) -> datetime | None:
    if expires_at is None:
        return None
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    if expires_at <= utcnow():
        raise SchemaValidationFailed(
            "'expiresAt' must be in the future.",
            data={
                "errors": [{"path": "/body/expiresAt", "message": "must be in the future", "type": "value"}]
            },
        )
    return expires_at
