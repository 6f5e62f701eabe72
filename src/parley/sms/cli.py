"""`parley sms ...`: the outbox, read in-process against the database (no server needed)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

app = typer.Typer(help="SMS: the outbox of every message an agent sent or received.", no_args_is_help=True)


class StatusChoice(StrEnum):
    sent = "sent"
    failed = "failed"
    blocked_opt_out = "blocked_opt_out"
    received = "received"


class DirectionChoice(StrEnum):
    outbound = "outbound"
    inbound = "inbound"


@app.command("outbox")
def outbox(
    agent_id: Annotated[str, typer.Argument(help="The agent whose messages to list.")],
    status: Annotated[StatusChoice | None, typer.Option(help="Only messages with this status.")] = None,
    to: Annotated[str | None, typer.Option(help="Only messages to this number (E.164).")] = None,
    direction: Annotated[DirectionChoice | None, typer.Option(help="outbound or inbound.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many, newest first.")] = 100,
) -> None:
    """List an agent's SMS messages, newest first, as JSON (the same shape as the API's)."""
    # Imported here: parley.cli imports this module to register the command group.
    from parley.cli import _operator, _print, _run_admin
    from parley.config import get_settings
    from parley.sms.service import SmsService

    async def work(session: AsyncSession) -> dict[str, Any]:
        found = await SmsService(session, get_settings().sms).list_messages(
            _operator(),
            agent_id,
            status=status.value if status else None,
            to=to,
            direction=direction.value if direction else None,
            limit=limit,
        )
        return found.model_dump(by_alias=True, mode="json")

    _print(_run_admin(work))
