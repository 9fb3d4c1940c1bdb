"""The application factory."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import exc as sa_exc

from handoff.assistant.client import RasaClient
from handoff.assistant.tracker import TrackerStore
from handoff.cases.api import router as cases_api_router
from handoff.cases.flows import NotAllowed, watch_waiting
from handoff.channels.sms.service import send_messages as send_sms_messages
from handoff.channels.sms.views import router as sms_router
from handoff.channels.webchat import router as chat_router
from handoff.clientlimits import ClientLimits
from handoff.console.api import router as console_api_router
from handoff.console.socket import socket_router as console_socket_router
from handoff.console.views import router as console_router
from handoff.context import AppContext
from handoff.conversations.enums import Channel
from handoff.conversations.store import create_message_store
from handoff.core import crypto
from handoff.core.config import Settings, get_settings
from handoff.core.crypto import Vault
from handoff.core.db import create_engine, create_sessionmaker
from handoff.core.guard import CSP, RequestGuard, SecurityHeaders
from handoff.core.text import well_formed_all
from handoff.core.twilio import SmsSender
from handoff.health import router as health_router
from handoff.officers.admin import router as admin_router
from handoff.pages import router as pages_router
from handoff.ratelimit import create_rate_limiter
from handoff.realtime import create_claims, create_hub, create_presence
from handoff.records import logscrub
from handoff.records.retention import scheduled_purges
from handoff.resume_limits import ResumeLimits
from handoff.services_page import router as services_router
from handoff.stats.views import router as stats_router
from handoff.turns import create_turns
from safety.verdict import get_safety_check

STATIC = Path(__file__).resolve().parent / "static"
logger = logging.getLogger(__name__)

def _sms_sender(settings: Settings) -> SmsSender | None:
    if not (settings.twilio_sid and settings.twilio_token):
        return None
    return SmsSender(
        account_sid=settings.twilio_sid, auth_token=settings.twilio_token,
        from_number=settings.twilio_from_number or "+447700900000", api_base=settings.twilio_base,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service: routes, static pages, and the resources they share."""
    settings = settings or get_settings()
    logscrub.install()  # no query strings (a pasted number or address) in access log lines

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.ensure_sqlite_folder()
        vault = Vault.from_settings(settings)
        crypto.configure(vault)
        engine = create_engine(settings.async_database_url, echo=settings.database_echo,
                               pool_size=settings.database_pool_size)
        app.state.ctx = AppContext(
            settings=settings,
            engine=engine,
            sessions=create_sessionmaker(engine),
            messages=create_message_store(engine),
            rasa=RasaClient(settings.rasa_url, token=settings.rasa_channel_token, timeout=settings.rasa_timeout),
            hub=create_hub(settings.redis_url, settings.redis_prefix),
            risk=get_safety_check(),  # loaded at start-up, so the first student does not wait for it
            vault=vault,
            rate_limiter=create_rate_limiter(settings.rate_limit_messages, settings.rate_limit_seconds,
                                             settings.redis_url, settings.redis_prefix),
            client_limits=ClientLimits(settings, vault.lookup_hash),
            sms=_sms_sender(settings),
            deliveries={Channel.sms: send_sms_messages},  # SMS sends what is stored for the student itself
            presence=create_presence(settings.redis_url, settings.redis_prefix),
            claims=create_claims(settings.redis_url, settings.redis_prefix),
            turns=create_turns(settings.redis_url, settings.redis_prefix, ttl=2 * settings.rasa_timeout + 5),
            resume_limits=ResumeLimits(settings.resume_limit_per_client, settings.resume_limit_per_reference,
                                       settings.redis_url, settings.redis_prefix),
        )
        # What start-up loaded (the safety patterns, the app, the libraries) stays for the life of the process: a
        # full garbage collection would walk all of it (about 100 ms, with every conversation on hold meanwhile).
        gc.freeze()
        waits = asyncio.create_task(watch_waiting(app.state.ctx))
        purges = asyncio.create_task(scheduled_purges(
            engine=engine, sessions=app.state.ctx.sessions, institution_id=settings.institution_id,
            hours=settings.retention_purge_hours, tracker_store=TrackerStore.from_settings(settings),
        ))
        try:
            yield
        finally:
            waits.cancel()
            purges.cancel()
            await app.state.ctx.aclose()

    app = FastAPI(
        title="Disclosure assistant: handoff service",
        version="0.1.0",
        lifespan=lifespan,
        # No interactive docs page (FastAPI's loads Swagger from a CDN), and no schema in production: it lists the
        # internal /api routes. Development keeps /openapi.json for tools and the schema fuzz test.
        docs_url=None,
        redoc_url=None,
        openapi_url=None if settings.production else "/openapi.json",
    )

    app.add_middleware(RequestGuard)

    @app.exception_handler(ConnectionError)  # the database refused the connection (asyncpg raises it as is)
    @app.exception_handler(sa_exc.TimeoutError)
    @app.exception_handler(sa_exc.InterfaceError)
    @app.exception_handler(sa_exc.OperationalError)
    async def database_unavailable(request: Request, exc: Exception) -> Response:
        """Database busy or restarting: a clear, retryable answer instead of a bare 500 (nothing was changed)."""
        logger.warning("database unavailable for %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return JSONResponse({"detail": "The service is busy for a moment. Please try again."}, status_code=503,
                            headers={"Retry-After": "2"})

    @app.exception_handler(RequestValidationError)
    async def refused(request: Request, exc: RequestValidationError) -> Response:
        """FastAPI's own refusal (422, each field and why), with any half an emoji in what it echoes read as U+FFFD:
        a lone surrogate cannot be written as UTF-8, so the refusal itself failed (a 500 instead of a clear error)."""
        return JSONResponse({"detail": well_formed_all(jsonable_encoder(exc.errors()))}, status_code=422)

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, exc: Exception) -> Response:
        """An officer's step the conversation's state refuses (another officer has it, it is closed): 409."""
        return JSONResponse({"detail": str(exc)}, status_code=409)

    app.add_middleware(SecurityHeaders, csp=CSP, hsts=settings.production)  # outermost: refusals get them too

    app.include_router(health_router)
    app.include_router(chat_router)
    app.include_router(sms_router)
    app.include_router(cases_api_router)
    app.include_router(console_api_router)
    app.include_router(console_socket_router)
    app.include_router(console_router)
    app.include_router(admin_router)
    app.include_router(stats_router)
    app.include_router(pages_router)
    app.include_router(services_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    return app
