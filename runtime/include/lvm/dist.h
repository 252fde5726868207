/* lvm/dist.h — random variates and log densities.
 *
 * For each distribution:  lvm_<dist>_draw(lvm_rng *r, params...)  and
 * lvm_<dist>_lpdf(x, params...)  (lvm_<dist>_lpmf for discrete ones).
 * Parameterisations are Stan's (see docs/runtime-core.md for the table).
 *
 * Conventions
 *  - Log densities are normalised (all constants included).  A value
 *    outside the support gives -INFINITY; a parameter outside its domain
 *    (sd <= 0, p > 1, NaN, ...) gives NaN.  They never call the error hook:
 *    the generated code checks finiteness and reports with a source
 *    location.
 *  - Scalar draws assume valid parameters (checked by the caller; they sit
 *    in the innermost loops): with invalid ones a continuous draw returns
 *    NaN and a discrete draw returns -1.
 *  - Multivariate functions that factor a matrix can fail and return an
 *    lvm_status (LVM_ENOTPD, reported through lvm_error); they take a
 *    caller-provided workspace whose size is given by the LVM_*_WORK(n)
 *    macros, and never allocate.  "_chol" variants take a precomputed lower
 *    Cholesky factor (row-major, see lvm/linalg.h) and cannot fail.
 *  - Integer-valued variates are int64_t.  Categorical outcomes are 0-BASED
 *    indices (0 .. K-1); the generated code adds 1 where the model language
 *    is 1-based.
 *  - Every draw consumes a random (not fixed) number of uniforms from r, so
 *    streams are reproducible but not aligned across parameter values.
 */
#ifndef LVM_DIST_H
#define LVM_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "lvm/rng.h"
#include "lvm/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Continuous, univariate -------------------------------------------- */

/* Uniform(a, b), a < b: density 1/(b - a) on (a, b). */
double lvm_uniform_draw(lvm_rng *r, double a, double b);
double lvm_uniform_lpdf(double x, double a, double b);

/* Standard normal N(0, 1) (ziggurat, Marsaglia & Tsang 2000 in Doornik's
 * 2005 ZIGNOR form: exact rejection, 128 layers, one 64-bit draw per
 * attempt). */
double lvm_std_normal_draw(lvm_rng *r);

/* Normal(mu, sigma): mean mu, standard deviation sigma > 0. */
double lvm_normal_draw(lvm_rng *r, double mu, double sigma);
double lvm_normal_lpdf(double x, double mu, double sigma);

/* Normal with precision tau > 0 (variance 1/tau). */
double lvm_normal_prec_draw(lvm_rng *r, double mu, double tau);
double lvm_normal_prec_lpdf(double x, double mu, double tau);

/* LogNormal(mu, sigma): log x ~ Normal(mu, sigma); support x > 0. */
double lvm_lognormal_draw(lvm_rng *r, double mu, double sigma);
double lvm_lognormal_lpdf(double x, double mu, double sigma);

/* Exponential(rate), rate > 0: density rate e^{-rate x}, x >= 0. */
double lvm_exponential_draw(lvm_rng *r, double rate);
double lvm_exponential_lpdf(double x, double rate);

/* Gamma(shape, rate), shape, rate > 0: density proportional to
 * x^(shape-1) e^(-rate x), mean shape/rate.  Marsaglia & Tsang (2000) for
 * shape >= 1; for shape < 1 Gamma(shape+1) * U^(1/shape) (their boost).
 * For very small shapes the variate can underflow to 0 (it is below 1e-308
 * with probability ~ 1 - exp(-709 shape)); use lvm_gamma_log_draw then. */
double lvm_gamma_draw(lvm_rng *r, double shape, double rate);
double lvm_gamma_lpdf(double x, double shape, double rate);
/* log of a Gamma(shape, rate) variate, exact and finite for every shape > 0
 * (log G(shape+1) + log(U)/shape for shape < 1). */
double lvm_gamma_log_draw(lvm_rng *r, double shape, double rate);

/* InvGamma(shape, scale): 1/x ~ Gamma(shape, rate = scale); density
 * scale^shape / Gamma(shape) x^(-shape-1) e^(-scale/x). */
double lvm_inv_gamma_draw(lvm_rng *r, double shape, double scale);
double lvm_inv_gamma_lpdf(double x, double shape, double scale);

/* Beta(a, b), a, b > 0, support (0, 1).  Drawn as G_a/(G_a + G_b) from
 * log-gamma variates when a or b < 1 (robust for tiny a, b; the result can
 * still round to 0 or 1 when the true value is within 1e-308 / 1e-16 of
 * them). */
double lvm_beta_draw(lvm_rng *r, double a, double b);
double lvm_beta_lpdf(double x, double a, double b);

/* VonMises(mu, kappa), kappa >= 0: density e^{kappa cos(x - mu)} /
 * (2 pi I0(kappa)).  Draws lie in [mu - pi, mu + pi] (Best & Fisher 1979,
 * with 1 - cos computed without cancellation so large kappa stays
 * accurate); the lpdf is 2 pi periodic and defined for every real x. */
