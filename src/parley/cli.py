"""The `parley` command: serve, db, admin; and deploy, chat, agent against a running server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from parley.config import Settings, get_settings
from parley.conversations import cli as conversations_cli
from parley.remote import agent as remote_agent
from parley.remote import build as remote_build
from parley.remote import deploy as remote_deploy
from parley.remote.chat import chat as remote_chat
from parley.sms import cli as sms_cli
from parley.testing import cli as testing_cli

# Plain tracebacks: rich ones print local variables, which may hold keys.
app = typer.Typer(
    help="parley: a self-hostable conversational-agent platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
admin_app = typer.Typer(help="Administration, run in-process against the database.", no_args_is_help=True)
accounts_app = typer.Typer(help="Accounts.", no_args_is_help=True)
users_app = typer.Typer(help="Users of an account.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys of an account.", no_args_is_help=True)
maintenance_app = typer.Typer(
    help="Maintenance mode (503 for every request but /health).", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
admin_app.add_typer(accounts_app, name="accounts")
admin_app.add_typer(users_app, name="users")
admin_app.add_typer(keys_app, name="keys")
admin_app.add_typer(maintenance_app, name="maintenance")
app.add_typer(remote_deploy.app, name="deploy")
app.add_typer(remote_agent.app, name="agent")
app.add_typer(remote_build.app, name="build")
app.command("chat")(remote_chat)
app.add_typer(sms_cli.app, name="sms")
app.add_typer(conversations_cli.app, name="conversations")
app.add_typer(testing_cli.app, name="test")

T = TypeVar("T")


def _print(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


async def prepare_database(settings: Settings, *, announce: bool = True) -> None:
    """Migrate to head and, on an empty database, create and print the bootstrap keys."""
    from parley.accounts.service import bootstrap
    from parley.kit.db import create_engine, create_sessionmaker
    from parley.kit.migrate import startup_lock, upgrade_to_head

    engine = create_engine(settings.database)
    try:
        async with startup_lock(engine):
            await upgrade_to_head(engine)
            async with create_sessionmaker(engine)() as session:
                result = await bootstrap(session, settings.bootstrap)
                await session.commit()
            loaded = []
            if result is not None and settings.examples_dir is not None:
                loaded = await _load_examples(engine, settings.examples_dir)
    finally:
        await engine.dispose()
    if result is not None and announce:
        # On stderr: admin commands print JSON on stdout, which must stay parseable.
        typer.echo("parley bootstrap: created the operator key and the 'default' account.", err=True)
        typer.echo("These keys are shown once; store them now.", err=True)
        typer.echo(f"  operator key (may create accounts): {result.operator_key}", err=True)
        typer.echo(f"  admin key for account 'default':    {result.account.admin_key.secret}", err=True)
        for agent_id in loaded:
            typer.echo(f"  example agent '{agent_id}' deployed to sandbox, pre-release and live", err=True)


async def _load_examples(engine: Any, examples_dir: Path) -> list[str]:
    """Load every example agent; each in its own transaction, so one bad example spares the rest."""
    from parley.demo import example_folders, load_example
    from parley.kit.db import create_sessionmaker
    from parley.kit.logging import get_logger

    loaded = []
    for folder in example_folders(examples_dir):
        async with create_sessionmaker(engine)() as session:
            try:
                loaded.append(await load_example(session, folder))
                await session.commit()
            except Exception:
                get_logger("parley.demo").exception("example agent failed to load", example=folder.name)
    return loaded


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    migrate: Annotated[bool, typer.Option(help="Apply pending migrations before serving.")] = True,
) -> None:
    """Run the HTTP server."""
    import uvicorn

    from parley.kit.logging import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    if migrate:
        asyncio.run(prepare_database(settings))
    typer.echo(f"parley listening on http://{host}:{port} (region {settings.region})")
    uvicorn.run(
        "parley.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_config=None,
        lifespan="on",
        # Webchat liveness is ours (heartbeats, close 4408 "pong timeout"); uvicorn's protocol
        # pings would close silent peers with 1011 first.
        ws_ping_interval=None,
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (and bootstrap an empty database)."""
    asyncio.run(prepare_database(get_settings()))
    typer.echo("database is at head")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Roll back to a revision (e.g. -1 or base)."""
    from alembic import command

    from parley.kit.migrate import alembic_config

    command.downgrade(alembic_config(get_settings().database.url), revision)


@db_app.command("current")
def db_current() -> None:
    """Show the database's revision."""
    from alembic import command

    from parley.kit.migrate import alembic_config

    command.current(alembic_config(get_settings().database.url), verbose=True)


