/* Conjugate updates end to end: the natural parameter of a complete
 * conditional is accumulated term by term from the log joint, exactly as the
 * generated code does (prior terms, then one term per observation), the
 * family routine draws 10^5 times, and the draws are compared with the
 * textbook posterior computed independently (GSL for the linear algebra). */
#include "gibbs_util.h"

#include <string.h>

#include <gsl/gsl_randist.h>

#include "lvm/dist.h"
#include "lvm/family.h"
#include "lvm/rng.h"

#define NDRAW 100000

/* Gamma(a0, b0) prior on a Poisson rate, y_n ~ Poisson(lambda). */
static void test_gamma_poisson(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 101, 0);
  const double a0 = 2.0, b0 = 0.5;
  int64_t y[20];
  for (int n = 0; n < 20; n++) y[n] = lvm_poisson_draw(&r, 3.2);
  /* eta over T = (lambda, log lambda) */
  double eta[2] = {0, 0};
  eta[1] += a0 - 1.0; /* (a0 - 1) log lambda */
  eta[0] += -b0;      /* - b0 lambda */
  int64_t sy = 0;
  for (int n = 0; n < 20; n++) {
    eta[1] += (double)y[n]; /* y log lambda */
    eta[0] += -1.0;         /* - lambda */
    sy += y[n];
  }
  double *x = malloc(NDRAW * sizeof *x);
  for (size_t i = 0; i < NDRAW; i++)
    assert_int_equal(lvm_family_gamma_draw(&r, eta, &x[i]), LVM_OK);
  par2 p = {a0 + (double)sy, b0 + 20.0};
  assert_true(ks_test("gamma-Poisson posterior", x, NDRAW, cdf_gamma, &p) >
              LVM_TEST_ALPHA);
  free(x);
}

/* Normal prior N(m0, s0) on a mean, y_n ~ N(mu, sigma) with sigma known;
 * and a Gamma prior on the precision tau of y_n ~ N(mu0, 1/sqrt(tau)). */
static void test_normal_normal_and_gamma_precision(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 102, 0);
  const double m0 = -1.0, s0 = 2.0, sigma = 1.5;
  double y[30];
  for (int n = 0; n < 30; n++) y[n] = lvm_normal_draw(&r, 0.7, sigma);
  double eta[2] = {0, 0}; /* T = (mu, mu^2) */
  /* -(mu - m0)^2 / (2 s0^2) */
  eta[0] += m0 / (s0 * s0);
  eta[1] += -0.5 / (s0 * s0);
  double sy = 0.0;
  for (int n = 0; n < 30; n++) {
    eta[0] += y[n] / (sigma * sigma);
    eta[1] += -0.5 / (sigma * sigma);
    sy += y[n];
  }
  double prec = 1.0 / (s0 * s0) + 30.0 / (sigma * sigma);
  double mean = (m0 / (s0 * s0) + sy / (sigma * sigma)) / prec;
  double *x = malloc(NDRAW * sizeof *x);
  for (size_t i = 0; i < NDRAW; i++)
    assert_int_equal(lvm_family_normal_draw(&r, eta, &x[i]), LVM_OK);
  par2 p = {mean, 1.0 / sqrt(prec)};
  assert_true(ks_test("normal-normal posterior", x, NDRAW, cdf_normal, &p) >
              LVM_TEST_ALPHA);

  /* tau ~ Gamma(a0, b0), y_n ~ Normal(0.7, 1/sqrt(tau)):
   * log p(y | tau) = log(tau)/2 - tau (y - 0.7)^2 / 2 + const */
  const double a0 = 1.5, b0 = 2.0;
  double e2[2] = {-b0, a0 - 1.0}; /* T = (tau, log tau) */
  double ss = 0.0;
  for (int n = 0; n < 30; n++) {
    e2[1] += 0.5;
    e2[0] += -0.5 * (y[n] - 0.7) * (y[n] - 0.7);
    ss += (y[n] - 0.7) * (y[n] - 0.7);
  }
  for (size_t i = 0; i < NDRAW; i++)
    assert_int_equal(lvm_family_gamma_draw(&r, e2, &x[i]), LVM_OK);
  par2 q = {a0 + 15.0, b0 + 0.5 * ss};
  assert_true(ks_test("normal precision, gamma posterior", x, NDRAW, cdf_gamma,
                      &q) > LVM_TEST_ALPHA);
  /* variance with an inverse gamma prior: sigma2 ~ InvGamma(a0, b0),
   * log p(y | sigma2) = -log(sigma2)/2 - (y - 0.7)^2 / (2 sigma2) */
  double e3[2] = {-a0 - 1.0, -b0}; /* T = (log s2, 1/s2) */
  for (int n = 0; n < 30; n++) {
    e3[0] += -0.5;
    e3[1] += -0.5 * (y[n] - 0.7) * (y[n] - 0.7);
  }
  for (size_t i = 0; i < NDRAW; i++)
    assert_int_equal(lvm_family_invgamma_draw(&r, e3, &x[i]), LVM_OK);
  assert_true(ks_test("normal variance, inv-gamma posterior", x, NDRAW,
                      cdf_invgamma, &q) > LVM_TEST_ALPHA);
  free(x);
}

