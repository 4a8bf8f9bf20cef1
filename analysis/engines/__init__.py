"""Estimation engines behind one interface."""

from analysis.engines.base import CapturedWarning, Design, Engine, EngineFit
from analysis.engines.statsmodels_engine import StatsmodelsEngine

ENGINES: dict[str, type[StatsmodelsEngine]] = {"statsmodels": StatsmodelsEngine}


def get_engine(name: str) -> Engine:
    """Instantiate the engine registered under ``name``."""
    return ENGINES[name]()


__all__ = ["CapturedWarning", "Design", "Engine", "EngineFit", "StatsmodelsEngine", "get_engine"]
