"""Small-cell suppression: the one place that decides how aggregate counts leave the service.

Governance §6: small cells (< 5) are suppressed in every aggregate returned to a key that sees pseudonymous
data only (researcher keys; admin and clinic keys read the identified records anyway, so suppressing their
counts would hide nothing). A count of people or records between 1 and 4 is replaced as follows:

- in JSON, the value becomes ``null`` and its JSON pointer (RFC 6901, relative to the resource) is listed in
  the resource's ``suppressed`` array, so a client can tell "suppressed" from "not available";
  0 and counts of 5 or more are shown as they are;
- in a header (``X-Excluded-Withdrawn``) the value is the string ``<5``;
- in free-text caveats, "3 case managers" reads "<5 case managers".

What counts as a count: every key named ``n_*`` (apart from :data:`NOT_COUNTS`, which count model parameters,
iterations or sites, not people or records), ``dataset_rows``, and the cluster-size summaries in
:data:`CLUSTER_SIZES` (min, median, max of occasions per dyad and dyads per case manager), element by element.
"""

import re
from typing import Any

from app.auth.principal import Principal

THRESHOLD = 5
HEADER_MARKER = f"<{THRESHOLD}"
NOT_COUNTS = frozenset({"n_params", "n_iter", "n_boot", "n_sites"})
COUNT_KEYS = frozenset({"dataset_rows"})
CLUSTER_SIZES = frozenset({"occasions_per_dyad", "dyads_per_cm"})
_UNITS = "case managers?|patients?|dyads?|occasions?|observations?|ratings?|measures?|rows?"
_IN_TEXT = re.compile(rf"(?<![\w.<])([1-{THRESHOLD - 1}]) ({_UNITS})\b")


def applies(principal: Principal) -> bool:
    """Whether aggregates for this caller are suppressed (keys without identified access)."""
    return not principal.identified


def is_small(value: object) -> bool:
    """A count that must not be shown: 1 to 4 (0 is not a cell; 5 and more are safe)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < THRESHOLD


def header(principal: Principal, value: int) -> str:
    """A count for a response header."""
    return HEADER_MARKER if applies(principal) and is_small(value) else str(value)


def _is_count(key: str) -> bool:
    return key in COUNT_KEYS or (key.startswith("n_") and key not in NOT_COUNTS)


def _pointer_token(key: str | int) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _walk(value: Any, pointer: str, suppressed: list[str]) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            here = f"{pointer}/{_pointer_token(key)}"
            if _is_count(key) and is_small(item):
                out[key] = None
                suppressed.append(here)
            elif key in CLUSTER_SIZES and isinstance(item, list | tuple):
                out[key] = []
                for i, size in enumerate(item):
                    if is_small(size):
                        out[key].append(None)
                        suppressed.append(f"{here}/{i}")
                    else:
                        out[key].append(size)
            else:
                out[key] = _walk(item, here, suppressed)
        return out
    if isinstance(value, list | tuple):
        return [_walk(item, f"{pointer}/{i}", suppressed) for i, item in enumerate(value)]
    if isinstance(value, str):
        return _IN_TEXT.sub(rf"{HEADER_MARKER} \2", value)
    return value


def protect(principal: Principal, resource: dict[str, Any]) -> dict[str, Any]:
    """``resource`` (a JSON object) as this caller may see it: small counts nulled and listed in
    ``suppressed``. Unchanged (bar an empty ``suppressed``) for keys with identified access."""
    if not applies(principal):
        return {**resource, "suppressed": []}
    suppressed: list[str] = []
    out = _walk(resource, "", suppressed)
    out["suppressed"] = suppressed
    return out
