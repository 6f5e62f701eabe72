"""A sandbox worker process: sets up its isolation once, then forks one child per execution.

The worker itself never runs user code. Each request gets a fresh fork that runs the function and
exits, so nothing a function does can outlive it or reach the next one, while imports and limits
are paid for once per worker. The fork (a few milliseconds) is made ahead: a spare child waits for
its one request on a pipe of its own, and the next spare is forked after the reply is sent, so a
call does not wait for it. The worker enforces the wall clock on its children; the server
enforces it again on the worker.

Layers, each failing closed (the worker refuses to start rather than run without one it was
asked for): resource limits, a network namespace (when the server spawned us inside one),
dropped root privileges, and, per child, the audit hook and restricted builtins.
"""

from __future__ import annotations

import errno
import importlib
import json
import os
import resource
import select
import signal
import sys
import time
from dataclasses import dataclass
from typing import Any, BinaryIO

from parley.runtime.sandbox import child, protocol
from parley.runtime.sandbox.restricted import build_module_views

# Extra seconds the worker gives a child past its own alarm before killing it.
KILL_GRACE_SECONDS = 0.5
MAX_REQUEST_BYTES = 64 * 1024 * 1024
# Modules the allowed ones import lazily on first use: loaded now, while files can be read.
_LAZY_DEPENDENCIES = ("_strptime",)
# Codecs are imported on first lookup, then cached; after the lock-down only these exist.
_CODECS = ("ascii", "latin-1", "utf-16", "utf-32", "cp1252")


class SetupFailed(Exception):
    pass


def _preload() -> None:
    for name in (*protocol.ALLOWED_MODULES, *_LAZY_DEPENDENCIES):
        importlib.import_module(name)
    # First use of some functions initialises caches lazily; do it before the lock-down.
    import datetime
    import time as time_module

    datetime.datetime.strptime("2024-01-02", "%Y-%m-%d")
    time_module.strftime("%Y")
    for codec in _CODECS:
        "x".encode(codec)


def _apply_rlimits(limits: protocol.Limits) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if resource.getrlimit(resource.RLIMIT_AS)[0] != limits.memory_bytes:
        raise SetupFailed("the address-space limit did not apply")


def _netns_isolated(parent_netns: int | None) -> bool:
    if parent_netns is None:
        return False
    own = os.stat("/proc/self/ns/net").st_ino
    if own == parent_netns:
        raise SetupFailed("expected a network namespace of its own, but shares the server's")
    return True


def _drop_privileges(uid: int | None) -> bool:
    if os.geteuid() != 0 or uid is None:
        return False
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    try:
        os.setuid(0)
    except PermissionError:
        return True
    raise SetupFailed("privileges could not be dropped")


def _private_streams() -> tuple[BinaryIO, BinaryIO]:
    """The protocol moves to private descriptors; 0, 1 and 2 point at /dev/null."""
    reader = os.fdopen(os.dup(0), "rb")
    writer = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    return reader, writer


def _collect(fd: int, deadline: float, cap: int) -> tuple[bytes, str | None]:
    """Read a child's reply until EOF; the second value says why reading stopped early."""
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return b"", "timeout"
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks), None
        size += len(chunk)
        if size > cap:
            return b"", "too_large"
        chunks.append(chunk)


def _verdict(data: bytes, stopped: str | None, status: int, limits: protocol.Limits) -> dict[str, Any]:
    if stopped == "timeout":
        return protocol.error_reply(
            protocol.TIMEOUT, f"The function did not finish within {limits.timeout_seconds:g} seconds."
        )
    if stopped == "too_large":
        return protocol.error_reply(
            protocol.OUTPUT_LIMIT, f"The function's output is larger than {limits.max_output_bytes} bytes."
        )
    if data:
        try:
            return protocol.checked_reply(protocol.decode(data))
        except ValueError:
            return protocol.error_reply(protocol.CRASHED, "The function's process sent an unreadable result.")
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL):
        return protocol.error_reply(protocol.TIMEOUT, "The function used more CPU time than allowed.")
    return protocol.error_reply(protocol.CRASHED, "The function's process ended without a result.")


@dataclass(frozen=True)
class _Spare:
    """A child forked before its request: it reads one request from ``request_fd``, answers on
    ``reply_fd`` and exits."""

    pid: int
    request_fd: int
    reply_fd: int

    def discard(self) -> None:
        """No request is coming: the child reads end-of-file and exits."""
        os.close(self.request_fd)
        os.close(self.reply_fd)
        os.waitpid(self.pid, 0)


