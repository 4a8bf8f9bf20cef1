"""Application factory."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.engine import URL

from app.api import api_router
from app.config import Settings, get_settings
from app.core.logging import configure_logging
from app.core.middleware import RequestContextMiddleware
from app.core.problems import register_problem_handlers
from app.core.ratelimit import RateLimitMiddleware
from app.db.engine import build_engine, build_sessionmaker
from app.db.migrate import upgrade
from app.db.url import resolve_database_url
from app.health import router as health_router


def create_app(settings: Settings | None = None, database_url: URL | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = database_url or resolve_database_url(settings)
        if settings.migrate_on_start:
            upgrade(url)
        app.state.engine = build_engine(url, settings.db_pool_size)
        app.state.sessionmaker = build_sessionmaker(app.state.engine)
        # Everything imported so far (pandas, statsmodels, the app) lives as long as the process; moving it
        # out of the collector's reach keeps full collections from rescanning it during requests.
        gc.freeze()
        yield
        app.state.engine.dispose()

    configure_logging(settings.log_level)
    app = FastAPI(
        title="dyadstudy",
        version="0.1.0",
        summary="Alliance between case managers and patients: data collection and mixed-model analysis.",
        lifespan=lifespan,
    )
    register_problem_handlers(app)
    app.add_middleware(RateLimitMiddleware, limit=settings.rate_limit)  # inside the request-id middleware
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    app.include_router(health_router)
    app.include_router(api_router)
    return app
