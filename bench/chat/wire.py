"""A lean HTTP/1.1 keep-alive client for the chat benchmark's load generator.

The generator shares the machine's cores with the server it measures, so every microsecond of
client CPU is taken from the server. httpx costs ~1.5-2 ms of CPU per request; this costs a small
fraction of that: one :class:`asyncio.Protocol` per connection, requests written as one ``bytes``,
responses parsed from one buffer (status line, headers, a ``Content-Length`` or chunked body).

One :class:`Connection` is one persistent TCP connection used for one request at a time (no
pipelining). It opens (again) when needed:

- the server answered ``Connection: close`` (or HTTP/1.0 without keep-alive): the next request
  opens a new connection;
- the server closed the idle connection and its FIN had already arrived when the next request
  starts: a new connection, nothing lost;
- the server closed an idle kept-alive connection just as the request was written, so that **no
  byte of a response** came back: the request is sent again, once, on a new connection, and
  counted in :attr:`Connection.stale_retries`. A fresh connection that fails that way, a second
  failure, or a connection closed part-way through a response is an error.

Errors are :class:`WireError` (and ``OSError`` when the connection cannot be opened).
"""

from __future__ import annotations

import asyncio
import json
import socket
import string
from collections.abc import Mapping
from typing import Any, cast

_HEX = frozenset(string.hexdigits.encode())


class WireError(Exception):
    """A request that got no valid response."""


class ProtocolError(WireError):
    """The server's bytes are not a valid HTTP/1.x response (or came unasked)."""


class ConnectionClosed(WireError):
    """The connection ended before the response was complete."""


class NoResponse(ConnectionClosed):
    """The connection ended before a single byte of the response arrived."""


class Response:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers  # names lower-cased; repeated headers joined with ", "
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"Response({self.status}, {len(self.body)} bytes)"


def _incomplete(buffer: bytearray | bytes, eof: bool) -> None:
    """More bytes are needed: fine unless none will come."""
    if not eof:
        return
    if not buffer:
        raise NoResponse("the connection closed before any response byte")
    raise ConnectionClosed(f"the connection closed after {len(buffer)} bytes of an incomplete response")


def _keep_alive(version: str, headers: dict[str, str]) -> bool:
    tokens = {token.strip().lower() for token in headers.get("connection", "").split(",")}
    if "close" in tokens:
        return False
    return version == "HTTP/1.1" or "keep-alive" in tokens


def _content_length(value: str) -> int:
    values = {item.strip() for item in value.split(",")}
    if len(values) != 1:
        raise ProtocolError(f"conflicting Content-Length: {value!r}")
    (single,) = values
    if not single.isdigit():
        raise ProtocolError(f"invalid Content-Length: {value!r}")
    return int(single)


def _chunked(buffer: bytearray | bytes, pos: int, eof: bool) -> tuple[bytes, int] | None:
    """The body of a chunked message starting at ``pos`` and the offset just past it, or None."""
    chunks: list[bytes] = []
    while True:
        line_end = buffer.find(b"\r\n", pos)
        if line_end < 0:
            _incomplete(buffer, eof)
            return None
        size_field = bytes(buffer[pos:line_end]).split(b";", 1)[0].strip(b" \t")
        if not size_field or not _HEX.issuperset(size_field):
            raise ProtocolError(f"invalid chunk size line: {bytes(buffer[pos:line_end])[:40]!r}")
        size = int(size_field, 16)
        pos = line_end + 2
        if size == 0:
            while True:  # trailer fields, then an empty line
                line_end = buffer.find(b"\r\n", pos)
                if line_end < 0:
                    _incomplete(buffer, eof)
                    return None
                empty = line_end == pos
                pos = line_end + 2
                if empty:
                    return b"".join(chunks), pos
        if len(buffer) < pos + size + 2:
            _incomplete(buffer, eof)
            return None
        if buffer[pos + size : pos + size + 2] != b"\r\n":
            raise ProtocolError("a chunk is not followed by CRLF")
        chunks.append(bytes(buffer[pos : pos + size]))
        pos += size + 2


def parse_response(
    buffer: bytearray | bytes, *, eof: bool = False, no_body: bool = False
) -> tuple[Response, int, bool] | None:
    """Parses one response at the start of ``buffer``.

    Returns ``(response, bytes used, keep-alive)``, or None while more bytes are needed. ``eof``:
    no more bytes will come (a body delimited by the connection's end is then complete, anything
    else incomplete is an error). ``no_body``: the answer to a HEAD request.
    """
    parsed = _parse_response(buffer, eof, no_body)
    return None if isinstance(parsed, int) else parsed


