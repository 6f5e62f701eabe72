"""The benchmark's HTTP/1.1 client against a scripted raw-socket server: framing, keep-alive,
reconnects, the single retry on a stale kept-alive connection, and what stays an error."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
import wire


@dataclass
class Request:
    connection: int  # which TCP connection (1, 2, ...)
    index: int  # its position on that connection (0, 1, ...)
    head: bytes
    body: bytes


# Given a request, write an answer (or not) and return whether to keep the connection open.
Script = Callable[[Request, asyncio.StreamWriter], Awaitable[bool]]


@dataclass
class FakeServer:
    script: Script
    port: int = 0
    requests: list[Request] = field(default_factory=list)
    connections: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number, index = self.connections, 0
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                request = Request(number, index, head, body)
                self.requests.append(request)
                index += 1
                if not await self.script(request, writer):
                    return
                await writer.drain()
        finally:
            writer.close()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Script], Awaitable[FakeServer]]]:
    servers: list[asyncio.Server] = []

    async def start(script: Script) -> FakeServer:
        fake = FakeServer(script)
        server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
        fake.port = server.sockets[0].getsockname()[1]
        servers.append(server)
        return fake

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def ok(body: bytes = b'{"ok":true}', extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        + extra
        + b"content-length: %d\r\n\r\n%s" % (len(body), body)
    )


async def answer_ok(request: Request, writer: asyncio.StreamWriter) -> bool:
    writer.write(ok())
    return True


async def test_post_json_writes_one_well_formed_request_and_keeps_the_connection(
    serve: Callable[[Script], Awaitable[FakeServer]],
) -> None:
    fake = await serve(answer_ok)
    client = wire.Connection("127.0.0.1", fake.port, headers={"x-api-key": "k1"})
    try:
        first = await client.post_json("/v1/x/chat/respond", {"message": "héllo"})
        second = await client.get("/health")
    finally:
        client.close()
    assert (first.status, first.json(), second.status) == (200, {"ok": True}, 200)
    assert first.headers["content-type"] == "application/json"
    assert client.connects == 1 and fake.connections == 1 and client.stale_retries == 0
    post, get = fake.requests
    lines = post.head.decode().split("\r\n")
    assert lines[0] == "POST /v1/x/chat/respond HTTP/1.1"
    assert f"Host: 127.0.0.1:{fake.port}" in lines and "x-api-key: k1" in lines
    assert "Content-Type: application/json" in lines
    assert f"Content-Length: {len(post.body)}" in lines
    assert json.loads(post.body) == {"message": "héllo"}
    assert get.head.startswith(b"GET /health HTTP/1.1\r\n") and b"Content-Length" not in get.head
    assert get.connection == 1 and get.index == 1


CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nx-trailer: 1\r\n\r\n"
)
SIZED = b"HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\nhello 0123456789"


@pytest.mark.parametrize("raw", [CHUNKED, SIZED], ids=["chunked", "content-length"])
async def test_bodies_split_across_many_writes(
    serve: Callable[[Script], Awaitable[FakeServer]], raw: bytes
) -> None:
    async def dribble(request: Request, writer: asyncio.StreamWriter) -> bool:
        for index in range(0, len(raw), 7):  # arrives in many small pieces
            writer.write(raw[index : index + 7])
            await writer.drain()
            await asyncio.sleep(0.001)
        return True

    fake = await serve(dribble)
    client = wire.Connection("127.0.0.1", fake.port)
    try:
        responses = [await client.get("/a"), await client.get("/b")]
    finally:
        client.close()
    assert [r.body for r in responses] == [b"hello 0123456789"] * 2
    assert client.connects == 1 and fake.connections == 1


async def test_connection_close_from_the_server_opens_a_new_connection_for_the_next_request(
    serve: Callable[[Script], Awaitable[FakeServer]],
) -> None:
    async def close_each(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(ok(extra=b"Connection: close\r\n"))
        await writer.drain()
        return False

    fake = await serve(close_each)
    client = wire.Connection("127.0.0.1", fake.port)
    try:
        for _ in range(3):
            assert (await client.get("/")).status == 200
    finally:
        client.close()
    assert client.connects == 3 and fake.connections == 3 and client.stale_retries == 0
    assert [r.index for r in fake.requests] == [0, 0, 0]


async def test_a_body_delimited_by_the_end_of_the_connection(
    serve: Callable[[Script], Awaitable[FakeServer]],
) -> None:
    async def until_close(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\n\r\nall of it")
        await writer.drain()
        return False

    fake = await serve(until_close)
    client = wire.Connection("127.0.0.1", fake.port)
    try:
        assert (await client.get("/")).body == b"all of it"
        assert (await client.get("/")).body == b"all of it"
    finally:
        client.close()
    assert client.connects == 2 and client.stale_retries == 0


async def test_an_idle_connection_the_server_already_closed_is_replaced_without_a_retry(
    serve: Callable[[Script], Awaitable[FakeServer]],
) -> None:
    async def answer_then_close(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(ok())  # says nothing about closing, then closes: a keep-alive timeout
        await writer.drain()
        return False

    fake = await serve(answer_then_close)
    client = wire.Connection("127.0.0.1", fake.port)
    try:
        assert (await client.get("/")).status == 200
        await asyncio.sleep(0.05)  # the FIN arrives while the connection is idle
        assert (await client.get("/")).status == 200
    finally:
        client.close()
    assert client.connects == 2 and client.stale_retries == 0 and len(fake.requests) == 2


async def test_a_kept_alive_connection_closed_unanswered_is_retried_once_and_counted(
    serve: Callable[[Script], Awaitable[FakeServer]],
) -> None:
    async def drop_second(request: Request, writer: asyncio.StreamWriter) -> bool:
        if request.index == 1:
            return False  # reads the request, closes without a byte: the keep-alive race
        writer.write(ok())
        return True

    fake = await serve(drop_second)
    client = wire.Connection("127.0.0.1", fake.port)
    try:
        assert (await client.get("/one")).status == 200
        assert (await client.get("/two")).status == 200
    finally:
        client.close()
    assert client.stale_retries == 1 and client.connects == 2
    assert [(r.connection, r.index, r.head.split(b" ")[1]) for r in fake.requests] == [
        (1, 0, b"/one"),
        (1, 1, b"/two"),
        (2, 0, b"/two"),
    ]


async def test_the_retry_happens_once_and_a_fresh_connection_is_never_retried(
    serve: Callable[[Script], Awaitable[FakeServer]],
) -> None:
    async def answer_only_the_first(request: Request, writer: asyncio.StreamWriter) -> bool:
        if request.connection == 1 and request.index == 0:
            writer.write(ok())
            return True
        return False

    fake = await serve(answer_only_the_first)
    client = wire.Connection("127.0.0.1", fake.port)
    try:
        assert (await client.get("/")).status == 200
        with pytest.raises(wire.NoResponse):
            await client.get("/")  # stale, retried on connection 2, which also closes: an error
        with pytest.raises(wire.NoResponse):
            await client.get("/")  # a fresh connection (3) that closes unanswered: no retry
    finally:
        client.close()
    assert client.stale_retries == 1 and fake.connections == 3 and len(fake.requests) == 4


async def test_a_connection_closed_part_way_through_a_response_is_an_error_not_a_retry(
    serve: Callable[[Script], Awaitable[FakeServer]],
) -> None:
    async def half(request: Request, writer: asyncio.StreamWriter) -> bool:
        if request.index == 0:
            writer.write(ok())
            return True
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\nonly part")
        await writer.drain()
        return False

    fake = await serve(half)
    client = wire.Connection("127.0.0.1", fake.port)
    try:
        await client.get("/")
        with pytest.raises(wire.ConnectionClosed) as raised:
            await client.get("/")
    finally:
        client.close()
    assert not isinstance(raised.value, wire.NoResponse)
    assert client.stale_retries == 0 and len(fake.requests) == 2


async def test_no_answer_in_time_is_a_timeout(serve: Callable[[Script], Awaitable[FakeServer]]) -> None:
    async def never(request: Request, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(1)
        return False

    fake = await serve(never)
    client = wire.Connection("127.0.0.1", fake.port, timeout=0.1)
    try:
        with pytest.raises(TimeoutError):
            await client.get("/")
    finally:
        client.close()


def test_parse_response_framing() -> None:
    interim = b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b"{}")
    parsed = wire.parse_response(interim)
    assert parsed is not None and parsed[0].status == 200 and parsed[1] == len(interim)
    assert wire.parse_response(ok()[:-1]) is None  # body incomplete
    assert wire.parse_response(b"HTTP/1.1 200 OK\r\ncontent-len") is None  # head incomplete
    no_content = wire.parse_response(b"HTTP/1.1 204 No Content\r\n\r\n")
    assert no_content is not None and no_content[0].body == b"" and no_content[2] is True
    old = wire.parse_response(b"HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n")
    assert old is not None and old[2] is False  # HTTP/1.0 without keep-alive
    head = wire.parse_response(b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n", no_body=True)
    assert head is not None and head[0].body == b""
    for bad in (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\ncontent-length: 1, 2\r\n\r\nab",
        b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
        b"SPDY/3 200 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
    ):
        with pytest.raises(wire.ProtocolError):
            wire.parse_response(bad)
    with pytest.raises(wire.NoResponse):
        wire.parse_response(b"", eof=True)
    with pytest.raises(wire.ConnectionClosed):
        wire.parse_response(b"HTTP/1.1 200 OK\r\n", eof=True)
