/* Log densities and mass functions: agreement with GSL's pdfs (or a closed
 * form built from GSL special functions) at many points, normalisation by
 * numerical integration / summation, and the support / domain
 * conventions (-inf outside the support, NaN for invalid parameters).
 *
 * Tolerances: 1e-12 relative on the log density (absolute 1e-12 where it
 * crosses 0): both sides are computed from lgamma/log/exp in double
 * precision, each good to ~1e-15, so a real error (a missing constant, a
 * swapped parameter) is many orders above this.  Integrals: GSL's adaptive
 * quadrature with a requested 1e-10 relative error; we require
 * |integral - 1| < 1e-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_bessel.h>
#include <gsl/gsl_sf_gamma.h>

#include "lvm/dist.h"

static void check_close(const char *what, double x, double got, double want) {
  if (isinf(want) && got == want) return;
  if (!(fabs(got - want) <= 1e-12 * fmax(1.0, fabs(want))))
    fail_msg("%s at x=%.17g: got %.17g want %.17g", what, x, got, want);
}

/* ---- pointwise against GSL ----------------------------------------------- */

static void continuous_pointwise(void **state) {
  (void)state;
  for (double x = -30; x <= 30; x += 0.173) {
    check_close("normal", x, lvm_normal_lpdf(x, 1.5, 2.5),
                log(gsl_ran_gaussian_pdf(x - 1.5, 2.5)));
    check_close("normal_prec", x, lvm_normal_prec_lpdf(x, -1, 0.25),
                log(gsl_ran_gaussian_pdf(x + 1, 2.0)));
    check_close("uniform", x, lvm_uniform_lpdf(x, -3, 7),
                x < -3 || x > 7 ? -INFINITY : log(gsl_ran_flat_pdf(x, -3, 7)));
    check_close("von_mises", x, lvm_von_mises_lpdf(x, 0.7, 3.3),
                3.3 * cos(x - 0.7) - log(2 * M_PI * gsl_sf_bessel_I0(3.3)));
    check_close("von_mises k=500", x, lvm_von_mises_lpdf(x, 0.7, 500),
                500 * (cos(x - 0.7) - 1) -
                    log(2 * M_PI * gsl_sf_bessel_I0_scaled(500)));
    double lz = log(gsl_cdf_ugaussian_P(2.0) - gsl_cdf_ugaussian_P(-0.5));
    double z = (x - 1) / 2;
    check_close("truncnormal", x, lvm_truncnormal_lpdf(x, 1, 2, 0, 5),
                x < 0 || x > 5 ? -INFINITY
                               : log(gsl_ran_ugaussian_pdf(z)) - log(2.0) - lz);
  }
  for (double lx = -20; lx <= 6; lx += 0.137) {
    double x = exp(lx);
    check_close("lognormal", x, lvm_lognormal_lpdf(x, 0.4, 1.3),
                log(gsl_ran_lognormal_pdf(x, 0.4, 1.3)));
    check_close("exponential", x, lvm_exponential_lpdf(x, 2.5),
                log(gsl_ran_exponential_pdf(x, 1 / 2.5)));
    static const double ga[][2] = {{0.1, 1}, {0.5, 2}, {1, 3}, {7.5, 1.5}, {1e4, 1e4}};
    for (int k = 0; k < 5; k++) {
      double want = log(gsl_ran_gamma_pdf(x, ga[k][0], 1 / ga[k][1]));
      if (want > -700) /* GSL's pdf underflows below */
        check_close("gamma", x, lvm_gamma_lpdf(x, ga[k][0], ga[k][1]), want);
    }
    /* inv_gamma(a, s) at x = gamma(a, rate s) density at 1/x times 1/x^2 */
    double want = log(gsl_ran_gamma_pdf(1 / x, 2.5, 1 / 0.7)) - 2 * log(x);
    if (want > -700)
      check_close("inv_gamma", x, lvm_inv_gamma_lpdf(x, 2.5, 0.7), want);
  }
  for (double x = 1e-6; x < 1; x += 0.00731) {
    static const double ab[][2] = {{0.5, 0.5}, {2, 5}, {0.01, 3}, {300, 700}, {1, 1}};
    for (int k = 0; k < 5; k++) {
      double want = log(gsl_ran_beta_pdf(x, ab[k][0], ab[k][1]));
      if (want > -700)
        check_close("beta", x, lvm_beta_lpdf(x, ab[k][0], ab[k][1]), want);
    }
  }
  /* far tail of the truncated normal: against the asymptotic closed form
   * log Q(50) = -1250 - log(50 sqrt(2 pi)) + log(1 - 1/50^2 + 3/50^4 - ...) */
  double lq50 = -1250 - log(50 * sqrt(2 * M_PI)) +
                log1p(-1.0 / 2500 + 3.0 / 6.25e6 - 15.0 / 1.5625e10 + 105.0 / 3.90625e13);
  for (double x = 50; x < 52; x += 0.1)
    check_close("truncnormal far tail", x,
                lvm_truncnormal_lpdf(x, 0, 1, 50, INFINITY),
                -0.5 * x * x - 0.5 * log(2 * M_PI) - lq50);
}

