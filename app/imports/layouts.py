"""CSV layouts (see GET /instruments/{code}/data-dictionary), turned into submission rows.

* **wide**: one line per completed instrument, items as columns ``item_1`` … ``item_n`` (or ``score``).
* **long**: one line per item response (``item``, ``value``); lines that agree on every other column form one
  administration.

Identity columns (both layouts): ``instrument`` (or ``?instrument=``), ``site_code`` / ``site_id``,
``patient_study_id`` / ``patient_id``, ``case_manager_code`` / ``case_manager_id``, ``dyad_id``, ``rater``,
``rated_on``, ``occasion``. Empty cells are absent values (an empty item is a missing item).
"""

import csv
import io
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.core.errors import FieldError, InvalidPayload

IDENTITY = {
    "instrument": "instrument",
    "site_code": "site_code",
    "site_id": "site_id",
    "patient_study_id": "patient_code",
    "patient_id": "patient_id",
    "case_manager_code": "case_manager_code",
    "case_manager_id": "case_manager_id",
    "dyad_id": "dyad_id",
    "rater": "rater",
    "rated_on": "rated_on",
    "occasion": "occasion",
}
ITEM_COLUMN = re.compile(r"^item_([1-9][0-9]{0,2})$")
_INT = re.compile(r"^[+-]?[0-9]{1,9}$")
_FLOAT = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")


class Layout(StrEnum):
    wide = "wide"
    long = "long"


@dataclass
class Administration:
    fields: dict[str, Any]
    lines: list[int] = field(default_factory=list)
    items: dict[str, Any] = field(default_factory=dict)
    score: Any = None
    problems: list[FieldError] = field(default_factory=list)


def number(cell: str) -> Any:
    """A cell as a number when it is one; otherwise the text (so validation names it as not a number)."""
    if _INT.match(cell):
        return int(cell)
    if _FLOAT.match(cell):
        return float(cell)
    return cell


def read(body: bytes, layout: Layout, instrument: str | None) -> list[Administration]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidPayload(
            detail="The CSV must be UTF-8.", errors=[FieldError("/csv", "not UTF-8")]
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    allowed = set(IDENTITY) | ({"item", "value"} if layout is Layout.long else {"score"})
    unknown = [c for c in header if c not in allowed and not (layout is Layout.wide and ITEM_COLUMN.match(c))]
    if not header or unknown or len(set(header)) != len(header):
        errors = [FieldError(f"/csv/header/{c}", "unknown column") for c in unknown] or [
            FieldError("/csv/header", "missing or repeated column names")
        ]
        raise InvalidPayload(detail="See the data dictionary for the columns of each layout.", errors=errors)
    if layout is Layout.long and not {"item", "value"} <= set(header):
        raise InvalidPayload(
            detail="A long CSV needs item and value columns.",
            errors=[FieldError("/csv/header", "item, value required")],
        )
    groups: dict[tuple[tuple[str, str], ...], Administration] = {}
    out: list[Administration] = []
    try:
        for line in reader:
            if None in line:  # more cells than header names
                admin = Administration(fields={}, lines=[reader.line_num])
                admin.problems.append(
                    FieldError("/csv", f"line {reader.line_num} has more cells than the header")
                )
                out.append(admin)
                continue
            ident = {IDENTITY[c]: v.strip() for c, v in line.items() if c in IDENTITY and v and v.strip()}
            if instrument and "instrument" not in ident:
                ident["instrument"] = instrument
            if layout is Layout.wide:
                admin = Administration(fields=ident, lines=[reader.line_num])
                for column, cell in line.items():
                    m = ITEM_COLUMN.match(column or "")
                    if m:
                        admin.items[m.group(1)] = number(cell.strip()) if cell and cell.strip() else None
                    elif column == "score" and cell and cell.strip():
                        admin.score = number(cell.strip())
                out.append(admin)
                continue
            key = tuple(sorted(ident.items()))
            group = groups.get(key)
            if group is None:
                group = groups[key] = Administration(fields=ident)
                out.append(group)
            admin = group
            admin.lines.append(reader.line_num)
            item, value = (line.get("item") or "").strip(), (line.get("value") or "").strip()
            target = "score" if item == "score" else item
            if target in admin.items or (target == "score" and admin.score is not None):
                admin.problems.append(
                    FieldError(f"/items/{item}", f"item {item} repeated (line {reader.line_num})")
                )
            elif target == "score":
                admin.score = number(value) if value else None
            else:
                admin.items[item] = number(value) if value else None
    except csv.Error as exc:
        raise InvalidPayload(detail=f"Malformed CSV: {exc}", errors=[FieldError("/csv", str(exc))]) from None
    return out
