/* Univariate random variates: goodness of fit against GSL's cdfs (KS for
 * continuous, Pearson chi-square for discrete), n = 1e5 draws per regime
 * (1e6 for the standard normal), fixed seeds, threshold p > 1e-4 (see
 * stat_util.h for the rationale). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_bessel.h>
#include <gsl/gsl_sf_erf.h>
#include <gsl/gsl_sf_gamma.h>

#include "lvm/dist.h"
#include "lvm/rng.h"
#include "stat_util.h"

enum { N = 100000 };
static double xs[1000000];

#define CHECK_P(p) assert_true((p) > LVM_TEST_ALPHA)

/* ---- cdfs (GSL parameterisations translated from Stan's) ---------------- */

typedef struct { double a, b, c, d; } par4;

static double cdf_normal(double x, const void *v) {
  const par4 *p = v;
  return gsl_cdf_gaussian_P(x - p->a, p->b);
}
static double cdf_lognormal(double x, const void *v) {
  const par4 *p = v;
  return gsl_cdf_lognormal_P(x, p->a, p->b);
}
static double cdf_exponential(double x, const void *v) { /* rate */
  const par4 *p = v;
  return gsl_cdf_exponential_P(x, 1.0 / p->a);
}
static double cdf_gamma(double x, const void *v) { /* shape, rate */
  const par4 *p = v;
  return gsl_cdf_gamma_P(x, p->a, 1.0 / p->b);
}
static double cdf_inv_gamma(double x, const void *v) { /* shape, scale */
  const par4 *p = v;
  return x <= 0 ? 0.0 : gsl_cdf_gamma_Q(1.0 / x, p->a, 1.0 / p->b);
}
static double cdf_beta(double x, const void *v) {
  const par4 *p = v;
  return gsl_cdf_beta_P(x, p->a, p->b);
}
static double cdf_uniform(double x, const void *v) {
  const par4 *p = v;
  return gsl_cdf_flat_P(x, p->a, p->b);
}
/* cdf of log X for X ~ Gamma(a, 1): below x = 1e-300 the regularised
 * incomplete gamma is x^a / Gamma(a + 1) to double precision. */
static double cdf_log_gamma(double l, const void *v) {
  const par4 *p = v;
  if (l < -690.0) return exp(p->a * l - gsl_sf_lngamma(p->a + 1.0));
  return gsl_cdf_gamma_P(exp(l), p->a, 1.0);
}

/* log Q(t) = log P(Z > t), via GSL's log erfc (accurate in the far tail) */
static double log_q(double t) {
  if (t == INFINITY) return -INFINITY;
  if (t == -INFINITY) return 0.0;
  if (t < 0) return log1p(-gsl_cdf_ugaussian_P(t));
  return log(0.5) + gsl_sf_log_erfc(t / M_SQRT2);
}
/* truncated normal cdf; a, b standardised bounds in c, d */
static double cdf_truncnormal(double x, const void *v) {
  const par4 *p = v;
  double lo = (p->c - p->a) / p->b, hi = (p->d - p->a) / p->b;
  double z = (x - p->a) / p->b;
  if (z <= lo) return 0.0;
  if (z >= hi) return 1.0;
  if (lo >= 0) { /* (Q(lo) - Q(z)) / (Q(lo) - Q(hi)) in logs */
    double ql = log_q(lo);
    return -expm1(log_q(z) - ql) / -expm1(log_q(hi) - ql);
  }
  if (hi <= 0) { /* (Phi(z) - Phi(lo)) / (Phi(hi) - Phi(lo)), Phi(t) = Q(-t) */
    double ph = log_q(-hi);
    return exp(log_q(-z) - ph) * -expm1(log_q(-lo) - log_q(-z)) /
           -expm1(log_q(-lo) - ph);
  }
  double plo = gsl_cdf_ugaussian_P(lo), phi = gsl_cdf_ugaussian_P(hi);
  return (gsl_cdf_ugaussian_P(z) - plo) / (phi - plo);
}

/* ---- continuous ----------------------------------------------------------- */

