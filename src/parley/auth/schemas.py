from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from parley.kit.schemas import RequestSchema, ResponseSchema

AccountRole = Literal["admin", "editor", "viewer", "external"]
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]{1,255}$"
AGENT_ID_PATTERN = r"^[a-zA-Z0-9-]{1,64}$"


class CreateUserBody(RequestSchema):
    email: str = Field(min_length=3, max_length=320, pattern=EMAIL_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    role: AccountRole


class UserResponse(ResponseSchema):
    id: str
    account_id: str
    email: str
    name: str
    role: str
    created_at: datetime


class UsersResponse(ResponseSchema):
    users: list[UserResponse]


class CreateApiKeyBody(RequestSchema):
    name: str = Field(min_length=1, max_length=200)
    role: AccountRole
    agent_ids: list[str] | None = Field(default=None, max_length=1000)
    expires_at: datetime | None = None
    user_id: str | None = Field(default=None, min_length=1, max_length=32)


class RotateApiKeyBody(RequestSchema):
    grace_period_seconds: int = Field(default=0, ge=0, le=30 * 24 * 3600)


class ApiKeyResponse(ResponseSchema):
    id: str
    name: str
    role: str
    agent_ids: list[str] | None
    expires_at: datetime | None
    created_at: datetime
    user_id: str | None
    key_hint: str
    revokes_at: datetime | None = None


class ApiKeysResponse(ResponseSchema):
    api_keys: list[ApiKeyResponse]


class CreatedApiKeyResponse(ApiKeyResponse):
    key: str
