from app.core.repository import ScopedRepository
from app.models import CaseManager


class CaseManagerRepository(ScopedRepository[CaseManager]):
    model = CaseManager
    not_found = "Case manager not found."