static void normal_family(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 1001, 0);
  /* standard normal, 1e6 draws: KS, and a chi-square on bins that resolve
   * the ziggurat's strips and its tail beyond R = 3.4426 */
  size_t n = 1000000;
  for (size_t i = 0; i < n; i++) xs[i] = lvm_std_normal_draw(&r);
  par4 p01 = {0, 1, 0, 0};
  CHECK_P(ks_test("std_normal", xs, n, cdf_normal, &p01));
  {
    static const double edges[] = {-INFINITY, -4.5, -4, -3.7, -3.442619855899,
                                   -3, -2.5, -2, -1.5, -1, -0.5, -0.2, 0, 0.2,
                                   0.5, 1, 1.5, 2, 2.5, 3, 3.442619855899, 3.7,
                                   4, 4.5, INFINITY};
    enum { NE = sizeof edges / sizeof edges[0] };
    double obs[NE - 1] = {0}, prob[NE - 1];
    size_t j = 0;
    for (size_t i = 0; i < n; i++) { /* xs is sorted by ks_test */
      while (xs[i] > edges[j + 1]) j++;
      obs[j]++;
    }
    for (size_t b = 0; b + 1 < NE; b++)
      prob[b] = gsl_cdf_ugaussian_P(edges[b + 1]) - gsl_cdf_ugaussian_P(edges[b]);
    CHECK_P(chisq_test("std_normal bins incl. tail", obs, prob, NE - 1, (double)n));
  }
  par4 p = {3.0, 0.5, 0, 0};
  for (size_t i = 0; i < N; i++) xs[i] = lvm_normal_draw(&r, 3.0, 0.5);
  CHECK_P(ks_test("normal(3, 0.5)", xs, N, cdf_normal, &p));
  par4 pp = {-1.0, 1.0 / sqrt(4.0), 0, 0}; /* precision 4 = sd 0.5 */
  for (size_t i = 0; i < N; i++) xs[i] = lvm_normal_prec_draw(&r, -1.0, 4.0);
  CHECK_P(ks_test("normal_prec(-1, tau=4)", xs, N, cdf_normal, &pp));
  par4 pl = {0.3, 1.7, 0, 0};
  for (size_t i = 0; i < N; i++) xs[i] = lvm_lognormal_draw(&r, 0.3, 1.7);
  CHECK_P(ks_test("lognormal(0.3, 1.7)", xs, N, cdf_lognormal, &pl));
  par4 pu = {-2, 5, 0, 0};
  for (size_t i = 0; i < N; i++) xs[i] = lvm_uniform_draw(&r, -2, 5);
  CHECK_P(ks_test("uniform(-2, 5)", xs, N, cdf_uniform, &pu));
  par4 pe = {2.5, 0, 0, 0};
  for (size_t i = 0; i < N; i++) xs[i] = lvm_exponential_draw(&r, 2.5);
  CHECK_P(ks_test("exponential(rate 2.5)", xs, N, cdf_exponential, &pe));
}

static void gamma_family(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 1002, 0);
  static const double shapes[] = {0.1, 0.5, 1.0, 7.5, 1e4};
  static const double rates[] = {1.0, 2.0, 0.3, 1.5, 10.0};
  char label[64];
  for (int k = 0; k < 5; k++) {
    par4 p = {shapes[k], rates[k], 0, 0};
    for (size_t i = 0; i < N; i++) xs[i] = lvm_gamma_draw(&r, shapes[k], rates[k]);
    snprintf(label, sizeof label, "gamma(shape %g, rate %g)", shapes[k], rates[k]);
    CHECK_P(ks_test(label, xs, N, cdf_gamma, &p));
  }
  /* log-gamma draws for shapes where the variate itself underflows */
  static const double tiny[] = {0.001, 0.05, 3.0};
  for (int k = 0; k < 3; k++) {
    par4 p = {tiny[k], 1, 0, 0};
    for (size_t i = 0; i < N; i++) {
      xs[i] = lvm_gamma_log_draw(&r, tiny[k], 1.0);
      assert_true(isfinite(xs[i]));
    }
    snprintf(label, sizeof label, "log gamma(shape %g)", tiny[k]);
    CHECK_P(ks_test(label, xs, N, cdf_log_gamma, &p));
  }
  static const double ig[][2] = {{0.7, 2.0}, {3.0, 0.5}, {50.0, 10.0}};
  for (int k = 0; k < 3; k++) {
    par4 p = {ig[k][0], ig[k][1], 0, 0};
    for (size_t i = 0; i < N; i++) xs[i] = lvm_inv_gamma_draw(&r, ig[k][0], ig[k][1]);
    snprintf(label, sizeof label, "inv_gamma(shape %g, scale %g)", ig[k][0], ig[k][1]);
    CHECK_P(ks_test(label, xs, N, cdf_inv_gamma, &p));
  }
}