def _parse_response(buffer: bytearray | bytes, eof: bool, no_body: bool) -> tuple[Response, int, bool] | int:
    """:func:`parse_response`, but while incomplete: how long ``buffer`` must be before it is worth
    parsing again (0: unknown, any new byte may complete it)."""
    start = 0
    while True:
        head_end = buffer.find(b"\r\n\r\n", start)
        if head_end < 0:
            _incomplete(buffer, eof)
            return 0
        lines = bytes(buffer[start:head_end]).decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        code = rest[:3]
        if version not in ("HTTP/1.1", "HTTP/1.0") or len(code) != 3 or not code.isdigit():
            raise ProtocolError(f"invalid status line: {lines[0][:80]!r}")
        status = int(code)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon or not name or name != name.strip():
                raise ProtocolError(f"invalid header line: {line[:80]!r}")
            key, value = name.lower(), value.strip(" \t")
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        pos = head_end + 4
        if 100 <= status < 200 and status != 101:
            start = pos  # an interim response (100 Continue, 103 Early Hints): the real one follows
            continue
        break
    keep_alive = _keep_alive(version, headers)
    if no_body or status in (204, 304) or 100 <= status < 200:
        return Response(status, headers, b""), pos, keep_alive
    transfer = headers.get("transfer-encoding")
    if transfer is not None:
        codings = [coding.strip().lower() for coding in transfer.split(",")]
        if codings[-1] == "chunked":
            found = _chunked(buffer, pos, eof)
            if found is None:
                return 0
            body, end = found
            return Response(status, headers, body), end, keep_alive
        # Not chunked last: the body runs to the end of the connection (RFC 9112, 6.3).
    elif "content-length" in headers:
        length = _content_length(headers["content-length"])
        if len(buffer) < pos + length:
            _incomplete(buffer, eof)
            return pos + length
        return Response(status, headers, bytes(buffer[pos : pos + length])), pos + length, keep_alive
    if not eof:
        return 0
    return Response(status, headers, bytes(buffer[pos:])), len(buffer), False


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[Response, bool]] | None = None
        self.no_body = False
        self.need = 0  # parse again only once the buffer holds this many bytes
        self.eof = False
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is not None:
            self._parse()

    def eof_received(self) -> bool:
        self.eof = True
        if self.waiter is not None:
            self._parse()
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.eof = True
        if self.waiter is not None:
            self._parse(exc)

    def _parse(self, lost: Exception | None = None) -> None:
        waiter = self.waiter
        assert waiter is not None
        if len(self.buffer) < self.need and not self.eof:
            return  # the rest of a body whose length is known: no need to parse the head again
        try:
            parsed = _parse_response(self.buffer, self.eof, self.no_body)
        except WireError as error:
            if lost is not None:
                error.__cause__ = lost
            self.waiter = None
            if not waiter.done():
                waiter.set_exception(error)
            return
        if isinstance(parsed, int):
            self.need = parsed
            return
        self.need = 0
        response, used, keep_alive = parsed
        del self.buffer[:used]
        self.waiter = None
        if not waiter.done():
            waiter.set_result((response, keep_alive))

    def usable(self) -> bool:
        """Open both ways: the server has not closed it (as far as we know yet), nor have we."""
        return not self.eof and self.transport is not None and not self.transport.is_closing()

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


def _expire(waiter: asyncio.Future[tuple[Response, bool]], timeout: float) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError(f"no complete response within {timeout} s"))


class Connection:
    """One persistent HTTP/1.1 connection, one request at a time."""

    def __init__(
        self,
        host: str,
        port: int,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        fixed = {"Host": f"{host}:{port}", "User-Agent": "parley-bench", "Accept": "*/*", **(headers or {})}
        self._headers = "".join(f"{name}: {value}\r\n" for name, value in fixed.items()).encode("latin-1")
        self._protocol: _Protocol | None = None
        self._served = 0  # responses on the current TCP connection
        self.connects = 0  # TCP connections opened
        self.stale_retries = 0  # requests sent again after a kept-alive connection died unanswered

    async def connect(self) -> None:
        """Opens the TCP connection now (otherwise the first request does)."""
        self.close()
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.create_connection(_Protocol, self.host, self.port)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._protocol, self._served = protocol, 0
        self.connects += 1

    def close(self) -> None:
        if self._protocol is not None:
            if self._protocol.transport is not None:
                self._protocol.transport.close()
            self._protocol = None

    def _drop(self) -> None:
        if self._protocol is not None:
            self._protocol.abort()
            self._protocol = None

    async def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = "application/json"
    ) -> Response:
        data = f"{method} {path} HTTP/1.1\r\n".encode("latin-1") + self._headers
        if body is not None:
            data += b"Content-Type: %s\r\nContent-Length: %d\r\n\r\n%s" % (
                content_type.encode("latin-1"),
                len(body),
                body,
            )
        else:
            data += b"\r\n"
        loop = asyncio.get_running_loop()
        retried = False
        while True:
            protocol = self._protocol
            if protocol is None or not protocol.usable():
                await self.connect()
                protocol = self._protocol
                assert protocol is not None
            transport = protocol.transport
            assert transport is not None
            if protocol.buffer:
                self._drop()
                raise ProtocolError(f"{len(protocol.buffer)} bytes arrived that no request asked for")
            reused = self._served > 0
            waiter: asyncio.Future[tuple[Response, bool]] = loop.create_future()
            protocol.waiter, protocol.no_body = waiter, method == "HEAD"
            timer = loop.call_later(self.timeout, _expire, waiter, self.timeout)
            try:
                try:
                    transport.write(data)
                except (OSError, RuntimeError) as exc:
                    raise NoResponse(f"the request could not be written: {exc}") from exc
                response, keep_alive = await waiter
            except NoResponse:
                self._drop()
                if reused and not retried:
                    retried = True
                    self.stale_retries += 1
                    continue
                raise
            except BaseException:
                self._drop()
                raise
            finally:
                timer.cancel()
            self._served += 1
            if not keep_alive:
                self.close()
            return response

    async def get(self, path: str) -> Response:
        return await self.request("GET", path)

    async def post_json(self, path: str, payload: Any) -> Response:
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        return await self.request("POST", path, body)