static void discrete_pointwise(void **state) {
  (void)state;
  for (int k = 0; k <= 1; k++) {
    check_close("bernoulli", k, lvm_bernoulli_lpmf(k, 0.3),
                log(gsl_ran_bernoulli_pdf(k, 0.3)));
    check_close("bernoulli_logit", k, lvm_bernoulli_logit_lpmf(k, -0.8),
                log(gsl_ran_bernoulli_pdf(k, 1 / (1 + exp(0.8)))));
  }
  for (int k = 0; k <= 60; k++) {
    check_close("binomial", k, lvm_binomial_lpmf(k, 60, 0.3),
                log(gsl_ran_binomial_pdf(k, 0.3, 60)));
    check_close("binomial_logit", k, lvm_binomial_logit_lpmf(k, 60, 1.1),
                log(gsl_ran_binomial_pdf(k, 1 / (1 + exp(-1.1)), 60)));
    check_close("poisson", k, lvm_poisson_lpmf(k, 7.5),
                log(gsl_ran_poisson_pdf(k, 7.5)));
    check_close("poisson_log", k, lvm_poisson_log_lpmf(k, log(7.5)),
                log(gsl_ran_poisson_pdf(k, 7.5)));
  }
  /* Large means: GSL evaluates k log(lambda) - lambda - lgamma(k + 1)
   * whose rounding error is ~eps (k |log lambda| + lambda) ~ 1e-9 at
   * lambda = 1e6, so allow 4 eps times that against GSL, and check our
   * own accuracy against mpmath values (60 digits) below. */
  for (int64_t k = 999000; k <= 1001000; k += 97) {
    double want = log(gsl_ran_poisson_pdf((unsigned)k, 1e6));
    double tol = 4 * 2.2e-16 * (k * log(1e6) + 1e6 + lgamma(k + 1.0));
    double got = lvm_poisson_lpmf(k, 1e6);
    if (!(fabs(got - want) <= tol))
      fail_msg("poisson 1e6 at %ld: %.17g vs GSL %.17g", (long)k, got, want);
  }
  static const double PO[][3] = {
    {999194, 1e6, -8.1511960360463043}, {1000000, 1e6, -7.8266938955201431},
    {1003000, 1e6, -12.323698387635039}, {0, 1e6, -1000000},
    {3, 0.01, -15.61727002719233},       {1, 1e-300, -690.77552789821368},
    {50, 50.5, -2.8791001377073249},
  };
  for (size_t i = 0; i < sizeof PO / sizeof PO[0]; i++)
    check_close("poisson (mpmath)", PO[i][0],
                lvm_poisson_lpmf((int64_t)PO[i][0], PO[i][1]), PO[i][2]);
  static const double BI[][4] = {
    {20000, 1e6, 0.02, -5.8605851241813234}, {19000, 1e6, 0.02, -31.772885908004781},
    {5, 1e9, 3e-09, -2.2944302989414975},    {500, 1000, 0.5, -3.6799189920941293},
    {1, 10, 1e-10, -20.723265837846412},
  };
  for (size_t i = 0; i < sizeof BI / sizeof BI[0]; i++)
    check_close("binomial (mpmath)", BI[i][0],
                lvm_binomial_lpmf((int64_t)BI[i][0], (int64_t)BI[i][1], BI[i][2]),
                BI[i][3]);
  /* logit form: p = 1 - 1e-20 exactly representable only via alpha */
  check_close("binomial_logit p~1", 3,
              lvm_binomial_logit_lpmf(3, 3, 46.0), 3 * -log1p(exp(-46.0)));
  check_close("binomial_logit p~1", 2, lvm_binomial_logit_lpmf(2, 3, 46.0),
              log(3.0) - 46.0 - 3 * log1p(exp(-46.0)));
  double p[4] = {0.1, 0.2, 0.3, 0.4}, w[4] = {1, 2, 3, 4}, lw[4];
  for (int k = 0; k < 4; k++) lw[k] = log(w[k]) + 700;
  for (int k = 0; k < 4; k++) {
    check_close("categorical", k, lvm_categorical_lpmf(k, 4, w), log(p[k]));
    check_close("categorical_logit", k, lvm_categorical_logit_lpmf(k, 4, lw), log(p[k]));
  }
  /* the dominant class keeps full relative accuracy: log(1/(1 + e^-50)) */
  double dom[2] = {0.0, -50.0};
  assert_true(fabs(lvm_categorical_logit_lpmf(0, 2, dom) / -log1p(exp(-50.0)) - 1) < 1e-15);
  int64_t n[4] = {3, 0, 5, 2};
  unsigned nu[4] = {3, 0, 5, 2};
  check_close("multinomial", 0, lvm_multinomial_lpmf(n, 4, w),
              gsl_ran_multinomial_lnpdf(4, p, nu));
  double alpha[4] = {0.5, 1.0, 2.5, 7.0}, th[4] = {0.05, 0.15, 0.3, 0.5};
  check_close("dirichlet", 0, lvm_dirichlet_lpdf(th, 4, alpha),
              gsl_ran_dirichlet_lnpdf(4, alpha, th));
}