static void beta_family(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 1003, 0);
  static const double ab[][2] = {{0.5, 0.5}, {2, 5}, {0.3, 4},
                                 {1, 1},     {300, 700}, {0.8, 1.5}};
  char label[64];
  for (int k = 0; k < 6; k++) {
    par4 p = {ab[k][0], ab[k][1], 0, 0};
    for (size_t i = 0; i < N; i++) xs[i] = lvm_beta_draw(&r, ab[k][0], ab[k][1]);
    snprintf(label, sizeof label, "beta(%g, %g)", ab[k][0], ab[k][1]);
    CHECK_P(ks_test(label, xs, N, cdf_beta, &p));
  }
  /* tiny parameters: a third of the mass of Beta(0.01, 0.02) lies within
   * 1e-16 of 1 and rounds to 1.0, so KS on the raw doubles is not
   * meaningful; test the binned distribution on a log-spaced grid that
   * reaches 1e-300 and 1 - 1e-14 instead. */
  static const double edges[] = {0, 1e-300, 1e-200, 1e-100, 1e-50, 1e-20, 1e-10,
                                 1e-5, 0.01, 0.1, 0.5, 0.9, 0.99, 1 - 1e-5,
                                 1 - 1e-10, 1 - 1e-14, 1.0000001};
  enum { NE = sizeof edges / sizeof edges[0] };
  static const double tab[][2] = {{0.01, 0.02}, {0.002, 0.5}};
  for (int k = 0; k < 2; k++) {
    double a = tab[k][0], b = tab[k][1], obs[NE - 1] = {0}, prob[NE - 1];
    for (size_t i = 0; i < N; i++) {
      double x = lvm_beta_draw(&r, a, b);
      assert_true(x >= 0.0 && x <= 1.0);
      size_t j = 0;
      while (!(x < edges[j + 1])) j++;
      obs[j]++;
    }
    for (size_t j = 0; j + 1 < NE; j++) {
      double hi = edges[j + 1] >= 1 ? 1.0 : gsl_cdf_beta_P(edges[j + 1], a, b);
      double lo = edges[j] == 0 ? 0.0 : gsl_cdf_beta_P(edges[j], a, b);
      if (edges[j] >= 0.5) /* upper tail from Q for accuracy */
        lo = 1 - gsl_cdf_beta_Q(edges[j], a, b),
        hi = edges[j + 1] >= 1 ? 1.0 : 1 - gsl_cdf_beta_Q(edges[j + 1], a, b);
      prob[j] = hi - lo;
    }
    snprintf(label, sizeof label, "beta(%g, %g) log-binned", a, b);
    CHECK_P(chisq_test(label, obs, prob, NE - 1, N));
  }
}

/* von Mises: no cdf in GSL; integrate the closed-form density
 * exp(kappa (cos(t - mu) - 1)) / (2 pi I0_scaled(kappa)) between
 * consecutive sorted samples with GSL's adaptive quadrature. */
typedef struct { double mu, kappa, lnorm; } vm_par;
static double vm_density(double t, void *v) {
  const vm_par *p = v;
  double s = sin(0.5 * (t - p->mu));
  return exp(-2.0 * p->kappa * s * s - p->lnorm);
}

