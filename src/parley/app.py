"""The application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from redis.asyncio import Redis
from starlette.middleware import Middleware

from parley import __version__
from parley.accounts.router import router as accounts_router
from parley.agents.router import router as agents_router
from parley.auth.router import router as auth_router
from parley.behavior.router import router as behavior_router
from parley.branches.router import router as branches_router
from parley.config import Settings, get_settings
from parley.deployments.artifacts import ArtifactCache
from parley.deployments.router import router as deployments_router
from parley.health.router import router as health_router
from parley.kit.db import create_engine, create_sessionmaker
from parley.kit.http import install_error_handlers
from parley.kit.logging import configure_logging
from parley.kit.maintenance import MaintenanceSwitch
from parley.kit.middleware import BodyLimitMiddleware, MaintenanceMiddleware, RequestContextMiddleware
from parley.kit.not_implemented import install_not_implemented_routes
from parley.kit.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter


def _operation_id(route: APIRoute) -> str:
    return route.name


def _rate_limiter(settings: Settings, redis: Redis | None) -> RateLimiter:
    if redis is not None:
        return RedisRateLimiter(
            redis, settings.rate_limit.per_second, settings.rate_limit.burst, settings.redis.key_prefix
        )
    return MemoryRateLimiter(settings.rate_limit.per_second, settings.rate_limit.burst)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redis = Redis.from_url(settings.redis.url) if settings.redis.url else None
        app.state.redis = redis
        app.state.rate_limiter = _rate_limiter(settings, redis)
        try:
            yield
        finally:
            if redis is not None:
                await redis.aclose()
            await engine.dispose()

    engine = create_engine(settings.database)
    sessionmaker = create_sessionmaker(engine)
    app = FastAPI(
        title="parley",
        version=__version__,
        description="Self-hostable conversational-agent platform with a PolyAI-compatible API.",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        middleware=[
            Middleware(
                RequestContextMiddleware, request_timeout_seconds=settings.limits.request_timeout_seconds
            ),
            Middleware(MaintenanceMiddleware),
            Middleware(BodyLimitMiddleware, max_body_bytes=settings.limits.max_body_bytes),
        ],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = sessionmaker
    app.state.maintenance = MaintenanceSwitch(sessionmaker, settings.limits.maintenance_cache_seconds)
    app.state.redis = None
    app.state.artifacts = ArtifactCache()
    app.state.rate_limiter = _rate_limiter(settings, None)

    install_error_handlers(app)
    for router in (
        health_router,
        accounts_router,
        auth_router,
        agents_router,
        branches_router,
        behavior_router,
        deployments_router,
    ):
        app.include_router(router)
    install_not_implemented_routes(app)
    return app
