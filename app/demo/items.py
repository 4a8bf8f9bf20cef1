"""Item responses for simulated scores.

``analysis.simulate`` produces scale scores (an alliance item mean on 1–5, a HoNOS total, a K10 total).
Clinics submit item responses, and the demo goes through the same path, so each simulated score is turned
into integer items whose score reproduces it as closely as integers allow: the target total
``round(score × n)`` (mean scales) or ``round(score)`` (sum scales) is clipped to the attainable range and
spread as evenly as possible (every item ``⌊total / n⌋`` or one more), in a seeded random order. The stored
score therefore differs from the simulated one by at most half an item step divided by the number of items
(≤ 0.042 on the WAI-SR mean).
"""

import numpy as np


def items_for(
    score: float, n: int, lo: int, hi: int, *, mean: bool, rng: np.random.Generator
) -> dict[str, int]:
    total = round(score * n) if mean else round(score)
    total = int(min(max(total, lo * n), hi * n))
    base, extra = divmod(total, n)
    values = np.array([base + 1] * extra + [base] * (n - extra))
    rng.shuffle(values)
    return {str(i + 1): int(v) for i, v in enumerate(values)}