static void von_mises(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 1004, 0);
  static const double kap[] = {0.0, 1e-3, 0.5, 4.0, 60.0, 1e4};
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(200);
  static double F[N];
  char label[64];
  for (int k = 0; k < 6; k++) {
    double mu = 1.0;
    vm_par p = {mu, kap[k], log(2 * M_PI * gsl_sf_bessel_I0_scaled(kap[k]))};
    for (size_t i = 0; i < N; i++) {
      xs[i] = lvm_von_mises_draw(&r, mu, kap[k]);
      assert_true(xs[i] >= mu - M_PI && xs[i] <= mu + M_PI);
    }
    qsort(xs, N, sizeof xs[0], cmp_double);
    gsl_function f = {vm_density, &p};
    double acc = 0.0, prev = mu - M_PI, res, err;
    for (size_t i = 0; i < N; i++) {
      if (xs[i] > prev) {
        gsl_integration_qag(&f, prev, xs[i], 1e-14, 1e-12, 200, GSL_INTEG_GAUSS21,
                            w, &res, &err);
        acc += res;
      }
      prev = xs[i];
      F[i] = acc;
    }
    snprintf(label, sizeof label, "von_mises(1, kappa %g)", kap[k]);
    CHECK_P(ks_from_cdf(label, F, N));
  }
  gsl_integration_workspace_free(w);
}

static void truncated_normal(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 1005, 0);
  static const double cases[][4] = {
    {0, 1, -1, 1},          /* centre, narrow: uniform proposal */
    {0, 1, -3, 4},          /* centre, wide: normal rejection */
    {0, 1, 0, INFINITY},    /* half normal: exponential proposal */
    {3, 2, -1, 10},         /* shifted and scaled */
    {0, 1, 2, 2.5},         /* right, narrow: uniform proposal */
    {0, 1, 50, INFINITY},   /* far tail */
    {0, 1, 30, 30.01},      /* far tail, narrow */
    {1, 1, -INFINITY, -7},  /* far left tail (mirrored) */
    {0, 1, 8, 12},          /* right tail, two-sided */
  };
  char label[80];
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    par4 p = {cases[k][0], cases[k][1], cases[k][2], cases[k][3]};
    for (size_t i = 0; i < N; i++) {
      xs[i] = lvm_truncnormal_draw(&r, p.a, p.b, p.c, p.d);
      assert_true(xs[i] >= p.c && xs[i] <= p.d);
    }
    snprintf(label, sizeof label, "truncnormal(%g, %g)[%g, %g]", p.a, p.b, p.c, p.d);
    CHECK_P(ks_test(label, xs, N, cdf_truncnormal, &p));
  }
}

/* ---- discrete --------------------------------------------------------------- */

/* Chi-square of int draws against pmf(k) on [lo, hi], with the tail masses
 * below lo and above hi (given) folded into the end bins. */
typedef double (*pmf_fn)(int64_t k, const void *par);
static int64_t ks_[N];

static double discrete_gof(const char *label, const int64_t *k, size_t n,
                           int64_t lo, int64_t hi, pmf_fn pmf, const void *par,
                           double tail_lo, double tail_hi) {
  size_t nb = (size_t)(hi - lo + 1);
  double *obs = calloc(nb, sizeof *obs), *prob = malloc(nb * sizeof *prob);
  for (size_t i = 0; i < n; i++) {
    int64_t v = k[i] < lo ? lo : k[i] > hi ? hi : k[i];
    obs[v - lo]++;
  }
  for (size_t j = 0; j < nb; j++) prob[j] = pmf(lo + (int64_t)j, par);
  prob[0] += tail_lo;
  prob[nb - 1] += tail_hi;
  double p = chisq_test(label, obs, prob, nb, (double)n);
  free(obs);
  free(prob);
  return p;
}

static double pmf_binom(int64_t k, const void *v) {
  const par4 *p = v;
  return gsl_ran_binomial_pdf((unsigned)k, p->b, (unsigned)p->a);
}
static double pmf_pois(int64_t k, const void *v) {
  const par4 *p = v;
  return gsl_ran_poisson_pdf((unsigned)k, p->a);
}

