"""Name normalisation shared by every branch-scoped kind.

The ADK derives file names from resource names (``clean_name``) and fails when two resources map
to one file, so names must stay unique after this normalisation, not just byte for byte.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_PUNCTUATION = re.compile(r"[^\w\s]", re.UNICODE)
_SPACES = re.compile(r"\s+")
_UNDERSCORES = re.compile(r"_+")


# Pure and called many times per chat turn on the same few names (the runtime's lookups).
@functools.lru_cache(maxsize=8192)
def clean_name(name: str) -> str:
    text = unicodedata.normalize("NFC", name).lower()
    text = _PUNCTUATION.sub(" ", text)
    text = _SPACES.sub("_", text.strip())
    return _UNDERSCORES.sub("_", text).strip("_") or "_"


def name_key_for(data: dict[str, object], resource_id: str) -> str:
    """The uniqueness key of a resource: its cleaned name, or its id for unnamed singletons."""
    name = data.get("name")
    return clean_name(name)[:200] if isinstance(name, str) and name else resource_id
