"""Request and response bodies of attributes and variants (agents.json shapes)."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictBool, StringConstraints, field_validator

from parley.kit.schemas import RequestSchema, ResponseSchema
from parley.variants.resources import NAME_MAX_CHARS, VALUE_MAX_CHARS


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in text)


def _printable(value: str) -> str:
    if has_control_characters(value):
        raise ValueError("must not contain control characters (newlines, tabs, ...)")
    return value


def _not_null(value: Any) -> Any:
    # Optional in a PATCH means "leave unchanged"; an explicit null would silently do the same.
    if value is None:
        raise ValueError("may be omitted but not null")
    return value


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX_CHARS),
    AfterValidator(_printable),
]
AttributeValue = Annotated[str, StringConstraints(strip_whitespace=True, max_length=VALUE_MAX_CHARS)]
AttributeKey = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class CreateAttributeBody(RequestSchema):
    name: Name


class UpdateAttributeBody(RequestSchema):
    name: Name


class AttributeValuesBody(RequestSchema):
    # Bounded well above the 50 attributes a branch may have, so unknown keys still reach the
    # service and get VARIANTS_BAD_ATTRIBUTES_ERROR with the offending keys.
    values: dict[AttributeKey, AttributeValue] = Field(default_factory=dict, max_length=1000)


class CreateVariantBody(RequestSchema):
    name: Name
    attribute_values: AttributeValuesBody = Field(default_factory=AttributeValuesBody)
    is_default: StrictBool | None = None


class UpdateVariantBody(RequestSchema):
    name: Name | None = None
    attribute_values: AttributeValuesBody | None = None
    is_default: StrictBool | None = None

    _present_fields_not_null = field_validator("name", "attribute_values", "is_default", mode="before")(
        _not_null
    )


class AttributeView(ResponseSchema):
    id: str
    name: str


class AttributesResponse(ResponseSchema):
    attributes: list[AttributeView]


class DeletedResponse(ResponseSchema):
    id: str


class AttributeValuesView(ResponseSchema):
    values: dict[str, str]


class VariantView(ResponseSchema):
    id: str
    name: str
    is_default: bool
    attribute_values: AttributeValuesView


class VariantsResponse(ResponseSchema):
    variants: list[VariantView]


class ImportVariantsResponse(ResponseSchema):
    created: int
    updated: int
    attributes_created: int
