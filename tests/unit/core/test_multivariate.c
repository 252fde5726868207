/* Multivariate variates and densities, and Polya-Gamma.
 *
 * Draws: KS tests of one-dimensional functionals whose law is known
 * exactly (projections a'x of a multivariate normal; a'Wa / a'Sa ~
 * chi2(nu) for Wishart; a'Psi a / a'Xa ~ chi2(nu - n + 1) for inverse
 * Wishart; Beta marginals of the Dirichlet; the closed-form cdf of
 * PG(1, 0)), plus moment checks: a sample mean is compared with its
 * expectation in units of its Monte Carlo standard error and must lie
 * within 4.5 SE (two-sided p = 7e-6 per check).  p-value threshold 1e-4,
 * fixed seeds (stat_util.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_permutation.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_erf.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_vector.h>

#include "lvm/dist.h"
#include "lvm/linalg.h"
#include "lvm/status.h"
#include "stat_util.h"

enum { N = 100000 };
static double xs[N];
#define CHECK_P(p) assert_true((p) > LVM_TEST_ALPHA)

/* |mean - want| <= 4.5 standard errors */
static void check_mean(const char *what, double mean, double want, double se) {
  double z = (mean - want) / se;
  printf("  mean %-40s %.6g (want %.6g, z = %+.2f)\n", what, mean, want, z);
  if (!(fabs(z) <= 4.5)) fail_msg("%s: mean %.8g, want %.8g (z = %.2f)", what, mean, want, z);
}

typedef struct { double a, b; } par2;
static double cdf_normal(double x, const void *v) {
  const par2 *p = v;
  return gsl_cdf_gaussian_P(x - p->a, p->b);
}
static double cdf_chisq(double x, const void *v) {
  const par2 *p = v;
  return gsl_cdf_chisq_P(x, p->a);
}
static double cdf_beta(double x, const void *v) {
  const par2 *p = v;
  return gsl_cdf_beta_P(x, p->a, p->b);
}
/* cdf of log X, X ~ Beta(a, b); below 1e-300, I_x(a, b) = x^a/(a B(a, b))
 * to double precision; near x = 1 the complement is used (see below) */
static double cdf_log_beta(double l, const void *v) {
  const par2 *p = v;
  if (l < -690) return exp(p->a * l - log(p->a) - gsl_sf_lnbeta(p->a, p->b));
  if (l < -0.5) return gsl_cdf_beta_P(exp(l), p->a, p->b);
  /* near 1: P(X <= e^l) = P(1 - X >= y), y = 1 - e^l = -expm1(l) exact,
   * 1 - X ~ Beta(b, a); below 1e-300 use the leading term again */
  double y = -expm1(l);
  if (y < 1e-300) return 1 - exp(p->b * log(y) - log(p->b) - gsl_sf_lnbeta(p->a, p->b));
  return gsl_cdf_beta_Q(y, p->b, p->a);
}

static const double SIG3[9] = {2.0, 0.5, -0.3, 0.5, 1.0, 0.2, -0.3, 0.2, 0.5};

static double quad(const double *A, const double *a, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++) s += a[i] * A[i * n + j] * a[j];
  return s;
}