def _read_request(fd: int) -> dict[str, Any] | None:
    """The child's one request (None: the worker closed the pipe without sending one)."""
    chunks: list[bytes] = []
    size = 0
    while chunk := os.read(fd, 65536):
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            return None
        chunks.append(chunk)
    os.close(fd)
    if not chunks:
        return None
    request = json.loads(b"".join(chunks))
    return request if isinstance(request, dict) else None


def _fork_spare(limits: protocol.Limits, views: dict[str, Any], private: list[int]) -> _Spare:
    request_read, request_write = os.pipe()
    reply_read, reply_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the worker's code
        try:
            for fd in (request_write, reply_read, *private):
                os.close(fd)
            request = _read_request(request_read)
        except BaseException:
            os._exit(1)
        if request is None:
            os._exit(0)
        child.run(request, limits, views, reply_write)
    os.close(request_read)
    os.close(reply_write)
    return _Spare(pid, request_write, reply_read)


def _send_request(fd: int, line: bytes) -> bool:
    """False when the child was gone before it could take the request."""
    try:
        view = memoryview(line)
        while view:
            view = view[os.write(fd, view) :]
        return True
    except BrokenPipeError:
        return False
    finally:
        os.close(fd)


def _execute(spare: _Spare, line: bytes, limits: protocol.Limits) -> tuple[dict[str, Any], bool]:
    """The spare's reply to ``line``, and whether the child is still to be reaped."""
    if not _send_request(spare.request_fd, line):
        os.close(spare.reply_fd)
        os.waitpid(spare.pid, 0)
        return protocol.error_reply(
            protocol.CRASHED, "The function's process ended before it could run the function."
        ), False
    deadline = time.monotonic() + limits.timeout_seconds + KILL_GRACE_SECONDS
    try:
        data, stopped = _collect(
            spare.reply_fd, deadline, limits.max_output_bytes + protocol.REPLY_OVERHEAD_BYTES
        )
    finally:
        os.close(spare.reply_fd)
    if stopped is None and data:
        # A complete reply needs no exit status: the child is reaped after the reply is sent.
        return _verdict(data, None, 0, limits), True
    if stopped is not None:
        os.kill(spare.pid, signal.SIGKILL)
    _, status = os.waitpid(spare.pid, 0)
    return _verdict(data, stopped, status, limits), False


def _serve(reader: BinaryIO, writer: BinaryIO, limits: protocol.Limits, views: dict[str, Any]) -> None:
    private = [reader.fileno(), writer.fileno()]
    spare = _fork_spare(limits, views, private)
    while True:
        line = reader.readline(MAX_REQUEST_BYTES)
        if not line:
            spare.discard()
            return  # the server closed our stdin: it is done with us
        if not line.endswith(b"\n"):
            raise SetupFailed("request longer than the protocol allows")
        request = json.loads(line)
        if not isinstance(request, dict):
            raise SetupFailed("request is not an object")
        reply, unreaped = _execute(spare, line, limits)
        writer.write(protocol.encode({**reply, "id": request.get("id")}))
        writer.flush()
        if unreaped:
            os.waitpid(spare.pid, 0)
        child.remember_sources(request)
        # Forked from a worker that holds no reference to this request any more (the compiled
        # table keeps sources, which each child drops before it runs anything).
        del line, request, reply
        spare = _fork_spare(limits, views, private)


def main() -> None:
    reader, writer = _private_streams()
    try:
        config = json.loads(reader.readline(MAX_REQUEST_BYTES))
        limits = protocol.Limits.from_dict(config["limits"])
        _preload()
        views = build_module_views(protocol.ALLOWED_MODULES)
        network = _netns_isolated(config.get("parentNetns"))
        _apply_rlimits(limits)
        dropped = _drop_privileges(config.get("runAsUid"))
    except Exception as exc:
        writer.write(protocol.encode({"ready": False, "error": f"{type(exc).__name__}: {exc}"}))
        writer.flush()
        sys.exit(1)
    layers = {
        "process": True,
        "resourceLimits": True,
        "auditHook": True,
        "restrictedBuiltins": True,
        "networkNamespace": network,
        "privilegesDropped": dropped,
    }
    writer.write(protocol.encode({"ready": True, "layers": layers, "pid": os.getpid()}))
    writer.flush()
    try:
        _serve(reader, writer, limits, views)
    except BrokenPipeError:
        pass
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise


if __name__ == "__main__":
    main()
