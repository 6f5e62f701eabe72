"""`parley agent export|import`: a branch as one JSON agent document, out and back in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

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

app = typer.Typer(help="Export and import agents as JSON documents.", no_args_is_help=True)


@app.command("export")
def export(
    agent: AgentOption,
    branch: Annotated[str, typer.Option("--branch", "-b", help="Branch id, or main.")] = "main",
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Print the branch as an agent document (redirect it to a file)."""
    with connected(url, key) as client:
        print_json(client.branches.export(agent, branch))


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help='The agent document (JSON); "-" reads standard input.')],
    agent: AgentOption,
    branch: Annotated[str, typer.Option("--branch", "-b", help="Branch id (main is read-only).")],
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Replace the branch's content with an agent document, all or nothing."""
    document = _read_document(file)
    with connected(url, key) as client:
        print_json(client.branches.import_(agent, branch, document))


def _read_document(file: Path) -> dict[str, Any]:
    try:
        text = typer.get_text_stream("stdin").read() if str(file) == "-" else file.read_text(encoding="utf-8")
        document = json.loads(text)
    except OSError as error:
        raise fail(f"cannot read {file}: {error.strerror or error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise fail(f"{file} is not a JSON document: {error}") from None
    if not isinstance(document, dict):
        raise fail(f"{file} must hold a JSON object (an exported agent), not {type(document).__name__}")
    return document
