from app.instruments.definition import InstrumentKind
from app.measurements.router import measurement_router
from app.measurements.schemas import OutcomeMeasureCreate

router = measurement_router(
    InstrumentKind.OUTCOME,
    "/outcome-measures",
    "outcome_measure",
    OutcomeMeasureCreate,
    "Score and store a measure (`score` for single-score instruments such as GAF), with change flags.",
)