static void bernoulli(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 1006, 0);
  par4 p = {1, 0.3, 0, 0};
  for (size_t i = 0; i < N; i++) ks_[i] = lvm_bernoulli_draw(&r, 0.3);
  CHECK_P(discrete_gof("bernoulli(0.3)", ks_, N, 0, 1, pmf_binom, &p, 0, 0));
  par4 q = {1, 1 / (1 + exp(2.0)), 0, 0};
  for (size_t i = 0; i < N; i++) ks_[i] = lvm_bernoulli_logit_draw(&r, -2.0);
  CHECK_P(discrete_gof("bernoulli_logit(-2)", ks_, N, 0, 1, pmf_binom, &q, 0, 0));
}

static void binomial(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 1007, 0);
  static const double cases[][2] = {
    {10, 0.3},   {20, 0.9},   {50, 0.15},  {1000, 0.4},
    {1e6, 0.02}, {1e9, 3e-9}, {1e9, 1e-8}, {400, 0.5}, {25, 0.4}, {3000, 0.997},
  };
  char label[64];
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    int64_t n = (int64_t)cases[c][0];
    double pr = cases[c][1];
    par4 p = {(double)n, pr, 0, 0};
    for (size_t i = 0; i < N; i++) {
      ks_[i] = lvm_binomial_draw(&r, n, pr);
      assert_true(ks_[i] >= 0 && ks_[i] <= n);
    }
    double m = n * pr, sd = sqrt(n * pr * (1 - pr));
    int64_t lo = (int64_t)fmax(0, floor(m - 9 * sd - 2));
    int64_t hi = (int64_t)fmin((double)n, ceil(m + 9 * sd + 2));
    double tlo = lo > 0 ? gsl_cdf_binomial_P((unsigned)(lo - 1), pr, (unsigned)n) : 0;
    double thi = hi < n ? gsl_cdf_binomial_Q((unsigned)hi, pr, (unsigned)n) : 0;
    snprintf(label, sizeof label, "binomial(%g, %g)", (double)n, pr);
    CHECK_P(discrete_gof(label, ks_, N, lo, hi, pmf_binom, &p, tlo, thi));
  }
  /* logit parameterisation, including p within 1e-17 of 1 */
  static const double lc[][2] = {{100, 3.0}, {60, -1.5}, {1000, 40.0}};
  for (size_t c = 0; c < 3; c++) {
    int64_t n = (int64_t)lc[c][0];
    double pr = 1 / (1 + exp(-lc[c][1]));
    par4 p = {(double)n, pr, 0, 0};
    for (size_t i = 0; i < N; i++) ks_[i] = lvm_binomial_logit_draw(&r, n, lc[c][1]);
    snprintf(label, sizeof label, "binomial_logit(%g, %g)", (double)n, lc[c][1]);
    CHECK_P(discrete_gof(label, ks_, N, 0, n, pmf_binom, &p, 0, 0));
  }
}

static void poisson(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 1008, 0);
  static const double lam[] = {0.5, 3.0, 9.99, 10.0, 30.0, 1234.5, 1e6};
  char label[64];
  for (size_t c = 0; c < sizeof lam / sizeof lam[0]; c++) {
    par4 p = {lam[c], 0, 0, 0};
    for (size_t i = 0; i < N; i++) {
      ks_[i] = lvm_poisson_draw(&r, lam[c]);
      assert_true(ks_[i] >= 0);
    }
    double sd = sqrt(lam[c]);
    int64_t lo = (int64_t)fmax(0, floor(lam[c] - 9 * sd - 2));
    int64_t hi = (int64_t)ceil(lam[c] + 9 * sd + 10);
    double tlo = lo > 0 ? gsl_cdf_poisson_P((unsigned)(lo - 1), lam[c]) : 0;
    double thi = gsl_cdf_poisson_Q((unsigned)hi, lam[c]);
    snprintf(label, sizeof label, "poisson(%g)", lam[c]);
    CHECK_P(discrete_gof(label, ks_, N, lo, hi, pmf_pois, &p, tlo, thi));
  }
  par4 p = {50.0, 0, 0, 0};
  for (size_t i = 0; i < N; i++) ks_[i] = lvm_poisson_log_draw(&r, log(50.0));
  CHECK_P(discrete_gof("poisson_log(log 50)", ks_, N, 0, 150, pmf_pois, &p, 0,
                       gsl_cdf_poisson_Q(150, 50.0)));
  assert_int_equal(lvm_poisson_draw(&r, 0.0), 0);
}

