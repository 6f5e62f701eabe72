"""FastAPI dependencies: the authenticated, rate-limited principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from parley.auth.principal import Principal
from parley.auth.service import authenticate
from parley.errors import RateLimitExceeded
from parley.kit.db import SessionDep
from parley.kit.ratelimit import RateLimiter

# auto_error=False: a missing key must raise our catalogue error, not FastAPI's 403.
_api_key_header = APIKeyHeader(name="x-api-key", auto_error=False)


async def get_principal(
    request: Request,
    session: SessionDep,
    api_key: Annotated[str | None, Depends(_api_key_header)],
) -> Principal:
    principal = await authenticate(session, api_key)
    limiter: RateLimiter = request.app.state.rate_limiter
    decision = await limiter.hit(principal.key_id)
    request.state.response_headers = {**getattr(request.state, "response_headers", {}), **decision.headers()}
    if not decision.allowed:
        raise RateLimitExceeded(headers={"Retry-After": str(decision.retry_after_seconds)})
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]
