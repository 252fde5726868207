/* Multivariate distributions (see lvm/dist.h): multinomial, Dirichlet,
 * multivariate normal (covariance, precision, canonical form), Wishart and
 * inverse Wishart.  Matrices are row-major; factors are lower Cholesky
 * factors from lvm_linalg_cholesky. Workspaces come from the caller. */
#include "lvm/dist.h"

#include "blas.h"
#include <math.h>
#include <string.h>

#include "lvm/linalg.h"
#include "lvm/special.h"

#define LVM_LOG_SQRT_2PI 0.91893853320467274178
#define LVM_LN2 0.69314718055994530942

static inline double xlogy(double c, double lv) { return c == 0.0 ? 0.0 : c * lv; }

/* ---- Multinomial ------------------------------------------------------------ */

void lvm_multinomial_draw(lvm_rng *r, int64_t N, size_t K, const double *p,
                          int64_t *n) {
  double mass = 0.0; /* invariant: mass = sum_{j >= k} p_j (up to rounding) */
  for (size_t k = 0; k < K; k++) mass += p[k];
  int64_t left = N;
  for (size_t k = 0; k < K; k++) {
    if (left == 0 || k + 1 == K) {
      n[k] = (k + 1 == K) ? left : 0;
      left -= n[k];
      continue;
    }
    double pk = mass > 0.0 ? p[k] / mass : 1.0;
    if (pk > 1.0) pk = 1.0;
    if (pk < 0.0) pk = 0.0;
    n[k] = lvm_binomial_draw(r, left, pk);
    left -= n[k];
    mass -= p[k];
  }
}

double lvm_multinomial_lpmf(const int64_t *n, size_t K, const double *p) {
  double s = 0.0;
  for (size_t k = 0; k < K; k++) {
    if (!(p[k] >= 0.0)) return NAN;
    s += p[k];
  }
  if (!(s > 0.0) || isinf(s)) return NAN;
  double N = 0.0, lp = 0.0, ls = log(s);
  for (size_t k = 0; k < K; k++) {
    if (n[k] < 0) return -INFINITY;
    N += (double)n[k];
    lp += xlogy((double)n[k], log(p[k]) - ls) - lvm_lgamma((double)n[k] + 1.0);
  }
  return lp + lvm_lgamma(N + 1.0);
}

/* ---- Dirichlet -------------------------------------------------------------- */

void lvm_dirichlet_log_draw(lvm_rng *r, size_t K, const double *alpha,
                            double *log_theta) {
  /* log theta_k = (lg_k - m) - log1p(s), m = max lg, s = sum over the
   * other components of exp(lg_j - m): subtracting a rounded log-sum-exp
   * would give log theta = 0 for a dominant component, losing exactly the
   * information the log form is for. */
  double m = -INFINITY;
  size_t im = 0;
  for (size_t k = 0; k < K; k++) {
    log_theta[k] = lvm_gamma_log_draw(r, alpha[k], 1.0);
    if (log_theta[k] > m) m = log_theta[k], im = k;
  }
  double s = 0.0;
  for (size_t k = 0; k < K; k++)
    if (k != im) s += exp(log_theta[k] - m);
  double l1 = log1p(s);
  for (size_t k = 0; k < K; k++) log_theta[k] = (log_theta[k] - m) - l1;
}

void lvm_dirichlet_draw(lvm_rng *r, size_t K, const double *alpha,
                        double *theta) {
  int small = 0;
  for (size_t k = 0; k < K; k++) small |= !(alpha[k] >= 1.0);
  if (small) { /* log space: tiny alphas give gamma variates below 1e-308 */
    lvm_dirichlet_log_draw(r, K, alpha, theta);
    for (size_t k = 0; k < K; k++) theta[k] = exp(theta[k]);
    return;
  }
  double s = 0.0;
  for (size_t k = 0; k < K; k++) s += theta[k] = lvm_gamma_draw(r, alpha[k], 1.0);
  for (size_t k = 0; k < K; k++) theta[k] /= s;
}

/* Support: theta_k >= 0 and |sum theta - 1| <= 1e-8 (Stan's simplex
 * tolerance). */
