"""Where a handoff sends the call: an E.164 number or a SIP URI; a ``bye`` goes nowhere.

An ``invite`` may also name the outbound endpoint its INVITE goes to and the encryption of the
call (the ADK's ``sip_config``); other methods take neither.
"""

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


# A SIP URI, or a host (name, IPv4 or [IPv6]) with an optional port.
_HOST = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$"
)


def _invalid(message: str, path: str = DESTINATION_PATH, kind: str = "destination") -> SchemaValidationFailed:
    return SchemaValidationFailed(
        message, data={"errors": [{"path": path, "message": message, "type": kind}]}
    )


def checked_invite_extras(
    method: str, endpoint: str | None, encryption: str | None
) -> tuple[str | None, str | None]:
    """The outbound endpoint and encryption of an invite; any other method must have neither."""
    if method != "invite":
        for path, value in (("/body/outboundEndpoint", endpoint), ("/body/outboundEncryption", encryption)):
            if value is not None:
                raise _invalid(
                    f"Only an 'invite' handoff takes {path.rsplit('/', 1)[1]}; send null for a '{method}'.",
                    path,
                    "invite_only",
                )
        return None, None
    if endpoint is not None and not (_SIP_URI.fullmatch(endpoint) or _HOST.fullmatch(endpoint)):
        raise _invalid(
            f"'{endpoint[:80]}' is not a SIP URI or a host[:port] (like sip:trunk.example.com:5061).",
            "/body/outboundEndpoint",
            "endpoint",
        )
    return endpoint, encryption


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
