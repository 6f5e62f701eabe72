"""Python client for parley's HTTP API (and so for the parts of PolyAI's it is compatible with).

    from parley.sdk import Client, ProjectNotFoundError

    with Client("http://127.0.0.1:8080", api_key="pk_...") as client:
        agent = client.agents.create("default", name="Hotel", greeting="Hello!")
        try:
            client.agents.delete("no-such-agent", correlation_id="cleanup-42")
        except ProjectNotFoundError as exc:
            print(exc.status, exc.code, exc.id, exc.correlation_id)

``AsyncClient`` has the same namespaces and methods, each returning a coroutine. Results are the
server's JSON as plain dicts and lists, with its camelCase keys. The clients depend on httpx only,
never on the server's code, so they can be installed and used anywhere.

Retries: a 429, or a 503 with ``Retry-After`` (maintenance), is retried for every method after the
``Retry-After`` delay, capped at ``max_retry_wait``: the server refused it before doing anything.
Network failures and timeouts are retried, with exponential backoff and jitter, only for methods
that are safe to repeat (GET, HEAD, OPTIONS, PUT, DELETE). At most ``max_retries`` retries.

Exceptions::

    ParleySDKError                  anything this package raises on purpose
    ├── ParleyError                 the server answered with an error: .status .code .id .message
    │   │                           .correlation_id .data .headers (code/id are None if the body
    │   │                           was not an error envelope; unknown codes raise this class)
    │   ├── ProjectNotFoundError    one class per catalogue code (PROJECT_NOT_FOUND, ...), generated
    │   ├── RateLimitExceededError  into _errors.py; ERRORS_BY_CODE maps each code to its class
    │   └── ...
    └── ParleyTransportError        no usable answer arrived (after any retries)
        ├── ParleyConnectionError   connecting failed, or the connection broke
        └── ParleyTimeoutError      the client's timeout ran out
"""

from __future__ import annotations

from parley.sdk import _errors
from parley.sdk._client import AsyncClient, Client
from parley.sdk._errors import *  # noqa: F403  (one class per catalogue code; listed in _errors.__all__)
from parley.sdk._exceptions import (
    ParleyConnectionError,
    ParleyError,
    ParleySDKError,
    ParleyTimeoutError,
    ParleyTransportError,
)

__all__ = [
    "AsyncClient",
    "Client",
    "ParleyConnectionError",
    "ParleyError",
    "ParleySDKError",
    "ParleyTimeoutError",
    "ParleyTransportError",
]
__all__ += _errors.__all__
