#!/usr/bin/env Rscript
# run_jags.R — run one JAGS benchmark and print one line of JSON on stdout.
#
#   Rscript bench/jags/run_jags.R MODEL DATA.json ITER [WARMUP] [CHAINS] [SEED]
#
# MODEL is gmm, pumps, eight_schools or hmm (bench/jags/MODEL.bug); DATA a
# CmdStan JSON file with examples/MODEL.lvm's data names.  WARMUP defaults to
# ITER, CHAINS to 1, SEED to 1.  Phases, each timed (wall clock):
#   compile_s   jags.model(n.adapt = 0): parse, compile the graph, choose the
#               samplers, initialise.
#   adapt       the first floor(WARMUP / 2) warmup sweeps (adapt(), then
#               adaptation is switched off; update() when no sampler adapts,
#               since adapt() then does nothing).
#   update      the other warmup sweeps, update(), no monitors: this gives
#               sec_per_1000_sweeps (per chain: divided by CHAINS).
#   sampling    coda.samples(ITER) with the main parameters monitored; ESS
#               (bulk, posterior::ess_bulk; coda::effectiveSize as well) per
#               parameter over all chains, divided by the sampling time,
#               gives ess_per_sec.
# Mixture labels are not identified, so gmm's draws are relabelled by the
# order of mu, and hmm's states by their mean emitted symbol, before ESS and
# means are computed (bench/ref/gmm_gibbs does the same for gmm).
# Messages go to stderr; stdout holds only the JSON line.

suppressPackageStartupMessages({
  library(rjags)
  library(coda)
  library(jsonlite)
})
have_posterior <- requireNamespace("posterior", quietly = TRUE)

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 3) {
  stop("usage: run_jags.R MODEL DATA.json ITER [WARMUP] [CHAINS] [SEED]")
}
model_name <- args[1]
data_path <- args[2]
iter <- as.integer(args[3])
warmup <- if (length(args) >= 4) as.integer(args[4]) else iter
chains <- if (length(args) >= 5) as.integer(args[5]) else 1L
seed <- if (length(args) >= 6) as.integer(args[6]) else 1L

script_dir <- local({
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  if (length(f)) dirname(normalizePath(f[1])) else "bench/jags"
})
bug <- file.path(script_dir, paste0(model_name, ".bug"))
if (!file.exists(bug)) stop("no model file ", bug)

monitors <- switch(model_name,
  gmm = c("pi", "mu", "tau"),
  pumps = c("alpha", "beta", "theta"),
  eight_schools = c("mu", "tau", "theta"),
  hmm = c("A", "B"),
  stop("unknown model ", model_name))

# ---- data ------------------------------------------------------------------
data <- fromJSON(data_path, simplifyVector = TRUE)
if (model_name == "gmm") {           # the model's defaults (examples/gmm.lvm)
  if (is.null(data$K)) data$K <- 3L
  if (is.null(data$alpha)) data$alpha <- 1.0
}
# keep only the names the model uses (JAGS warns about the others)
words <- unique(unlist(strsplit(paste(readLines(bug), collapse = " "), "[^A-Za-z0-9_.]+")))
data <- data[names(data) %in% words]
size <- if (!is.null(data$N)) data$N else if (!is.null(data$T)) data$T else data$J

# ---- initial values ---------------------------------------------------------
# RNG per chain; gmm: mu at K data points drawn at random, tau = 1/var(x),
# pi uniform (the C reference's start); others: JAGS's own initial values.
inits <- lapply(seq_len(chains), function(c) {
  set.seed(seed * 1000 + c)
  l <- list(.RNG.name = "base::Mersenne-Twister", .RNG.seed = seed * 1000 + c)
  if (model_name == "gmm") {
    l$mu <- sample(data$x, data$K)
    l$tau <- rep(1 / var(data$x), data$K)
    l$pi <- rep(1 / data$K, data$K)
  }
  l
})

elapsed <- function() as.numeric(Sys.time())   # wall clock, microseconds

# ---- compile ----------------------------------------------------------------
t0 <- elapsed()
m <- jags.model(bug, data = data, inits = inits, n.chains = chains,
                n.adapt = 0, quiet = TRUE)
compile_s <- elapsed() - t0

samplers <- list.samplers(m)
sampler_counts <- as.list(table(names(samplers)))

