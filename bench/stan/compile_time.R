# Wall time of rstan::stan_model (stanc + the C++ build) for each .stan file
# given; one line per file: "NAME SECONDS".  Used by bench/compile_latency.py.
suppressPackageStartupMessages(library(rstan))
rstan_options(auto_write = FALSE)
for (f in commandArgs(trailingOnly = TRUE)) {
  t <- system.time(stan_model(file = f, model_name = sub("\\.stan$", "", basename(f)),
                              save_dso = FALSE))[["elapsed"]]
  cat(sub("\\.stan$", "", basename(f)), t, "\n")
}
