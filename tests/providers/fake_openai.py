"""A fake OpenAI-compatible chat-completions server: real HTTP on a loopback port, scripted answers.

Each request is recorded (path, headers, JSON body, arrival time) and answered with the next
scripted response; an unscripted request gets a 500, so a test that sends more than it expects
fails loudly.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.threaded_server import serve_in_thread


@dataclass(frozen=True)
class Scripted:
    status: int = 200
    body: Any = None  # JSON-able, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float


def completion(content: str | None = None, calls: list[tuple[str, Any]] | None = None) -> dict[str, Any]:
    """A chat-completion body; each call is (name, arguments as an object or as raw text)."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = [
            {
                "id": f"call_upstream_{index}",
                "type": "function",
                "function": {
                    "name": name,
                    "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
                },
            }
            for index, (name, arguments) in enumerate(calls)
        ]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": "fake-model",
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
    }


class FakeOpenAI:
    def __init__(self) -> None:
        self.url = ""
        self.requests: list[Received] = []
        self.script: deque[Scripted] = deque()
        self.app = Starlette(routes=[Route("/v1/chat/completions", self._complete, methods=["POST"])])

    def reset(self) -> None:
        self.requests.clear()
        self.script.clear()

    def push(self, *responses: Scripted) -> None:
        self.script.extend(responses)

    def reply(self, content: str) -> None:
        self.push(Scripted(body=completion(content)))

    def call(self, *calls: tuple[str, Any]) -> None:
        self.push(Scripted(body=completion(None, list(calls))))

    async def _complete(self, request: Request) -> Response:
        self.requests.append(
            Received(
                request.url.path, dict(request.headers), json.loads(await request.body()), time.monotonic()
            )
        )
        step = self.script.popleft() if self.script else Scripted(500, {"error": {"message": "unscripted"}})
        if step.delay:
            await asyncio.sleep(step.delay)
        content = step.body if isinstance(step.body, bytes) else json.dumps(step.body).encode()
        return Response(content, step.status, headers=step.headers, media_type="application/json")


@contextmanager
def serving(fake: FakeOpenAI) -> Iterator[FakeOpenAI]:
    """Runs the fake over real HTTP; fake.url is its base URL."""
    with serve_in_thread(fake.app, "fake OpenAI") as base_url:
        fake.url = f"{base_url}/v1"
        yield fake
