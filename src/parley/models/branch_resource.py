from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parley.kit.db import Base, utcnow


class _ResourceColumns:
    """One branch-scoped resource (topic, flow, step, function, variant, ...) as a JSON document.

    Every kind lives in one table so that branching, merging, export/import and compiling are
    written once for all kinds. ``data`` is the resource's public (camelCase) representation.
    """

    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The owning resource for nested kinds (a flow's steps and functions); "" for top-level kinds.
    parent_id: Mapped[str] = mapped_column(String(64), default="")
    # Names are unique per (branch, kind, parent) after normalisation; see branches.names.
    name_key: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class BranchResource(_ResourceColumns, Base):
    __tablename__ = "branch_resource"

    # Its index also serves listing by (branch, kind, parent).
    __table_args__ = (UniqueConstraint("branch_id", "kind", "parent_id", "name_key"),)


class BranchBaseResource(_ResourceColumns, Base):
    """Main's resources as they were when the branch was made: the base of a three-way merge."""

    __tablename__ = "branch_base_resource"
