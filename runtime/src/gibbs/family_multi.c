/* Vector and matrix exponential families from natural parameters (see
 * lvm/family.h): Dirichlet, categorical, multivariate normal, Wishart. */
#include "lvm/family.h"

#include <float.h>
#include "../core/blas.h"
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lvm/dist.h"
#include "lvm/linalg.h"
#include "lvm/special.h"

#define LOG_2PI 1.83787706640934548356
#define LN2 0.69314718055994530942

/* ---- Dirichlet: eta_k = alpha_k - 1 --------------------------------------- */

lvm_status lvm_family_dirichlet_check(size_t K, const double *eta) {
  if (K == 0) LVM_ERROR("dirichlet family: K must be >= 1", LVM_EINVAL);
  for (size_t k = 0; k < K; k++) {
    if (!isfinite(eta[k]))
      LVM_ERROR("dirichlet family: natural parameter is NaN or infinite",
                LVM_EDOM);
    if (!(eta[k] + 1.0 > 0.0))
      LVM_ERROR("dirichlet family: alpha_k = eta_k + 1 <= 0 for some k, the "
                "complete conditional is improper",
                LVM_EDOM);
  }
  return LVM_OK;
}

lvm_status lvm_family_dirichlet_draw(lvm_rng *r, size_t K, const double *eta,
                                     double *x) {
  lvm_status st = lvm_family_dirichlet_check(K, eta);
  if (st) return st;
  /* Gamma variates in log space (exact for tiny alphas), normalised by
   * log-sum-exp; written straight into x. */
  double lmax = -INFINITY;
  for (size_t k = 0; k < K; k++) {
    x[k] = lvm_gamma_log_draw(r, eta[k] + 1.0, 1.0);
    if (x[k] > lmax) lmax = x[k];
  }
  double s = 0.0;
  for (size_t k = 0; k < K; k++) s += exp(x[k] - lmax);
  double ls = lmax + log(s);
  for (size_t k = 0; k < K; k++) {
    double v = exp(x[k] - ls);
    x[k] = v < DBL_MIN ? DBL_MIN : v;
  }
  return LVM_OK;
}

lvm_status lvm_family_dirichlet_mean_stats(size_t K, const double *eta,
                                           double *ET) {
  lvm_status st = lvm_family_dirichlet_check(K, eta);
  if (st) return st;
  double a0 = 0.0;
  for (size_t k = 0; k < K; k++) a0 += eta[k] + 1.0;
  double p0 = lvm_digamma(a0);
  for (size_t k = 0; k < K; k++) ET[k] = lvm_digamma(eta[k] + 1.0) - p0;
  return LVM_OK;
}

lvm_status lvm_family_dirichlet_log_partition(size_t K, const double *eta,
                                              double *A) {
  lvm_status st = lvm_family_dirichlet_check(K, eta);
  if (st) return st;
  double a0 = 0.0, s = 0.0;
  for (size_t k = 0; k < K; k++) {
    a0 += eta[k] + 1.0;
    s += lvm_lgamma(eta[k] + 1.0);
  }
  *A = s - lvm_lgamma(a0);
  return LVM_OK;
}

lvm_status lvm_family_dirichlet_entropy(size_t K, const double *eta,
                                        double *H) {
  lvm_status st = lvm_family_dirichlet_check(K, eta);
  if (st) return st;
  double a0 = 0.0, s = 0.0;
  for (size_t k = 0; k < K; k++) {
    double a = eta[k] + 1.0;
    a0 += a;
    s += lvm_lgamma(a) - (a - 1.0) * lvm_digamma(a);
  }
  *H = s - lvm_lgamma(a0) + (a0 - (double)K) * lvm_digamma(a0);
  return LVM_OK;
}

lvm_status lvm_family_dirichlet_params(size_t K, const double *eta,
                                       double *par) {
  lvm_status st = lvm_family_dirichlet_check(K, eta);
  if (st) return st;
  for (size_t k = 0; k < K; k++) par[k] = eta[k] + 1.0;
  return LVM_OK;
}