/* Beta(a0, b0) prior, y_n ~ Bernoulli(theta). */
static void test_beta_bernoulli(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 103, 0);
  const double a0 = 0.5, b0 = 0.5; /* Jeffreys */
  double eta[2] = {a0 - 1.0, b0 - 1.0}; /* T = (log th, log(1 - th)) */
  int s = 0;
  for (int n = 0; n < 40; n++) {
    int y = lvm_bernoulli_draw(&r, 0.3);
    s += y;
    /* y log th + (1 - y) log(1 - th) */
    eta[0] += y;
    eta[1] += 1 - y;
  }
  double *x = malloc(NDRAW * sizeof *x);
  for (size_t i = 0; i < NDRAW; i++)
    assert_int_equal(lvm_family_beta_draw(&r, eta, &x[i]), LVM_OK);
  par2 p = {a0 + s, b0 + 40 - s};
  assert_true(ks_test("beta-bernoulli posterior", x, NDRAW, cdf_beta, &p) >
              LVM_TEST_ALPHA);
  free(x);
}

/* Dirichlet(alpha0) prior, z_n ~ Categorical(theta): the statistic of
 * theta is log theta_k with coefficient 1[z_n = k]. */
static void test_dirichlet_categorical(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 104, 0);
  enum { K = 4 };
  const double alpha0[K] = {1.0, 0.5, 2.0, 1.0};
  const double truth[K] = {0.1, 0.2, 0.3, 0.4};
  double eta[K], post[K], a0 = 0.0;
  for (int k = 0; k < K; k++) eta[k] = alpha0[k] - 1.0;
  double cnt[K] = {0};
  for (int n = 0; n < 50; n++) {
    int64_t z = lvm_categorical_draw(&r, K, truth);
    eta[z] += 1.0;
    cnt[z]++;
  }
  for (int k = 0; k < K; k++) {
    post[k] = alpha0[k] + cnt[k];
    a0 += post[k];
  }
  double *xs = malloc(NDRAW * K * sizeof *xs), *col = malloc(NDRAW * sizeof *col);
  for (size_t i = 0; i < NDRAW; i++)
    assert_int_equal(lvm_family_dirichlet_draw(&r, K, eta, xs + K * i), LVM_OK);
  for (int k = 0; k < K; k++) {
    for (size_t i = 0; i < NDRAW; i++) col[i] = xs[K * i + k];
    check_mean("dirichlet-categorical E[theta_k]", col, NDRAW, post[k] / a0);
    par2 p = {post[k], a0 - post[k]};
    assert_true(ks_test("dirichlet-categorical marginal", col, NDRAW, cdf_beta,
                        &p) > LVM_TEST_ALPHA);
  }
  free(xs);
  free(col);
}

/* Mixture assignment: z_n | y_n, mu, pi with y_n ~ N(mu[z_n], 1): the
 * statistic onehot(z_n) has coefficient log pi_k - (y_n - mu_k)^2 / 2. */
static void test_mixture_assignment(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 105, 0);
  enum { K = 3 };
  const double pi[K] = {0.2, 0.5, 0.3}, mu[K] = {-1.0, 0.5, 1.2}, yn = 0.3;
  double eta[K], prob[K], z = 0.0, obs[K] = {0};
  for (int k = 0; k < K; k++) {
    eta[k] = log(pi[k]) - 0.5 * (yn - mu[k]) * (yn - mu[k]);
    prob[k] = pi[k] * gsl_ran_gaussian_pdf(yn - mu[k], 1.0);
    z += prob[k];
  }
  for (int k = 0; k < K; k++) prob[k] /= z;
  for (size_t i = 0; i < NDRAW; i++) {
    int64_t k;
    assert_int_equal(lvm_family_categorical_draw(&r, K, eta, &k), LVM_OK);
    obs[k]++;
  }
  assert_true(chisq_test("mixture assignment posterior", obs, prob, K, NDRAW) >
              LVM_TEST_ALPHA);
}