static void mvnormal_draws(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 2001, 0);
  const size_t n = 3;
  double mu[3] = {1.0, -2.0, 0.5}, x[3], work[LVM_MVNORMAL_WORK(3)];
  double Lam[9];
  memcpy(Lam, SIG3, sizeof Lam);
  assert_int_equal(lvm_linalg_spd_inverse(Lam, 3), LVM_OK);
  static const double dirs[][3] = {{1, 0, 0}, {0, 0, 1}, {1, 1, 1}, {0.3, -1, 2}};
  for (int form = 0; form < 3; form++) {
    static double proj[4][N];
    double sum[3] = {0}, cov[9] = {0};
    for (size_t i = 0; i < N; i++) {
      lvm_status s;
      if (form == 0) s = lvm_mvnormal_draw(&r, n, mu, SIG3, x, work);
      else if (form == 1) s = lvm_mvnormal_prec_draw(&r, n, mu, Lam, x, work);
      else { /* canonical: h = Lambda mu gives mean mu */
        double h[3];
        lvm_linalg_gemv(LVM_NOTRANS, 3, 3, 1.0, Lam, mu, 0.0, h);
        s = lvm_mvnormal_canon_draw(&r, n, h, Lam, x, work);
      }
      assert_int_equal(s, LVM_OK);
      for (int d = 0; d < 4; d++)
        proj[d][i] = dirs[d][0] * x[0] + dirs[d][1] * x[1] + dirs[d][2] * x[2];
      for (size_t a = 0; a < 3; a++) {
        sum[a] += x[a];
        for (size_t b = 0; b < 3; b++) cov[a * 3 + b] += (x[a] - mu[a]) * (x[b] - mu[b]);
      }
    }
    static const char *names[] = {"mvnormal", "mvnormal_prec", "mvnormal_canon"};
    char label[80];
    for (int d = 0; d < 4; d++) {
      par2 p = {dirs[d][0] * mu[0] + dirs[d][1] * mu[1] + dirs[d][2] * mu[2],
                sqrt(quad(SIG3, dirs[d], 3))};
      snprintf(label, sizeof label, "%s a'x, a = (%g,%g,%g)", names[form],
               dirs[d][0], dirs[d][1], dirs[d][2]);
      CHECK_P(ks_test(label, proj[d], N, cdf_normal, &p));
    }
    for (size_t a = 0; a < 3; a++) {
      snprintf(label, sizeof label, "%s x[%zu]", names[form], a);
      check_mean(label, sum[a] / N, mu[a], sqrt(SIG3[a * 4] / N));
      for (size_t b = 0; b <= a; b++) {
        /* Var[(x_a - mu_a)(x_b - mu_b)] = S_aa S_bb + S_ab^2 */
        double se = sqrt((SIG3[a * 4] * SIG3[b * 4] + SIG3[a * 3 + b] * SIG3[a * 3 + b]) / N);
        snprintf(label, sizeof label, "%s cov[%zu][%zu]", names[form], a, b);
        check_mean(label, cov[a * 3 + b] / N, SIG3[a * 3 + b], se);
      }
    }
  }
  /* not positive definite: reported, not crashed */
  double bad[4] = {1, 2, 2, 1};
  lvm_error_handler old = lvm_set_error_handler(lvm_error_handler_silent);
  assert_int_equal(lvm_mvnormal_draw(&r, 2, NULL, bad, x, work), LVM_ENOTPD);
  lvm_set_error_handler(old);
}

/* gsl matrix view helpers */
static gsl_matrix *gm(const double *A, size_t n) {
  gsl_matrix *m = gsl_matrix_alloc(n, n);
  memcpy(m->data, A, n * n * sizeof *A);
  return m;
}
static gsl_matrix *gchol(const double *A, size_t n) {
  gsl_matrix *m = gm(A, n);
  gsl_linalg_cholesky_decomp1(m);
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++) gsl_matrix_set(m, i, j, 0.0);
  return m;
}

/* Closed-form Wishart log density with GSL's LU determinant and solve:
 * (nu-n-1)/2 log|W| - tr(S^{-1} W)/2 - nu n/2 log 2 - nu/2 log|S|
 * - log Gamma_n(nu/2).  (GSL 2.7's gsl_ran_wishart_log_pdf disagrees with
 * this and with mpmath by ~0.08 on these inputs, so it is not used.) */
