"""SMS template request and response bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from parley.entities.fields import ReferenceName, not_null
from parley.kit.schemas import RequestSchema, ResponseSchema

TEXT_MAX_CHARS = 500  # Studio's limit; 160 characters fit one SMS segment
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_MAX_CHARS)]
Number = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class EnvPhoneNumbersBody(RequestSchema):
    # The environment names are the keys, exactly as everywhere else (CONTRACT.md).
    model_config = ConfigDict(populate_by_name=False)

    sandbox: Number | None = None
    pre_release: Number | None = Field(default=None, alias="pre-release")
    live: Number | None = None


class CreateSmsTemplateBody(RequestSchema):
    name: ReferenceName
    text: Text
    env_phone_numbers: EnvPhoneNumbersBody = Field(default_factory=EnvPhoneNumbersBody)


class UpdateSmsTemplateBody(RequestSchema):
    name: ReferenceName | None = None
    text: Text | None = None
    # Replaces all three numbers at once; an environment left out has no number afterwards.
    env_phone_numbers: EnvPhoneNumbersBody | None = None

    _present_fields_not_null = field_validator("*", mode="before")(not_null)


class EnvPhoneNumbersView(ResponseSchema):
    """Only environments with a number appear (the routes leave out nulls)."""

    model_config = ConfigDict(populate_by_name=False)

    sandbox: str | None = None
    pre_release: str | None = Field(default=None, alias="pre-release")
    live: str | None = None


class SmsTemplateView(ResponseSchema):
    id: str
    name: str
    text: str
    env_phone_numbers: EnvPhoneNumbersView


class SmsTemplatesResponse(ResponseSchema):
    sms_templates: list[SmsTemplateView]