double lvm_dirichlet_lpdf(const double *theta, size_t K, const double *alpha) {
  double sa = 0.0, st = 0.0, lp = 0.0;
  for (size_t k = 0; k < K; k++) {
    if (!(alpha[k] > 0.0) || isinf(alpha[k]) || isnan(theta[k])) return NAN;
    sa += alpha[k];
  }
  for (size_t k = 0; k < K; k++) {
    if (theta[k] < 0.0) return -INFINITY;
    st += theta[k];
    lp += xlogy(alpha[k] - 1.0, log(theta[k])) - lvm_lgamma(alpha[k]);
  }
  if (fabs(st - 1.0) > 1e-8) return -INFINITY;
  return lp + lvm_lgamma(sa);
}

/* ---- Multivariate normal ------------------------------------------------------ */

static void std_normal_fill(lvm_rng *r, size_t n, double *z) {
  for (size_t i = 0; i < n; i++) z[i] = lvm_std_normal_draw(r);
}

void lvm_mvnormal_chol_draw(lvm_rng *r, size_t n, const double *mu,
                            const double *L, double *x) {
  std_normal_fill(r, n, x);
  lvm_linalg_trmv_lower(LVM_NOTRANS, L, n, x); /* x = L z */
  if (mu)
    for (size_t i = 0; i < n; i++) x[i] += mu[i];
}

lvm_status lvm_mvnormal_draw(lvm_rng *r, size_t n, const double *mu,
                             const double *Sigma, double *x, double *work) {
  memcpy(work, Sigma, n * n * sizeof *work);
  lvm_status s = lvm_linalg_cholesky(work, n);
  if (s) return s;
  lvm_mvnormal_chol_draw(r, n, mu, work, x);
  return LVM_OK;
}

void lvm_mvnormal_prec_chol_draw(lvm_rng *r, size_t n, const double *mu,
                                 const double *L, double *x) {
  std_normal_fill(r, n, x);
  lvm_linalg_trsv_lower(LVM_TRANS, L, n, x); /* x = L^{-T} z */
  if (mu)
    for (size_t i = 0; i < n; i++) x[i] += mu[i];
}

lvm_status lvm_mvnormal_prec_draw(lvm_rng *r, size_t n, const double *mu,
                                  const double *Lambda, double *x,
                                  double *work) {
  memcpy(work, Lambda, n * n * sizeof *work);
  lvm_status s = lvm_linalg_cholesky(work, n);
  if (s) return s;
  lvm_mvnormal_prec_chol_draw(r, n, mu, work, x);
  return LVM_OK;
}

/* x = L^{-T} (L^{-1} h + z): mean L^{-T} L^{-1} h = Lambda^{-1} h,
 * covariance L^{-T} L^{-1} = Lambda^{-1}. */
lvm_status lvm_mvnormal_canon_draw(lvm_rng *r, size_t n, const double *h,
                                   const double *Lambda, double *x,
                                   double *work) {
  memcpy(work, Lambda, n * n * sizeof *work);
  lvm_status s = lvm_linalg_cholesky(work, n);
  if (s) return s;
  double *y = work + n * n;
  memcpy(y, h, n * sizeof *y);
  lvm_linalg_trsv_lower(LVM_NOTRANS, work, n, y);
  for (size_t i = 0; i < n; i++) x[i] = y[i] + lvm_std_normal_draw(r);
  lvm_linalg_trsv_lower(LVM_TRANS, work, n, x);
  return LVM_OK;
}

double lvm_mvnormal_chol_lpdf(const double *x, size_t n, const double *mu,
                              const double *L, double *work) {
  for (size_t i = 0; i < n; i++) work[i] = x[i] - (mu ? mu[i] : 0.0);
  lvm_linalg_trsv_lower(LVM_NOTRANS, L, n, work); /* L^{-1} (x - mu) */
  double q = lvm_linalg_dot(n, work, work);
  return -0.5 * q - (double)n * LVM_LOG_SQRT_2PI -
         0.5 * lvm_linalg_cholesky_logdet(L, n);
}