/* ---- Categorical: eta_k = log p_k + const --------------------------------- */

lvm_status lvm_family_categorical_check(size_t K, const double *eta) {
  if (K == 0) LVM_ERROR("categorical family: K must be >= 1", LVM_EINVAL);
  int finite = 0;
  for (size_t k = 0; k < K; k++) {
    if (isnan(eta[k]))
      LVM_ERROR("categorical family: a log-weight is NaN", LVM_EDOM);
    if (eta[k] == INFINITY)
      LVM_ERROR("categorical family: a log-weight is +inf", LVM_EDOM);
    if (eta[k] > -INFINITY) finite = 1;
  }
  if (!finite)
    LVM_ERROR("categorical family: every log-weight is -inf, no category "
              "has positive probability",
              LVM_EDOM);
  return LVM_OK;
}

lvm_status lvm_family_categorical_draw(lvm_rng *r, size_t K,
                                       const double *eta, int64_t *x) {
  lvm_status st = lvm_family_categorical_check(K, eta);
  if (st) return st;
  int64_t k = lvm_categorical_logit_draw(r, K, eta);
  if (k < 0) LVM_ERROR("categorical family: draw failed", LVM_EINTERNAL);
  *x = k;
  return LVM_OK;
}

/* The maximum of row eta (K values), or a status when the row is not a
 * proper categorical (a NaN or +inf log-weight, or all -inf). */
static lvm_status row_max(size_t K, const double *eta, double *max) {
  double m = -INFINITY;
  int bad = 0;
  for (size_t k = 0; k < K; k++) {
    double e = eta[k];
    bad |= isnan(e) || e == INFINITY;
    m = e > m ? e : m;
  }
  if (K == 0 || bad || m == -INFINITY) { /* the check says why */
    lvm_status st = lvm_family_categorical_check(K, eta);
    return st ? st : LVM_EDOM;
  }
  *max = m;
  return LVM_OK;
}

/* ET[k] *= 1 / sum ET over the row; returns the sum. */
static double row_normalise(size_t K, double *ET) {
  double s = 0.0;
  for (size_t k = 0; k < K; k++) s += ET[k];
  double inv = 1.0 / s;
  for (size_t k = 0; k < K; k++) ET[k] *= inv;
  return s;
}

/* One pass for the checks and the maximum, the exps of the block at once
 * (lvm_exp_n). */
lvm_status lvm_family_categorical_mean_stats(size_t K, const double *eta,
                                             double *ET) {
  double m;
  lvm_status st = row_max(K, eta, &m);
  if (st) return st;
  for (size_t k = 0; k < K; k++) ET[k] = eta[k] - m;
  lvm_exp_n(K, ET, ET);
  row_normalise(K, ET);
  return LVM_OK;
}

/* Rows in chunks of about CHUNK values, so that the shifted log-weights
 * are still in cache for their exps and the normalisation. */
enum { CHUNK = 2048 };

/* The entropies of rows q of [r0, r) (normalised ET, maxima mx[q - r0],
 * sums sm[q - r0] of the shifted exps): log s - sum_k p_k (eta_k - m),
 * where p_k = 0 contributes nothing (eta_k may be -inf); the logs of the
 * chunk at once.  sm is overwritten. */
static inline __attribute__((always_inline)) double
chunk_entropy(size_t K, size_t r0, size_t r, const unsigned char *free_rows, const double *eta,
              const double *ET, const double *mx, double *sm) {
  lvm_log_n(r - r0, sm, sm);
  double h = 0.0;
  for (size_t q = r0; q < r; q++) {
    if (free_rows && !free_rows[q]) continue;
    const double *p = ET + q * K, *e = eta + q * K;
    double m = mx[q - r0], d = 0.0;
#pragma GCC unroll 16
    for (size_t k = 0; k < K; k++) d += p[k] > 0 ? p[k] * (m - e[k]) : 0.0;
    h += sm[q - r0] + d;
  }
  return h;
}