# ---- warmup: adapt, then timed update ---------------------------------------
n_adapt <- warmup %/% 2
n_update <- warmup - n_adapt
t0 <- elapsed()
if (n_adapt > 0) {
  it0 <- m$iter()
  invisible(adapt(m, n.iter = n_adapt, end.adaptation = TRUE, progress.bar = "none"))
  # adapt() does nothing when no sampler adapts (conjugate, Finite): sweep anyway
  if (m$iter() == it0) update(m, n.iter = n_adapt, progress.bar = "none")
}
adapt_s <- elapsed() - t0
t0 <- elapsed()
if (n_update > 0) update(m, n.iter = n_update, progress.bar = "none")
update_s <- elapsed() - t0

# ---- sampling ---------------------------------------------------------------
t0 <- elapsed()
s <- coda.samples(m, monitors, n.iter = iter, progress.bar = "none")
sampling_s <- elapsed() - t0

sec_per_sweep <- if (n_update > 0) update_s / (n_update * chains) else sampling_s / (iter * chains)
sec_per_sweep_sampling <- sampling_s / (iter * chains)

# ---- relabel (mixtures) -----------------------------------------------------
relabel <- "none"
draws <- lapply(s, as.matrix)        # per chain: iter x params
if (model_name == "gmm") {
  relabel <- "by order of mu"
  K <- data$K
  draws <- lapply(draws, function(d) {
    for (i in seq_len(nrow(d))) {
      o <- order(d[i, paste0("mu[", 1:K, "]")])
      for (v in c("pi", "mu", "tau")) {
        cols <- paste0(v, "[", 1:K, "]")
        d[i, cols] <- d[i, cols[o]]
      }
    }
    d
  })
} else if (model_name == "hmm") {
  relabel <- "states by mean emitted symbol"
  K <- data$K; M <- data$M
  draws <- lapply(draws, function(d) {
    for (i in seq_len(nrow(d))) {
      B <- matrix(d[i, paste0("B[", rep(1:K, M), ",", rep(1:M, each = K), "]")], K, M)
      A <- matrix(d[i, paste0("A[", rep(1:K, K), ",", rep(1:K, each = K), "]")], K, K)
      o <- order(B %*% (1:M))
      B <- B[o, , drop = FALSE]; A <- A[o, o, drop = FALSE]
      d[i, paste0("B[", rep(1:K, M), ",", rep(1:M, each = K), "]")] <- as.vector(B)
      d[i, paste0("A[", rep(1:K, K), ",", rep(1:K, each = K), "]")] <- as.vector(A)
    }
    d
  })
}
params <- colnames(draws[[1]])
cmdstan_name <- function(p) gsub("\\]", "", gsub("[\\[,]", ".", p))  # mu[1] -> mu.1

ess_bulk <- list(); ess_coda <- list(); means <- list(); sds <- list(); rhat <- list()
for (p in params) {
  mat <- sapply(draws, function(d) d[, p])          # iter x chains
  if (!is.matrix(mat)) mat <- matrix(mat, ncol = 1)
  key <- cmdstan_name(p)
  means[[key]] <- mean(mat)
  sds[[key]] <- sd(as.vector(mat))
  ess_coda[[key]] <- unname(effectiveSize(mcmc.list(lapply(seq_len(ncol(mat)),
                                          function(j) mcmc(mat[, j])))))
  if (have_posterior) {
    ess_bulk[[key]] <- posterior::ess_bulk(mat)
    rhat[[key]] <- posterior::rhat(mat)
  }
}
ess_main <- if (have_posterior) ess_bulk else ess_coda
ess_per_sec <- lapply(ess_main, function(e) e / sampling_s)

out <- list(
  system = "jags", model = model_name, data = data_path, N = size,
  chains = chains, warmup = warmup, iter = iter, seed = seed,
  jags_version = as.character(jags.version()),
  compile_s = compile_s, adapt_s = adapt_s, update_s = update_s,
  sampling_s = sampling_s,
  sec_per_1000_sweeps = 1000 * sec_per_sweep,
  sec_per_1000_sweeps_sampling = 1000 * sec_per_sweep_sampling,
  us_per_datum_per_sweep = 1e6 * sec_per_sweep / size,
  ess_method = if (have_posterior) "posterior::ess_bulk" else "coda::effectiveSize",
  relabel = relabel,
  ess = ess_main, ess_coda = ess_coda,
  ess_per_sec = ess_per_sec,
  min_ess_per_sec = min(unlist(ess_per_sec)),
  rhat = if (have_posterior) rhat else NULL,
  mean = means, sd = sds,
  samplers = sampler_counts)
cat(toJSON(out, auto_unbox = TRUE, digits = I(6), null = "null"), "\n", sep = "")