lvm_status lvm_mvnormal_lpdf(const double *x, size_t n, const double *mu,
                             const double *Sigma, double *work, double *lp) {
  memcpy(work, Sigma, n * n * sizeof *work);
  lvm_status s = lvm_linalg_cholesky(work, n);
  if (s) return s;
  *lp = lvm_mvnormal_chol_lpdf(x, n, mu, work, work + n * n);
  return LVM_OK;
}

lvm_status lvm_mvnormal_prec_lpdf(const double *x, size_t n, const double *mu,
                                  const double *Lambda, double *work,
                                  double *lp) {
  memcpy(work, Lambda, n * n * sizeof *work);
  lvm_status s = lvm_linalg_cholesky(work, n);
  if (s) return s;
  double *d = work + n * n;
  for (size_t i = 0; i < n; i++) d[i] = x[i] - (mu ? mu[i] : 0.0);
  lvm_linalg_trmv_lower(LVM_TRANS, work, n, d); /* L^T (x - mu) */
  double q = lvm_linalg_dot(n, d, d);
  *lp = -0.5 * q - (double)n * LVM_LOG_SQRT_2PI +
        0.5 * lvm_linalg_cholesky_logdet(work, n);
  return LVM_OK;
}

/* ---- Wishart / inverse Wishart -------------------------------------------------
 * Bartlett (1933) decomposition: for W ~ Wishart(nu, I_n), W = A A^T with A
 * lower triangular, A_ii^2 ~ chi2(nu - i) (i = 0..n-1, 0-based) and
 * A_ij ~ N(0, 1) for i > j, all independent. */
static void bartlett(lvm_rng *r, size_t n, double nu, double *A) {
  for (size_t i = 0; i < n; i++) {
    for (size_t j = 0; j < i; j++) A[i * n + j] = lvm_std_normal_draw(r);
    /* chi2(k) = 2 Gamma(k/2, 1) */
    A[i * n + i] = sqrt(2.0 * lvm_gamma_draw(r, 0.5 * (nu - (double)i), 1.0));
    for (size_t j = i + 1; j < n; j++) A[i * n + j] = 0.0;
  }
}

static int wishart_args_ok(size_t n, double nu) {
  return n > 0 && nu > (double)n - 1.0 && isfinite(nu);
}

lvm_status lvm_wishart_draw(lvm_rng *r, size_t n, double nu, const double *S,
                            double *W, double *work) {
  if (!wishart_args_ok(n, nu))
    LVM_ERROR("wishart: need n > 0 and nu > n - 1", LVM_EINVAL);
  double *L = work, *A = work + n * n;
  memcpy(L, S, n * n * sizeof *L);
  lvm_status s = lvm_linalg_cholesky(L, n);
  if (s) return s;
  bartlett(r, n, nu, A);
  /* A <- L A (lower times lower), then W = (L A)(L A)^T */
  lvm_blas()->dtrmm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit,
              (int)n, (int)n, 1.0, L, (int)n, A, (int)n);
  lvm_linalg_syrk(LVM_NOTRANS, n, n, 1.0, A, 0.0, W);
  return LVM_OK;
}

lvm_status lvm_inv_wishart_draw(lvm_rng *r, size_t n, double nu,
                                const double *Psi, double *X, double *work) {
  if (!wishart_args_ok(n, nu))
    LVM_ERROR("inv_wishart: need n > 0 and nu > n - 1", LVM_EINVAL);
  double *L = work, *A = work + n * n;
  memcpy(L, Psi, n * n * sizeof *L);
  lvm_status s = lvm_linalg_cholesky(L, n);
  if (s) return s;
  bartlett(r, n, nu, A);
  /* T = L A^{-T}: solve T A^T = L in place in L.  X = T T^T =
   * L (A A^T)^{-1} L^T ~ InvWishart(nu, L L^T). */
  lvm_blas()->dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit,
              (int)n, (int)n, 1.0, A, (int)n, L, (int)n);
  lvm_linalg_syrk(LVM_NOTRANS, n, n, 1.0, L, 0.0, X);
  return LVM_OK;
}

