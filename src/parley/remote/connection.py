"""Reaching the server: the --url and --key options, and turning SDK errors into a clean exit."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from parley.sdk import Client, ParleyError, ParleyTransportError

DEFAULT_URL = "http://127.0.0.1:8080"

UrlOption = Annotated[
    str, typer.Option("--url", envvar="PARLEY_URL", help="The server's base URL.", show_default=True)
]
KeyOption = Annotated[
    str | None,
    typer.Option("--key", envvar="PARLEY_API_KEY", help="API key.", show_default=False),
]
AgentOption = Annotated[str, typer.Option("--agent", help="The agent (project) id.")]


def fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def report(error: ParleyError) -> typer.Exit:
    """Print the server's error envelope to stderr; the caller raises the returned Exit."""
    typer.echo(f"error: {error.code or error.status} ({error.id}): {error.message}", err=True)
    if error.data:
        typer.echo(json.dumps(error.data, default=str, ensure_ascii=False), err=True)
    if error.correlation_id:
        typer.echo(f"correlation id: {error.correlation_id}", err=True)
    return typer.Exit(code=1)


@contextmanager
def connected(url: str, key: str | None) -> Iterator[Client]:
    """A client for the command's lifetime; a server error or an unreachable server exits with 1."""
    if not key:
        raise fail("no API key: pass --key or set PARLEY_API_KEY")
    # httpx logs every request at INFO, which would bury a chat transcript in log lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        with Client(url, key) as client:
            yield client
    except ParleyError as error:
        raise report(error) from None
    except ParleyTransportError as error:
        raise fail(f"cannot reach the server at {url}: {error}") from None


def print_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