static double pmf_table(int64_t k, const void *v) { return ((const double *)v)[k]; }

static void categorical(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 1009, 0);
  /* unnormalised weights with a zero */
  double w[5] = {1, 2, 0, 3, 4}, pr[5];
  for (int k = 0; k < 5; k++) pr[k] = w[k] / 10;
  for (size_t i = 0; i < N; i++) {
    ks_[i] = lvm_categorical_draw(&r, 5, w);
    assert_true(ks_[i] >= 0 && ks_[i] < 5 && ks_[i] != 2);
  }
  CHECK_P(discrete_gof("categorical(1,2,0,3,4)", ks_, N, 0, 4, pmf_table, pr, 0, 0));
  /* log-weights: huge offsets must not overflow; -inf means probability 0 */
  double lw3[3] = {-1000.0, -1001.0, -999.0}, p3[3];
  double z = exp(0) + exp(-1.0) + exp(1.0);
  p3[0] = 1 / z, p3[1] = exp(-1.0) / z, p3[2] = exp(1.0) / z;
  for (size_t i = 0; i < N; i++) ks_[i] = lvm_categorical_logit_draw(&r, 3, lw3);
  CHECK_P(discrete_gof("categorical_logit(K=3, -1000 offset)", ks_, N, 0, 2,
                       pmf_table, p3, 0, 0));
  for (int k = 0; k < 3; k++) lw3[k] += 2000.0; /* +1000 offset */
  for (size_t i = 0; i < N; i++) ks_[i] = lvm_categorical_logit_draw(&r, 3, lw3);
  CHECK_P(discrete_gof("categorical_logit(K=3, +1000 offset)", ks_, N, 0, 2,
                       pmf_table, p3, 0, 0));
  /* K = 20 and K = 100 (beyond the 64-entry stack buffer), some -inf */
  static const size_t Ks[] = {20, 100};
  for (int c = 0; c < 2; c++) {
    size_t K = Ks[c];
    double lw[100], pk[100], s = 0;
    for (size_t k = 0; k < K; k++) {
      lw[k] = (k % 7 == 3) ? -INFINITY : 3.0 * sin(1.7 * k) + 500.0;
      pk[k] = exp(lw[k] - 500.0);
      s += pk[k];
    }
    for (size_t k = 0; k < K; k++) pk[k] /= s;
    for (size_t i = 0; i < N; i++) {
      ks_[i] = lvm_categorical_logit_draw(&r, K, lw);
      assert_true(ks_[i] >= 0 && (size_t)ks_[i] < K && ks_[i] % 7 != 3);
    }
    char label[64];
    snprintf(label, sizeof label, "categorical_logit(K=%zu)", K);
    CHECK_P(discrete_gof(label, ks_, N, 0, (int64_t)K - 1, pmf_table, pk, 0, 0));
  }
  double allinf[2] = {-INFINITY, -INFINITY};
  assert_int_equal(lvm_categorical_logit_draw(&r, 2, allinf), -1);
  assert_int_equal(lvm_categorical_logit_draw(&r, 0, allinf), -1);
}

int main(void) {
  gsl_set_error_handler_off();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(normal_family),  cmocka_unit_test(gamma_family),
    cmocka_unit_test(beta_family),    cmocka_unit_test(von_mises),
    cmocka_unit_test(truncated_normal), cmocka_unit_test(bernoulli),
    cmocka_unit_test(binomial),       cmocka_unit_test(poisson),
    cmocka_unit_test(categorical),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
