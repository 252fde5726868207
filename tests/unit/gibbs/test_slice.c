/* Univariate slice sampler (lvm/slice.h).
 *
 * Stationary distribution: for each target (normal on R, gamma on pos, beta
 * on unit, a bimodal normal mixture, a truncated normal on an interval,
 * shifted exponential / gamma on half-lines) a chain runs a warmup with
 * width adaptation, then NCHAIN draws with the width fixed.  Two checks:
 *  - KS of the chain thinned by THIN against the exact cdf; the thinned
 *    series' lag-1 autocorrelation must be below 4/sqrt(n) (otherwise the
 *    KS independence assumption would not hold and the test would say so);
 *  - mean and E[x^2] of the full chain within 4 batch-means MCSEs (100
 *    batches) of the exact values.
 * Plus: adaptation settles at the slice scale from tiny and huge starts;
 * transforms round-trip; errors (NaN / +inf / -inf at the current point,
 * outside the domain, shrinkage cap, bad init) are reported as documented
 * and leave the output untouched; the step-out limit is not an error. */
#include "gibbs_util.h"

#include <float.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "lvm/dist.h"
#include "lvm/rng.h"
#include "lvm/slice.h"
#include "lvm/special.h"

#define NWARM 2000
#define NCHAIN 200000
#define THIN 10
#define MCSE_Z 4.0

typedef struct target {
  const char *name;
  lvm_slice_domain dom;
  double (*logp)(double x, void *ctx);
  double (*cdf)(double x, const void *ctx);
  double mean, m2; /* E[x], E[x^2] */
  double x0;
  double p[4];
} target;

/* ---- Targets ------------------------------------------------------------------ */

static double lp_normal(double x, void *c) {
  const double *p = ((target *)c)->p;
  return -0.5 * (x - p[0]) * (x - p[0]) / (p[1] * p[1]);
}
static double cdf_normal_t(double x, const void *c) {
  const double *p = ((const target *)c)->p;
  return gsl_cdf_gaussian_P(x - p[0], p[1]);
}
static double lp_gamma(double x, void *c) {
  const double *p = ((target *)c)->p;
  return (p[0] - 1.0) * log(x) - p[1] * x;
}
static double cdf_gamma_t(double x, const void *c) {
  const double *p = ((const target *)c)->p;
  return gsl_cdf_gamma_P(x, p[0], 1.0 / p[1]);
}
static double lp_beta(double x, void *c) {
  const double *p = ((target *)c)->p;
  return (p[0] - 1.0) * log(x) + (p[1] - 1.0) * log1p(-x);
}
static double cdf_beta_t(double x, const void *c) {
  const double *p = ((const target *)c)->p;
  return gsl_cdf_beta_P(x, p[0], p[1]);
}
/* 0.4 N(-1.5, 0.7) + 0.6 N(1.5, 0.7): modes 4.3 sd apart */
static double lp_mix(double x, void *c) {
  (void)c;
  return lvm_log_sum_exp2(log(0.4) + lvm_normal_lpdf(x, -1.5, 0.7),
                          log(0.6) + lvm_normal_lpdf(x, 1.5, 0.7));
}
static double cdf_mix(double x, const void *c) {
  (void)c;
  return 0.4 * gsl_cdf_gaussian_P(x + 1.5, 0.7) +
         0.6 * gsl_cdf_gaussian_P(x - 1.5, 0.7);
}
/* N(1.5, 1) truncated to (-1, 2): p = (mu, sd, lo, hi) */
static double cdf_trunc(double x, const void *c) {
  const double *p = ((const target *)c)->p;
  double a = gsl_cdf_gaussian_P(p[2] - p[0], p[1]);
  double b = gsl_cdf_gaussian_P(p[3] - p[0], p[1]);
  return (gsl_cdf_gaussian_P(x - p[0], p[1]) - a) / (b - a);
}
/* x = 3 + Exp(2) on (3, inf) */
static double lp_shexp(double x, void *c) {
  (void)c;
  return -2.0 * (x - 3.0);
}
static double cdf_shexp(double x, const void *c) {
  (void)c;
  return x <= 3.0 ? 0.0 : -expm1(-2.0 * (x - 3.0));
}
/* 1 - x ~ Gamma(2, 1) on (-inf, 1) */
static double lp_upgam(double x, void *c) {
  (void)c;
  return log(1.0 - x) - (1.0 - x);
}
static double cdf_upgam(double x, const void *c) {
  (void)c;
  return gsl_cdf_gamma_Q(1.0 - x, 2.0, 1.0);
}