/* ---- normalisation ---------------------------------------------------------- */

typedef struct { int which; double a, b, c, d; } dpar;

static double dens(double x, void *v) {
  const dpar *p = v;
  switch (p->which) {
  case 0: return exp(lvm_normal_lpdf(x, p->a, p->b));
  case 1: return exp(lvm_lognormal_lpdf(x, p->a, p->b));
  case 2: return exp(lvm_gamma_lpdf(x, p->a, p->b));
  case 3: return exp(lvm_inv_gamma_lpdf(x, p->a, p->b));
  case 4: return exp(lvm_beta_lpdf(x, p->a, p->b));
  case 5: return exp(lvm_von_mises_lpdf(x, p->a, p->b));
  case 6: return exp(lvm_truncnormal_lpdf(x, p->a, p->b, p->c, p->d));
  case 7: return exp(lvm_exponential_lpdf(x, p->a));
  case 8: return exp(lvm_normal_prec_lpdf(x, p->a, p->b));
  case 9: return exp(lvm_uniform_lpdf(x, p->a, p->b));
  }
  return NAN;
}

static void integrates_to_one(void **state) {
  (void)state;
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
  struct { const char *name; dpar p; double lo, hi; } cases[] = {
    {"normal", {0, 1.5, 2.5, 0, 0}, -INFINITY, INFINITY},
    {"normal_prec", {8, -1, 0.3, 0, 0}, -INFINITY, INFINITY},
    {"lognormal", {1, 0.4, 1.3, 0, 0}, 0, INFINITY},
    {"gamma 0.5", {2, 0.5, 2, 0, 0}, 0, INFINITY},
    {"gamma 7.5", {2, 7.5, 1.5, 0, 0}, 0, INFINITY},
    {"inv_gamma", {3, 2.5, 0.7, 0, 0}, 0, INFINITY},
    {"beta 0.5", {4, 0.5, 0.5, 0, 0}, 0, 1},
    {"beta 2 5", {4, 2, 5, 0, 0}, 0, 1},
    {"von_mises 3", {5, 0.7, 3, 0, 0}, 0.7 - M_PI, 0.7 + M_PI},
    {"von_mises 1e3", {5, 0.7, 1e3, 0, 0}, 0.7 - M_PI, 0.7 + M_PI},
    {"truncnormal", {6, 1, 2, 0, 5}, 0, 5},
    {"truncnormal tail", {6, 0, 1, 30, INFINITY}, 30, INFINITY},
    {"truncnormal left", {6, 0, 1, -INFINITY, -3}, -INFINITY, -3},
    {"exponential", {7, 2.5, 0, 0, 0}, 0, INFINITY},
    {"uniform", {9, -3, 7, 0, 0}, -3, 7},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    gsl_function f = {dens, &cases[i].p};
    double res = 0, err = 0, lo = cases[i].lo, hi = cases[i].hi;
    if (isinf(lo) && isinf(hi))
      gsl_integration_qagi(&f, 0, 1e-10, 1000, w, &res, &err);
    else if (isinf(hi))
      gsl_integration_qagiu(&f, lo, 0, 1e-10, 1000, w, &res, &err);
    else if (isinf(lo))
      gsl_integration_qagil(&f, hi, 0, 1e-10, 1000, w, &res, &err);
    else
      gsl_integration_qags(&f, lo, hi, 0, 1e-10, 1000, w, &res, &err);
    printf("  integral %-18s = 1 %+.2e\n", cases[i].name, res - 1);
    if (!(fabs(res - 1) < 1e-8)) fail_msg("%s integrates to %.15g", cases[i].name, res);
  }
  gsl_integration_workspace_free(w);
}

