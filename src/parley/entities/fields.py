"""Field types shared by the resources that text references by name (entities, handoffs, SMS).

A name must be writable inside ``{{entity:name}}``, ``{{ho:name}}`` or ``{{twilio_sms:name}}``:
references match ``[\\w-]+`` (agent-model §1.3), so a name starts with a letter and continues with
letters, digits, ``_`` or ``-``. Letters may be any script's.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import StringConstraints

REFERENCE_NAME_PATTERN = r"^[^\W\d_][\w-]*$"
NAME_MAX_CHARS = 100
DESCRIPTION_MAX_CHARS = 2000


ReferenceName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=NAME_MAX_CHARS, pattern=REFERENCE_NAME_PATTERN
    ),
]
# The ADK refuses descriptions with leading or trailing whitespace; we strip it instead.
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=DESCRIPTION_MAX_CHARS)]


def not_null(value: Any) -> Any:
    """For PATCH bodies: an omitted field stays unchanged, so an explicit null is refused."""
    if value is None:
        raise ValueError("may be omitted but not null")
    return value