static double wishart_ref(const double *W, const double *S, size_t n, double nu) {
  gsl_matrix *A = gm(S, n), *B = gm(W, n), *SW = gsl_matrix_alloc(n, n);
  gsl_permutation *perm = gsl_permutation_alloc(n);
  int sg;
  gsl_linalg_LU_decomp(A, perm, &sg);
  double ldS = gsl_linalg_LU_lndet(A);
  gsl_vector_view col;
  double tr = 0;
  for (size_t j = 0; j < n; j++) { /* column j of S^{-1} W */
    gsl_vector *x = gsl_vector_alloc(n);
    col = gsl_matrix_column(B, j);
    gsl_linalg_LU_solve(A, perm, &col.vector, x);
    tr += gsl_vector_get(x, j);
    gsl_vector_free(x);
  }
  gsl_matrix *C = gm(W, n);
  gsl_linalg_LU_decomp(C, perm, &sg);
  double ldW = gsl_linalg_LU_lndet(C);
  double lmg = n * (n - 1) / 4.0 * log(M_PI);
  for (size_t j = 1; j <= n; j++) lmg += gsl_sf_lngamma(nu / 2 + (1.0 - j) / 2);
  gsl_matrix_free(A), gsl_matrix_free(B), gsl_matrix_free(SW), gsl_matrix_free(C);
  gsl_permutation_free(perm);
  return (nu - n - 1) / 2 * ldW - tr / 2 - nu * n / 2 * log(2.0) - nu / 2 * ldS - lmg;
}

static void mv_densities(void **state) {
  (void)state;
  const size_t n = 3;
  double mu[3] = {1.0, -2.0, 0.5}, work[LVM_WISHART_WORK(3) + 16], lp;
  gsl_matrix *L = gchol(SIG3, 3);
  gsl_vector *gx = gsl_vector_alloc(3), *gmu = gsl_vector_alloc(3), *gw = gsl_vector_alloc(3);
  memcpy(gmu->data, mu, sizeof mu);
  double Lam[9];
  memcpy(Lam, SIG3, sizeof Lam);
  lvm_linalg_spd_inverse(Lam, 3);
  for (int t = 0; t < 50; t++) {
    double x[3] = {sin(t * 1.1) * 3, cos(t * 0.7) * 2 - 1, 0.1 * t - 2};
    memcpy(gx->data, x, sizeof x);
    double want;
    gsl_ran_multivariate_gaussian_log_pdf(gx, gmu, L, &want, gw);
    assert_int_equal(lvm_mvnormal_lpdf(x, n, mu, SIG3, work, &lp), LVM_OK);
    assert_true(fabs(lp - want) < 1e-12 * fmax(1, fabs(want)));
    assert_int_equal(lvm_mvnormal_prec_lpdf(x, n, mu, Lam, work, &lp), LVM_OK);
    assert_true(fabs(lp - want) < 1e-12 * fmax(1, fabs(want)));
  }
  /* Wishart against the closed form; inverse Wishart through
   * log IW(X; nu, Psi) = log W(X^{-1}; nu, Psi^{-1}) - (n + 1) log|X| */
  double S[9] = {1.0, 0.3, 0.1, 0.3, 2.0, -0.4, 0.1, -0.4, 1.5};
  double Sinv[9];
  memcpy(Sinv, S, sizeof S);
  lvm_linalg_spd_inverse(Sinv, 3);
  for (int t = 0; t < 30; t++) {
    double nu = 3.5 + t * 0.37;
    double W[9] = {2 + sin(t), 0.4, -0.2, 0.4, 3 + cos(t), 0.3, -0.2, 0.3, 1.5 + 0.1 * t};
    double want = wishart_ref(W, S, 3, nu);
    assert_int_equal(lvm_wishart_lpdf(W, n, nu, S, work, &lp), LVM_OK);
    if (!(fabs(lp - want) < 1e-11 * fmax(1, fabs(want))))
      fail_msg("wishart lpdf %.17g vs GSL %.17g", lp, want);
    double Winv[9];
    memcpy(Winv, W, sizeof W);
    lvm_linalg_spd_inverse(Winv, 3);
    double want_iw = wishart_ref(Winv, Sinv, 3, nu), ldW;
    double Lw[9];
    memcpy(Lw, W, sizeof W);
    lvm_linalg_cholesky(Lw, 3);
    ldW = lvm_linalg_cholesky_logdet(Lw, 3);
    want_iw -= 4.0 * ldW; /* (n + 1) log|X|, X = W here */
    assert_int_equal(lvm_inv_wishart_lpdf(W, n, nu, S, work, &lp), LVM_OK);
    if (!(fabs(lp - want_iw) < 1e-11 * fmax(1, fabs(want_iw))))
      fail_msg("inv_wishart lpdf %.17g vs %.17g", lp, want_iw);
  }
  /* a non-SPD value is outside the support (no error); a non-SPD scale is
   * an error */
  double notpd[9] = {1, 2, 0, 2, 1, 0, 0, 0, 1};
  assert_int_equal(lvm_wishart_lpdf(notpd, n, 4.0, S, work, &lp), LVM_OK);
  assert_true(lp == -INFINITY);
  lvm_error_handler old = lvm_set_error_handler(lvm_error_handler_silent);
  assert_int_equal(lvm_wishart_lpdf(S, n, 4.0, notpd, work, &lp), LVM_ENOTPD);
  assert_int_equal(lvm_wishart_lpdf(S, n, 1.5, S, work, &lp), LVM_EINVAL);
  lvm_set_error_handler(old);
  gsl_matrix_free(L);
  gsl_vector_free(gx), gsl_vector_free(gmu), gsl_vector_free(gw);
}

