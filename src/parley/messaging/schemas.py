"""Messaging HTTP bodies: snake_case on the wire, as PolyAI's messaging API has them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, StrictBool

Platform = Literal["web", "ios", "android", "ios-web", "android-web", "custom"]


class AccessTokenView(BaseModel):
    access_token: str
    expires_in: int
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - a scheme name, not a secret


class CreateSessionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    streaming_enabled: StrictBool = False
    platform: Platform = "web"


class SessionView(BaseModel):
    session_id: str
