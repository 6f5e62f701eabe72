"""Users and API keys of an account."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from parley.auth.deps import PrincipalDep
from parley.auth.schemas import (
    ApiKeyResponse,
    ApiKeysResponse,
    CreateApiKeyBody,
    CreatedApiKeyResponse,
    CreateUserBody,
    RotateApiKeyBody,
    UserResponse,
    UsersResponse,
)
from parley.auth.service import ApiKeyService, IssuedKey, UserService
from parley.kit.db import SessionDep
from parley.kit.http import make_route_class
from parley.models import ApiKey

router = APIRouter(
    prefix="/v1/accounts/{accountId}", tags=["Users and API keys"], route_class=make_route_class()
)


def key_view(key: ApiKey) -> ApiKeyResponse:
    return ApiKeyResponse(
        id=key.id,
        name=key.name,
        role=key.role,
        agent_ids=key.agent_ids,
        expires_at=key.expires_at,
        created_at=key.created_at,
        user_id=key.user_id,
        key_hint=key.hint,
        revokes_at=key.revoked_at,
    )


def issued_key_view(issued: IssuedKey) -> CreatedApiKeyResponse:
    return CreatedApiKeyResponse(**key_view(issued.record).model_dump(), key=issued.secret)


@router.get("/users", response_model=UsersResponse)
async def list_users(accountId: str, principal: PrincipalDep, session: SessionDep) -> UsersResponse:
    """List the account's users."""
    users = await UserService(session).list_users(principal, accountId)
    return UsersResponse(users=[UserResponse.model_validate(u) for u in users])


@router.post("/users", response_model=UserResponse, status_code=status.HTTP_201_CREATED)
async def create_user(
    accountId: str, body: CreateUserBody, principal: PrincipalDep, session: SessionDep
) -> UserResponse:
    """Create a user in the account."""
    return UserResponse.model_validate(await UserService(session).create(principal, accountId, body))


@router.get("/users/{userId}", response_model=UserResponse)
async def get_user(accountId: str, userId: str, principal: PrincipalDep, session: SessionDep) -> UserResponse:
    """Get one user."""
    return UserResponse.model_validate(await UserService(session).get(principal, accountId, userId))


@router.delete("/users/{userId}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_user(accountId: str, userId: str, principal: PrincipalDep, session: SessionDep) -> Response:
    """Delete a user; every key it owns stops working."""
    await UserService(session).delete(principal, accountId, userId)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api-keys", response_model=ApiKeysResponse)
async def list_api_keys(accountId: str, principal: PrincipalDep, session: SessionDep) -> ApiKeysResponse:
    """List the account's live API keys (never their values)."""
    keys = await ApiKeyService(session).list_keys(principal, accountId)
    return ApiKeysResponse(api_keys=[key_view(k) for k in keys])


@router.post("/api-keys", response_model=CreatedApiKeyResponse, status_code=status.HTTP_201_CREATED)
async def create_api_key(
    accountId: str, body: CreateApiKeyBody, principal: PrincipalDep, session: SessionDep
) -> CreatedApiKeyResponse:
    """Create an API key; its value appears in this response only."""
    return issued_key_view(await ApiKeyService(session).create(principal, accountId, body))


@router.delete("/api-keys/{keyId}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def revoke_api_key(
    accountId: str, keyId: str, principal: PrincipalDep, session: SessionDep
) -> Response:
    """Revoke an API key at once."""
    await ApiKeyService(session).revoke(principal, accountId, keyId)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/api-keys/{keyId}/rotate", response_model=CreatedApiKeyResponse, status_code=status.HTTP_201_CREATED
)
async def rotate_api_key(
    accountId: str,
    keyId: str,
    principal: PrincipalDep,
    session: SessionDep,
    body: RotateApiKeyBody | None = None,
) -> CreatedApiKeyResponse:
    """Replace a key with a new one; the old one is revoked after the grace period."""
    grace = body.grace_period_seconds if body else 0
    return issued_key_view(await ApiKeyService(session).rotate(principal, accountId, keyId, grace))
