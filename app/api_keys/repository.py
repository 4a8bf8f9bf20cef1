from app.core.repository import ScopedRepository
from app.models import ApiKey


class ApiKeyRepository(ScopedRepository[ApiKey]):
    model = ApiKey
    not_found = "API key not found."
