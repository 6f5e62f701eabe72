from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from parley.kit.schemas import RequestSchema, ResponseSchema


class CreateBranchBody(RequestSchema):
    branch_name: str = Field(min_length=1, max_length=100)


class CreateBranchResponse(ResponseSchema):
    branch_id: str
    sequence_id: str


class BranchView(ResponseSchema):
    branch_id: str
    name: str
    is_main: bool
    created_at: datetime
    sequence_id: str


class BranchesResponse(ResponseSchema):
    branches: list[BranchView]


class DeleteBranchResponse(ResponseSchema):
    sequence: str
    message: str


class ConflictResolution(RequestSchema):
    path: list[str] = Field(min_length=2, max_length=3)
    strategy: Literal["ours", "theirs", "base"]
    value: Any = None


class MergeBranchBody(RequestSchema):
    deployment_message: str = Field(default="", max_length=2000)
    conflict_resolutions: list[ConflictResolution] = Field(default_factory=list, max_length=10000)


class MergeBranchResponse(ResponseSchema):
    sequence: str
    message: str
    test_run_ids: list[str]