/* Ising model p(x) ∝ exp(sum h_i x_i + sum_{i<j} J_ij x_i x_j): the
 * complete conditional of x_0 is spin with eta = h_0 + sum_j J_0j x_j;
 * compared with the exact conditional by enumeration. */
static void test_ising_spin(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 106, 0);
  const double h[3] = {0.3, -0.2, 0.1};
  const double J01 = 0.8, J02 = -0.5;
  const int x1 = 1, x2 = -1;
  double eta = h[0] + J01 * x1 + J02 * x2;
  /* exact: p(x0) ∝ exp(h0 x0 + J01 x0 x1 + J02 x0 x2) */
  double lp[2], obs[2] = {0}, prob[2];
  for (int s = 0; s < 2; s++) {
    int x0 = s ? 1 : -1;
    lp[s] = h[0] * x0 + J01 * x0 * x1 + J02 * x0 * x2;
  }
  prob[1] = 1.0 / (1.0 + exp(lp[0] - lp[1]));
  prob[0] = 1.0 - prob[1];
  for (size_t i = 0; i < NDRAW; i++) {
    int x;
    assert_int_equal(lvm_family_spin_draw(&r, &eta, &x), LVM_OK);
    obs[x > 0]++;
  }
  assert_true(chisq_test("ising spin conditional", obs, prob, 2, NDRAW) >
              LVM_TEST_ALPHA);
}

/* MvNormal prior N(m0, S0) on x, y_n ~ N(x, Sig) with Sig known. */
static void test_mvnormal_known_cov(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 107, 0);
  enum { D = 3, N = 10 };
  const double m0[D] = {0.0, 1.0, -1.0};
  const double S0[D * D] = {4.0, 1.0, 0.0, 1.0, 3.0, 0.5, 0.0, 0.5, 2.0};
  const double Sig[D * D] = {1.0, -0.3, 0.2, -0.3, 0.8, 0.1, 0.2, 0.1, 1.5};
  double P0[D * D], P[D * D], y[N][D], work[LVM_MVNORMAL_WORK(D)];
  gsl_spd_inverse(D, S0, P0);
  gsl_spd_inverse(D, Sig, P);
  const double truth[D] = {0.5, -0.5, 1.0};
  for (int n = 0; n < N; n++)
    assert_int_equal(lvm_mvnormal_draw(&r, D, truth, Sig, y[n], work), 0);
  /* eta over T = (x, x x'): -1/2 (x - m)' P (x - m) = -1/2 x'Px + x'Pm + c */
  double eta[D + D * D] = {0};
  double Pm[D];
  matvec(D, P0, m0, Pm);
  for (int i = 0; i < D; i++) eta[i] += Pm[i];
  for (int i = 0; i < D * D; i++) eta[D + i] += -0.5 * P0[i];
  for (int n = 0; n < N; n++) {
    matvec(D, P, y[n], Pm);
    for (int i = 0; i < D; i++) eta[i] += Pm[i];
    for (int i = 0; i < D * D; i++) eta[D + i] += -0.5 * P[i];
  }
  /* exact posterior: Lam = P0 + N P, mean = Lam^{-1} (P0 m0 + P sum y) */
  double Lam[D * D], SN[D * D], b[D], sy[D] = {0}, mN[D], t[D];
  for (int i = 0; i < D * D; i++) Lam[i] = P0[i] + N * P[i];
  gsl_spd_inverse(D, Lam, SN);
  for (int n = 0; n < N; n++)
    for (int i = 0; i < D; i++) sy[i] += y[n][i];
  matvec(D, P0, m0, b);
  matvec(D, P, sy, t);
  for (int i = 0; i < D; i++) b[i] += t[i];
  matvec(D, SN, b, mN);

  double *xs = malloc(NDRAW * D * sizeof *xs), *col = malloc(NDRAW * sizeof *col);
  double fw[LVM_FAMILY_MVNORMAL_WORK(D)];
  for (size_t i = 0; i < NDRAW; i++)
    assert_int_equal(lvm_family_mvnormal_draw(&r, D, eta, xs + D * i, fw),
                     LVM_OK);
  static const double dirs[3][D] = {{0, 0, 1}, {1, 1, 1}, {2, -1, 0.5}};
  for (int d = 0; d < 3; d++) {
    for (size_t i = 0; i < NDRAW; i++)
      col[i] = dirs[d][0] * xs[D * i] + dirs[d][1] * xs[D * i + 1] +
               dirs[d][2] * xs[D * i + 2];
    par2 p = {dirs[d][0] * mN[0] + dirs[d][1] * mN[1] + dirs[d][2] * mN[2],
              sqrt(quad(D, SN, dirs[d]))};
    assert_true(ks_test("mvnormal posterior projection", col, NDRAW,
                        cdf_normal, &p) > LVM_TEST_ALPHA);
  }
  for (int i = 0; i < D; i++)
    for (int j = 0; j <= i; j++) {
      for (size_t k = 0; k < NDRAW; k++)
        col[k] = (xs[D * k + i] - mN[i]) * (xs[D * k + j] - mN[j]);
      check_mean("mvnormal posterior Cov", col, NDRAW, SN[i * D + j]);
    }
  /* the family's own mean and covariance agree with the independent ones */
  double par[D + D * D];
  assert_int_equal(lvm_family_mvnormal_params(D, eta, par, fw), LVM_OK);
  for (int i = 0; i < D; i++) assert_true(fabs(par[i] - mN[i]) < 1e-12);
  for (int i = 0; i < D * D; i++) assert_true(fabs(par[D + i] - SN[i]) < 1e-12);
  free(xs);
  free(col);
}

