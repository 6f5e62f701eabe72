"""Accounts: creation rules, lookup, and the first-start bootstrap."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.repository import AccountRepository
from parley.accounts.schemas import CreateAccountBody
from parley.accounts.similarity import too_similar
from parley.auth.principal import Principal
from parley.auth.repository import AuthRepository
from parley.auth.service import IssuedKey, new_key_record
from parley.config import BootstrapSettings
from parley.errors import AccountCreateExistingId, AccountCreateInvalidId, AccountNotFound
from parley.kit.ids import new_id
from parley.models import Account, User

ACCOUNT_ID_PATTERN = re.compile(r"^[A-Za-z0-9]{3,40}$")
DEFAULT_ACCOUNT_ID = "default"


@dataclass(frozen=True)
class NewAccount:
    account: Account
    admin: User
    admin_key: IssuedKey


class AccountService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = AccountRepository(session)

    async def create(self, principal: Principal, body: CreateAccountBody) -> NewAccount:
        principal.require_operator()
        account_id = body.account_id
        if not ACCOUNT_ID_PATTERN.fullmatch(account_id):
            raise AccountCreateInvalidId(
                "Account ID must be 3-40 ASCII letters and digits.", data={"accountId": account_id[:100]}
            )
        await self.repo.lock_for_create()
        if await self.repo.get(account_id) is not None:
            raise AccountCreateExistingId(f"Account ID '{account_id}' is already taken.")
        for existing in await self.repo.ids_near_length(len(account_id)):
            if too_similar(account_id, existing):
                raise AccountCreateInvalidId(
                    f"Account ID '{account_id}' is too similar to an existing account ID.",
                    data={"similarTo": existing},
                )
        try:
            return await create_account_with_admin(
                self.session,
                account_id=account_id,
                name=body.name,
                admin_email=body.admin_email or f"admin@{account_id.lower()}.local",
                admin_name=body.admin_name or "Administrator",
            )
        except IntegrityError:
            # Lost a race with a concurrent create of the same id.
            raise AccountCreateExistingId(f"Account ID '{account_id}' is already taken.") from None

    async def get(self, principal: Principal, account_id: str) -> Account:
        principal.require_account(account_id)
        account = await self.repo.get(account_id)
        if account is None:
            raise AccountNotFound(f"Account '{account_id}' does not exist.")
        return account

    async def list_accounts(self, principal: Principal) -> list[Account]:
        if principal.is_operator:
            return list(await self.repo.all())
        assert principal.account_id is not None
        account = await self.repo.get(principal.account_id)
        return [account] if account else []


async def create_account_with_admin(
    session: AsyncSession,
    *,
    account_id: str,
    name: str,
    admin_email: str,
    admin_name: str,
    admin_key_secret: str | None = None,
) -> NewAccount:
    account = Account(id=account_id, name=name)
    await AccountRepository(session).add(account)
    auth = AuthRepository(session)
    admin = User(id=new_id("USER"), account_id=account_id, email=admin_email, name=admin_name, role="admin")
    await auth.add(admin)
    issued = new_key_record(
        name="admin", role="admin", account_id=account_id, user_id=admin.id, secret=admin_key_secret
    )
    await auth.add(issued.record)
    return NewAccount(account=account, admin=admin, admin_key=issued)


@dataclass(frozen=True)
class BootstrapResult:
    operator_key: str
    account: NewAccount


async def bootstrap(session: AsyncSession, settings: BootstrapSettings) -> BootstrapResult | None:
    """On an empty database: an operator key, a `default` account, its admin user and key."""
    if await AuthRepository(session).any_key_exists() or await AccountRepository(session).any_exists():
        return None
    operator = new_key_record(
        name="operator", role="operator", account_id=None, user_id=None, secret=settings.operator_key
    )
    await AuthRepository(session).add(operator.record)
    account = await create_account_with_admin(
        session,
        account_id=DEFAULT_ACCOUNT_ID,
        name="Default account",
        admin_email="admin@default.local",
        admin_name="Administrator",
        admin_key_secret=settings.api_key,
    )
    return BootstrapResult(operator_key=operator.secret, account=account)