static void wishart_draws(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 2002, 0);
  const size_t n = 3;
  double S[9] = {1.0, 0.3, 0.1, 0.3, 2.0, -0.4, 0.1, -0.4, 1.5};
  double W[9], work[LVM_WISHART_WORK(3)];
  static const double dirs[][3] = {{1, 0, 0}, {0, 1, 1}, {0.5, -1, 2}};
  static double q[3][N];
  static const double nus[] = {2.5, 7.0};
  char label[80];
  for (int c = 0; c < 2; c++) {
    double nu = nus[c], mean[9] = {0}, m2[9] = {0};
    for (size_t i = 0; i < N; i++) {
      assert_int_equal(lvm_wishart_draw(&r, n, nu, S, W, work), LVM_OK);
      for (int d = 0; d < 3; d++) q[d][i] = quad(W, dirs[d], 3) / quad(S, dirs[d], 3);
      for (int k = 0; k < 9; k++) mean[k] += W[k], m2[k] += W[k] * W[k];
      assert_true(W[1] == W[3]); /* symmetric */
    }
    for (int d = 0; d < 3; d++) {
      par2 p = {nu, 0};
      snprintf(label, sizeof label, "wishart(nu %g) a'Wa/a'Sa ~ chi2(nu) #%d", nu, d);
      CHECK_P(ks_test(label, q[d], N, cdf_chisq, &p));
    }
    for (int k = 0; k < 9; k++) {
      int i = k / 3, j = k % 3;
      /* Var W_ij = nu (S_ij^2 + S_ii S_jj) */
      double se = sqrt(nu * (S[k] * S[k] + S[i * 4] * S[j * 4]) / N);
      snprintf(label, sizeof label, "wishart(nu %g) W[%d][%d]", nu, i, j);
      check_mean(label, mean[k] / N, nu * S[k], se);
    }
  }
  /* inverse Wishart: a'Psi a / a'X a ~ chi2(nu - n + 1) */
  for (int c = 0; c < 2; c++) {
    double nu = c == 0 ? 4.5 : 10.0, mean[9] = {0}, m2[9] = {0};
    for (size_t i = 0; i < N; i++) {
      assert_int_equal(lvm_inv_wishart_draw(&r, n, nu, S, W, work), LVM_OK);
      for (int d = 0; d < 3; d++) q[d][i] = quad(S, dirs[d], 3) / quad(W, dirs[d], 3);
      for (int k = 0; k < 9; k++) mean[k] += W[k], m2[k] += W[k] * W[k];
    }
    for (int d = 0; d < 3; d++) {
      par2 p = {nu - 3 + 1, 0};
      snprintf(label, sizeof label, "inv_wishart(nu %g) a'Pa/a'Xa #%d", nu, d);
      CHECK_P(ks_test(label, q[d], N, cdf_chisq, &p));
    }
    if (nu > 3 + 3) { /* mean Psi/(nu - n - 1); variance finite for nu > n + 3 */
      for (int k = 0; k < 9; k++) {
        double m = mean[k] / N, se = sqrt((m2[k] / N - m * m) / N);
        snprintf(label, sizeof label, "inv_wishart(nu %g) X[%d][%d]", nu, k / 3, k % 3);
        check_mean(label, m, S[k] / (nu - 3 - 1), se);
      }
    }
  }
}

