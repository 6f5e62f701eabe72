"""The hand-written roots of the SDK's exception tree (the per-code leaves are in ``_errors.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx


class ParleySDKError(Exception):
    """Root of everything the SDK raises, so that one ``except`` can catch all of it."""


class ParleyError(ParleySDKError):
    """The server answered with an error.

    ``code`` and ``id`` come from the error envelope and are what programs should match on; they
    are ``None`` only when the body was not an envelope (a proxy's HTML page, say).
    """

    def __init__(
        self,
        *,
        status: int,
        code: str | None,
        id: int | None,
        message: str,
        correlation_id: str | None,
        data: dict[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.id = id
        self.message = message
        self.correlation_id = correlation_id
        self.data = data
        self.headers = httpx.Headers(headers or {})
        super().__init__(self._describe())

    def _describe(self) -> str:
        what = f"HTTP {self.status}"
        if self.code is not None:
            what += f" {self.code} (id {self.id})"
        text = f"{what}: {self.message}"
        if self.correlation_id:
            text += f" [correlation id {self.correlation_id}]"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, id={self.id!r}, "
            f"message={self.message!r}, correlation_id={self.correlation_id!r})"
        )


class ParleyTransportError(ParleySDKError):
    """No usable answer arrived: the request failed on the network, after any retries."""


class ParleyConnectionError(ParleyTransportError):
    """The connection could not be made, or broke before the response was complete."""


class ParleyTimeoutError(ParleyTransportError):
    """Connecting, sending, or waiting for the response took longer than the client's timeout."""
