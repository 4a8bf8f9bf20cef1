"""Simulated dyad studies with known truth (models.md §4.4 calibrated defaults)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SimulationTruth:
    """Generating parameters of a simulated study (raw metrics: alliance 1–5 item mean, HoNOS-like outcome).

    Outcome slopes are per wave; ``months_per_wave`` converts them to the ``time`` (months) metric.
    ``g_c`` and ``g_p`` are per-SD effects of the CM and patient alliance components on the outcome
    slope, ``w`` the effect of the previous occasion's within-dyad alliance deviation on the outcome.
    """

    n_sites: int
    n_cm: int
    patients_per_cm: int
    waves: int
    months_per_wave: float
    mu_a: float = 3.9
    sd_a_cm: float = 0.22
    sd_a_patient: float = 0.48
    sd_a_occasion: float = 0.30
    b0: float = 14.0
    sd_u_cm: float = 1.3
    sd_u_patient: float = 4.5
    b1: float = -1.0
    sd_slope_patient: float = 0.6
    g_c: float = -0.30
    g_p: float = -0.21
    w: float = -1.2
    sd_resid: float = 3.0
    a_c_intercept: float = 3.6
    a_c_loading: float = 0.5
    sd_a_c_view: float = 0.35
    sd_a_c_occasion: float = 0.25
    dropout: float = 0.05
    missing_wave: float = 0.10
    transfer: float = 0.05
    clip_outcome: bool = False

    @property
    def slope_per_month(self) -> float:
        """Average outcome change per month at average alliance."""
        return self.b1 / self.months_per_wave

    @property
    def between_patient_slope_effect(self) -> float:
        """Change in the per-wave outcome slope per alliance point of the patient component (g_p / SD)."""
        return self.g_p / self.sd_a_patient

    @property
    def between_cm_slope_effect(self) -> float:
        """Change in the per-wave outcome slope per alliance point of the CM component (g_c / SD)."""
        return self.g_c / self.sd_a_cm

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the parameters."""
        return asdict(self)


def simulate_study(
    n_cm: int = 40,
    patients_per_cm: int = 8,
    waves: int = 6,
    seed: int | None = 0,
    *,
    n_sites: int = 4,
    months_per_wave: float = 3.0,
    dropout: float = 0.05,
    missing_wave: float = 0.10,
    transfer: float = 0.05,
    clip_outcome: bool = False,
    **overrides: float,
) -> tuple[pd.DataFrame, SimulationTruth]:
    """Simulate a multilevel dyad study (occasions in patients in case managers in sites).

    Parameters
    ----------
    n_cm, patients_per_cm, waves : int
        Case managers, patients per CM at start, planned waves per patient.
    seed : int or None
        Seed of a ``numpy.random.Generator``; equal seeds give identical frames.
    n_sites : int
        CMs are spread round-robin over sites; transfers stay within a site.
    months_per_wave : float
        Spacing of waves; ``time`` is months since the start of the dyad.
    dropout : float
        Per-wave probability (after wave 0) that a patient leaves for good.
    missing_wave : float
        Per-occasion probability (after wave 0) that an occasion is not recorded.
    transfer : float
        Probability that a patient moves to another CM of the same site at a random wave ≥ 2; later
        waves form a new dyad whose ``time`` restarts at 0.
    clip_outcome : bool
        Clip the outcome at 0 (HoNOS floor).
    **overrides
        Any other :class:`SimulationTruth` field (e.g. ``w=0.0``, ``g_c=-0.5``).

    Returns
    -------
    data, truth
        Long frame with ``site_id, cm_id, patient_id, dyad_id, occasion, time, A_p, A_c, y, y_k10`` and the
        generating parameters. ``y_k10`` is a K10-like secondary outcome (10–50) that tracks ``y``.
    """
    truth = SimulationTruth(
        n_sites=n_sites,
        n_cm=n_cm,
        patients_per_cm=patients_per_cm,
        waves=waves,
        months_per_wave=months_per_wave,
        dropout=dropout,
        missing_wave=missing_wave,
        transfer=transfer,
        clip_outcome=clip_outcome,
        **overrides,
    )
    rng = np.random.default_rng(seed)
    n_pt = n_cm * patients_per_cm
    cm_site = np.arange(n_cm) % n_sites
    a_cm = rng.normal(0, truth.sd_a_cm, n_cm)
    u_cm = rng.normal(0, truth.sd_u_cm, n_cm)
    home = np.repeat(np.arange(n_cm), patients_per_cm)
    a_pt = rng.normal(0, truth.sd_a_patient, n_pt)
    u_pt = rng.normal(0, truth.sd_u_patient, n_pt)
    s_pt = rng.normal(0, truth.sd_slope_patient, n_pt)

    wave = np.tile(np.arange(waves), n_pt)
    pid = np.repeat(np.arange(n_pt), waves)
    cm = _assign_cms(rng, home, cm_site, n_sites, waves, truth.transfer)
    episode = np.concatenate([[0], np.cumsum((pid[1:] != pid[:-1]) | (cm[1:] != cm[:-1]))])
    a_view = rng.normal(0, truth.sd_a_c_view, episode.max() + 1)[episode]

    e = rng.normal(0, truth.sd_a_occasion, len(wave))
    a_p = np.clip(truth.mu_a + a_cm[cm] + a_pt[pid] + e, 1, 5)
    a_c = truth.a_c_intercept + truth.a_c_loading * a_pt[pid] + a_view
    a_c = np.clip(a_c + rng.normal(0, truth.sd_a_c_occasion, len(wave)), 1, 5)

    a_mean = pd.Series(a_p).groupby(episode).transform("mean").to_numpy()
    a_lag_dev = np.where(wave > 0, np.roll(a_p, 1) - np.roll(a_mean, 1), 0.0)
    a_lag_dev[wave == 0] = 0.0
    slope = (
        truth.b1
        + s_pt[pid]
        + truth.g_c * a_cm[cm] / truth.sd_a_cm
        + truth.g_p * a_pt[pid] / truth.sd_a_patient
    )
    y = truth.b0 + u_cm[cm] + u_pt[pid] + slope * wave + truth.w * a_lag_dev
    y = y + rng.normal(0, truth.sd_resid, len(wave))
    if clip_outcome:
        y = np.maximum(y, 0.0)
    k10 = np.clip(np.round(20 + 0.8 * (y - truth.b0) + rng.normal(0, 3, len(wave))), 10, 50)

    frame = pd.DataFrame(
        {"pid": pid, "cm": cm, "episode": episode, "wave": wave, "A_p": a_p, "A_c": a_c, "y": y, "y_k10": k10}
    )
    frame = frame[_observed(rng, pid, wave, truth.dropout, truth.missing_wave)]
    return _label(frame, cm_site, months_per_wave), truth