static void dirichlet_multinomial(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 2003, 0);
  char label[80];
  static double m[3][N];
  /* ordinary and tiny concentration parameters */
  static const double al[2][3] = {{0.5, 2.0, 7.5}, {0.005, 0.01, 0.3}};
  for (int c = 0; c < 2; c++) {
    const double *a = al[c];
    double a0 = a[0] + a[1] + a[2], th[3], sum[3] = {0};
    for (size_t i = 0; i < N; i++) {
      if (c == 0) {
        lvm_dirichlet_draw(&r, 3, a, th);
        for (int k = 0; k < 3; k++) m[k][i] = th[k], sum[k] += th[k];
        assert_true(fabs(th[0] + th[1] + th[2] - 1) < 1e-14);
      } else {
        lvm_dirichlet_log_draw(&r, 3, a, th);
        for (int k = 0; k < 3; k++) {
          assert_true(isfinite(th[k]) && th[k] <= 0);
          m[k][i] = th[k];
          sum[k] += exp(th[k]);
        }
      }
    }
    for (int k = 0; k < 3; k++) {
      par2 p = {a[k], a0 - a[k]};
      double mean = a[k] / a0, var = mean * (1 - mean) / (a0 + 1);
      snprintf(label, sizeof label, "dirichlet%s(%g,%g,%g) marginal %d",
               c ? "_log" : "", a[0], a[1], a[2], k);
      CHECK_P(ks_test(label, m[k], N, c ? cdf_log_beta : cdf_beta, &p));
      check_mean(label, sum[k] / N, mean, sqrt(var / N));
    }
  }
  /* tiny alphas through the plain interface stay on the simplex */
  double th[3];
  for (int i = 0; i < 1000; i++) {
    lvm_dirichlet_draw(&r, 3, al[1], th);
    assert_true(th[0] >= 0 && th[1] >= 0 && th[2] >= 0);
    assert_true(fabs(th[0] + th[1] + th[2] - 1) < 1e-14);
  }
  /* multinomial: each marginal count is Binomial(N, p_k) */
  double w[4] = {1, 2, 3, 4};
  int64_t cnt[4];
  static double obs[4][51];
  memset(obs, 0, sizeof obs);
  for (size_t i = 0; i < N; i++) {
    lvm_multinomial_draw(&r, 50, 4, w, cnt);
    assert_true(cnt[0] + cnt[1] + cnt[2] + cnt[3] == 50);
    for (int k = 0; k < 4; k++) obs[k][cnt[k]]++;
  }
  for (int k = 0; k < 4; k++) {
    double prob[51];
    for (int j = 0; j <= 50; j++) prob[j] = gsl_ran_binomial_pdf(j, w[k] / 10, 50);
    snprintf(label, sizeof label, "multinomial(50) marginal %d", k);
    CHECK_P(chisq_test(label, obs[k], prob, 51, N));
  }
}

/* PG(1, 0) = T/4 with T the exit time of Brownian motion from (-1, 1):
 * P(T <= t) = 1 - 4/pi sum_n (-1)^n/(2n+1) exp(-(2n+1)^2 pi^2 t / 8)
 *           = 2 sum_n (-1)^n erfc((2n+1)/sqrt(2t))     (small t). */
static double cdf_pg10(double w, const void *v) {
  (void)v;
  double t = 4 * w, s = 0;
  if (t <= 0) return 0;
  if (t < 1.0) {
    for (int n = 0; n < 50; n++) s += ((n & 1) ? -2 : 2) * erfc((2 * n + 1) / sqrt(2 * t));
    return s;
  }
  for (int n = 0; n < 50; n++)
    s += ((n & 1) ? -1 : 1) / (2.0 * n + 1) * exp(-(2 * n + 1) * (2 * n + 1) * M_PI * M_PI * t / 8);
  return 1 - 4 / M_PI * s;
}
/* PG(1, c) by exponential tilting of PG(1, 0): F_c(w) = cosh(c/2)
 * [e^{-c^2 w/2} F_0(w) + c^2/2 int_0^w e^{-c^2 s/2} F_0(s) ds]. */
