/* lvm/diag.h — convergence diagnostics (R-hat, ESS, MCSE), posterior
 * summaries, and the `summary` command.
 *
 * Definitions: Vehtari, Gelman, Simpson, Carpenter, Buerkner (2021),
 * "Rank-normalization, folding, and localization: an improved R-hat", as
 * implemented by the R package `posterior` (version 1.4.0), whose values the
 * tests reproduce to 1e-9 relative:
 *
 *  - split: each chain of N draws is cut into halves of floor(N/2) draws
 *    (for odd N the middle draw is dropped), giving 2M chains.
 *  - rank normalisation: pool the S split draws, rank them (ties get the
 *    average rank), z = Phi^-1((r - 3/8) / (S + 1/4)).
 *  - basic R-hat of chains of length n: B = n var(chain means), W = mean of
 *    the chain variances (n - 1 denominators), R = sqrt((B/W + n - 1) / n).
 *  - R-hat = max(basic R-hat of z(split x), basic R-hat of
 *    z(split |x - median x|)).
 *  - ESS of chains of length n: autocovariances per chain by FFT (biased,
 *    1/n), rho_t = 1 - (W - mean_m acov_{m,t}) / var+, with W = mean_m
 *    acov_{m,0} n/(n-1) and var+ = W (n-1)/n + var(chain means); Geyer's
 *    initial positive sequence (sum pairs rho_{2t} + rho_{2t+1} while
 *    positive), made monotone, tau = -1 + 2 sum rho_t (+ the first unused
 *    positive even lag, `posterior`'s improvement for antithetic chains),
 *    tau >= 1/log10(MN) (a cap on ESS), ESS = M n / tau.
 *  - ESS_bulk = ESS of z(split x).  ESS_tail = min over p in {0.05, 0.95}
 *    of ESS of split I(x <= q_p).  ESS_mean = ESS of split x.
 *  - MCSE of the mean = sd(x) / sqrt(ESS_mean), sd over all draws.
 *  - quantiles: R's default, type 7 (Hyndman and Fan): h = (S-1) p,
 *    q = (1 - g) x_(lo) + g x_(lo+1) with the sorted pooled draws.
 *
 * Where `posterior` returns NA these functions return NaN: a draw that is
 * NaN or infinite, all draws equal (max - min < DBL_EPSILON), or fewer than 3
 * draws per split chain for ESS.
 *
 * Layout: the draws of M chains of N draws each, chain-major: draw i of
 * chain m at x[m * N + i].  A workspace holds the scratch space for one
 * (N, M) and may be reused for any number of columns; one workspace per
 * thread.
 */
#ifndef LVM_DIAG_H
#define LVM_DIAG_H

#include <stddef.h>
#include <stdio.h>

#include "lvm/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lvm_diag_workspace lvm_diag_workspace;

/* For M = n_chains chains of N = n_draws draws each (N, M >= 1). */
lvm_diag_workspace *lvm_diag_alloc(size_t n_draws, size_t n_chains);
void lvm_diag_free(lvm_diag_workspace *w);

double lvm_diag_mean(lvm_diag_workspace *w, const double *x);
/* Standard deviation of all draws (S - 1 denominator). */
double lvm_diag_sd(lvm_diag_workspace *w, const double *x);
/* Quantile of all draws, type 7 (R's default); p in [0, 1]. */
double lvm_diag_quantile(lvm_diag_workspace *w, const double *x, double p);
double lvm_diag_rhat(lvm_diag_workspace *w, const double *x);
/* Split R-hat without rank normalisation (posterior's rhat_basic). */
double lvm_diag_rhat_basic(lvm_diag_workspace *w, const double *x);
double lvm_diag_ess_bulk(lvm_diag_workspace *w, const double *x);
double lvm_diag_ess_tail(lvm_diag_workspace *w, const double *x);
/* ESS of split x (posterior's ess_mean / ess_basic). */
double lvm_diag_ess_mean(lvm_diag_workspace *w, const double *x);
double lvm_diag_mcse_mean(lvm_diag_workspace *w, const double *x);

/* Everything the summary table shows, for one column. */
typedef struct lvm_diag_summary {
  double mean, mcse_mean, sd, q5, q50, q95, ess_bulk, ess_tail, rhat;
} lvm_diag_summary;
void lvm_diag_summarise(lvm_diag_workspace *w, const double *x, lvm_diag_summary *s);

/* ESS (as above, without splitting) of m chains of n draws each, laid out
 * chain-major; NaN if n < 3 or the draws are constant or not finite.  The
 * workspace must be big enough: n <= n_draws, n m <= n_draws n_chains. */
double lvm_diag_ess_chains(lvm_diag_workspace *w, const double *x, size_t n,
                           size_t m);

/* Autocovariances acov[0..n-1] of x[0..n-1] (biased: divided by n, so
 * acov[0] is the variance with denominator n), by FFT.  `work` holds
 * 2 * p doubles, p = the least power of 2 >= 2n. */
void lvm_diag_autocovariance(const double *x, size_t n, double *acov, double *work);

/* In-place complex FFT of length n (a power of 2), iterative radix-2
 * Cooley-Tukey with bit reversal; sign = -1 forward, +1 inverse
 * (unnormalised: the inverse of the forward transform is n times the
 * input). */
void lvm_diag_fft(double *re, double *im, size_t n, int sign);

/* The `summary` command: `summary [--help] FILE.csv...` (chains = files).
 * Reads CmdStan CSV files (lvm_csv_read) and prints a stansummary-like
 * table: Name, Mean, MCSE, StdDev, 5%, 50%, 95%, ESS_bulk, ESS_tail, R_hat,
 * for lp__ and the sampler columns (`..__`) first, then the rest in file
 * order; R_hat > 1.01 is flagged with (!) and a note below the table.
 * Returns the process exit status: 0, 1 (unreadable or malformed files,
 * different headers) or 2 (usage).  argv[0] is the command name. */
int lvm_summary_main(int argc, char **argv);
/* The same with the output and error streams given (for tests). */
int lvm_summary_run(int n_files, char *const *files, FILE *out, FILE *err);

#ifdef __cplusplus
}
#endif
#endif
