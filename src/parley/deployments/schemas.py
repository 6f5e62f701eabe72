from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from parley.kit.schemas import RequestSchema, ResponseSchema


class PublishBody(RequestSchema):
    # The spec does not forbid unknown fields on publish (unlike promote and rollback).
    model_config = ConfigDict(extra="ignore")

    deployment_message: str = Field(default="", max_length=2000)
    # Checked by the service so that a bad value answers DEPLOYMENTS_INVALID_ENVIRONMENT.
    environment: str | None = Field(default=None, max_length=100)


class PromoteBody(RequestSchema):
    deployment_message: str = Field(default="", max_length=2000)
    target_environment: Literal["pre-release", "live"] | None = None


class RollbackBody(RequestSchema):
    deployment_message: str = Field(default="", max_length=2000)


class DeploymentView(ResponseSchema):
    id: str
    account_id: str
    agent_id: str
    environment: str
    artifact_version: str
    version: str
    created_by: str
    created_at: str
    metadata: dict[str, Any]


class Notice(ResponseSchema):
    code: str
    id: int
    message: str


class MutationResponse(ResponseSchema):
    deployment: DeploymentView
    test_run_ids: list[str]
    notice: Notice | None = None


class DeploymentsResponse(ResponseSchema):
    deployments: list[DeploymentView]


class ActiveDeploymentsResponse(ResponseSchema):
    active_deployments: dict[str, DeploymentView | None]
