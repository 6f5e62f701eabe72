"""The two resource kinds of this slice and the limits PolyAI documents for them."""

from __future__ import annotations

from parley.branches import kinds
from parley.branches.store import ResourceKind
from parley.errors import (
    AttributeNameAlreadyExists,
    AttributeNotFound,
    VariantNotFound,
    VariantsDuplicateNameError,
)

# The seed has no attribute name code: the generic 409 (CONTRACT.md, docs/variants.md).
ATTRIBUTES = ResourceKind(
    name=kinds.ATTRIBUTE,
    id_prefix="ATTRIBUTE",
    label="Attribute",
    not_found=AttributeNotFound,
    name_taken=AttributeNameAlreadyExists,
)
VARIANTS = ResourceKind(
    name=kinds.VARIANT,
    id_prefix="VARIANT",
    label="Variant",
    not_found=VariantNotFound,
    name_taken=VariantsDuplicateNameError,
)

# polyai-api-digest §1.8: 1000 variants per project, 50 attributes, CSV files up to 10 MB.
MAX_VARIANTS = 1000
MAX_ATTRIBUTES = 50
MAX_CSV_BYTES = 10 * 1024 * 1024
NAME_MAX_CHARS = 100
VALUE_MAX_CHARS = 5000
