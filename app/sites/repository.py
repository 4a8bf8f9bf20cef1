from typing import Any

from app.core.repository import ScopedRepository
from app.models import Site


class SiteRepository(ScopedRepository[Site]):
    model = Site
    not_found = "Site not found."

    def site_column(self) -> Any:
        return Site.id
