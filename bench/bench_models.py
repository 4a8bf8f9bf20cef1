"""Time every analysis template on simulated studies and, where R is installed, lme4 on the same models.

Usage::

    .venv/bin/python bench/bench_models.py                       # small, medium, large
    .venv/bin/python bench/bench_models.py --sizes small medium  # skip the ~120,000-row study

Writes ``bench/results/models.json`` and prints a table. ``template_s`` is the whole template run (every model
of the template, ML refits for AIC/BIC, derivations); ``primary_s`` is one REML fit of the template's primary
model through the statsmodels engine, the like-for-like comparison with ``lme4_s`` (bobyqa; median of reps).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from analysis.engines import Design, EngineFit, StatsmodelsEngine
from analysis.fit import fit_model
from analysis.simulate import simulate_study
from analysis.spec import ModelSpec, Template

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "models.json"
R_SCRIPT = ROOT / "scripts" / "lme4" / "time_lme4.R"
SIZES = {
    "small": 15,
    "medium": 130,
    "large": 1300,
}  # case managers; 19 patients each, 6 waves -> ~1.4k/12k/120k rows
PATIENTS_PER_CM, WAVES = 19, 6
D = "(1 | cm_id) + (1 | dyad_id)"
LME4_RANDOM = {
    Template.T0: D,
    Template.T1: "(1 + time | cm_id) + (1 | dyad_id) + (0 + time | dyad_id)",
    Template.T2: "(1 | cm_id) + (1 | dyad_id) + (0 + time | dyad_id)",
    Template.T3: "(1 | cm_id)",
    Template.T4: D,
    Template.T5: "(1 + A_pc | cm_id) + (1 | dyad_id) + (0 + A_pc | dyad_id)",
    Template.T6: D,
}


class RecordingEngine(StatsmodelsEngine):
    """Statsmodels engine that keeps the first design it fits (the template's primary model)."""

    def __init__(self) -> None:
        self.primary: Design | None = None

    def fit(self, design: Design, reml: bool, start: Any = None) -> EngineFit:
        self.primary = self.primary or design
        return super().fit(design, reml, start)


def _median_seconds(fn: Any, reps: int) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run_size(size: str, workdir: Path, reps: int) -> list[dict[str, Any]]:
    data, _ = simulate_study(n_cm=SIZES[size], patients_per_cm=PATIENTS_PER_CM, waves=WAVES, seed=2026)
    rows = []
    for template in Template:
        engine = RecordingEngine()
        spec = ModelSpec(template=template)
        total = _median_seconds(lambda spec=spec, engine=engine: fit_model(data, spec, engine=engine), reps)
        design = engine.primary
        assert design is not None
        plain = StatsmodelsEngine()
        primary = _median_seconds(lambda design=design, plain=plain: plain.fit(design, reml=True), reps)
        csv = workdir / f"{size}_{template.value}.csv"
        design.data.to_csv(csv, index=False, float_format="%.17g")
        rows.append(
            {
                "size": size,
                "rows": len(data),
                "model_rows": len(design.data),
                "template": template.value,
                "model": design.name,
                "lme4_formula": f"{design.formula} + {LME4_RANDOM[template]}",
                "template_s": round(total, 4),
                "primary_s": round(primary, 4),
                "csv": str(csv),
                "loglik": plain.fit(design, reml=True).llf,
            }
        )
        print(f"{size:>6} {template.value}: template {total:.2f}s, primary {primary:.2f}s", flush=True)
    return rows


def time_lme4(rows: list[dict[str, Any]], workdir: Path, reps: int) -> None:
    """Add ``lme4_s`` and ``lme4_loglik`` to each row (in place) with one Rscript run."""
    jobs = [
        {"id": f"{r['size']}_{r['template']}", "csv": r["csv"], "formula": r["lme4_formula"], "reml": True,
         "reps": reps if r["size"] != "large" else 1}
        for r in rows
    ]  # fmt: skip
    (workdir / "jobs.json").write_text(json.dumps(jobs))
    subprocess.run(
        ["Rscript", str(R_SCRIPT), str(workdir / "jobs.json"), str(workdir / "out.json")], check=True
    )
    timings = {o["id"]: o for o in json.loads((workdir / "out.json").read_text())}
    for r in rows:
        t = timings[f"{r['size']}_{r['template']}"]
        r["lme4_s"] = round(t["seconds"], 4)
        r["lme4_loglik"] = t["loglik"]
        r["ratio"] = round(r["primary_s"] / max(t["seconds"], 1e-3), 1)


def _merge_previous(rows: list[dict[str, Any]], sizes: list[str]) -> list[dict[str, Any]]:
    """Keep earlier results for sizes not re-run, so ``--sizes large`` adds to a small/medium run."""
    if not RESULTS.exists():
        return rows
    kept = [r for r in json.loads(RESULTS.read_text())["rows"] if r["size"] not in sizes]
    order = list(SIZES)
    return sorted(kept + rows, key=lambda r: (order.index(r["size"]), r["template"]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--reps", type=int, default=3, help="timing repetitions for the small size")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for size in args.sizes:
            rows += run_size(size, workdir, args.reps if size == "small" else 1)
        has_r = shutil.which("Rscript") is not None
        if has_r:
            time_lme4(rows, workdir, args.reps)
    for r in rows:
        r.pop("csv")
    rows = _merge_previous(rows, args.sizes)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"machine_note": "2 shared cores", "rows": rows}, indent=1) + "\n")
    header = ("size", "rows", "tmpl", "template_s", "primary_s", "lme4_s", "ratio", "dLL")
    print("\n{:>6} {:>7} {:>4} {:>10} {:>9} {:>7} {:>6} {:>9}".format(*header))
    for r in rows:
        lme4 = r.get("lme4_s")
        dll = r["loglik"] - r["lme4_loglik"] if "lme4_loglik" in r else None
        print(
            f"{r['size']:>6} {r['rows']:>7} {r['template']:>4} {r['template_s']:>10.2f} "
            f"{r['primary_s']:>9.2f} "
            f"{'—' if lme4 is None else f'{lme4:.3f}':>7} {r.get('ratio', '—'):>6} "
            f"{'—' if dll is None else f'{dll:.1e}':>9}"
        )
    print(f"\nwritten {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