/* truncated normal moments (mean, E x^2) */
static void trunc_moments(double mu, double sd, double lo, double hi,
                          double *m, double *m2) {
  double a = (lo - mu) / sd, b = (hi - mu) / sd;
  double Z = gsl_cdf_ugaussian_P(b) - gsl_cdf_ugaussian_P(a);
  double pa = gsl_ran_ugaussian_pdf(a), pb = gsl_ran_ugaussian_pdf(b);
  double mean = mu + sd * (pa - pb) / Z;
  double var = sd * sd * (1.0 + (a * pa - b * pb) / Z - ((pa - pb) / Z) * ((pa - pb) / Z));
  *m = mean;
  *m2 = var + mean * mean;
}

static void run_target(target *t, uint64_t seed, double w0) {
  lvm_rng r;
  lvm_rng_seed(&r, seed, 0);
  lvm_slice s;
  assert_int_equal(lvm_slice_init(&s, t->dom, w0, 1), LVM_OK);
  double x = t->x0;
  for (int i = 0; i < NWARM; i++)
    assert_int_equal(lvm_slice_draw(&s, &r, t->logp, t, x, &x), LVM_OK);
  lvm_slice_end_adaptation(&s);
  double w = s.width;
  uint64_t ev0 = s.n_evals;
  double *xs = malloc(NCHAIN * sizeof *xs), *x2 = malloc(NCHAIN * sizeof *x2);
  for (int i = 0; i < NCHAIN; i++) {
    assert_int_equal(lvm_slice_draw(&s, &r, t->logp, t, x, &x), LVM_OK);
    xs[i] = x;
    x2[i] = x * x;
  }
  assert_true(s.width == w); /* fixed after warmup */
  printf("  %s: adapted width %.3g, %.2f log density evaluations per draw\n",
         t->name, w, (double)(s.n_evals - ev0) / NCHAIN);
  /* moments: batch-means MCSE */
  double m, m2;
  double se = batch_means_mcse(xs, NCHAIN, 100, &m);
  double se2 = batch_means_mcse(x2, NCHAIN, 100, &m2);
  printf("  %s: mean %.5f vs %.5f (%.2f MCSE), E[x^2] %.5f vs %.5f (%.2f "
         "MCSE)\n",
         t->name, m, t->mean, (m - t->mean) / se, m2, t->m2,
         (m2 - t->m2) / se2);
  assert_true(fabs(m - t->mean) < MCSE_Z * se);
  assert_true(fabs(m2 - t->m2) < MCSE_Z * se2);
  /* KS on the thinned chain */
  size_t nt = NCHAIN / THIN;
  double *th = malloc(nt * sizeof *th);
  for (size_t i = 0; i < nt; i++) th[i] = xs[i * THIN];
  double rho = lag1_autocorr(th, nt);
  printf("  %s: thinned lag-1 autocorrelation %.4f (limit %.4f)\n", t->name,
         rho, 4.0 / sqrt((double)nt));
  assert_true(fabs(rho) < 4.0 / sqrt((double)nt));
  for (size_t i = 0; i < NCHAIN; i++) {
    double u = lvm_slice_to_unconstrained(&t->dom, xs[i]);
    assert_false(isnan(u));
  }
  char what[80];
  snprintf(what, sizeof what, "slice %s (thinned)", t->name);
  assert_true(ks_test(what, th, nt, t->cdf, t) > LVM_TEST_ALPHA);
  free(th);
  free(xs);
  free(x2);
}

static void test_slice_normal(void **state) {
  (void)state;
  target t = {.name = "normal(2, 3) on R",
              .dom = {LVM_SLICE_REAL, 0, 0},
              .logp = lp_normal,
              .cdf = cdf_normal_t,
              .mean = 2.0,
              .m2 = 9.0 + 4.0,
              .x0 = 50.0,
              .p = {2.0, 3.0}};
  run_target(&t, 11, 1.0);
}

