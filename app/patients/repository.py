from app.core.repository import ScopedRepository
from app.models import Patient


class PatientRepository(ScopedRepository[Patient]):
    model = Patient
    not_found = "Patient not found."