/* Rows [r0, r1) of a chunk, every row free, when none is improper: the
 * same operations in the same order as the general loop below (so the
 * same bits), in passes over the chunk.  A row is improper (a NaN or +inf
 * log-weight, or all -inf) exactly when the sum of its shifted exps is not
 * >= 1 (it is NaN; a proper row's maximum contributes exp(0) = 1); then
 * this returns 0 without finishing, and the general loop redoes the chunk
 * and reports it.  For K = 1 and K > LANE_KMAX (the lane kernel does the rest). */
static inline __attribute__((always_inline)) int
fixed_chunk(size_t K, size_t r0, size_t r1, const double *eta, double *ET, double *mx, double *sm,
            double *H) {
  for (size_t r = r0; r < r1; r++) {
    const double *e = eta + r * K;
    double m = e[0];
#pragma GCC unroll 16
    for (size_t k = 1; k < K; k++) m = e[k] > m ? e[k] : m;
#pragma GCC unroll 16
    for (size_t k = 0; k < K; k++) ET[r * K + k] = e[k] - m;
    mx[r - r0] = m;
  }
  lvm_exp_n((r1 - r0) * K, ET + r0 * K, ET + r0 * K);
  int bad = 0;
  for (size_t r = r0; r < r1; r++) {
    double *p = ET + r * K, t = 0.0;
#pragma GCC unroll 16
    for (size_t k = 0; k < K; k++) t += p[k];
    bad |= !(t >= 1.0);
    double inv = 1.0 / t;
#pragma GCC unroll 16
    for (size_t k = 0; k < K; k++) p[k] *= inv;
    sm[r - r0] = t;
  }
  if (bad) return 0;
  if (H) *H += chunk_entropy(K, r0, r1, NULL, eta, ET, mx, sm);
  return 1;
}

/* fixed_chunk's rows LW at a time, one row to a lane (categorical_lanes.h):
 * four-lane vectors for AVX2 and the baseline, eight-lane ones for
 * AVX-512, the same bits each way; the runtime picks the instruction set
 * (LVM_TARGETS). */
#define LW 4
#include "../core/vlane_math.h"
#define LW 4
#include "categorical_lanes.h"
#define LW 8
#include "../core/vlane_math.h"
#define LW 8
#include "categorical_lanes.h"

#if LVM_TARGETS
__attribute__((target("avx512f"))) static int lanes_avx512(size_t K, size_t r0, size_t r1, const double *eta,
                                                           double *ET, double *H) {
  return lane_rows8(K, r0, r1, eta, ET, H);
}

__attribute__((target("avx2"))) static int lanes_avx2(size_t K, size_t r0, size_t r1, const double *eta, double *ET,
                                                      double *H) {
  return lane_rows4(K, r0, r1, eta, ET, H);
}
#endif

static int lanes_base(size_t K, size_t r0, size_t r1, const double *eta, double *ET, double *H) {
  return lane_rows4(K, r0, r1, eta, ET, H);
}

/* The lane kernel's instruction set: 2 AVX-512, 1 AVX2, 0 the baseline;
 * the machine's best unless the environment variable LVM_LANES is "base"
 * (the tests run the baseline kernel that way too).  Found at the first
 * call; threads that race store the same value. */
static int lane_isa(void) {
  static int isa = -1;
  int v = __atomic_load_n(&isa, __ATOMIC_RELAXED);
  if (v >= 0) return v;
  v = 0;
#if LVM_TARGETS
  const char *e = getenv("LVM_LANES");
  if (!(e && !strcmp(e, "base"))) v = __builtin_cpu_supports("avx512f") ? 2 : __builtin_cpu_supports("avx2") ? 1 : 0;
#endif
  __atomic_store_n(&isa, v, __ATOMIC_RELAXED);
  return v;
}