static void sums_to_one(void **state) {
  (void)state;
  double s = 0;
  for (int64_t k = 0; k <= 200; k++) s += exp(lvm_binomial_lpmf(k, 200, 0.37));
  assert_true(fabs(s - 1) < 1e-12);
  s = 0;
  for (int64_t k = 0; k <= 5000; k++) s += exp(lvm_poisson_lpmf(k, 1234.5));
  assert_true(fabs(s - 1) < 1e-12);
  s = 0;
  for (int64_t k = 0; k <= 60; k++) s += exp(lvm_poisson_log_lpmf(k, 0.3));
  assert_true(fabs(s - 1) < 1e-12);
  s = 0;
  for (int64_t k = 0; k <= 40; k++) s += exp(lvm_binomial_logit_lpmf(k, 40, -2.2));
  assert_true(fabs(s - 1) < 1e-12);
  /* multinomial over all compositions of N = 6 into 3 parts */
  double p[3] = {2, 3, 5};
  s = 0;
  for (int64_t a = 0; a <= 6; a++)
    for (int64_t b = 0; a + b <= 6; b++) {
      int64_t n[3] = {a, b, 6 - a - b};
      s += exp(lvm_multinomial_lpmf(n, 3, p));
    }
  assert_true(fabs(s - 1) < 1e-12);
}

static void support_and_domain(void **state) {
  (void)state;
  assert_true(lvm_gamma_lpdf(-1, 2, 1) == -INFINITY);
  assert_true(lvm_gamma_lpdf(0, 0.5, 1) == INFINITY);
  assert_true(lvm_gamma_lpdf(0, 1, 3) == log(3.0));
  assert_true(isnan(lvm_gamma_lpdf(1, -2, 1)));
  assert_true(isnan(lvm_normal_lpdf(0, 0, 0)));
  assert_true(isnan(lvm_normal_lpdf(0, 0, -1)));
  assert_true(lvm_beta_lpdf(1.5, 2, 2) == -INFINITY);
  assert_true(fabs(lvm_beta_lpdf(0, 1, 3) - log(3.0)) < 1e-15);
  assert_true(lvm_beta_lpdf(0, 0.5, 3) == INFINITY);
  assert_true(isnan(lvm_beta_lpdf(0.5, 0, 3)));
  assert_true(lvm_poisson_lpmf(-1, 3) == -INFINITY);
  assert_true(lvm_poisson_lpmf(0, 0) == 0);
  assert_true(lvm_poisson_lpmf(2, 0) == -INFINITY);
  assert_true(lvm_binomial_lpmf(11, 10, 0.5) == -INFINITY);
  assert_true(lvm_binomial_lpmf(10, 10, 1.0) == 0);
  assert_true(isnan(lvm_binomial_lpmf(1, 10, 1.5)));
  assert_true(lvm_bernoulli_lpmf(2, 0.5) == -INFINITY);
  assert_true(lvm_categorical_lpmf(4, 4, (double[]){1, 1, 1, 1}) == -INFINITY);
  assert_true(lvm_truncnormal_lpdf(-0.1, 0, 1, 0, 1) == -INFINITY);
  assert_true(isnan(lvm_truncnormal_lpdf(0.5, 0, 1, 1, 0)));
  double th[2] = {0.3, 0.6}, al[2] = {1, 1};
  assert_true(lvm_dirichlet_lpdf(th, 2, al) == -INFINITY); /* not a simplex */
  /* invalid parameters: draws return NaN / -1 */
  lvm_rng r;
  lvm_rng_seed(&r, 1, 0);
  assert_true(isnan(lvm_gamma_draw(&r, -1, 1)));
  assert_true(isnan(lvm_normal_draw(&r, 0, -1)));
  assert_true(isnan(lvm_beta_draw(&r, 0, 1)));
  assert_int_equal(lvm_poisson_draw(&r, -1), -1);
  assert_int_equal(lvm_binomial_draw(&r, 10, 1.5), -1);
}

int main(void) {
  gsl_set_error_handler_off();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(continuous_pointwise),
    cmocka_unit_test(discrete_pointwise),
    cmocka_unit_test(integrates_to_one),
    cmocka_unit_test(sums_to_one),
    cmocka_unit_test(support_and_domain),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