static void test_slice_gamma(void **state) {
  (void)state;
  target t = {.name = "gamma(2.5, 1.5) on pos",
              .dom = {LVM_SLICE_POS, 0, 0},
              .logp = lp_gamma,
              .cdf = cdf_gamma_t,
              .mean = 2.5 / 1.5,
              .m2 = 2.5 * 3.5 / (1.5 * 1.5),
              .x0 = 0.01,
              .p = {2.5, 1.5}};
  run_target(&t, 12, 1.0);
  /* small shape: the log scale copes with the pole at 0 */
  target u = {.name = "gamma(0.3, 1) on pos",
              .dom = {LVM_SLICE_POS, 0, 0},
              .logp = lp_gamma,
              .cdf = cdf_gamma_t,
              .mean = 0.3,
              .m2 = 0.3 * 1.3,
              .x0 = 1.0,
              .p = {0.3, 1.0}};
  run_target(&u, 13, 1.0);
}

static void test_slice_beta(void **state) {
  (void)state;
  target t = {.name = "beta(0.7, 2.3) on unit",
              .dom = {LVM_SLICE_UNIT, 0, 0},
              .logp = lp_beta,
              .cdf = cdf_beta_t,
              .mean = 0.7 / 3.0,
              .m2 = 0.7 * 1.7 / (3.0 * 4.0),
              .x0 = 0.5,
              .p = {0.7, 2.3}};
  run_target(&t, 14, 1.0);
}

static void test_slice_mixture(void **state) {
  (void)state;
  /* E x = 0.4(-1.5) + 0.6(1.5); E x^2 = 0.49 + 2.25 */
  target t = {.name = "bimodal mixture on R",
              .dom = {LVM_SLICE_REAL, 0, 0},
              .logp = lp_mix,
              .cdf = cdf_mix,
              .mean = 0.3,
              .m2 = 0.49 + 2.25,
              .x0 = -1.5};
  run_target(&t, 15, 1.0);
}

static void test_slice_bounded(void **state) {
  (void)state;
  target t = {.name = "normal(1.5, 1) on (-1, 2)",
              .dom = {LVM_SLICE_INTERVAL, -1.0, 2.0},
              .logp = lp_normal,
              .cdf = cdf_trunc,
              .x0 = 0.0,
              .p = {1.5, 1.0, -1.0, 2.0}};
  trunc_moments(1.5, 1.0, -1.0, 2.0, &t.mean, &t.m2);
  run_target(&t, 16, 1.0);
  /* 3 + Exp(2): mean 3.5, E x^2 = 1/4 + 3.5^2 */
  target u = {.name = "3 + exp(2) on (3, inf)",
              .dom = {LVM_SLICE_LOWER, 3.0, 0},
              .logp = lp_shexp,
              .cdf = cdf_shexp,
              .mean = 3.5,
              .m2 = 0.25 + 12.25,
              .x0 = 10.0};
  run_target(&u, 17, 1.0);
  /* 1 - Gamma(2, 1): mean -1, var 2 */
  target v = {.name = "1 - gamma(2, 1) on (-inf, 1)",
              .dom = {LVM_SLICE_UPPER, 0, 1.0},
              .logp = lp_upgam,
              .cdf = cdf_upgam,
              .mean = -1.0,
              .m2 = 2.0 + 1.0,
              .x0 = 0.0};
  run_target(&v, 18, 1.0);
}

/* Adaptation from tiny and huge initial widths settles at the slice scale
 * of N(0, 1) on R (typical slice width 2 sqrt(x^2 + 2E) ~ 3): asserted in
 * [1, 10]; the chain is correct either way (checked via moments). */
static void test_slice_adaptation(void **state) {
  (void)state;
  target t = {.dom = {LVM_SLICE_REAL, 0, 0}, .logp = lp_normal, .p = {0, 1}};
  const double w0[] = {1e-6, 1e6};
  for (int k = 0; k < 2; k++) {
    lvm_rng r;
    lvm_rng_seed(&r, 21, (uint64_t)k);
    lvm_slice s;
    assert_int_equal(lvm_slice_init(&s, t.dom, w0[k], 1), LVM_OK);
    double x = 0.0;
    for (int i = 0; i < 500; i++)
      assert_int_equal(lvm_slice_draw(&s, &r, lp_normal, &t, x, &x), LVM_OK);
    printf("  adaptation from w0 = %g: width %.3f after 500 draws\n", w0[k],
           s.width);
    assert_true(s.width > 1.0 && s.width < 10.0);
  }
}

