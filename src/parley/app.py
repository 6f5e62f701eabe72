"""The application factory."""

from __future__ import annotations

import gc
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
from parley.chat.debug_router import router as debug_chat_router
from parley.chat.deps import runtime_deps_of
from parley.chat.router import router as chat_router
from parley.chat.sweeper import ConversationSweeper
from parley.config import Settings, get_settings
from parley.conversations.router import router as conversations_router
from parley.deployments.artifacts import ArtifactCache
from parley.deployments.router import router as deployments_router
from parley.entities.router import router as entities_router
from parley.flows.router import router as flows_router
from parley.functions.router import router as functions_router
from parley.handoffs.router import router as handoffs_router
from parley.health.router import router as health_router
from parley.kit.db import create_engine, create_sessionmaker
from parley.kit.http import install_error_handlers
from parley.kit.locks import LockStore, MemoryLockStore, RedisLockStore
from parley.kit.logging import configure_logging
from parley.kit.maintenance import MaintenanceSwitch
from parley.kit.middleware import BodyLimitMiddleware, MaintenanceMiddleware, RequestContextMiddleware
from parley.kit.not_implemented import install_not_implemented_routes
from parley.kit.openapi import install_openapi
from parley.kit.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from parley.knowledge.router import router as knowledge_router
from parley.messaging.router import router as messaging_router
from parley.realtime.router import router as realtime_router
from parley.runtime.engine import Engine
from parley.runtime.providers.factory import create_provider
from parley.runtime.sandbox.pool import Sandbox
from parley.sms.router import router as sms_router
from parley.sms_templates.router import router as sms_templates_router
from parley.telephony.router import router as telephony_router
from parley.testing.router import router as testing_router
from parley.testing.runner import start_test_runner
from parley.transfer.router import router as transfer_router
from parley.variants.router import router as variants_router


def _operation_id(route: APIRoute) -> str:
    return route.name


def _rate_limiter(settings: Settings, redis: Redis | None) -> RateLimiter:
    if redis is not None:
        return RedisRateLimiter(
            redis, settings.rate_limit.per_second, settings.rate_limit.burst, settings.redis.key_prefix
        )
    return MemoryRateLimiter(settings.rate_limit.per_second, settings.rate_limit.burst)


def _lock_store(settings: Settings, redis: Redis | None) -> LockStore:
    if redis is not None:
        return RedisLockStore(redis, settings.redis.key_prefix)
    return MemoryLockStore()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # First: a provider misconfiguration fails start-up before anything needs cleaning up.
        provider = create_provider(settings.runtime)
        redis = Redis.from_url(settings.redis.url) if settings.redis.url else None
        app.state.redis = redis
        app.state.rate_limiter = _rate_limiter(settings, redis)
        app.state.locks = _lock_store(settings, redis)
        sandbox = Sandbox(settings.sandbox)
        app.state.sandbox = sandbox
        app.state.conversation_engine = Engine(
            runner=sandbox, provider=provider, retrieval_threshold=settings.runtime.retrieval_threshold
        )
        app.state.test_runner = await start_test_runner(app.state)
        app.state.runtime_deps = runtime_deps_of(app.state)
        sweeper = ConversationSweeper(
            app.state.sessionmaker,
            app.state.runtime_deps,
            app.state.locks,
            settings.runtime.sweep_interval_seconds,
        )
        app.state.conversation_sweeper = sweeper
        sweeper.start()
        # Everything loaded at start-up lives as long as the process: moving it out of the
        # collector's generations keeps full collections (and their pauses) short under load.
        if settings.gc_freeze:
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            await sweeper.stop()
            await app.state.test_runner.stop()
            await sandbox.close()
            await provider.aclose()
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
    # Routes are matched in order: the chat turn, the hottest path, comes first (its paths share
    # no pattern with any other router's, so the order changes nothing else).
    for router in (
        health_router,
        chat_router,
        accounts_router,
        auth_router,
        agents_router,
        branches_router,
        behavior_router,
        knowledge_router,
        deployments_router,
        debug_chat_router,
        transfer_router,
        flows_router,
        functions_router,
        variants_router,
        realtime_router,
        telephony_router,
        entities_router,
        handoffs_router,
        sms_templates_router,
        sms_router,
        messaging_router,
        conversations_router,
        testing_router,
    ):
        app.include_router(router)
    install_not_implemented_routes(app)
    install_openapi(app)
    return app
