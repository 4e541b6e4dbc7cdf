"""The ASGI application: /graphql, /healthz, /readyz, with request ids and access logs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.crypto import MissingKeysError, install_encryption
from app.db import create_engine, create_session_factory
from app.http.downloads import Downloads
from app.http.graphiql import graphiql_assets
from app.http.graphql import GraphQLEndpoint
from app.http.inbound import InboundEndpoint
from app.http.oauth import TokenEndpoint
from app.http.rate_limit import create_rate_limiter
from app.jobs.automation import automation_in_process
from app.jobs.bulk import bulk_jobs
from app.jobs.pull import run_pulls_periodically
from app.jobs.retention import run_retention_periodically
from app.jobs.sla import run_sla_periodically
from app.jobs.webhook_delivery import webhook_delivery
from app.jobs.worker import automation_wake_hook
from app.migrations import current_revision, head_revision
from app.settings import Settings, get_settings
from app.wiring import install as install_wiring
from kernel.audit import current_client_ip
from kernel.bus import Topic, bus
from kernel.outbox import current_request_id
from resolvers.tickets.workflow import configure_workflow

access_log = logging.getLogger("crm.access")


class RequestIdMiddleware:
    """Gives every request an id (or keeps the caller's `X-Request-ID`) and logs it once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(b"x-request-id", b"").decode("latin-1")[:64]
        request_id = given if given.isprintable() and given else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = current_request_id.set(request_id)
        client = scope.get("client")
        ip_token = current_client_ip.set(client[0] if client else None)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            current_request_id.reset(token)
            current_client_ip.reset(ip_token)


@asynccontextmanager
async def automation(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> AsyncIterator[None]:
    """Automation rules run in this process, or (with Redis) on `crm worker` jobs woken here."""
    if not settings.redis_url:
        async with automation_in_process(settings, session_factory):
            yield
        return
    wake, pool = await automation_wake_hook(settings)
    unregister = bus.subscribe(Topic.EVENTS, wake)
    try:
        yield
    finally:
        unregister()
        await pool.aclose()


def create_app(settings: Settings | None = None) -> Starlette:
    """The application for these settings, with its own engine and session factory."""
    settings = settings or get_settings()
    install_wiring()
    # Production without explicit keys may build the app (tests do) but not start serving.
    missing_keys: MissingKeysError | None = None
    try:
        install_encryption(settings)
    except MissingKeysError as exc:
        missing_keys = exc
    engine = create_engine(
        settings.database_url, echo=settings.db_echo, pool_size=settings.db_pool_size
    )
    session_factory = create_session_factory(engine)
    configure_workflow(settings.ticket_reopen_window_days)

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            current = await current_revision(engine)
        except Exception as exc:  # any failure to reach the database means not ready
            return JSONResponse({"status": "unavailable", "database": str(exc)}, status_code=503)
        head = head_revision()
        if current != head:
            return JSONResponse(
                {"status": "migrations pending", "current": current, "head": head}, status_code=503
            )
        return JSONResponse({"status": "ready", "revision": current})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if missing_keys is not None:
            raise missing_keys
        background = [asyncio.create_task(run_retention_periodically(settings, session_factory))]
        if not settings.redis_url:  # with Redis, the `crm worker` cron pulls and checks SLAs
            background.append(
                asyncio.create_task(run_pulls_periodically(settings, session_factory))
            )
            background.append(asyncio.create_task(run_sla_periodically(settings, session_factory)))
        async with (
            webhook_delivery(settings, session_factory),
            automation(settings, session_factory),
            bulk_jobs(settings, session_factory),
        ):
            yield
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await engine.dispose()

    graphql = GraphQLEndpoint(settings, session_factory, create_rate_limiter(settings))
    oauth_token = TokenEndpoint(settings, session_factory)
    inbound = InboundEndpoint(settings, session_factory)
    downloads = Downloads(settings, session_factory)
    app = Starlette(
        routes=[
            Route("/graphql", graphql.handle, methods=["GET", "POST"]),
            Route("/oauth/token", oauth_token.handle, methods=["POST"]),
            Route("/integrations/{connector}/events", inbound.handle, methods=["POST"]),
            Route("/exports/{job_id}", downloads.export_file, methods=["GET"]),
            Route("/imports/{job_id}/errors.csv", downloads.import_errors, methods=["GET"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            graphiql_assets(),
        ],
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.session_factory = session_factory
    app.add_middleware(RequestIdMiddleware)
    return app
