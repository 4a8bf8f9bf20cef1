"""Site scoping: the one place that decides which sites a caller may see.

Every repository query goes through :func:`scope` (a test greps the code base to keep it that way). A clinic
key sees only its own site; anything else behaves as if it did not exist (404, never the data).
"""

import uuid
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false

from app.auth.principal import Principal
from app.core.errors import FieldError, InvalidPayload, NotFound
from app.models.enums import Role

S = TypeVar("S", bound=Select[*tuple[Any, ...]])  # any Select, whatever its columns


def accessible_site_ids(principal: Principal) -> frozenset[uuid.UUID] | None:
    """The sites the caller may read; ``None`` means all of them."""
    if principal.role is Role.clinic:
        return frozenset({principal.site_id}) if principal.site_id else frozenset()
    return None


def scope(stmt: S, principal: Principal, site_column: ColumnElement[uuid.UUID] | Any) -> S:
    """Restrict ``stmt`` to rows whose ``site_column`` the caller may see."""
    sites = accessible_site_ids(principal)
    if sites is None:
        return stmt
    return stmt.where(site_column.in_(sites)) if sites else stmt.where(false())


def check_site_access(principal: Principal, site_id: uuid.UUID) -> None:
    """Refuse (as not found) a site the caller may not see, e.g. a clinic naming another site in a body."""
    sites = accessible_site_ids(principal)
    if sites is not None and site_id not in sites:
        raise NotFound(detail="Site not found.")


def query_sites(
    principal: Principal, requested: tuple[uuid.UUID, ...] | None
) -> tuple[uuid.UUID, ...] | None:
    """The sites a query asked for ``requested`` sites (``None``: all) covers for this caller, sorted.

    Naming a site the caller may not see is a 404; asking for all gives a clinic key its own site.
    """
    for site_id in requested or ():
        check_site_access(principal, site_id)
    accessible = accessible_site_ids(principal)
    chosen = accessible if requested is None else set(requested)
    return None if chosen is None else tuple(sorted(chosen, key=str))


def bound_site(principal: Principal) -> uuid.UUID | None:
    """The one site a caller is bound to (clinic keys), else ``None``: e.g. to keep per-site caches apart."""
    sites = accessible_site_ids(principal)
    return next(iter(sites)) if sites and len(sites) == 1 else None


def default_site(principal: Principal, site_id: uuid.UUID | None) -> uuid.UUID:
    """The site a new record belongs to: as given, or the clinic key's own site."""
    chosen = site_id or principal.site_id
    if chosen is None:
        raise InvalidPayload(detail="site_id is required.", errors=[FieldError("/body/site_id", "required")])
    check_site_access(principal, chosen)
    return chosen