double lvm_von_mises_draw(lvm_rng *r, double mu, double kappa);
double lvm_von_mises_lpdf(double x, double mu, double kappa);

/* Normal(mu, sigma) truncated to [a, b] (a < b; a = -INFINITY or
 * b = INFINITY for one-sided truncation).  Exact rejection samplers after
 * Robert (1995): normal, uniform or translated-exponential proposals
 * chosen by the standardised bounds, so the far tails (e.g. a = mu + 50
 * sigma) cost O(1) per draw. */
double lvm_truncnormal_draw(lvm_rng *r, double mu, double sigma, double a,
                            double b);
double lvm_truncnormal_lpdf(double x, double mu, double sigma, double a,
                            double b);

/* Polya-Gamma PG(b, c), b > 0, c real (Polson, Scott & Windle 2013).
 *  - b a positive integer <= 200: exact, a sum of b PG(1, c) draws, each
 *    by Devroye's alternating-series rejection sampler (PSW section 4).
 *  - otherwise: floor(b) exact PG(1, c) draws (when floor(b) <= 200) plus
 *    the truncated sum-of-gammas representation
 *      PG(b', c) = 1/(2 pi^2) sum_k g_k / ((k - 1/2)^2 + c^2/(4 pi^2)),
 *      g_k ~ Gamma(b', 1),
 *    for the remainder b' (the whole of b when b > 200), truncated at
 *    K = 200 terms; the tail's exact mean is added, so E is exact and the
 *    variance is short by < b'/(12 pi^4 K^3) ~ 1e-10 b' (see the docs).
 * No log density (an alternating series); use the mean function. */
double lvm_polya_gamma_draw(lvm_rng *r, double b, double c);
/* E[omega] = b/(2c) tanh(c/2) (b/4 at c = 0). */
double lvm_polya_gamma_mean(double b, double c);
/* Var[omega] = b/(4c^3) (sinh c - c) / cosh^2(c/2) (b/24 at c = 0). */
double lvm_polya_gamma_var(double b, double c);

/* ---- Discrete, univariate ---------------------------------------------- */

/* Bernoulli(p), 0 <= p <= 1. */
int lvm_bernoulli_draw(lvm_rng *r, double p);
double lvm_bernoulli_lpmf(int64_t k, double p);

/* Bernoulli(inv_logit(alpha)). */
int lvm_bernoulli_logit_draw(lvm_rng *r, double alpha);
double lvm_bernoulli_logit_lpmf(int64_t k, double alpha);

/* Binomial(n, p), n >= 0, 0 <= p <= 1.  Exact: inversion (sequential
 * search) when n min(p, 1-p) < 10, else Hormann's BTRS transformed
 * rejection (Hormann 1993, "The generation of binomial random variates"). */
int64_t lvm_binomial_draw(lvm_rng *r, int64_t n, double p);
double lvm_binomial_lpmf(int64_t k, int64_t n, double p);

/* Binomial(n, inv_logit(alpha)), accurate when p is within 1e-16 of 0 or 1. */
int64_t lvm_binomial_logit_draw(lvm_rng *r, int64_t n, double alpha);
double lvm_binomial_logit_lpmf(int64_t k, int64_t n, double alpha);

/* Poisson(lambda), lambda >= 0 (and < 2^62).  Inversion for lambda < 10,
 * PTRS transformed rejection (Hormann 1993) for lambda >= 10. */
int64_t lvm_poisson_draw(lvm_rng *r, double lambda);
double lvm_poisson_lpmf(int64_t k, double lambda);

/* Poisson(exp(alpha)). */
int64_t lvm_poisson_log_draw(lvm_rng *r, double alpha);
double lvm_poisson_log_lpmf(int64_t k, double alpha);

/* Categorical over 0 .. K-1 with probabilities proportional to the
 * non-negative weights p[0..K-1] (need not sum to 1; their sum must be
 * positive and finite). Returns the 0-BASED index; K = 0 returns -1. */
int64_t lvm_categorical_draw(lvm_rng *r, size_t K, const double *p);
/* log(p[k] / sum p) */
double lvm_categorical_lpmf(int64_t k, size_t K, const double *p);

/* Categorical over 0 .. K-1 with P(k) = exp(lw[k]) / sum_j exp(lw[j])
 * (softmax of unnormalised log-weights, Stan's categorical_logit).
 * Overflow safe (weights are shifted by their maximum), entries may be
 * -INFINITY (probability 0) but not all of them.  Returns the 0-BASED
 * index; -1 if K = 0 or no entry is finite. */
int64_t lvm_categorical_logit_draw(lvm_rng *r, size_t K, const double *lw);
double lvm_categorical_logit_lpmf(int64_t k, size_t K, const double *lw);

/* ---- Multivariate ------------------------------------------------------ */