static int lane_any_chunk(size_t K, size_t r0, size_t r1, const double *eta, double *ET, double *H) {
  switch (lane_isa()) {
#if LVM_TARGETS
  case 2: return lanes_avx512(K, r0, r1, eta, ET, H);
  case 1: return lanes_avx2(K, r0, r1, eta, ET, H);
#endif
  default: return lanes_base(K, r0, r1, eta, ET, H);
  }
}

static int any_chunk(size_t K, size_t r0, size_t r1, const double *eta, double *ET, double *mx, double *sm,
                     double *H) {
  if (K >= 2 && K <= LANE_KMAX) return lane_any_chunk(K, r0, r1, eta, ET, H);
  return fixed_chunk(K, r0, r1, eta, ET, mx, sm, H); /* K = 1, or rows long enough on their own */
}

lvm_status lvm_family_categorical_mean_stats_rows(size_t K, size_t rows,
                                                  const unsigned char *free_rows,
                                                  const double *eta, double *ET,
                                                  double *H) {
  if (H) *H = 0.0;
  if (K == 0) return lvm_family_categorical_check(K, eta);
  size_t per = K < CHUNK ? CHUNK / K : 1;
  double mx[CHUNK], sm[CHUNK], h = 0.0;
  for (size_t r0 = 0; r0 < rows; r0 += per) {
    size_t r1 = rows - r0 < per ? rows : r0 + per, r = r0;
    if (!free_rows && any_chunk(K, r0, r1, eta, ET, mx, sm, H ? &h : NULL)) continue;
    lvm_status st = LVM_OK;
    for (; r < r1; r++) {
      sm[r - r0] = 1.0; /* a row left out: log 1 */
      if (free_rows && !free_rows[r]) continue;
      double m;
      if ((st = row_max(K, eta + r * K, &m))) break;
      mx[r - r0] = m;
      for (size_t k = 0; k < K; k++) ET[r * K + k] = eta[r * K + k] - m;
      if (free_rows) lvm_exp_n(K, ET + r * K, ET + r * K);
    }
    /* rows r0 .. r (all of the chunk, or up to the improper one) */
    if (!free_rows) lvm_exp_n((r - r0) * K, ET + r0 * K, ET + r0 * K);
    for (size_t q = r0; q < r; q++)
      if (!free_rows || free_rows[q]) sm[q - r0] = row_normalise(K, ET + q * K);
    if (H) h += chunk_entropy(K, r0, r, free_rows, eta, ET, mx, sm);
    if (st) return st;
  }
  if (H) *H = h;
  return LVM_OK;
}

lvm_status lvm_family_categorical_log_partition(size_t K, const double *eta,
                                                double *A) {
  lvm_status st = lvm_family_categorical_check(K, eta);
  if (st) return st;
  *A = lvm_log_sum_exp(eta, K);
  return LVM_OK;
}

lvm_status lvm_family_categorical_entropy(size_t K, const double *eta,
                                          double *H) {
  lvm_status st = lvm_family_categorical_check(K, eta);
  if (st) return st;
  double A = lvm_log_sum_exp(eta, K), h = 0.0;
  for (size_t k = 0; k < K; k++) {
    if (eta[k] == -INFINITY) continue;
    double lp = eta[k] - A;
    h -= exp(lp) * lp;
  }
  *H = h;
  return LVM_OK;
}

lvm_status lvm_family_categorical_params(size_t K, const double *eta,
                                         double *par) {
  return lvm_family_categorical_mean_stats(K, eta, par);
}

/* ---- Shared: -2 sym(M) into the lower triangle of L, then Cholesky -------- */

/* L <- chol(-(M + M^T)) where M is the D x D block; LVM_EDOM (reported with
 * `why_pd`) if it is not positive definite.  LAPACKE is called directly
 * (not lvm_linalg_cholesky) so that an improper conditional is reported
 * once, as LVM_EDOM, without an LVM_ENOTPD report first. */
