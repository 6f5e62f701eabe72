"""A fake Twilio Messages API: real HTTP on a loopback port, scripted answers, every request kept."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.threaded_server import serve_in_thread


@dataclass(frozen=True)
class Scripted:
    status: int = 201
    body: Any = None  # None: Twilio's answer for an accepted message
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    path: str
    authorization: str | None
    content_type: str | None
    form: dict[str, str]


class FakeTwilio:
    def __init__(self) -> None:
        self.url = ""
        self.requests: list[Received] = []
        self.script: deque[Scripted] = deque()
        self.app = Starlette(
            routes=[Route("/2010-04-01/Accounts/{sid}/Messages.json", self._messages, methods=["POST"])]
        )

    def reset(self) -> None:
        self.requests.clear()
        self.script.clear()

    def push(self, *answers: Scripted) -> None:
        self.script.extend(answers)

    async def _messages(self, request: Request) -> Response:
        raw = (await request.body()).decode()
        form = {key: values[0] for key, values in parse_qs(raw, keep_blank_values=True).items()}
        self.requests.append(
            Received(
                request.url.path,
                request.headers.get("authorization"),
                request.headers.get("content-type"),
                form,
            )
        )
        step = self.script.popleft() if self.script else Scripted()
        if step.delay:
            await asyncio.sleep(step.delay)
        body = step.body
        if body is None:
            body = {"sid": f"SM{len(self.requests):032d}", "status": "queued", "to": form.get("To")}
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return Response(content, step.status, media_type="application/json")


@contextmanager
def serving(fake: FakeTwilio) -> Iterator[FakeTwilio]:
    """Runs the fake over real HTTP; fake.url is its base URL."""
    with serve_in_thread(fake.app, "fake Twilio") as base_url:
        fake.url = f"{base_url}"
        yield fake
