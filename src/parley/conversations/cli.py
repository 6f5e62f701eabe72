"""`parley conversations ...`: list and show through the SDK; generate in-process, for benchmarks."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer

from parley.remote.connection import DEFAULT_URL, KeyOption, UrlOption, connected, print_json

app = typer.Typer(help="Conversations: list, show, and generate synthetic ones.", no_args_is_help=True)

AccountOption = Annotated[str, typer.Option("--account", envvar="PARLEY_ACCOUNT", help="The account id.")]


@app.command("list")
def list_conversations(
    agent: Annotated[str, typer.Argument(help="The agent (project) id.")],
    account: AccountOption = "default",
    client_env: Annotated[str, typer.Option("--env", help="sandbox, pre-release or live.")] = "live",
    filter_: Annotated[str | None, typer.Option("--filter", help="e.g. 'channel = \"webchat\"'.")] = None,
    sort: Annotated[
        str | None, typer.Option(help="started_at, duration, conversation_id; -x or x:desc.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, following cursors.")] = 20,
    search: Annotated[str | None, typer.Option(help="Transcript text to search for (last 30 days).")] = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON object per line, full summaries.")] = False,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """List conversations, newest first unless --sort says otherwise."""
    from datetime import UTC, datetime, timedelta

    params: dict[str, object] = {
        "client_env": client_env,
        "filter": filter_,
        "sort": sort,
        "limit": min(limit, 1000),
    }
    if search:
        now = datetime.now(UTC)
        params |= {
            "query_type": "transcript",
            "query": search,
            "start_time": now - timedelta(days=30),
            "end_time": now,
        }
    with connected(url, key) as client:
        conversations = client.conversations.iterate(account, agent, **params)
        for shown, conversation in enumerate(conversations, start=1):
            if jsonl:
                typer.echo(json.dumps(conversation, ensure_ascii=False, default=str))
            else:
                typer.echo(
                    f"{conversation['id']}  {conversation['started_at']}  {conversation['channel']:<8} "
                    f"turns={conversation.get('num_turns')} duration={conversation.get('total_duration')}s"
                    f"{'  handoff' if conversation.get('handoff') else ''}"
                    f"{'  in progress' if conversation.get('in_progress') else ''}"
                )
            if shown >= limit:
                break


@app.command("show")
def show_conversation(
    agent: Annotated[str, typer.Argument(help="The agent (project) id.")],
    conversation_id: Annotated[str, typer.Argument(help="The conversation id.")],
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """One conversation with its turns, as JSON."""
    with connected(url, key) as client:
        print_json(client.conversations.get(agent, conversation_id))


@app.command("generate")
def generate_conversations(
    count: Annotated[int, typer.Argument(min=1, help="How many conversations to write.")],
    agent: Annotated[
        str, typer.Option("--agent", help="Agent to write them to (created if missing).")
    ] = "bench",
    account: Annotated[str, typer.Option("--account", help="The agent's account.")] = "default",
    batch: Annotated[int, typer.Option(min=1, help="Rows per transaction.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same data.")] = 7,
    days: Annotated[int, typer.Option(min=1, help="Spread start times over this many past days.")] = 30,
) -> None:
    """Write COUNT synthetic conversations with turns straight into the database (no server)."""
    from parley.cli import prepare_database
    from parley.config import get_settings
    from parley.conversations.generate import GenerateOptions, generate
    from parley.kit.db import create_engine

    settings = get_settings()
    options = GenerateOptions(
        agent_id=agent, account_id=account, count=count, batch=batch, seed=seed, window_days=days
    )

    def progress(done: int, elapsed: float) -> None:
        typer.echo(f"{done} conversations in {elapsed:.1f} s ({done / max(elapsed, 1e-9):.0f}/s)", err=True)

    async def run() -> int:
        await prepare_database(settings)
        engine = create_engine(settings.database)
        try:
            return await generate(engine, options, progress)
        except ValueError as exc:
            raise typer.Exit(code=1) from exc
        finally:
            await engine.dispose()

    written = asyncio.run(run())
    typer.echo(f"wrote {written} conversations to agent '{agent}'")
