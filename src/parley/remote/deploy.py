"""`parley deploy`: publish, promote, roll back and inspect an agent's deployments."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import typer

from parley.remote.connection import (
    DEFAULT_URL,
    AgentOption,
    KeyOption,
    UrlOption,
    connected,
    fail,
    print_json,
)
from parley.sdk import Client

app = typer.Typer(
    help="Deployments of an agent (sandbox, then pre-release, then live).", no_args_is_help=True
)

ENVIRONMENTS = ("sandbox", "pre-release", "live")
Environment = Literal["sandbox", "pre-release", "live"]
Target = Literal["pre-release", "live"]
MessageOption = Annotated[str | None, typer.Option("--message", "-m", help="Deployment message.")]


@app.command("list")
def list_deployments(
    agent: AgentOption,
    environment: Annotated[Environment, typer.Option("--environment", "-e", help="Which environment.")],
    limit: Annotated[
        int | None, typer.Option(min=1, max=1000, help="At most this many, newest first.")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Deployments of one environment, newest first."""
    with connected(url, key) as client:
        print_json(client.deployments.list(agent, environment, limit=limit))


@app.command("active")
def active(agent: AgentOption, url: UrlOption = DEFAULT_URL, key: KeyOption = None) -> None:
    """The active deployment of each environment (null where none)."""
    with connected(url, key) as client:
        print_json(client.deployments.active(agent))


@app.command("publish")
def publish(
    agent: AgentOption,
    environment: Annotated[
        Environment | None, typer.Option("--environment", "-e", help="Target (default: sandbox).")
    ] = None,
    message: MessageOption = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Compile main into an immutable version and deploy it."""
    with connected(url, key) as client:
        print_json(client.deployments.publish(agent, environment=environment, deployment_message=message))


@app.command("promote")
def promote(
    agent: AgentOption,
    deployment: Annotated[
        str | None,
        typer.Option(help="Deployment to promote (default: the one active in the stage before --to)."),
    ] = None,
    to: Annotated[Target | None, typer.Option("--to", help="Target (default: the next stage).")] = None,
    message: MessageOption = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Deploy a version to a later environment; prints a notice if it already runs there."""
    with connected(url, key) as client:
        deployment_id = deployment or _active_before(client, agent, to or "pre-release")
        print_json(
            client.deployments.promote(
                agent, deployment_id, target_environment=to, deployment_message=message
            )
        )


@app.command("rollback")
def rollback(
    agent: AgentOption,
    deployment: Annotated[str | None, typer.Option(help="The earlier deployment to reactivate.")] = None,
    environment: Annotated[
        Environment | None,
        typer.Option(
            "--environment",
            "-e",
            help="Instead of --deployment: back to this environment's previous version.",
        ),
    ] = None,
    message: MessageOption = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Make an earlier deployment's version active again in its environment."""
    if (deployment is None) == (environment is None):
        raise fail("pass exactly one of --deployment and --environment")
    with connected(url, key) as client:
        deployment_id = deployment or _previous_version(client, agent, environment or "")
        print_json(client.deployments.rollback(agent, deployment_id, deployment_message=message))


def _active_before(client: Client, agent: str, target: str) -> str:
    source = ENVIRONMENTS[ENVIRONMENTS.index(target) - 1]
    current: dict[str, Any] | None = client.deployments.active(agent)["activeDeployments"].get(source)
    if current is None:
        raise fail(f"nothing is deployed to {source}, so there is nothing to promote to {target}")
    deployment_id: str = current["id"]
    return deployment_id


def _previous_version(client: Client, agent: str, environment: str) -> str:
    # History is newest first and append-only; the first entry is the active one.
    history = client.deployments.list(agent, environment, limit=1000)["deployments"]
    if history:
        for candidate in history[1:]:
            if candidate["version"] != history[0]["version"]:
                deployment_id: str = candidate["id"]
                return deployment_id
    raise fail(f"{environment} has no earlier version to roll back to")
