from __future__ import annotations

from datetime import datetime

from pydantic import Field

from parley.auth.schemas import EMAIL_PATTERN, CreatedApiKeyResponse, UserResponse
from parley.kit.schemas import RequestSchema, ResponseSchema


class CreateAccountBody(RequestSchema):
    # The id's format is checked by the service so that it can answer ACCOUNT_CREATE_INVALID_ID.
    account_id: str = Field(max_length=1000)
    name: str = Field(min_length=1, max_length=200)
    admin_email: str | None = Field(default=None, max_length=320, pattern=EMAIL_PATTERN)
    admin_name: str | None = Field(default=None, min_length=1, max_length=200)


class AccountResponse(ResponseSchema):
    account_id: str
    name: str
    region: str
    created_at: datetime
    updated_at: datetime


class AccountsResponse(ResponseSchema):
    accounts: list[AccountResponse]


class CreatedAccountResponse(ResponseSchema):
    account: AccountResponse
    admin_user: UserResponse
    admin_key: CreatedApiKeyResponse