/* Multinomial(N, p): counts n[0..K-1] summing to N, probabilities
 * proportional to p (normalised inside).  Conditional binomials:
 * n_k ~ Binomial(N - sum_{j<k} n_j, p_k / sum_{j>=k} p_j). */
void lvm_multinomial_draw(lvm_rng *r, int64_t N, size_t K, const double *p,
                          int64_t *n);
double lvm_multinomial_lpmf(const int64_t *n, size_t K, const double *p);

/* Dirichlet(alpha), alpha_k > 0: theta on the simplex, theta_k =
 * G_k / sum G_j, G_k ~ Gamma(alpha_k, 1); computed in log space (log-gamma
 * draws, log-sum-exp) when some alpha_k < 1 so tiny alphas never give
 * 0/0.  Components whose true value is below 1e-308 are returned as 0. */
void lvm_dirichlet_draw(lvm_rng *r, size_t K, const double *alpha,
                        double *theta);
/* log theta, always finite: the robust form for tiny alphas. */
void lvm_dirichlet_log_draw(lvm_rng *r, size_t K, const double *alpha,
                            double *log_theta);
double lvm_dirichlet_lpdf(const double *theta, size_t K, const double *alpha);

/* Workspace sizes (in doubles). */
#define LVM_MVNORMAL_WORK(n) ((n) * (n) + (n))
#define LVM_WISHART_WORK(n) (2 * (n) * (n) + (n))

/* MultiNormal(mu, Sigma), Sigma n x n SPD (lower triangle read).
 * work: LVM_MVNORMAL_WORK(n) doubles.  x = mu + L z, Sigma = L L^T. */
lvm_status lvm_mvnormal_draw(lvm_rng *r, size_t n, const double *mu,
                             const double *Sigma, double *x, double *work);
/* Same with Sigma's Cholesky factor L (mu may be NULL for zero mean). */
void lvm_mvnormal_chol_draw(lvm_rng *r, size_t n, const double *mu,
                            const double *L, double *x);
/* log density; work: LVM_MVNORMAL_WORK(n) doubles; the result in *lp. */
lvm_status lvm_mvnormal_lpdf(const double *x, size_t n, const double *mu,
                             const double *Sigma, double *work, double *lp);
/* log density from Sigma's Cholesky factor; work: n doubles. */
double lvm_mvnormal_chol_lpdf(const double *x, size_t n, const double *mu,
                              const double *L, double *work);

/* MultiNormal with precision matrix Lambda (covariance Lambda^{-1}):
 * x = mu + L^{-T} z where Lambda = L L^T.  work: LVM_MVNORMAL_WORK(n). */
lvm_status lvm_mvnormal_prec_draw(lvm_rng *r, size_t n, const double *mu,
                                  const double *Lambda, double *x,
                                  double *work);
/* Same with Lambda's Cholesky factor (mu may be NULL). */
void lvm_mvnormal_prec_chol_draw(lvm_rng *r, size_t n, const double *mu,
                                 const double *L, double *x);
lvm_status lvm_mvnormal_prec_lpdf(const double *x, size_t n, const double *mu,
                                  const double *Lambda, double *work,
                                  double *lp);
/* Canonical (information) form, the conjugate Gibbs update:
 * x ~ MultiNormal(Lambda^{-1} h, Lambda^{-1}), one Cholesky factorisation.
 * work: LVM_MVNORMAL_WORK(n). */
lvm_status lvm_mvnormal_canon_draw(lvm_rng *r, size_t n, const double *h,
                                   const double *Lambda, double *x,
                                   double *work);

/* Wishart(nu, S), nu > n - 1, S n x n SPD: mean nu S (Stan's
 * wishart(nu, Sigma)).  Bartlett decomposition: W = (L A)(L A)^T with
 * S = L L^T, A lower triangular, A_ii = sqrt(chi2(nu - i)) (i = 0..n-1),
 * A_ij ~ N(0, 1) below the diagonal.  work: LVM_WISHART_WORK(n). */
lvm_status lvm_wishart_draw(lvm_rng *r, size_t n, double nu, const double *S,
                            double *W, double *work);
lvm_status lvm_wishart_lpdf(const double *W, size_t n, double nu,
                            const double *S, double *work, double *lp);

/* InvWishart(nu, Psi), nu > n - 1: X^{-1} ~ Wishart(nu, Psi^{-1}), mean
 * Psi/(nu - n - 1) (Stan's inv_wishart).  Drawn as X = (L A^{-T})(L A^{-T})^T
 * with Psi = L L^T and A the Bartlett factor of Wishart(nu, I): one
 * Cholesky, one triangular solve, one product.  work: LVM_WISHART_WORK(n). */
lvm_status lvm_inv_wishart_draw(lvm_rng *r, size_t n, double nu,
                                const double *Psi, double *X, double *work);
lvm_status lvm_inv_wishart_lpdf(const double *X, size_t n, double nu,
                                const double *Psi, double *work, double *lp);

#ifdef __cplusplus
}
#endif
#endif
