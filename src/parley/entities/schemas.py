"""Entity request and response bodies."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from parley.entities.config import EntityType
from parley.entities.fields import Description, ReferenceName, not_null
from parley.kit.schemas import RequestSchema, ResponseSchema


class CreateEntityBody(RequestSchema):
    name: ReferenceName
    description: Description = ""
    type: EntityType
    config: dict[str, Any] = Field(default_factory=dict)


class UpdateEntityBody(RequestSchema):
    name: ReferenceName | None = None
    description: Description | None = None
    type: EntityType | None = None
    # Replaces the whole config; a type change without one resets it to the new type's defaults.
    config: dict[str, Any] | None = None

    _present_fields_not_null = field_validator("*", mode="before")(not_null)


class EntityView(ResponseSchema):
    id: str
    name: str
    description: str
    type: str
    config: dict[str, Any]


class EntitiesResponse(ResponseSchema):
    entities: list[EntityView]
