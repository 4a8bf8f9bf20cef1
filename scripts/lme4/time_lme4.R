#!/usr/bin/env Rscript
# Time lme4 fits for bench/bench_models.py.  Usage: Rscript time_lme4.R jobs.json out.json
# jobs.json: [{"id", "csv", "formula", "reml", "reps"}]; writes [{"id", "seconds", "loglik"}] (median seconds).
suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
jobs <- fromJSON(args[[1]], simplifyVector = FALSE)
ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5))
out <- lapply(jobs, function(job) {
  d <- read.csv(job$csv)
  for (f in intersect(c("cm_id", "dyad_id"), names(d))) d[[f]] <- factor(d[[f]])
  fit <- function() lmer(as.formula(job$formula), data = d, REML = isTRUE(job$reml), control = ctrl)
  m <- suppressMessages(fit())
  secs <- replicate(job$reps, system.time(suppressMessages(fit()))[["elapsed"]])
  list(id = job$id, seconds = median(secs), loglik = as.numeric(logLik(m)))
})
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA), args[[2]])