static void test_transforms(void **state) {
  (void)state;
  const lvm_slice_domain doms[] = {{LVM_SLICE_REAL, 0, 0},
                                   {LVM_SLICE_POS, 0, 0},
                                   {LVM_SLICE_UNIT, 0, 0},
                                   {LVM_SLICE_LOWER, -2.0, 0},
                                   {LVM_SLICE_UPPER, 0, 5.0},
                                   {LVM_SLICE_INTERVAL, -3.0, 7.0}};
  const double us[] = {-30.0, -3.0, -0.1, 0.0, 0.2, 4.0, 30.0};
  for (size_t d = 0; d < 6; d++)
    for (size_t i = 0; i < 7; i++) {
      double lj, lj2, h = 1e-6;
      double x = lvm_slice_from_unconstrained(&doms[d], us[i], &lj);
      assert_false(isnan(x));
      double u = lvm_slice_to_unconstrained(&doms[d], x);
      /* x carries only ulp(x) of information: the round trip is exact up
       * to ulp(x) / |dx/du| (large near a nonzero bound) */
      double tol = 1e-12 * fmax(1.0, fabs(us[i])) +
                   4.0 * (nextafter(fabs(x), INFINITY) - fabs(x)) / exp(lj);
      if (!(fabs(u - us[i]) <= tol))
        printf("  domain %zu u=%g: round trip %.17g (tol %.3g)\n", d, us[i], u,
               tol);
      assert_true(fabs(u - us[i]) <= tol);
      /* log Jacobian vs a central difference of x(u) (relative) */
      double xp = lvm_slice_from_unconstrained(&doms[d], us[i] + h, &lj2);
      double xm = lvm_slice_from_unconstrained(&doms[d], us[i] - h, &lj2);
      double dx = (xp - xm) / (2 * h);
      if (fabs(us[i]) < 20) assert_true(fabs(log(fabs(dx)) - lj) < 1e-6);
    }
  const lvm_slice_domain unit = {LVM_SLICE_UNIT, 0, 0};
  double lj;
  assert_true(isnan(lvm_slice_to_unconstrained(&unit, 1.0)));
  assert_true(isnan(lvm_slice_to_unconstrained(&unit, 0.0)));
  assert_true(isnan(lvm_slice_from_unconstrained(&unit, 40.0, &lj))); /* rounds to 1 */
  const lvm_slice_domain pos = {LVM_SLICE_POS, 0, 0};
  assert_true(isnan(lvm_slice_to_unconstrained(&pos, -1.0)));
  assert_true(isnan(lvm_slice_from_unconstrained(&pos, 800.0, &lj)));
}

/* ---- Errors --------------------------------------------------------------------- */

static double lp_nan(double x, void *c) {
  (void)x, (void)c;
  return NAN;
}
static double lp_pinf(double x, void *c) {
  (void)x, (void)c;
  return INFINITY;
}
static double lp_ninf_or_normal(double x, void *c) {
  (void)c;
  return x > 1.0 ? -INFINITY : -0.5 * x * x;
}
/* positive only at exactly x = 0.25 (NaN elsewhere) */
static double lp_point(double x, void *c) {
  (void)c;
  return x == 0.25 ? 0.0 : NAN;
}
static double lp_flat(double x, void *c) {
  (void)x, (void)c;
  return 0.0;
}
/* NaN away from [-1, 1]: trial points there are rejections */
static double lp_nan_tails(double x, void *c) {
  (void)c;
  return fabs(x) > 1.0 ? NAN : 0.0;
}

