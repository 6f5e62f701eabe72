"""Checks and normalisation of connector fields shared by create, update and batch update."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_VARIANT_ID = re.compile(r"[A-Za-z0-9._:\-]{1,64}")
_LANG_CODE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}")
# Google TTS voice names: "<lang>-<REGION>-<family>-<variant>", e.g. en-US-Neural2-A.
_VOICE_NAME = re.compile(r"(?P<lang>[a-z]{2,3}-(?:[A-Z]{2}|[0-9]{3}))(?:-[A-Za-z0-9]+)+")
_LABEL = r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}})?")
MAX_HOSTS = 100
MAX_HOST_LENGTH = 253


@dataclass(frozen=True)
class FieldError:
    field: str  # the camelCase body field
    message: str

    def as_dict(self, prefix: str = "/body") -> dict[str, str]:
        return {"path": f"{prefix}/{self.field}", "message": self.message, "type": "value_error"}


@dataclass
class ConnectorFields:
    """Normalised values, keyed by ORM attribute; only the fields the caller sent."""

    values: dict[str, Any]
    errors: list[FieldError]


def normalise(sent: dict[str, Any]) -> ConnectorFields:
    """``sent`` maps camelCase field names to the raw values present in the body (null included)."""
    values: dict[str, Any] = {}
    errors: list[FieldError] = []

    def fail(field: str, message: str) -> None:
        errors.append(FieldError(field, message))

    for field, value in sent.items():
        if field == "name":
            name = value.strip() if isinstance(value, str) else ""
            if not name:
                fail(field, "must be a non-empty string")
            elif _CONTROL.search(name):
                fail(field, "must not contain control characters")
            else:
                values["name"] = name
        elif field == "variantId":
            if value is None or value == "":
                values["variant_id"] = ""
            elif _VARIANT_ID.fullmatch(value):
                values["variant_id"] = value
            else:
                fail(field, "must be 1-64 characters from letters, digits and '._:-', or null to unassign")
        elif field == "asrLangCode":
            if value is None or value == "":
                values["asr_lang_code"] = ""
            elif _LANG_CODE.fullmatch(value):
                values["asr_lang_code"] = value
            else:
                fail(field, "must be a BCP-47 language code such as 'en-US'")
        elif field == "voiceName":
            if value is None or value == "":
                values["voice_name"] = ""
                values["tts_lang_code"] = ""
            elif match := _VOICE_NAME.fullmatch(value):
                values["voice_name"] = value
                # PolyAI derives the TTS language from the voice name's prefix.
                values["tts_lang_code"] = match["lang"]
            else:
                fail(field, "must be a Google TTS voice name such as 'en-US-Neural2-A'")
        elif field == "allowedHosts":
            hosts, problem = _hosts(value)
            if problem:
                fail(field, problem)
            else:
                values["allowed_hosts"] = hosts
        elif field == "disableHandoff":
            values["disable_handoff"] = bool(value)
        elif field == "projectId":
            if value is None:
                fail(field, "cannot be null: name the agent to move the connector to")
            else:
                values["project_id"] = value
    return ConnectorFields(values=values, errors=errors)


def _hosts(value: list[str] | None) -> tuple[list[str], str | None]:
    if value is None:
        return [], None
    if len(value) > MAX_HOSTS:
        return [], f"at most {MAX_HOSTS} hosts"
    hosts: list[str] = []
    for index, raw in enumerate(value):
        host = raw.strip().lower()
        if len(host) > MAX_HOST_LENGTH or not _HOST.fullmatch(host):
            shown = raw if len(raw) <= 60 else raw[:60] + "..."
            return [], (
                f"item {index} ({shown!r}) is not a host name: send a bare domain or app namespace "
                "such as 'shop.example.com' (optionally with ':port'), without scheme or path"
            )
        if host not in hosts:
            hosts.append(host)
    return hosts, None
