#!/usr/bin/env Rscript
# Reference values from lme4/lmerTest for tests/analysis/test_lme4_agreement.py.
#
# Usage (repository root):
#   .venv/bin/python scripts/lme4/write_cases.py   # simulated data + designs + cases.json
#   Rscript scripts/lme4/make_fixtures.R           # writes tests/analysis/fixtures/lme4_reference.json
#
# Debian: apt-get install r-cran-lme4 r-cran-lmertest r-cran-jsonlite
# Every fit uses lmerControl(optimizer = "bobyqa") (nloptwrap stops early on some fits; performance.md).

suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(jsonlite)
})

fixtures <- "tests/analysis/fixtures"
ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5))

# lme4's classic examples, written once so the Python side fits the same numbers.
write.csv(lme4::sleepstudy, file.path(fixtures, "sleepstudy.csv"), row.names = FALSE)
write.csv(lme4::Dyestuff, file.path(fixtures, "dyestuff.csv"), row.names = FALSE)
write.csv(lme4::Penicillin, file.path(fixtures, "penicillin.csv"), row.names = FALSE)

summarise_fit <- function(m) {
  vc <- as.data.frame(VarCorr(m))
  sat <- tryCatch(summary(as_lmerModLmerTest(m), ddf = "Satterthwaite")$coefficients[, "df"],
                  error = function(e) rep(NA_real_, length(fixef(m))))
  ml <- if (isREML(m)) refitML(m) else m
  list(
    fixef = as.list(fixef(m)),
    se = as.list(sqrt(diag(as.matrix(vcov(m))))),
    satterthwaite_df = as.list(setNames(as.numeric(sat), names(fixef(m)))),
    varcorr = lapply(seq_len(nrow(vc)), function(i) list(
      grp = vc$grp[i], var1 = vc$var1[i], var2 = vc$var2[i], vcov = vc$vcov[i], sdcor = vc$sdcor[i])),
    loglik = as.numeric(logLik(m)),
    loglik_ml = as.numeric(logLik(ml)),
    aic_ml = AIC(ml),
    bic_ml = BIC(ml),
    singular = isSingular(m),
    nobs = nobs(m)
  )
}

cases <- fromJSON(file.path(fixtures, "cases.json"), simplifyVector = FALSE)
out <- list(meta = list(
  r = R.version.string,
  lme4 = as.character(packageVersion("lme4")),
  lmerTest = as.character(packageVersion("lmerTest")),
  optimizer = "bobyqa"
))
for (case in cases) {
  d <- read.csv(file.path(fixtures, case$data))
  for (f in intersect(c("cm_id", "dyad_id", "Subject", "Batch", "plate", "sample"), names(d))) d[[f]] <- factor(d[[f]])
  m <- lmer(as.formula(case$formula), data = d, REML = isTRUE(case$reml), control = ctrl)
  entry <- summarise_fit(m)
  if (!is.null(case$proper_formula)) {
    p <- lmer(as.formula(case$proper_formula), data = d, REML = isTRUE(case$reml), control = ctrl)
    entry$proper <- summarise_fit(p)
    entry$proper$formula <- case$proper_formula
  }
  # median of 3 timings of the same fit, for the benchmark's reference
  entry$seconds <- median(replicate(3, system.time(
    lmer(as.formula(case$formula), data = d, REML = isTRUE(case$reml), control = ctrl))[["elapsed"]]))
  out[[case$id]] <- entry
  cat(case$id, "done\n")
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE),
           file.path(fixtures, "lme4_reference.json"))
