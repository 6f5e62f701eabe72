"""Liveness and readiness of the server and each of its stores."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from parley import __version__
from parley.errors import ServiceUnavailable
from parley.kit.context import current_correlation_id
from parley.kit.http import make_route_class

router = APIRouter(tags=["Health"], route_class=make_route_class())


async def _database_status(request: Request) -> dict[str, Any]:
    engine = request.app.state.engine
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        return {"status": "error", "backend": engine.dialect.name}
    return {"status": "ok", "backend": engine.dialect.name}


async def _redis_status(request: Request) -> dict[str, Any]:
    redis = request.app.state.redis
    if redis is None:
        return {"status": "disabled"}
    try:
        await redis.ping()
    except Exception:
        return {"status": "error"}
    return {"status": "ok"}


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    """Region, version and readiness of each store. Needs no key."""
    stores = {"database": await _database_status(request), "redis": await _redis_status(request)}
    healthy = all(store["status"] in ("ok", "disabled") for store in stores.values())
    body = {
        "status": "ok" if healthy else "degraded",
        "region": request.app.state.settings.region,
        "version": __version__,
        "stores": stores,
    }
    if healthy:
        return JSONResponse(body)
    error = ServiceUnavailable("A store parley depends on is not ready.", data=body)
    return JSONResponse(error.envelope(current_correlation_id()), status_code=error.status)
