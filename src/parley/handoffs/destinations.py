"""Where a handoff sends the call: an E.164 number or a SIP URI; a ``bye`` goes nowhere."""

from __future__ import annotations

import re

from parley.errors import SchemaValidationFailed
from parley.handoffs.phone import require_e164

DESTINATION_PATH = "/body/destination"
# sip:/sips: user@host[:port][;params] (RFC 3261, without the rarely used headers part).
_SIP_URI = re.compile(
    r"^sips?:(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+@)?"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"|\[[0-9A-Fa-f:.]+\])"
    r"(?::\d{1,5})?(?:;[A-Za-z0-9\-_.!~*'()%]+(?:=[A-Za-z0-9\-_.!~*'()%\[\]/:&+$]*)?)*$",
    re.IGNORECASE,
)


def _invalid(message: str) -> SchemaValidationFailed:
    return SchemaValidationFailed(
        message, data={"errors": [{"path": DESTINATION_PATH, "message": message, "type": "destination"}]}
    )


def is_sip_uri(value: str) -> bool:
    return value.lower().startswith(("sip:", "sips:"))


def checked_destination(method: str, destination: str | None) -> str | None:
    if method == "bye":
        if destination:
            raise _invalid("A 'bye' handoff ends the call and has no destination; send destination null.")
        return None
    if not destination:
        raise _invalid(f"A '{method}' handoff needs a destination: an E.164 phone number or a SIP URI.")
    if is_sip_uri(destination):
        if not _SIP_URI.fullmatch(destination):
            raise _invalid(f"'{destination[:80]}' is not a valid SIP URI (like sip:desk@pbx.example.com).")
        return destination
    return require_e164(destination, DESTINATION_PATH)