static double tilt_integrand(double s, void *v) {
  double c = *(double *)v;
  return exp(-0.5 * c * c * s) * cdf_pg10(s, NULL);
}

static void polya_gamma(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 2004, 0);
  char label[80];
  for (size_t i = 0; i < N; i++) xs[i] = lvm_polya_gamma_draw(&r, 1.0, 0.0);
  CHECK_P(ks_test("polya_gamma(1, 0)", xs, N, cdf_pg10, NULL));
  { /* PG(1, 3) */
    double c = 3.0;
    static double F[N];
    for (size_t i = 0; i < N; i++) xs[i] = lvm_polya_gamma_draw(&r, 1.0, c);
    qsort(xs, N, sizeof xs[0], cmp_double);
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(200);
    gsl_function f = {tilt_integrand, &c};
    double acc = 0, prev = 0, res, err;
    for (size_t i = 0; i < N; i++) {
      if (xs[i] > prev) {
        gsl_integration_qag(&f, prev, xs[i], 1e-15, 1e-12, 200, GSL_INTEG_GAUSS21, w, &res, &err);
        acc += res;
      }
      prev = xs[i];
      F[i] = cosh(c / 2) * (exp(-0.5 * c * c * xs[i]) * cdf_pg10(xs[i], NULL) + 0.5 * c * c * acc);
    }
    gsl_integration_workspace_free(w);
    CHECK_P(ks_from_cdf("polya_gamma(1, 3) (tilted cdf)", F, N));
  }
  /* moments: integer, fractional and large b; several c */
  static const double bc[][2] = {{1, 0},   {1, 2.5}, {1, -10}, {3, 1},  {0.3, 0.5},
                                 {2.7, 4}, {0.05, 1}, {250.5, 2}, {1, 1e-5}};
  for (size_t k = 0; k < sizeof bc / sizeof bc[0]; k++) {
    double b = bc[k][0], c = bc[k][1], s1 = 0, s2 = 0, s4 = 0;
    size_t n = b > 100 ? N / 10 : N;
    double E = lvm_polya_gamma_mean(b, c), V = lvm_polya_gamma_var(b, c);
    for (size_t i = 0; i < n; i++) {
      double x = lvm_polya_gamma_draw(&r, b, c);
      assert_true(x > 0);
      s1 += x;
      s2 += (x - E) * (x - E);
      s4 += (x - E) * (x - E) * (x - E) * (x - E);
    }
    snprintf(label, sizeof label, "polya_gamma(%g, %g) E", b, c);
    check_mean(label, s1 / n, E, sqrt(V / n));
    /* sample variance about the known mean; SE from the 4th moment */
    double v = s2 / n, se_v = sqrt((s4 / n - v * v) / n);
    snprintf(label, sizeof label, "polya_gamma(%g, %g) Var", b, c);
    check_mean(label, v, V, se_v);
  }
  /* the mean and variance functions against their closed forms */
  assert_true(fabs(lvm_polya_gamma_mean(1, 0) - 0.25) < 1e-16);
  assert_true(fabs(lvm_polya_gamma_var(1, 0) - 1.0 / 24) < 1e-16);
  double c = 2.0;
  assert_true(fabs(lvm_polya_gamma_mean(2, c) - 2 / (2 * c) * tanh(c / 2)) < 1e-15);
  assert_true(fabs(lvm_polya_gamma_var(2, c) -
                   2 / (4 * c * c * c) * (sinh(c) - c) / (cosh(c / 2) * cosh(c / 2))) < 1e-15);
  c = 0.5;
  assert_true(fabs(lvm_polya_gamma_var(1, c) -
                   1 / (4 * c * c * c) * (sinh(c) - c) / (cosh(c / 2) * cosh(c / 2))) < 1e-14);
  assert_true(isfinite(lvm_polya_gamma_var(1, 2000)));
}

int main(void) {
  gsl_set_error_handler_off();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(mvnormal_draws), cmocka_unit_test(mv_densities),
    cmocka_unit_test(wishart_draws),  cmocka_unit_test(dirichlet_multinomial),
    cmocka_unit_test(polya_gamma),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
