"""Reading a variant document's attribute values."""

from __future__ import annotations

from typing import Any


def values_of(document: dict[str, Any]) -> dict[str, str]:
    """A fresh copy of the variant's ``attributeValues.values`` (safe to modify)."""
    container = document.get("attributeValues") or {}
    values = container.get("values") or {}
    return {str(key): str(value) for key, value in values.items()}
