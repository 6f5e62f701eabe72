"""SDK clients wired to the real app and database, for the tests in this package.

``AsyncClient`` talks to the app in-process through ``httpx.ASGITransport``. ASGITransport is
async-only, so for the sync ``Client`` the app runs in a thread with its own event loop and a sync
transport hands requests over to it (``AppThreadTransport``); ``AppThread(http=True)`` serves the
same app with uvicorn on a loopback port, for the tests that want real sockets.
"""

from __future__ import annotations

import asyncio
import inspect
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar, cast

import httpx
import uvicorn
from fastapi import FastAPI

from parley.config import Settings
from parley.sdk import AsyncClient, Client
from tests.conftest import ADMIN_KEY, started_app

ASGI_BASE_URL = "http://parley.test"
T = TypeVar("T")


async def settle(result: Awaitable[T] | T) -> T:
    """The value of a client call: awaited for AsyncClient, as is for Client.

    Lets one test body drive both twins, which is the point: they must behave the same.
    """
    if inspect.isawaitable(result):
        return cast(T, await result)
    return result


class Connector:
    """Makes clients of one kind ("sync" or "async") for one running app, and closes them.

    ``transport`` reaches the real app; a test that simulates network failures wraps it.
    ``sleeps`` records every wait a client asks for; each wait then really lasts ``pause`` seconds
    (0 by default), so retry tests neither sleep for whole seconds nor lose sight of the delays.
    """

    def __init__(
        self, kind: str, base_url: str, transport: httpx.BaseTransport | httpx.AsyncBaseTransport
    ) -> None:
        self.kind = kind
        self.base_url = base_url
        self.transport = transport
        self.clients: list[Client | AsyncClient] = []

    def __call__(
        self,
        api_key: str | None = ADMIN_KEY,
        *,
        sleeps: list[float] | None = None,
        pause: float = 0.0,
        **options: Any,
    ) -> Client | AsyncClient:
        record = sleeps if sleeps is not None else []
        options.setdefault("transport", self.transport)
        client: Client | AsyncClient
        if self.kind == "sync":

            def sleep(seconds: float) -> None:
                record.append(seconds)
                time.sleep(pause)

            client = Client(self.base_url, api_key, sleep=sleep, **options)
        else:

            async def async_sleep(seconds: float) -> None:
                record.append(seconds)
                await asyncio.sleep(pause)

            client = AsyncClient(self.base_url, api_key, sleep=async_sleep, **options)
        self.clients.append(client)
        return client

    async def close(self) -> None:
        for client in self.clients:
            if isinstance(client, AsyncClient):
                await client.aclose()
            else:
                client.close()
        if isinstance(self.transport, httpx.BaseTransport):
            self.transport.close()


class AppThread:
    """The app started in a thread with its own event loop, as a server process would run it.

    Everything the app owns (engine, pools, rate limiter locks) then belongs to that one loop;
    driving an app started on the test's loop from another thread is what would go wrong. With
    ``http=True`` uvicorn also serves it on a loopback port.
    """

    def __init__(self, settings: Settings, *, http: bool = False) -> None:
        self.settings = settings
        self.socket: socket.socket | None = None
        self.url = ASGI_BASE_URL
        if http:
            # uvicorn logs after it has answered, which can land after pytest has stopped
            # capturing the test's output; keep routine request lines out of the terminal.
            self.settings = settings.model_copy(update={"log_level": "WARNING"})
            # Bound before the thread starts, so there is no race for a free port.
            self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            # Accepted connections inherit it. Without it, each response on a reused keep-alive
            # connection waits ~40 ms (Nagle against delayed ACKs).
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.socket.bind(("127.0.0.1", 0))
            self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.asgi: httpx.ASGITransport | None = None
        self.server: uvicorn.Server | None = None
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sdk-app", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:
            self.error = exc
        finally:
            self._ready.set()

    async def _main(self) -> None:
        async for app in started_app(self.settings):
            self.asgi = httpx.ASGITransport(app=app)
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            if self.socket is None:
                self._ready.set()
                await self._stop.wait()
            else:
                await self._serve_http(app, self.socket, self._stop)

    async def _serve_http(self, app: FastAPI, sock: socket.socket, stop: asyncio.Event) -> None:
        config = uvicorn.Config(
            app, lifespan="off", ws="none", http="h11", log_config=None, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        serving = asyncio.create_task(self.server.serve(sockets=[sock]))
        stopping = asyncio.create_task(stop.wait())
        self._ready.set()
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        self.server.should_exit = True
        stopping.cancel()
        await serving

    def _is_up(self) -> bool:
        serving = self.server is None or self.server.started
        return self._loop is not None and serving and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout
        self._ready.wait(timeout)
        # uvicorn offers a flag, not an event, for "listening".
        while not self._is_up() and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        if not self._is_up():
            raise RuntimeError(f"the test app did not start: {self.error!r}")

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the app's loop and wait for its result."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=30)

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=10)
        if self.socket is not None:
            self.socket.close()
        if self.error is not None:
            raise self.error


class AppThreadTransport(httpx.BaseTransport):
    """A sync transport that hands each request to the app on its thread's loop, over ASGI."""

    def __init__(self, app_thread: AppThread) -> None:
        self._app = app_thread

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._app.run(self._send(request))

    async def _send(self, request: httpx.Request) -> httpx.Response:
        assert self._app.asgi is not None
        response = await self._app.asgi.handle_async_request(request)
        content = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=content)


@contextmanager
def app_thread(settings: Settings, *, http: bool = False) -> Iterator[AppThread]:
    thread = AppThread(settings, http=http)
    thread.start()
    try:
        yield thread
    finally:
        thread.stop()


@asynccontextmanager
async def connected(kind: str, settings: Settings) -> AsyncIterator[Connector]:
    """A client factory of ``kind`` ("sync" or "async") for a freshly started app on ``settings``."""
    if kind == "sync":
        with app_thread(settings) as thread:
            connector = Connector(kind, thread.url, AppThreadTransport(thread))
            try:
                yield connector
            finally:
                await connector.close()
        return
    apps = started_app(settings)
    app = await anext(apps)
    connector = Connector(kind, ASGI_BASE_URL, httpx.ASGITransport(app=app))
    try:
        yield connector
    finally:
        await connector.close()
        # Resume the generator rather than abandon it, so the app shuts down here and now even
        # when the test failed, not whenever the garbage collector gets to it.
        await anext(apps, None)