static lvm_status neg2sym_chol(size_t D, const double *M, double *L,
                               const char *why_nan, const char *why_pd) {
  if (D > INT_MAX) LVM_ERROR("family: dimension exceeds INT_MAX", LVM_EINVAL);
  for (size_t i = 0; i < D; i++)
    for (size_t j = 0; j < D; j++) {
      double v = j <= i ? -(M[i * D + j] + M[j * D + i]) : 0.0;
      if (!isfinite(v)) LVM_ERROR(why_nan, LVM_EDOM);
      L[i * D + j] = v;
    }
  lapack_int info =
      lvm_blas()->dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)D, L, (lapack_int)D);
  if (info != 0) LVM_ERROR(why_pd, LVM_EDOM);
  for (size_t i = 0; i < D; i++)
    if (!(L[i * D + i] > 0.0) || isinf(L[i * D + i]))
      LVM_ERROR(why_pd, LVM_EDOM);
  for (size_t i = 0; i < D; i++)
    for (size_t j = i + 1; j < D; j++) L[i * D + j] = 0.0;
  return LVM_OK;
}

/* ---- Multivariate normal: eta = (Lambda m, -Lambda/2) --------------------- */

#define MVN_NAN "mvnormal family: natural parameter is NaN or infinite"
#define MVN_PD                                                                 \
  "mvnormal family: the precision -2 sym(eta2) is not positive definite, "    \
  "the complete conditional is improper"

/* work[0 .. D*D) <- chol(Lambda) */
static lvm_status mvn_factor(size_t D, const double *eta, double *work) {
  if (D == 0) LVM_ERROR("mvnormal family: D must be >= 1", LVM_EINVAL);
  for (size_t i = 0; i < D; i++)
    if (!isfinite(eta[i])) LVM_ERROR(MVN_NAN, LVM_EDOM);
  return neg2sym_chol(D, eta + D, work, MVN_NAN, MVN_PD);
}

static int all_finite(const double *x, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i])) return 0;
  return 1;
}

lvm_status lvm_family_mvnormal_check(size_t D, const double *eta,
                                     double *work) {
  return mvn_factor(D, eta, work);
}

lvm_status lvm_family_mvnormal_draw(lvm_rng *r, size_t D, const double *eta,
                                    double *x, double *work) {
  lvm_status st = mvn_factor(D, eta, work);
  if (st) return st;
  const double *L = work;
  double *v = work + D * D;
  /* x = Lambda^{-1} h + L^{-T} z = L^{-T} (L^{-1} h + z) */
  memcpy(v, eta, D * sizeof *v);
  lvm_linalg_trsv_lower(LVM_NOTRANS, L, D, v);
  for (size_t i = 0; i < D; i++) v[i] += lvm_std_normal_draw(r);
  lvm_linalg_trsv_lower(LVM_TRANS, L, D, v);
  if (!all_finite(v, D))
    LVM_ERROR("mvnormal family: draw overflows", LVM_ERANGE);
  memcpy(x, v, D * sizeof *x);
  return LVM_OK;
}

/* mean (D) and covariance (D*D) into out; out must not alias work. */
static lvm_status mvn_moments(size_t D, const double *eta, double *mean,
                              double *cov, double *work) {
  lvm_status st = mvn_factor(D, eta, work);
  if (st) return st;
  double *v = work + D * D;
  memcpy(v, eta, D * sizeof *v);
  lvm_linalg_cholesky_solve(work, D, v);
  memcpy(cov, work, D * D * sizeof *cov);
  if (lvm_linalg_cholesky_invert(cov, D))
    LVM_ERROR("mvnormal family: inversion failed", LVM_ENUMERIC);
  memcpy(mean, v, D * sizeof *mean);
  return LVM_OK;
}

lvm_status lvm_family_mvnormal_mean_stats(size_t D, const double *eta,
                                          double *ET, double *work) {
  lvm_status st = mvn_moments(D, eta, ET, ET + D, work);
  if (st) return st;
  lvm_linalg_outer_acc(D, 1.0, ET, ET + D);
  if (!all_finite(ET, D + D * D))
    LVM_ERROR("mvnormal family: moments overflow", LVM_ERANGE);
  return LVM_OK;
}