def _assign_cms(
    rng: np.random.Generator, home: np.ndarray, cm_site: np.ndarray, n_sites: int, waves: int, transfer: float
) -> np.ndarray:
    """CM of every (patient, wave): the home CM, switching once to a same-site CM for transferred patients."""
    cm = np.repeat(home, waves).reshape(len(home), waves)
    movers = np.flatnonzero(rng.random(len(home)) < transfer) if waves > 2 else np.array([], dtype=int)
    for p in movers:
        peers = np.flatnonzero((cm_site == cm_site[home[p]]) & (np.arange(len(cm_site)) != home[p]))
        if peers.size:
            cm[p, rng.integers(2, waves) :] = rng.choice(peers)
    return cm.ravel()


def _observed(
    rng: np.random.Generator, pid: np.ndarray, wave: np.ndarray, dropout: float, missing: float
) -> np.ndarray:
    """Mask of recorded occasions: monotone dropout after wave 0 plus intermittent missing waves."""
    leave = pd.Series((rng.random(len(wave)) < dropout) & (wave > 0)).groupby(pid).cummax().to_numpy()
    skip = (rng.random(len(wave)) < missing) & (wave > 0)
    return ~leave & ~skip


def _label(frame: pd.DataFrame, cm_site: np.ndarray, months_per_wave: float) -> pd.DataFrame:
    first_wave = frame.groupby("episode")["wave"].transform("min")
    out = pd.DataFrame(
        {
            "site_id": [f"S{s + 1:02d}" for s in cm_site[frame["cm"]]],
            "cm_id": [f"CM{c + 1:04d}" for c in frame["cm"]],
            "patient_id": [f"P{p + 1:06d}" for p in frame["pid"]],
            "dyad_id": [f"D{d + 1:06d}" for d in frame["episode"]],
            "occasion": (frame["wave"] - first_wave).to_numpy(),
            "time": ((frame["wave"] - first_wave) * months_per_wave).to_numpy(dtype=float),
            "A_p": frame["A_p"].to_numpy(),
            "A_c": frame["A_c"].to_numpy(),
            "y": frame["y"].to_numpy(),
            "y_k10": frame["y_k10"].to_numpy(),
        }
    )
    return out.reset_index(drop=True)
