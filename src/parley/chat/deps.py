"""Dependencies of the runtime routes: the engine's collaborators, and the per-conversation lock."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request
from starlette.datastructures import State
from starlette.requests import HTTPConnection

from parley.chat.runtime import RuntimeDeps
from parley.kit.locks import LockStore


def runtime_deps(request: HTTPConnection) -> RuntimeDeps:
    deps: RuntimeDeps = request.app.state.runtime_deps
    return deps


def runtime_deps_of(state: State) -> RuntimeDeps:
    """The engine's collaborators, from the app's state: built once at start-up (app.py)."""
    return RuntimeDeps(
        engine=state.conversation_engine,
        artifacts=state.artifacts,
        chat_timeout_seconds=state.settings.runtime.chat_timeout_seconds,
        sms=state.settings.sms,
    )


async def runtime_deps_dependency(request: Request) -> RuntimeDeps:
    """``runtime_deps`` for ``Depends``: async, so FastAPI does not send it to its thread pool."""
    return runtime_deps(request)


async def hold_conversation(request: Request, conversation_id: str) -> AsyncIterator[None]:
    """One message at a time per conversation, held until after the response is committed.

    Used as a yield dependency: FastAPI releases it after the response is sent, which is after the
    route class commits, so the next message of this conversation always reads committed state.
    """
    locks: LockStore = request.app.state.locks
    async with locks.lock(
        f"conversation:{conversation_id}", request.app.state.settings.runtime.lock_wait_seconds
    ):
        yield