typedef lvm_status (*mean_stats_fn)(size_t, const double *, double *, double *);

/* mean_stats with a workspace of nwork doubles from the heap (CAVI). */
static lvm_status heap_mean_stats(mean_stats_fn fn, size_t nwork, size_t D,
                                  const double *eta, double *ET) {
  if (D == 0 || D > 4096)
    LVM_ERROR("mvnormal / wishart family: D must be in 1 .. 4096", LVM_EINVAL);
  double *work = malloc(nwork * sizeof *work);
  if (!work) LVM_ERROR("mvnormal / wishart family: out of memory (CAVI workspace)", LVM_ENOMEM);
  lvm_status st = fn(D, eta, ET, work);
  free(work);
  return st;
}

lvm_status lvm_family_mvnormal_vi_mean_stats(size_t D, const double *eta,
                                             double *ET) {
  return heap_mean_stats(lvm_family_mvnormal_mean_stats,
                         LVM_FAMILY_MVNORMAL_WORK(D), D, eta, ET);
}

lvm_status lvm_family_mvnormal_log_partition(size_t D, const double *eta,
                                             double *A, double *work) {
  lvm_status st = mvn_factor(D, eta, work);
  if (st) return st;
  const double *L = work;
  double *v = work + D * D;
  memcpy(v, eta, D * sizeof *v);
  lvm_linalg_trsv_lower(LVM_NOTRANS, L, D, v); /* |L^{-1} h|^2 = h' Λ^-1 h */
  double q = lvm_linalg_dot(D, v, v);
  *A = 0.5 * q - 0.5 * lvm_linalg_cholesky_logdet(L, D) +
       0.5 * (double)D * LOG_2PI;
  return LVM_OK;
}

lvm_status lvm_family_mvnormal_entropy(size_t D, const double *eta,
                                       double *H, double *work) {
  lvm_status st = mvn_factor(D, eta, work);
  if (st) return st;
  *H = 0.5 * (double)D * (1.0 + LOG_2PI) -
       0.5 * lvm_linalg_cholesky_logdet(work, D);
  return LVM_OK;
}

lvm_status lvm_family_mvnormal_params(size_t D, const double *eta,
                                      double *par, double *work) {
  lvm_status st = mvn_moments(D, eta, par, par + D, work);
  if (st) return st;
  if (!all_finite(par, D + D * D))
    LVM_ERROR("mvnormal family: moments overflow", LVM_ERANGE);
  return LVM_OK;
}

/* ---- Wishart: eta = (-S^{-1}/2, (nu - D - 1)/2) --------------------------- */

#define WIS_NAN "wishart family: natural parameter is NaN or infinite"
#define WIS_PD                                                                 \
  "wishart family: S^{-1} = -2 sym(eta_X) is not positive definite, the "     \
  "complete conditional is improper"

/* work[0 .. D*D) <- chol(S^{-1}); *nu */
static lvm_status wis_factor(size_t D, const double *eta, double *work,
                             double *nu) {
  if (D == 0) LVM_ERROR("wishart family: D must be >= 1", LVM_EINVAL);
  double e = eta[D * D];
  if (!isfinite(e)) LVM_ERROR(WIS_NAN, LVM_EDOM);
  double n = 2.0 * e + (double)D + 1.0;
  if (!(n > (double)D - 1.0))
    LVM_ERROR("wishart family: degrees of freedom nu = 2 eta_logdet + D + 1 "
              "<= D - 1, the complete conditional is improper",
              LVM_EDOM);
  lvm_status st = neg2sym_chol(D, eta, work, WIS_NAN, WIS_PD);
  if (st) return st;
  *nu = n;
  return LVM_OK;
}

/* E[log det X] given chol(S^{-1}) */
static double wis_elogdet(size_t D, double nu, const double *L) {
  double s = (double)D * LN2 - lvm_linalg_cholesky_logdet(L, D);
  for (size_t i = 0; i < D; i++) s += lvm_digamma(0.5 * (nu - (double)i));
  return s;
}