static void test_errors(void **state) {
  (void)state;
  lvm_error_handler old = lvm_set_error_handler(capture_handler);
  lvm_rng r;
  lvm_rng_seed(&r, 31, 0);
  lvm_slice s;
  const lvm_slice_domain real = {LVM_SLICE_REAL, 0, 0};
  const lvm_slice_domain pos = {LVM_SLICE_POS, 0, 0};
  double x = 123.0;
  assert_int_equal(lvm_slice_init(&s, real, 1.0, 0), LVM_OK);

  capture_reset();
  assert_int_equal(lvm_slice_draw(&s, &r, lp_nan, NULL, 0.0, &x), LVM_ENUMERIC);
  assert_non_null(strstr(err_reason, "NaN at the current point"));
  assert_true(x == 123.0);
  capture_reset();
  assert_int_equal(lvm_slice_draw(&s, &r, lp_pinf, NULL, 0.0, &x), LVM_ENUMERIC);
  assert_non_null(strstr(err_reason, "+inf"));
  capture_reset();
  assert_int_equal(
      lvm_slice_draw(&s, &r, lp_ninf_or_normal, NULL, 2.0, &x), LVM_EDOM);
  assert_non_null(strstr(err_reason, "-inf at the current point"));
  capture_reset();
  assert_int_equal(lvm_slice_init(&s, pos, 1.0, 0), LVM_OK);
  assert_int_equal(lvm_slice_draw(&s, &r, lp_flat, NULL, -1.0, &x), LVM_EDOM);
  assert_non_null(strstr(err_reason, "outside the domain"));
  assert_true(x == 123.0);

  /* shrinkage cap: the slice is a single point; with a small cap the
   * sampler reports instead of looping */
  assert_int_equal(lvm_slice_init(&s, real, 1.0, 0), LVM_OK);
  s.max_shrink = 20;
  capture_reset();
  assert_int_equal(lvm_slice_draw(&s, &r, lp_point, NULL, 0.25, &x),
                   LVM_ENUMERIC);
  assert_non_null(strstr(err_reason, "max_shrink"));
  assert_true(x == 123.0);
  assert_true(s.n_evals <= 1 + (uint64_t)s.max_step_out + 20);

  /* bad init */
  capture_reset();
  assert_int_equal(lvm_slice_init(&s, real, 0.0, 0), LVM_EINVAL);
  assert_int_equal(lvm_slice_init(&s, real, NAN, 0), LVM_EINVAL);
  assert_int_equal(
      lvm_slice_init(&s, (lvm_slice_domain){LVM_SLICE_INTERVAL, 1.0, 1.0}, 1.0, 0),
      LVM_EINVAL);
  assert_int_equal(
      lvm_slice_init(&s, (lvm_slice_domain){LVM_SLICE_LOWER, -INFINITY, 0}, 1.0, 0),
      LVM_EINVAL);
  assert_int_equal(err_count, 4);
  lvm_set_error_handler(old);

  /* the step-out limit is not an error: an improper flat density on R
   * still gives draws, with a bounded number of evaluations */
  assert_int_equal(lvm_slice_init(&s, real, 1.0, 0), LVM_OK);
  x = 0.0;
  for (int i = 0; i < 100; i++) {
    uint64_t e0 = s.n_evals;
    assert_int_equal(lvm_slice_draw(&s, &r, lp_flat, NULL, x, &x), LVM_OK);
    assert_true(s.n_evals - e0 <= (uint64_t)(1 + s.max_step_out + 1));
    assert_true(isfinite(x));
  }
  /* NaN at trial points = rejection: uniform on [-1, 1] */
  assert_int_equal(lvm_slice_init(&s, real, 5.0, 0), LVM_OK);
  x = 0.0;
  enum { NU = 20000 };
  double *x2 = malloc(NU * sizeof *x2);
  for (int i = 0; i < NU; i++) {
    assert_int_equal(lvm_slice_draw(&s, &r, lp_nan_tails, NULL, x, &x), LVM_OK);
    assert_true(fabs(x) <= 1.0);
    x2[i] = x * x;
  }
  double m, se = batch_means_mcse(x2, NU, 100, &m); /* E x^2 = 1/3 */
  printf("  uniform via NaN tails: E[x^2] %.4f vs 0.3333 (%.2f MCSE)\n", m,
         (m - 1.0 / 3.0) / se);
  assert_true(fabs(m - 1.0 / 3.0) < MCSE_Z * se);
  free(x2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_slice_normal),
      cmocka_unit_test(test_slice_gamma),
      cmocka_unit_test(test_slice_beta),
      cmocka_unit_test(test_slice_mixture),
      cmocka_unit_test(test_slice_bounded),
      cmocka_unit_test(test_slice_adaptation),
      cmocka_unit_test(test_transforms),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
