"""E.164 phone numbers, checked with libphonenumber (shared by handoffs and SMS templates)."""

from __future__ import annotations

import re
from typing import Any

import phonenumbers

from parley.errors import PhoneNumbersInvalidPhoneNumberFormat

_E164 = re.compile(r"^\+[1-9]\d{1,14}$")


def _suggestion(value: str) -> str | None:
    """The E.164 form of a number written another way (spaces, dashes, brackets), if valid."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def require_e164(value: str, path: str) -> str:
    """The number itself when it is a valid number written in E.164, else 400 14003."""
    if _E164.fullmatch(value) and _suggestion(value) == value:
        return value
    error: dict[str, Any] = {
        "path": path,
        "message": "must be a valid phone number in E.164 format, like +14155552671",
        "type": "e164",
    }
    suggestion = _suggestion(value[:64])
    if suggestion is not None:
        error["suggestion"] = suggestion
    hint = f" Did you mean '{suggestion}'?" if suggestion else ""
    raise PhoneNumbersInvalidPhoneNumberFormat(
        f"'{value[:40]}' at {path.removeprefix('/body/')} is not a valid E.164 phone number.{hint}",
        data={"errors": [error]},
    )
