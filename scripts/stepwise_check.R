# Independent cross-check of the stepwise selections (docs/statistics.md), in base R.
# Input: the model frame as CSV (scripts/export_model_frame.py): one row per case, the seven
# questions (0/1, empty = not answered) and the seven candidates as level labels (High and
# Very high merged), levels in the bulletin's order in a second CSV (variable, level).
# Usage: Rscript scripts/stepwise_check.R frame.csv levels.csv
# Prints one line per step and per question the selected variables.
args <- commandArgs(trailingOnly = TRUE)
frame <- read.csv(args[1], stringsAsFactors = FALSE, na.strings = "")
levs <- read.csv(args[2], stringsAsFactors = FALSE)
cands <- c("provider", "gender", "age_group", "ethnic_group", "supervision_type",
           "ogrs_band", "rosh_level")
questions <- c("barriers", "diversity", "desistance_pre", "desistance_post", "harm_public",
               "harm_known_adults", "harm_children")
for (v in cands) frame[[v]] <- factor(frame[[v]], levels = levs$level[levs$variable == v])
for (q in questions) {
  dd <- frame[!is.na(frame[[q]]) & complete.cases(frame[, cands]), c(q, cands)]
  names(dd)[1] <- "y"
  for (v in cands) dd[[v]] <- droplevels(dd[[v]])
  fitm <- function(m) {
    f <- if (length(m)) reformulate(m, "y") else y ~ 1
    eval(bquote(glm(.(f), binomial, dd, control = glm.control(epsilon = 1e-14, maxit = 100))))
  }
  model <- character(0)
  step <- 0
  repeat {
    rest <- setdiff(cands, model)
    if (!length(rest)) break
    a <- add1(fitm(model), scope = reformulate(cands), test = "Rao")[-1, ]
    lp <- pchisq(a$Rao, a$Df, lower.tail = FALSE, log.p = TRUE)
    if (min(lp) >= log(0.05)) break
    best <- rownames(a)[which.min(lp)]
    model <- c(model, best)
    step <- step + 1
    cat(sprintf("%s step %d enter %s score %.6f df %d p %.6g\n", q, step, best,
                a$Rao[which.min(lp)], a$Df[which.min(lp)], exp(min(lp))))
    repeat {
      dr <- drop1(fitm(model), test = "LRT")[-1, ]
      lpr <- pchisq(dr$LRT, dr$Df, lower.tail = FALSE, log.p = TRUE)
      if (max(lpr) <= log(0.10)) break
      out <- rownames(dr)[which.max(lpr)]
      model <- setdiff(model, out)
      step <- step + 1
      cat(sprintf("%s step %d remove %s LR %.4f p %.4g\n", q, step, out,
                  dr$LRT[which.max(lpr)], exp(max(lpr))))
    }
  }
  cat(sprintf("SELECTED %s: %s\n", q, paste(sort(model), collapse = "; ")))
}