/* ||P^{-1} Q||_F^2 for lower triangular P, Q (Q overwritten). */
static double frob_solve(size_t n, const double *P, double *Q) {
  lvm_blas()->dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit,
              (int)n, (int)n, 1.0, P, (int)n, Q, (int)n);
  double s = 0.0;
  for (size_t i = 0; i < n * n; i++) s += Q[i] * Q[i];
  return s;
}

/* Cholesky of a matrix that is a *value* (W or X), not a parameter: not
 * being positive definite means "outside the support", which is not an
 * error, so this does not report through lvm_error (and does not touch the
 * process-wide handler). Returns 0 on success. */
static int chol_quiet(double *A, size_t n) {
  lapack_int info =
      lvm_blas()->dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)n, A, (lapack_int)n);
  if (info != 0) return 1;
  for (size_t i = 0; i < n; i++) {
    if (!(A[i * n + i] > 0.0) || isinf(A[i * n + i])) return 1;
    for (size_t j = i + 1; j < n; j++) A[i * n + j] = 0.0;
  }
  return 0;
}

/* log p(W) = (nu-n-1)/2 log|W| - tr(S^{-1} W)/2 - nu n/2 log 2
 *            - nu/2 log|S| - lmgamma(n, nu/2);
 * tr(S^{-1} W) = ||L_S^{-1} L_W||_F^2.  A non-SPD W is outside the support:
 * *lp = -inf and LVM_OK; a non-SPD S is an error (LVM_ENOTPD). */
lvm_status lvm_wishart_lpdf(const double *W, size_t n, double nu,
                            const double *S, double *work, double *lp) {
  if (!wishart_args_ok(n, nu))
    LVM_ERROR("wishart: need n > 0 and nu > n - 1", LVM_EINVAL);
  double *LS = work, *LW = work + n * n;
  memcpy(LS, S, n * n * sizeof *LS);
  lvm_status s = lvm_linalg_cholesky(LS, n);
  if (s) return s;
  memcpy(LW, W, n * n * sizeof *LW);
  if (chol_quiet(LW, n)) {
    *lp = -INFINITY;
    return LVM_OK;
  }
  double dn = (double)n;
  double ldW = lvm_linalg_cholesky_logdet(LW, n);
  double ldS = lvm_linalg_cholesky_logdet(LS, n);
  double tr = frob_solve(n, LS, LW);
  *lp = 0.5 * (nu - dn - 1.0) * ldW - 0.5 * tr - 0.5 * nu * dn * LVM_LN2 -
        0.5 * nu * ldS - lvm_lmgamma((int)n, 0.5 * nu);
  return LVM_OK;
}

/* log p(X) = nu/2 log|Psi| - nu n/2 log 2 - lmgamma(n, nu/2)
 *            - (nu+n+1)/2 log|X| - tr(Psi X^{-1})/2;
 * tr(Psi X^{-1}) = ||L_X^{-1} L_Psi||_F^2. */
lvm_status lvm_inv_wishart_lpdf(const double *X, size_t n, double nu,
                                const double *Psi, double *work, double *lp) {
  if (!wishart_args_ok(n, nu))
    LVM_ERROR("inv_wishart: need n > 0 and nu > n - 1", LVM_EINVAL);
  double *LP = work, *LX = work + n * n;
  memcpy(LP, Psi, n * n * sizeof *LP);
  lvm_status s = lvm_linalg_cholesky(LP, n);
  if (s) return s;
  memcpy(LX, X, n * n * sizeof *LX);
  if (chol_quiet(LX, n)) {
    *lp = -INFINITY;
    return LVM_OK;
  }
  double dn = (double)n;
  double ldX = lvm_linalg_cholesky_logdet(LX, n);
  double ldP = lvm_linalg_cholesky_logdet(LP, n);
  double tr = frob_solve(n, LX, LP);
  *lp = 0.5 * nu * ldP - 0.5 * nu * dn * LVM_LN2 - lvm_lmgamma((int)n, 0.5 * nu) -
        0.5 * (nu + dn + 1.0) * ldX - 0.5 * tr;
  return LVM_OK;
}
