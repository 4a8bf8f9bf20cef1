"""The one query that turns the measurement store into the analysis library's long frame.

Matching rule (documented for researchers in the data dictionary):

* **Occasions** are the *anchor* rater's alliance ratings (``anchor_rater``, the model's alliance rater):
  current, active versions only (corrections replace, "entered in error" removes), of the chosen instrument
  (and version, if given), within the site and date filters, of patients whose consent does not exclude their
  data.
* **The other rater's alliance** (``A_c`` when the anchor is the patient, and vice versa) is the rating of the
  same dyad by the other rater whose date is nearest to the occasion, within ±``window_days``.
* **The outcome** ``y`` is the patient's outcome measure (chosen instrument, current active version) nearest
  in date within ±``window_days`` (ties: the earlier one, then the first recorded); ``y_gap_days`` is its
  distance. An outcome may serve two occasions if they are both nearest to it.
* **The case manager** is the dyad's case manager (a dyad is one patient with one CM over a period, so this is
  the CM as of the occasion); ``time`` is months since the dyad started (days / 30.4375); ``occasion`` numbers
  the dyad's occasions from 0 in date order.
* Covariates: ``age`` (years at the occasion, top-coded at 90), ``female`` (1/0, missing if not stated),
  ``days_since_enrolment``.

Everything is computed by PostgreSQL, set-based: the occasions are hash-joined to the candidate ratings of the
same dyad (outcomes: of the same patient) within the window, and ``DISTINCT ON (occasion)`` keeps the nearest
(one sort, instead of two index lookups per occasion: 5.5 s against 6.2 s at a million rows on a loaded
2-core machine, see ``bench/bench_extract.py``). Python only receives the finished rows through
``COPY … TO STDOUT``.
"""

import hashlib
import hmac
from typing import Any

from sqlalchemy import ClauseElement, ColumnElement, Select, and_, distinct, func, not_, select, true
from sqlalchemy.dialects import postgresql

from app.auth.principal import Principal
from app.consent.repository import excluded_patient_ids
from app.core.scoping import scope
from app.datasets.params import RATER_COLUMN, ExtractionParams, InstrumentChoice
from app.instruments.definition import InstrumentKind, RaterRole
from app.models import Measurement
from app.models.enums import MeasurementStatus

MONTH_DAYS = 30.4375
FRAME_COLUMNS = (
    "site_id",
    "cm_id",
    "patient_id",
    "dyad_id",
    "occasion",
    "time",
    "A_p",
    "A_c",
    "y",
    "y_gap_days",
    "age",
    "female",
    "days_since_enrolment",
)
ID_COLUMNS = ("site_id", "cm_id", "patient_id", "dyad_id")

# Any SELECT, whatever its columns (SQLAlchemy 2.1's ``Select`` is variadic in its row types).
AnySelect = Select[*tuple[Any, ...]]


def compile_sql(stmt: ClauseElement) -> str:
    """Render a Core statement with its values inlined (for COPY, which takes no bind parameters)."""
    return str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def usable(
    kind: InstrumentKind, choice: InstrumentChoice, rater: RaterRole | None = None
) -> ColumnElement[bool]:
    """Current, active versions of ``choice`` (the only values any analysis or export may see)."""
    m = Measurement
    cond = and_(
        m.is_current,
        m.status == MeasurementStatus.active,
        m.kind == kind,
        m.instrument_code == choice.code,
    )
    if choice.version is not None:
        cond = and_(cond, m.instrument_version == choice.version)
    if rater is not None:
        cond = and_(cond, m.rater == rater)
    return cond


def anchors(principal: Principal, params: ExtractionParams, *, excluded: bool) -> AnySelect:
    """The occasions (anchor ratings) the caller may see; ``excluded`` picks the consent-excluded ones."""
    m = Measurement
    stmt: AnySelect = select(m.id, m.site_id, m.patient_id, m.dyad_id, m.rated_on, m.total).where(
        usable(InstrumentKind.ALLIANCE, params.alliance[params.anchor_rater], params.anchor_rater)
    )
    if params.site_ids is not None:
        stmt = stmt.where(m.site_id.in_(params.site_ids))
    if params.rated_from is not None:
        stmt = stmt.where(m.rated_on >= params.rated_from)
    if params.rated_to is not None:
        stmt = stmt.where(m.rated_on <= params.rated_to)
    in_excluded = m.patient_id.in_(excluded_patient_ids())
    stmt = stmt.where(in_excluded if excluded else not_(in_excluded))
    return scope(stmt, principal, m.site_id)


def _where(cond: ColumnElement[bool]) -> str:
    """A condition on ``measurements`` rendered for use with the alias ``m``."""
    return compile_sql(select(true()).where(cond)).split("WHERE", 1)[1].replace("measurements.", "m.")


