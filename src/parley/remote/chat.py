"""`parley chat`: talk to an agent from the terminal, one line per message."""

from __future__ import annotations

import sys
from typing import Annotated, Literal, TextIO

import typer

from parley.remote.connection import DEFAULT_URL, AgentOption, KeyOption, UrlOption, connected, fail
from parley.remote.conversation import Conversation, DeployedConversation, DraftConversation
from parley.sdk import Client, ParleyError

QUIT_WORDS = frozenset({"quit", "exit"})


def chat(
    agent: AgentOption,
    environment: Annotated[
        Literal["live", "pre-release", "sandbox"] | None,
        typer.Option("--environment", "-e", help="Deployment to talk to (default: live)."),
    ] = None,
    branch: Annotated[
        str | None, typer.Option("--branch", "-b", help="Talk to this branch's draft instead (debug chat).")
    ] = None,
    account: Annotated[
        str | None,
        typer.Option(envvar="PARLEY_ACCOUNT", help="The agent's account (default: the key's only account)."),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Chat with an agent: type a message per line; "quit" or end of input closes the conversation."""
    if environment is not None and branch is not None:
        raise fail("pass --environment or --branch, not both")
    with connected(url, key) as client:
        account_id = account or _only_account(client)
        conversation: Conversation = (
            DraftConversation(client, account_id, agent, branch)
            if branch is not None
            else DeployedConversation(client, account_id, agent, environment or "live")
        )
        converse(conversation, sys.stdin)


def converse(conversation: Conversation, lines: TextIO) -> None:
    """Print the greeting, then answer each line until quit, end of input, or the agent ends it."""
    # On stderr, so that stdout is the transcript alone.
    typer.echo(f"[conversation {conversation.id}]", err=True)
    typer.echo(f"agent: {conversation.greeting}")
    interactive = lines.isatty()
    ended = False
    try:
        while True:
            if interactive:
                typer.echo("you: ", nl=False)
            line = lines.readline()
            if not line:
                break
            text = line.strip()
            if text.lower() in QUIT_WORDS:
                break
            if not text:
                continue
            turn = conversation.send(text)
            typer.echo(f"agent: {turn.response}")
            if turn.handoff:
                typer.echo(f"[handed off to {turn.handoff}]")
            if turn.ended:
                ended = True
                typer.echo("[conversation ended]")
                break
    finally:
        if not ended:
            _close_quietly(conversation)


def _close_quietly(conversation: Conversation) -> None:
    # Leaving must not fail because the conversation is already over (timed out, say).
    try:
        conversation.close()
    except ParleyError:
        pass
    else:
        typer.echo("[conversation closed]")


def _only_account(client: Client) -> str:
    accounts = client.accounts.list()["accounts"]
    if len(accounts) != 1:
        raise fail("this key sees several accounts: pass --account")
    account_id: str = accounts[0]["accountId"]
    return account_id
