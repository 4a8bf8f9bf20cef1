from app.instruments.definition import InstrumentKind
from app.measurements.router import measurement_router
from app.measurements.schemas import AllianceRatingCreate

router = measurement_router(
    InstrumentKind.ALLIANCE,
    "/alliance-ratings",
    "alliance_rating",
    AllianceRatingCreate,
    "Score and store a rating; the response carries the derived scores and change flags.",
)
