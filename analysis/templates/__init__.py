"""Template registry: template id → run function."""

from collections.abc import Callable

from analysis.spec import Template
from analysis.templates import (
    t0_variance,
    t1_growth,
    t2_within_between,
    t3_cm_vs_patient,
    t4_lagged,
    t5_random_slopes,
    t6_agreement,
)
from analysis.templates.common import Context, TemplateOutput

TEMPLATES: dict[Template, Callable[[Context], TemplateOutput]] = {
    Template.T0: t0_variance.run,
    Template.T1: t1_growth.run,
    Template.T2: t2_within_between.run,
    Template.T3: t3_cm_vs_patient.run,
    Template.T4: t4_lagged.run,
    Template.T5: t5_random_slopes.run,
    Template.T6: t6_agreement.run,
}

__all__ = ["TEMPLATES", "Context", "TemplateOutput"]