def pseudonym_sql(column: str, prefix: str, key: bytes | None) -> str:
    """``column`` (a uuid) as text, or re-keyed as ``prefix-<16 hex>`` of HMAC-SHA256(key, uuid text).

    HMAC is spelled out with the built-in ``sha256()`` (no pgcrypto needed); :func:`pseudonym` is the same
    function in Python.
    """
    if key is None:
        return f"{column}::text"
    inner, outer = _pads(key)
    message = f"convert_to({column}::text, 'UTF8')"
    digest = f"sha256('\\x{outer.hex()}'::bytea || sha256('\\x{inner.hex()}'::bytea || {message}))"
    return f"'{prefix}-' || substr(encode({digest}, 'hex'), 1, 16)"


def _pads(key: bytes) -> tuple[bytes, bytes]:
    block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def pseudonym(value: str, prefix: str, key: bytes) -> str:
    return f"{prefix}-{hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:16]}"


ID_PREFIX = {"site_id": "S", "cm_id": "CM", "patient_id": "P", "dyad_id": "D"}


def occasions_query(principal: Principal, params: ExtractionParams, key: bytes | None = None) -> str:
    """SQL for the long frame (columns :data:`FRAME_COLUMNS`), ids re-keyed with ``key`` when given."""
    partner = params.partner_rater
    anchor_sql = compile_sql(anchors(principal, params, excluded=False))
    partner_cond = _where(usable(InstrumentKind.ALLIANCE, params.alliance[partner], partner))
    outcome_cond = _where(usable(InstrumentKind.OUTCOME, params.outcome))
    w = int(params.window_days)
    ids = {
        "site_id": "a.site_id",
        "cm_id": "d.case_manager_id",
        "patient_id": "a.patient_id",
        "dyad_id": "a.dyad_id",
    }
    id_sql = ",\n  ".join(
        f"{pseudonym_sql(expr, ID_PREFIX[name], key)} AS {name}" for name, expr in ids.items()
    )
    match = "m.rated_on BETWEEN a.lo AND a.hi"
    nearest = "ORDER BY a.id, abs(m.rated_on - a.rated_on), m.rated_on, m.id"
    return f"""
WITH a AS MATERIALIZED (
  SELECT x.*, x.rated_on - {w} AS lo, x.rated_on + {w} AS hi FROM ({anchor_sql}) x
), pr AS (
  SELECT DISTINCT ON (a.id) a.id AS anchor_id, m.total
  FROM a JOIN measurements m ON m.dyad_id = a.dyad_id AND {match}
  WHERE {partner_cond}
  {nearest}
), o AS (
  SELECT DISTINCT ON (a.id) a.id AS anchor_id, m.total, m.rated_on
  FROM a JOIN measurements m ON m.patient_id = a.patient_id AND {match}
  WHERE {outcome_cond}
  {nearest}
)
SELECT
  {id_sql},
  (row_number() OVER (PARTITION BY a.dyad_id ORDER BY a.rated_on, a.id) - 1)::int AS occasion,
  (a.rated_on - d.started_on) / {MONTH_DAYS}::float8 AS time,
  a.total AS "{RATER_COLUMN[params.anchor_rater]}",
  pr.total AS "{RATER_COLUMN[partner]}",
  o.total AS y,
  o.rated_on - a.rated_on AS y_gap_days,
  least(extract(year FROM a.rated_on)::int - p.birth_year, 90) AS age,
  CASE p.sex WHEN 'female' THEN 1 WHEN 'male' THEN 0 END AS female,
  a.rated_on - p.enrolled_on AS days_since_enrolment
FROM a
JOIN dyads d ON d.id = a.dyad_id
JOIN patients p ON p.id = a.patient_id
LEFT JOIN pr ON pr.anchor_id = a.id
LEFT JOIN o ON o.anchor_id = a.id
ORDER BY a.dyad_id, a.rated_on, a.id
"""


def excluded_count_query(principal: Principal, params: ExtractionParams) -> str:
    """How many patients would have contributed occasions but are excluded by their consent."""
    inner = anchors(principal, params, excluded=True).subquery()
    return compile_sql(select(func.count(distinct(inner.c.patient_id))))


def instrument_version_queries(principal: Principal, params: ExtractionParams) -> list[str]:
    """Counts of extracted values by instrument definition version: anchors, partner ratings, outcomes."""
    m = Measurement
    a = anchors(principal, params, excluded=False).subquery()
    anchor_counts = select(m.instrument_code, m.instrument_version, func.count()).join(a, a.c.id == m.id)
    queries = [anchor_counts.group_by(m.instrument_code, m.instrument_version)]
    choices = [
        (InstrumentKind.ALLIANCE, params.alliance[params.partner_rater], params.partner_rater),
        (InstrumentKind.OUTCOME, params.outcome, None),
    ]
    for kind, choice, rater in choices:
        stmt = select(m.instrument_code, m.instrument_version, func.count()).where(
            usable(kind, choice, rater), m.patient_id.in_(select(a.c.patient_id))
        )
        queries.append(stmt.group_by(m.instrument_code, m.instrument_version))
    return [compile_sql(q) for q in queries]
