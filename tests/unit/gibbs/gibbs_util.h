/* Helpers shared by the Gibbs-runtime tests (families, conjugate updates,
 * slice sampler).  Statistical thresholds: KS / chi-square p-value >
 * LVM_TEST_ALPHA = 1e-4 (see ../core/stat_util.h), moment checks within
 * 4.5 standard errors (two-sided normal tail 7e-6 each), all with fixed
 * seeds chosen before the tests were run. */
#ifndef LVM_TEST_GIBBS_UTIL_H
#define LVM_TEST_GIBBS_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>

/* shared with the core tests; not every helper is used by every test */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../core/stat_util.h"
#pragma GCC diagnostic pop
#include "lvm/status.h"

#define MOMENT_Z 4.5

/* ---- Error capture ------------------------------------------------------- */

static char err_reason[512];
static int err_status, err_count;

static inline void capture_handler(const char *reason, const char *file, int line,
                            int status) {
  (void)file, (void)line;
  snprintf(err_reason, sizeof err_reason, "%s", reason);
  err_status = status;
  err_count++;
}

static inline void capture_reset(void) {
  err_reason[0] = 0;
  err_status = 0;
  err_count = 0;
}

/* ---- Moments --------------------------------------------------------------- */

/* |sample mean of x - mu| within MOMENT_Z standard errors (sample sd). */
static inline void check_mean(const char *what, const double *x, size_t n,
                       double mu) {
  double m = 0.0, s2 = 0.0;
  for (size_t i = 0; i < n; i++) m += x[i];
  m /= (double)n;
  for (size_t i = 0; i < n; i++) s2 += (x[i] - m) * (x[i] - m);
  double se = sqrt(s2 / (double)(n - 1) / (double)n);
  double z = se > 0 ? (m - mu) / se : (m == mu ? 0.0 : INFINITY);
  printf("  mean %-42s %.6g vs %.6g (z=%.2f)\n", what, m, mu, z);
  assert_true(fabs(z) < MOMENT_Z);
}

/* Batch-means MCSE of the mean of a correlated series (B batches of equal
 * size; the remainder is dropped). */
static inline double batch_means_mcse(const double *x, size_t n, size_t B,
                               double *mean) {
  size_t b = n / B;
  double tot = 0.0, s2 = 0.0;
  double *bm = malloc(B * sizeof *bm);
  for (size_t k = 0; k < B; k++) {
    double s = 0.0;
    for (size_t i = 0; i < b; i++) s += x[k * b + i];
    bm[k] = s / (double)b;
    tot += bm[k];
  }
  tot /= (double)B;
  for (size_t k = 0; k < B; k++) s2 += (bm[k] - tot) * (bm[k] - tot);
  free(bm);
  *mean = tot;
  return sqrt(s2 / (double)(B - 1) / (double)B);
}

/* Lag-1 autocorrelation. */
static inline double lag1_autocorr(const double *x, size_t n) {
  double m = 0.0, c0 = 0.0, c1 = 0.0;
  for (size_t i = 0; i < n; i++) m += x[i];
  m /= (double)n;
  for (size_t i = 0; i < n; i++) c0 += (x[i] - m) * (x[i] - m);
  for (size_t i = 1; i < n; i++) c1 += (x[i] - m) * (x[i - 1] - m);
  return c1 / c0;
}

/* ---- Independent linear algebra (GSL) -------------------------------------- */

/* B <- A^{-1} for SPD A (row-major n x n), via GSL's Cholesky. */
static inline void gsl_spd_inverse(size_t n, const double *A, double *B) {
  gsl_matrix *m = gsl_matrix_alloc(n, n);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++) gsl_matrix_set(m, i, j, A[i * n + j]);
  assert_int_equal(gsl_linalg_cholesky_decomp1(m), 0);
  assert_int_equal(gsl_linalg_cholesky_invert(m), 0);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++) B[i * n + j] = gsl_matrix_get(m, i, j);
  gsl_matrix_free(m);
}

/* y = A x (n x n) */
static inline void matvec(size_t n, const double *A, const double *x, double *y) {
  for (size_t i = 0; i < n; i++) {
    double s = 0.0;
    for (size_t j = 0; j < n; j++) s += A[i * n + j] * x[j];
    y[i] = s;
  }
}

static inline double quad(size_t n, const double *A, const double *x) {
  double s = 0.0;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++) s += x[i] * A[i * n + j] * x[j];
  return s;
}

/* ---- CDFs for ks_test ------------------------------------------------------ */

typedef struct {
  double a, b;
} par2;

static inline double cdf_normal(double x, const void *p) {
  const par2 *q = p; /* mean, sd */
  return gsl_cdf_gaussian_P(x - q->a, q->b);
}
static inline double cdf_gamma(double x, const void *p) {
  const par2 *q = p; /* shape, rate */
  return gsl_cdf_gamma_P(x, q->a, 1.0 / q->b);
}
static inline double cdf_invgamma(double x, const void *p) {
  const par2 *q = p; /* shape, scale: 1/x ~ Gamma(shape, rate scale) */
  return gsl_cdf_gamma_Q(1.0 / x, q->a, 1.0 / q->b);
}
static inline double cdf_beta(double x, const void *p) {
  const par2 *q = p;
  return gsl_cdf_beta_P(x, q->a, q->b);
}
static inline double cdf_chisq(double x, const void *p) {
  const par2 *q = p; /* df in a */
  return gsl_cdf_chisq_P(x, q->a);
}

#endif