static double wis_A(size_t D, double nu, const double *L) {
  return 0.5 * nu * ((double)D * LN2 - lvm_linalg_cholesky_logdet(L, D)) +
         lvm_lmgamma((int)D, 0.5 * nu);
}

lvm_status lvm_family_wishart_check(size_t D, const double *eta,
                                    double *work) {
  double nu;
  return wis_factor(D, eta, work, &nu);
}

lvm_status lvm_family_wishart_draw(lvm_rng *r, size_t D, const double *eta,
                                   double *X, double *work) {
  double nu;
  lvm_status st = wis_factor(D, eta, work, &nu);
  if (st) return st;
  const double *L = work;
  double *M = work + D * D;
  /* M = A^T, A the Bartlett factor of Wishart(nu, I): A_ii^2 ~
   * chi2(nu - i), A_ij ~ N(0, 1) for i > j. */
  for (size_t i = 0; i < D; i++) {
    for (size_t j = 0; j < i; j++) M[i * D + j] = 0.0;
    double lg = lvm_gamma_log_draw(r, 0.5 * (nu - (double)i), 1.0);
    M[i * D + i] = exp(0.5 * (lg + LN2));
    for (size_t j = i + 1; j < D; j++) M[i * D + j] = lvm_std_normal_draw(r);
  }
  /* Rows of M <- rows of (L^{-T} A)^T: solve L^T v = row. */
  for (size_t i = 0; i < D; i++)
    lvm_linalg_trsv_lower(LVM_TRANS, L, D, M + i * D);
  /* X = (L^{-T} A)(L^{-T} A)^T = M^T M */
  lvm_linalg_syrk(LVM_TRANS, D, D, 1.0, M, 0.0, X);
  return LVM_OK;
}

lvm_status lvm_family_wishart_mean_stats(size_t D, const double *eta,
                                         double *ET, double *work) {
  double nu;
  lvm_status st = wis_factor(D, eta, work, &nu);
  if (st) return st;
  double eld = wis_elogdet(D, nu, work);
  memcpy(ET, work, D * D * sizeof *ET);
  if (lvm_linalg_cholesky_invert(ET, D))
    LVM_ERROR("wishart family: inversion failed", LVM_ENUMERIC);
  for (size_t i = 0; i < D * D; i++) ET[i] *= nu;
  ET[D * D] = eld;
  return LVM_OK;
}

lvm_status lvm_family_wishart_vi_mean_stats(size_t D, const double *eta,
                                            double *ET) {
  return heap_mean_stats(lvm_family_wishart_mean_stats,
                         LVM_FAMILY_WISHART_WORK(D), D, eta, ET);
}

lvm_status lvm_family_wishart_log_partition(size_t D, const double *eta,
                                            double *A, double *work) {
  double nu;
  lvm_status st = wis_factor(D, eta, work, &nu);
  if (st) return st;
  *A = wis_A(D, nu, work);
  return LVM_OK;
}

lvm_status lvm_family_wishart_entropy(size_t D, const double *eta, double *H,
                                      double *work) {
  double nu;
  lvm_status st = wis_factor(D, eta, work, &nu);
  if (st) return st;
  /* H = A - <eta, E T>;  <eta_X, nu S> = -nu D / 2 */
  *H = wis_A(D, nu, work) + 0.5 * nu * (double)D -
       0.5 * (nu - (double)D - 1.0) * wis_elogdet(D, nu, work);
  return LVM_OK;
}

lvm_status lvm_family_wishart_params(size_t D, const double *eta, double *par,
                                     double *work) {
  double nu;
  lvm_status st = wis_factor(D, eta, work, &nu);
  if (st) return st;
  memcpy(par + 1, work, D * D * sizeof *par);
  if (lvm_linalg_cholesky_invert(par + 1, D))
    LVM_ERROR("wishart family: inversion failed", LVM_ENUMERIC);
  par[0] = nu;
  return LVM_OK;
}
