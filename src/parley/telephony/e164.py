"""Phone numbers in, E.164 out: the one canonical form stored and returned."""

from __future__ import annotations

import re

import phonenumbers

MAX_INPUT_LENGTH = 64
# Digits and the usual separators after a leading '+'. Anything else (letters, "tel:", "ext.")
# is refused up front: the parser would otherwise read letters as vanity digits.
_SHAPE = re.compile(r"\+[0-9][0-9 ().\-]*")


def to_e164(raw: str) -> str | None:
    """The number in E.164 ("+442079460958"), or None if it is not a valid international number."""
    text = raw.strip()
    if len(text) > MAX_INPUT_LENGTH or not _SHAPE.fullmatch(text):
        return None
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def shown(raw: str) -> str:
    """A caller's input, bounded, for echoing back in an error."""
    return raw if len(raw) <= MAX_INPUT_LENGTH else raw[:MAX_INPUT_LENGTH] + "..."
