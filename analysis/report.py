"""Plain-text rendering of a :class:`~analysis.result.ModelResult`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analysis.result import FittedModel, ModelResult


def _num(x: float | None, fmt: str = "{:.4g}") -> str:
    return "—" if x is None else fmt.format(x)


def _p(p: float | None) -> str:
    if p is None:
        return "—"
    return "<.001" if p < 0.001 else f"{p:.3f}"


def render_model(m: FittedModel) -> list[str]:
    """Lines for one fitted model: header, coefficient table, variance components, fit."""
    lines = [f"[{m.name}] {m.formula}   random: {m.random_part}   ({m.fit.method}, n = {m.fit.n_obs})"]
    width = max([len(fe.term) for fe in m.fixed_effects] + [4])
    lines.append(
        f"  {'term':<{width}} {'estimate':>10} {'se':>9} {'df':>7} {'stat':>8} {'p':>7} {'95% CI':>22}"
    )
    for fe in m.fixed_effects:
        ci = f"[{fe.ci_low:.3f}, {fe.ci_high:.3f}]"
        lines.append(
            f"  {fe.term:<{width}} {fe.estimate:>10.4f} {fe.se:>9.4f} {_num(fe.df, '{:.0f}'):>7} "
            f"{fe.stat_name}={fe.stat:>6.2f} {_p(fe.p):>7} {ci:>22}"
        )
    for vc in m.variance_components:
        extra = f" (sd {vc.sd:.3f})" if vc.sd is not None else ""
        label = vc.group if vc.term == vc.group else f"{vc.group}:{vc.term}"
        ci = (
            f" [{vc.ci_low:.3f}, {vc.ci_high:.3f}]"
            if vc.ci_low is not None and vc.ci_high is not None
            else ""
        )
        lines.append(f"  {vc.kind:<11} {label} = {vc.estimate:.4f}{extra}{ci}")
    lines.append(
        f"  loglik {m.fit.loglik:.3f}  AIC(ML) {_num(m.fit.aic_ml, '{:.2f}')}"
        f"  BIC(ML) {_num(m.fit.bic_ml, '{:.2f}')}"
        f"  converged={m.diagnostics.converged} optimizer={m.diagnostics.optimizer}"
    )
    return lines


def render(result: ModelResult) -> str:
    """The whole result as text."""
    lines = [f"Template {result.template}"]
    for m in result.models:
        lines += render_model(m)
    if result.estimands:
        lines.append("Estimands:")
        for e in result.estimands:
            se = f" (se {e.se:.4f}, p {_p(e.p)})" if e.se is not None else ""
            lines.append(f"  {e.name} = {e.estimate:.4f}{se}")
    if result.icc:
        lines.append("ICC: " + ", ".join(f"{k}={v:.3f}" for k, v in result.icc.items()))
    lines += [f"Caveat: {c}" for c in result.caveats]
    return "\n".join(lines)
