"""Accounts (workspaces)."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from parley.accounts.schemas import (
    AccountResponse,
    AccountsResponse,
    CreateAccountBody,
    CreatedAccountResponse,
)
from parley.accounts.service import AccountService, NewAccount
from parley.auth.deps import PrincipalDep
from parley.auth.router import issued_key_view
from parley.auth.schemas import UserResponse
from parley.kit.db import SessionDep
from parley.kit.http import make_route_class
from parley.models import Account

router = APIRouter(prefix="/v1/accounts", tags=["Accounts"], route_class=make_route_class())


def account_view(account: Account, region: str) -> AccountResponse:
    return AccountResponse(
        account_id=account.id,
        name=account.name,
        region=region,
        created_at=account.created_at,
        updated_at=account.updated_at,
    )


def _created_view(new: NewAccount, region: str) -> CreatedAccountResponse:
    return CreatedAccountResponse(
        account=account_view(new.account, region),
        admin_user=UserResponse.model_validate(new.admin),
        admin_key=issued_key_view(new.admin_key),
    )


@router.get("", response_model=AccountsResponse)
async def list_accounts(request: Request, principal: PrincipalDep, session: SessionDep) -> AccountsResponse:
    """List accounts: every account for the operator, the key's own account otherwise."""
    region = request.app.state.settings.region
    accounts = await AccountService(session).list_accounts(principal)
    return AccountsResponse(accounts=[account_view(a, region) for a in accounts])


@router.post("", response_model=CreatedAccountResponse, status_code=status.HTTP_201_CREATED)
async def create_account(
    request: Request, body: CreateAccountBody, principal: PrincipalDep, session: SessionDep
) -> CreatedAccountResponse:
    """Create an account with its first admin user and key (operator key only)."""
    new = await AccountService(session).create(principal, body)
    return _created_view(new, request.app.state.settings.region)


@router.get("/{accountId}", response_model=AccountResponse)
async def get_account(
    request: Request, accountId: str, principal: PrincipalDep, session: SessionDep
) -> AccountResponse:
    """Get an account."""
    account = await AccountService(session).get(principal, accountId)
    return account_view(account, request.app.state.settings.region)