/* Wishart(nu0, S0) prior on a precision Lam, y_n ~ N(0, Lam^{-1}):
 * log p(y | Lam) = log det(Lam)/2 - y' Lam y / 2 + c. */
static void test_wishart_precision(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 108, 0);
  enum { D = 3, N = 15 };
  const double nu0 = 4.0;
  const double S0[D * D] = {1.0, 0.2, 0.0, 0.2, 0.5, 0.1, 0.0, 0.1, 2.0};
  const double Cov[D * D] = {2.0, 0.6, -0.4, 0.6, 1.0, 0.0, -0.4, 0.0, 0.7};
  double y[N][D], work[LVM_MVNORMAL_WORK(D)], zero[D] = {0};
  for (int n = 0; n < N; n++)
    assert_int_equal(lvm_mvnormal_draw(&r, D, zero, Cov, y[n], work), 0);
  double S0i[D * D], eta[D * D + 1];
  gsl_spd_inverse(D, S0, S0i);
  for (int i = 0; i < D * D; i++) eta[i] = -0.5 * S0i[i];
  eta[D * D] = 0.5 * (nu0 - D - 1.0);
  double Sy[D * D] = {0};
  for (int n = 0; n < N; n++) {
    eta[D * D] += 0.5; /* log det / 2 */
    for (int i = 0; i < D; i++)
      for (int j = 0; j < D; j++) {
        eta[i * D + j] += -0.5 * y[n][i] * y[n][j]; /* -tr(y y' Lam) / 2 */
        Sy[i * D + j] += y[n][i] * y[n][j];
      }
  }
  /* posterior Wishart(nu0 + N, (S0^{-1} + sum y y')^{-1}) */
  double nuN = nu0 + N, A[D * D], SN[D * D];
  for (int i = 0; i < D * D; i++) A[i] = S0i[i] + Sy[i];
  gsl_spd_inverse(D, A, SN);
  size_t n = NDRAW / 2;
  double fw[LVM_FAMILY_WISHART_WORK(D)], X[D * D];
  double *q = malloc(2 * n * sizeof *q), *xs = malloc(n * D * D * sizeof *xs);
  double *col = malloc(n * sizeof *col);
  static const double dirs[2][D] = {{0, 1, 0}, {1, -2, 1}};
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(lvm_family_wishart_draw(&r, D, eta, X, fw), LVM_OK);
    memcpy(xs + D * D * i, X, sizeof X);
    for (int d = 0; d < 2; d++) q[d * n + i] = quad(D, X, dirs[d]) / quad(D, SN, dirs[d]);
  }
  par2 p = {nuN, 0};
  for (int d = 0; d < 2; d++)
    assert_true(ks_test("wishart posterior a'La/a'Sa ~ chi2(nu)", q + d * n, n,
                        cdf_chisq, &p) > LVM_TEST_ALPHA);
  for (int j = 0; j < D * D; j++) {
    for (size_t i = 0; i < n; i++) col[i] = xs[D * D * i + j];
    check_mean("wishart posterior E[Lam_ij] = nu S_ij", col, n, nuN * SN[j]);
  }
  free(q);
  free(xs);
  free(col);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gamma_poisson),
      cmocka_unit_test(test_normal_normal_and_gamma_precision),
      cmocka_unit_test(test_beta_bernoulli),
      cmocka_unit_test(test_dirichlet_categorical),
      cmocka_unit_test(test_mixture_assignment),
      cmocka_unit_test(test_ising_spin),
      cmocka_unit_test(test_mvnormal_known_cov),
      cmocka_unit_test(test_wishart_precision),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
