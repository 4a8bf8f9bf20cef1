"""The app's routes, enumerated from the application itself (not from a hand-written list)."""

from functools import cache

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from app.config import Settings
from app.main import create_app

IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})  # added by Starlette to GET routes; not endpoints of ours


@cache
def route_app() -> FastAPI:
    """The app as production builds it (no database is touched: the lifespan never runs)."""
    return create_app(
        Settings(database_url=None, migrate_on_start=False, log_level="WARNING", rate_limit=None)
    )


def routes(app: FastAPI | None = None) -> list[tuple[str, str]]:
    """Every ``(METHOD, path template)`` the app answers, including the docs and probes."""
    found: set[tuple[str, str]] = set()
    for context in iter_route_contexts((app or route_app()).routes):
        path, methods = getattr(context, "path", None), getattr(context, "methods", None)
        if path is None or methods is None:  # a mount or websocket: none today
            raise AssertionError(
                f"unexpected route kind {context!r}: teach tests/security/routes.py about it"
            )
        found.update((method, path) for method in methods if method not in IGNORED_METHODS)
    return sorted(found, key=lambda r: (r[1], r[0]))