@db_app.command("revision")
def db_revision(message: Annotated[str, typer.Option("-m", "--message")]) -> None:
    """Autogenerate a migration from the models."""
    from alembic import command

    from parley.kit.migrate import alembic_config

    command.revision(alembic_config(get_settings().database.url), message=message, autogenerate=True)


@db_app.command("check")
def db_check() -> None:
    """Fail if the models have changes that no migration covers."""
    from alembic import command
    from alembic.util.exc import CommandError

    from parley.kit.migrate import alembic_config

    try:
        command.check(alembic_config(get_settings().database.url))
    except CommandError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo("no pending model changes")


def _run_admin(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one unit of work as the platform operator, committing it if it succeeds."""
    from pydantic import ValidationError

    from parley.errors import ParleyError, SchemaValidationFailed
    from parley.kit.db import create_engine, create_sessionmaker
    from parley.kit.http import validation_details

    async def runner() -> T:
        settings = get_settings()
        await prepare_database(settings)
        engine = create_engine(settings.database)
        try:
            async with create_sessionmaker(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    try:
        return asyncio.run(runner())
    except ValidationError as exc:
        error = SchemaValidationFailed(data={"errors": validation_details(exc.errors())})
        typer.echo(f"error: {error.spec.code} ({error.spec.id}): {error.message}", err=True)
        typer.echo(json.dumps(error.data, default=str), err=True)
        raise typer.Exit(code=1) from None
    except ParleyError as error:
        typer.echo(f"error: {error.spec.code} ({error.spec.id}): {error.message}", err=True)
        if error.data:
            typer.echo(json.dumps(error.data, default=str), err=True)
        raise typer.Exit(code=1) from None


def _operator() -> Any:
    from parley.auth.principal import Principal

    return Principal(key_id="cli", account_id=None, user_id=None, role="operator", agent_ids=None)


@accounts_app.command("create")
def accounts_create(
    account_id: str,
    name: str,
    admin_email: Annotated[str | None, typer.Option(help="Email of the first admin user.")] = None,
) -> None:
    """Create an account; prints its admin key once."""
    from parley.accounts.schemas import CreateAccountBody
    from parley.accounts.service import AccountService

    async def work(session: AsyncSession) -> dict[str, Any]:
        body = CreateAccountBody(account_id=account_id, name=name, admin_email=admin_email)
        new = await AccountService(session).create(_operator(), body)
        return {"accountId": new.account.id, "adminUserId": new.admin.id, "adminKey": new.admin_key.secret}

    _print(_run_admin(work))


@accounts_app.command("list")
def accounts_list() -> None:
    """List every account."""
    from parley.accounts.service import AccountService

    async def work(session: AsyncSession) -> list[dict[str, Any]]:
        return [
            {"accountId": a.id, "name": a.name}
            for a in await AccountService(session).list_accounts(_operator())
        ]

    _print(_run_admin(work))


@users_app.command("create")
def users_create(account_id: str, email: str, name: str, role: str = "editor") -> None:
    """Create a user."""
    from parley.auth.schemas import CreateUserBody, UserResponse
    from parley.auth.service import UserService

    async def work(session: AsyncSession) -> dict[str, Any]:
        body = CreateUserBody.model_validate({"email": email, "name": name, "role": role})
        user = await UserService(session).create(_operator(), account_id, body)
        return UserResponse.model_validate(user).model_dump(by_alias=True, mode="json")

    _print(_run_admin(work))


@users_app.command("list")
def users_list(account_id: str) -> None:
    """List an account's users."""
    from parley.auth.schemas import UserResponse
    from parley.auth.service import UserService

    async def work(session: AsyncSession) -> list[dict[str, Any]]:
        users = await UserService(session).list_users(_operator(), account_id)
        return [UserResponse.model_validate(u).model_dump(by_alias=True, mode="json") for u in users]

    _print(_run_admin(work))


@users_app.command("delete")
def users_delete(account_id: str, user_id: str) -> None:
    """Delete a user and disable its keys."""
    from parley.auth.service import UserService

    async def work(session: AsyncSession) -> None:
        await UserService(session).delete(_operator(), account_id, user_id)

    _run_admin(work)
    typer.echo(f"deleted {user_id}")


@keys_app.command("create")
def keys_create(
    account_id: str,
    name: str,
    role: str = "editor",
    user_id: Annotated[str | None, typer.Option("--user-id")] = None,
    agent: Annotated[
        list[str] | None, typer.Option("--agent", help="Allow only this agent (repeat).")
    ] = None,
    expires_at: Annotated[datetime | None, typer.Option("--expires-at")] = None,
) -> None:
    """Create an API key; prints its value once."""
    from parley.auth.router import issued_key_view
    from parley.auth.schemas import CreateApiKeyBody
    from parley.auth.service import ApiKeyService

    async def work(session: AsyncSession) -> dict[str, Any]:
        body = CreateApiKeyBody.model_validate(
            {
                "name": name,
                "role": role,
                "userId": user_id,
                "agentIds": agent or None,
                "expiresAt": expires_at,
            }
        )
        issued = await ApiKeyService(session).create(_operator(), account_id, body)
        return issued_key_view(issued).model_dump(by_alias=True, mode="json")

    _print(_run_admin(work))


@keys_app.command("list")
def keys_list(account_id: str) -> None:
    """List an account's live keys (never their values)."""
    from parley.auth.router import key_view
    from parley.auth.service import ApiKeyService

    async def work(session: AsyncSession) -> list[dict[str, Any]]:
        keys = await ApiKeyService(session).list_keys(_operator(), account_id)
        return [key_view(k).model_dump(by_alias=True, mode="json") for k in keys]

    _print(_run_admin(work))


@keys_app.command("rotate")
def keys_rotate(account_id: str, key_id: str, grace_period_seconds: int = 0) -> None:
    """Replace a key; the old one stops working after the grace period."""
    from parley.auth.router import issued_key_view
    from parley.auth.service import ApiKeyService

    async def work(session: AsyncSession) -> dict[str, Any]:
        issued = await ApiKeyService(session).rotate(_operator(), account_id, key_id, grace_period_seconds)
        return issued_key_view(issued).model_dump(by_alias=True, mode="json")

    _print(_run_admin(work))


@keys_app.command("revoke")
def keys_revoke(account_id: str, key_id: str) -> None:
    """Revoke a key at once."""
    from parley.auth.service import ApiKeyService

    async def work(session: AsyncSession) -> None:
        await ApiKeyService(session).revoke(_operator(), account_id, key_id)

    _run_admin(work)
    typer.echo(f"revoked {key_id}")


@maintenance_app.command("on")
def maintenance_on(
    message: Annotated[str | None, typer.Option(help="Message clients see.")] = None,
    retry_after: Annotated[int, typer.Option(min=1, help="Seconds for Retry-After.")] = 60,
) -> None:
    """Switch maintenance mode on for every worker."""
    from parley.kit.maintenance import enable_maintenance

    async def work(session: AsyncSession) -> None:
        await enable_maintenance(session, message, retry_after)

    _run_admin(work)
    typer.echo("maintenance mode on")


@maintenance_app.command("off")
def maintenance_off() -> None:
    """Switch maintenance mode off."""
    from parley.kit.maintenance import disable_maintenance

    _run_admin(disable_maintenance)
    typer.echo("maintenance mode off")


@maintenance_app.command("status")
def maintenance_status() -> None:
    """Show whether maintenance mode is on."""
    from parley.kit.maintenance import read_maintenance

    state = _run_admin(read_maintenance)
    typer.echo("on" if state else "off")


def main() -> None:
    from parley.kit.logging import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    app()
