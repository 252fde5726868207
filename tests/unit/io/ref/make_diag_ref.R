# Reference values for tests/unit/io/test_diag.c, computed with the R package
# `posterior` (an implementation independent of ours).
#
#   cd tests/unit/io && Rscript ref/make_diag_ref.R > diag_ref.txt
#
# Made with R 4.2.2 and posterior 1.4.0 (Debian r-cran-posterior).  Each case:
#   case NAME M N
#   M*N draws, chain-major (chain 1's N draws, then chain 2's, ...), %.17g
#   ref rhat ess_bulk ess_tail mcse_mean q5 q50 q95 mean sd ess_mean rhat_basic
# NA where posterior gives NA.
suppressMessages(library(posterior))
set.seed(20240611)

ar1 <- function(n, phi, mu = 0, x0 = rnorm(1)) {
  x <- numeric(n); x[1] <- x0
  for (i in 2:n) x[i] <- phi * x[i - 1] + sqrt(1 - phi^2) * rnorm(1)
  x + mu
}

cases <- list()
add <- function(name, m) cases[[length(cases) + 1]] <<- list(name = name, m = m)

add("iid_normal", sapply(1:4, function(c) rnorm(200)))
add("ar1_strong", sapply(1:4, function(c) ar1(500, 0.95)))
add("ar1_very_strong", sapply(1:4, function(c) ar1(400, 0.995)))
add("different_means", sapply(c(0, 0, 0, 1.5), function(mu) ar1(300, 0.5, mu)))
add("poisson_ties", sapply(1:4, function(c) rpois(250, 2)))
add("bernoulli", sapply(1:4, function(c) rbinom(250, 1, 0.3)))
add("odd_length", sapply(1:3, function(c) ar1(101, 0.7)))
add("antithetic", sapply(1:4, function(c) ar1(300, -0.6)))
add("tiny", sapply(1:2, function(c) rnorm(7)))
add("one_chain", matrix(ar1(1000, 0.5), ncol = 1))
add("cauchy", sapply(1:4, function(c) rcauchy(250)))
inf <- sapply(1:4, function(c) rnorm(100)); inf[17, 2] <- Inf
add("with_inf", inf)
add("constant", matrix(2.5, nrow = 50, ncol = 4))
add("scaled", sapply(1:4, function(c) 1e6 + 1e-3 * ar1(200, 0.8)))

num <- function(v) ifelse(is.na(v), "NA", sprintf("%.17g", v))
for (cs in cases) {
  m <- cs$m
  # Round trip through the text form so R and C see the same doubles.
  m <- matrix(as.numeric(sprintf("%.17g", m)), nrow = nrow(m))
  cat("case", cs$name, ncol(m), nrow(m), "\n")
  cat(sprintf("%.17g", as.vector(m)), fill = 100)
  q <- suppressWarnings(quantile2(m, probs = c(0.05, 0.5, 0.95)))
  ref <- suppressWarnings(c(rhat(m), ess_bulk(m), ess_tail(m), mcse_mean(m),
                            q[1], q[2], q[3], mean(m), sd(m), ess_mean(m),
                            rhat_basic(m)))
  cat("ref", num(ref), "\n")
}
