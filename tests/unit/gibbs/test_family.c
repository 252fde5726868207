/* Exponential families from natural parameters (lvm/family.h):
 *  - the table matches stdlib/families.lvm (names, order);
 *  - draws match the target (KS / chi-square vs GSL cdfs, projections and
 *    chi-square functionals for the multivariate ones);
 *  - mean of T(x) over draws = mean_stats (ties draw to E[T]);
 *  - grad A(eta) = mean_stats(eta) by central differences, every entry;
 *  - log p(x) = <eta, T(x)> - A(eta) equals lvm/dist.h's normalised log
 *    densities (checks A and the base measure h = 1);
 *  - entropy: closed form vs quadrature of -p log p (scalar), exact sums
 *    (discrete), Monte Carlo of -log p with dist.h densities (vector);
 *  - params conversions;
 *  - invalid eta: the documented error, outputs untouched, no NaN;
 *  - extreme parameters: draws stay inside the open support. */
#include "gibbs_util.h"

#include <float.h>
#include <string.h>

#include <gsl/gsl_integration.h>

#include "lvm/dist.h"
#include "lvm/family.h"
#include "lvm/rng.h"
#include "lvm/special.h"

static const char *families_lvm = NULL; /* argv[1] */

/* ---- Test natural parameters ---------------------------------------------- */

typedef struct {
  const char *fam;
  size_t n;
  double eta[32];
} fcase;

#define MAXCASE 32
static fcase cases[MAXCASE];
static size_t ncases;

/* The mvnormal / wishart matrices (D = 3). */
static const double LAM[9] = {2.0, 0.5, -0.3, 0.5, 1.5, 0.2, -0.3, 0.2, 1.0};
static const double HVEC[3] = {1.0, -2.0, 0.5};
static const double SW[9] = {1.0, 0.3, 0.1, 0.3, 2.0, -0.4, 0.1, -0.4, 0.5};
static const double NUW = 6.5;

static void add(const char *fam, size_t n, size_t m, const double *eta) {
  fcase *c = &cases[ncases++];
  c->fam = fam;
  c->n = n;
  memcpy(c->eta, eta, m * sizeof *eta);
}

/* mvnormal eta from (h, Lambda); asym: put the whole off-diagonal
 * coefficient in the upper triangle (only sym(eta2) may matter). */
static void mvn_eta(const double *h, const double *Lam, int asym, double *eta) {
  memcpy(eta, h, 3 * sizeof *eta);
  for (size_t i = 0; i < 3; i++)
    for (size_t j = 0; j < 3; j++) {
      double v = -0.5 * Lam[i * 3 + j];
      if (asym) v = i == j ? v : (i < j ? 2.0 * v : 0.0);
      eta[3 + i * 3 + j] = v;
    }
}

static void wis_eta(const double *S, double nu, int asym, double *eta) {
  double Si[9];
  gsl_spd_inverse(3, S, Si);
  for (size_t i = 0; i < 3; i++)
    for (size_t j = 0; j < 3; j++) {
      double v = -0.5 * Si[i * 3 + j];
      if (asym) v = i == j ? v : (i < j ? 2.0 * v : 0.0);
      eta[i * 3 + j] = v;
    }
  eta[9] = 0.5 * (nu - 3.0 - 1.0);
}

static int setup_cases(void **state) {
  (void)state;
  ncases = 0;
  add("normal", 1, 2, (double[]){6.0, -2.0});          /* m 1.5, tau 4 */
  add("normal", 1, 2, (double[]){-3.0, -0.005});       /* m -300, tau .01 */
  add("gamma", 1, 2, (double[]){-2.0, -0.7});          /* a 0.3, b 2 */
  add("gamma", 1, 2, (double[]){-0.1, 6.5});           /* a 7.5, b 0.1 */
  add("invgamma", 1, 2, (double[]){-3.5, -3.0});       /* a 2.5, s 3 */
  add("invgamma", 1, 2, (double[]){-1.6, -0.2});       /* a 0.6, s 0.2 */
  add("beta", 1, 2, (double[]){-0.6, -0.3});           /* 0.4, 0.7 */
  add("beta", 1, 2, (double[]){19.0, 4.0});            /* 20, 5 */
  add("dirichlet", 3, 3, (double[]){-0.5, 1.0, 2.5});  /* 0.5, 2, 3.5 */
  add("dirichlet", 4, 4, (double[]){9.0, -0.8, 0.0, 2.0});
  add("bernoulli", 1, 1, (double[]){-1.3});
  add("bernoulli", 1, 1, (double[]){4.0});
  add("spin", 1, 1, (double[]){0.4});
  add("spin", 1, 1, (double[]){-1.7});
  add("categorical", 5, 5, (double[]){0.0, -1.0, 2.0, -INFINITY, 0.5});
  add("categorical", 2, 2, (double[]){3.0, -3.0});
  double e[16];
  mvn_eta(HVEC, LAM, 0, e);
  add("mvnormal", 3, 12, e);
  mvn_eta(HVEC, LAM, 1, e);
  add("mvnormal", 3, 12, e);
  wis_eta(SW, NUW, 0, e);
  add("wishart", 3, 10, e);
  wis_eta(SW, NUW, 1, e);
  add("wishart", 3, 10, e);
  return 0;
}

static const lvm_family *fam(const char *name) {
  const lvm_family *f = lvm_family_find(name);
  assert_non_null(f);
  return f;
}

/* ---- The table --------------------------------------------------------------- */

static void test_table(void **state) {
  (void)state;
  static const char *const expect[] = {"normal", "mvnormal", "gamma",
                                       "invgamma", "beta", "dirichlet",
                                       "bernoulli", "spin", "categorical",
                                       "wishart"};
  assert_int_equal(lvm_family_table_size, 10);
  for (size_t i = 0; i < 10; i++) {
    assert_string_equal(lvm_family_table[i].name, expect[i]);
    assert_ptr_equal(lvm_family_find(expect[i]), &lvm_family_table[i]);
  }
  assert_null(lvm_family_find("poisson"));
  assert_null(lvm_family_find(NULL));
  /* every `runtime NAME;` of stdlib/families.lvm, in order */
  assert_non_null(families_lvm);
  FILE *fp = fopen(families_lvm, "r");
  assert_non_null(fp);
  char line[512];
  size_t k = 0;
  while (fgets(line, sizeof line, fp)) {
    char name[64];
    if (line[0] == '#') continue;
    if (sscanf(line, " runtime %63[a-z_0-9] ;", name) == 1) {
      printf("  families.lvm: runtime %s\n", name);
      assert_true(k < 10);
      assert_string_equal(name, lvm_family_table[k].name);
      k++;
    }
  }
  fclose(fp);
  assert_int_equal(k, 10);
  /* sizes */
  assert_int_equal(fam("normal")->eta_size(1), 2);
  assert_int_equal(fam("mvnormal")->eta_size(4), 20);
  assert_int_equal(fam("mvnormal")->n_stats, 2);
  assert_int_equal(fam("wishart")->eta_size(3), 10);
  assert_int_equal(fam("wishart")->value_size(3), 9);
  assert_int_equal(fam("dirichlet")->eta_size(7), 7);
  assert_int_equal(fam("categorical")->value_size(7), 1);
  assert_int_equal(fam("wishart")->work_size(3), LVM_FAMILY_WISHART_WORK(3));
  for (size_t i = 0; i < 10; i++)
    assert_true(lvm_family_table[i].work_size(5) <= LVM_FAMILY_WORK_MAX(5));
}

/* ---- Goodness of fit of the draws ---------------------------------------- */

#define NGOF 100000

static void gof_scalar(const fcase *c, lvm_rng *r, double *x) {
  const lvm_family *f = fam(c->fam);
  double par[2];
  assert_int_equal(f->params(1, c->eta, par, NULL), LVM_OK);
  for (size_t i = 0; i < NGOF; i++)
    assert_int_equal(f->draw(r, 1, c->eta, &x[i], NULL), LVM_OK);
  char what[96];
  snprintf(what, sizeof what, "%s(%.3g, %.3g)", c->fam, par[0], par[1]);
  par2 p = {par[0], par[1]};
  cdf_fn F = !strcmp(c->fam, "normal")  ? cdf_normal
             : !strcmp(c->fam, "gamma") ? cdf_gamma
             : !strcmp(c->fam, "beta")  ? cdf_beta
                                        : cdf_invgamma;
  assert_true(ks_test(what, x, NGOF, F, &p) > LVM_TEST_ALPHA);
}

static void gof_discrete(const fcase *c, lvm_rng *r) {
  const lvm_family *f = fam(c->fam);
  size_t K = !strcmp(c->fam, "categorical") ? c->n : 2;
  double obs[8] = {0}, prob[8], par[8];
  assert_int_equal(f->params(c->n, c->eta, par, NULL), LVM_OK);
  for (size_t k = 0; k < K; k++) {
    if (!strcmp(c->fam, "categorical"))
      prob[k] = exp(lvm_categorical_logit_lpmf((int64_t)k, K, c->eta));
    else if (!strcmp(c->fam, "bernoulli"))
      prob[k] = exp(lvm_bernoulli_logit_lpmf((int64_t)k, c->eta[0]));
    else /* spin: k = 0 is -1, k = 1 is +1; P(+1) = logistic(2 eta) */
      prob[k] = exp(lvm_bernoulli_logit_lpmf((int64_t)k, 2.0 * c->eta[0]));
  }
  for (size_t i = 0; i < NGOF; i++) {
    double x;
    assert_int_equal(f->draw(r, c->n, c->eta, &x, NULL), LVM_OK);
    size_t k;
    if (!strcmp(c->fam, "spin")) {
      assert_true(x == -1.0 || x == 1.0);
      k = x > 0;
    } else {
      assert_true(x >= 0.0 && x < (double)K && x == floor(x));
      k = (size_t)x;
    }
    obs[k]++;
  }
  for (size_t k = 0; k < K; k++)
    if (prob[k] == 0.0) assert_true(obs[k] == 0.0); /* -inf log-weight */
  char what[64];
  snprintf(what, sizeof what, "%s K=%zu", c->fam, K);
  assert_true(chisq_test(what, obs, prob, K, NGOF) > LVM_TEST_ALPHA);
}

static void gof_dirichlet(const fcase *c, lvm_rng *r, double *buf) {
  size_t K = c->n;
  double alpha[8], a0 = 0.0;
  assert_int_equal(lvm_family_dirichlet_params(K, c->eta, alpha), LVM_OK);
  for (size_t k = 0; k < K; k++) a0 += alpha[k];
  double *xs = malloc(NGOF * K * sizeof *xs);
  for (size_t i = 0; i < NGOF; i++) {
    assert_int_equal(lvm_family_dirichlet_draw(r, K, c->eta, xs + i * K),
                     LVM_OK);
    double s = 0.0;
    for (size_t k = 0; k < K; k++) s += xs[i * K + k];
    assert_true(fabs(s - 1.0) < 1e-12);
  }
  for (size_t k = 0; k < K; k++) {
    for (size_t i = 0; i < NGOF; i++) buf[i] = xs[i * K + k];
    par2 p = {alpha[k], a0 - alpha[k]}; /* Beta marginal */
    char what[64];
    snprintf(what, sizeof what, "dirichlet K=%zu marginal %zu", K, k);
    assert_true(ks_test(what, buf, NGOF, cdf_beta, &p) > LVM_TEST_ALPHA);
  }
  free(xs);
}

static void gof_mvnormal(const fcase *c, lvm_rng *r, double *buf) {
  double Sig[9], mu[3], work[LVM_FAMILY_MVNORMAL_WORK(3)];
  gsl_spd_inverse(3, LAM, Sig);
  matvec(3, Sig, HVEC, mu);
  size_t n = NGOF;
  double *xs = malloc(n * 3 * sizeof *xs);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(lvm_family_mvnormal_draw(r, 3, c->eta, xs + 3 * i, work),
                     LVM_OK);
  static const double dirs[2][3] = {{1, 0, 0}, {0.3, -1, 2}};
  for (int d = 0; d < 2; d++) {
    const double *a = dirs[d];
    for (size_t i = 0; i < n; i++)
      buf[i] = a[0] * xs[3 * i] + a[1] * xs[3 * i + 1] + a[2] * xs[3 * i + 2];
    par2 p = {a[0] * mu[0] + a[1] * mu[1] + a[2] * mu[2], sqrt(quad(3, Sig, a))};
    assert_true(ks_test("mvnormal projection a'x", buf, n, cdf_normal, &p) >
                LVM_TEST_ALPHA);
  }
  /* means and covariances within 4.5 standard errors */
  for (size_t i = 0; i < 3; i++) {
    for (size_t k = 0; k < n; k++) buf[k] = xs[3 * k + i];
    check_mean("mvnormal E[x_i]", buf, n, mu[i]);
    for (size_t j = 0; j <= i; j++) {
      for (size_t k = 0; k < n; k++)
        buf[k] = (xs[3 * k + i] - mu[i]) * (xs[3 * k + j] - mu[j]);
      check_mean("mvnormal Cov[x_i, x_j]", buf, n, Sig[i * 3 + j]);
    }
  }
  free(xs);
}

static void gof_wishart(const fcase *c, lvm_rng *r, double *buf) {
  double work[LVM_FAMILY_WISHART_WORK(3)], X[9];
  size_t n = NGOF / 2;
  static const double dirs[2][3] = {{1, 0, 0}, {1, 1, -1}};
  double *q = malloc(2 * n * sizeof *q);
  double *xs = malloc(n * 9 * sizeof *xs);
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(lvm_family_wishart_draw(r, 3, c->eta, X, work), LVM_OK);
    for (size_t j = 0; j < 9; j++) {
      assert_true(X[j] == X[(j % 3) * 3 + j / 3]); /* symmetric */
      xs[9 * i + j] = X[j];
    }
    for (int d = 0; d < 2; d++) q[d * n + i] = quad(3, X, dirs[d]);
  }
  par2 p = {NUW, 0};
  for (int d = 0; d < 2; d++) {
    double s = quad(3, SW, dirs[d]);
    for (size_t i = 0; i < n; i++) buf[i] = q[d * n + i] / s;
    assert_true(ks_test("wishart a'Xa / a'Sa ~ chi2(nu)", buf, n, cdf_chisq,
                        &p) > LVM_TEST_ALPHA);
  }
  for (size_t j = 0; j < 9; j++) {
    for (size_t i = 0; i < n; i++) buf[i] = xs[9 * i + j];
    check_mean("wishart E[X_ij] = nu S_ij", buf, n, NUW * SW[j]);
  }
  free(q);
  free(xs);
}

static void test_draws_gof(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 20240901, 0);
  double *buf = malloc(NGOF * sizeof *buf);
  for (size_t i = 0; i < ncases; i++) {
    const fcase *c = &cases[i];
    if (!strcmp(c->fam, "normal") || !strcmp(c->fam, "gamma") ||
        !strcmp(c->fam, "invgamma") || !strcmp(c->fam, "beta"))
      gof_scalar(c, &r, buf);
    else if (!strcmp(c->fam, "bernoulli") || !strcmp(c->fam, "spin") ||
             !strcmp(c->fam, "categorical"))
      gof_discrete(c, &r);
    else if (!strcmp(c->fam, "dirichlet"))
      gof_dirichlet(c, &r, buf);
    else if (!strcmp(c->fam, "mvnormal"))
      gof_mvnormal(c, &r, buf);
    else if (!strcmp(c->fam, "wishart"))
      gof_wishart(c, &r, buf);
  }
  free(buf);
}

/* ---- Mean of T(x) over draws = mean_stats -------------------------------------- */

static void test_draws_match_mean_stats(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 77, 3);
  const size_t n = 40000;
  for (size_t c = 0; c < ncases; c++) {
    const fcase *fc = &cases[c];
    const lvm_family *f = fam(fc->fam);
    size_t m = f->eta_size(fc->n), vs = f->value_size(fc->n);
    double ET[32], x[16], work[64];
    assert_int_equal(f->mean_stats(fc->n, fc->eta, ET, work), LVM_OK);
    double *T = malloc(n * m * sizeof *T), *col = malloc(n * sizeof *col);
    for (size_t i = 0; i < n; i++) {
      assert_int_equal(f->draw(&r, fc->n, fc->eta, x, work), LVM_OK);
      for (size_t j = 0; j < vs; j++) assert_true(isfinite(x[j]));
      assert_int_equal(f->stats(fc->n, x, T + i * m), LVM_OK);
    }
    for (size_t j = 0; j < m; j++) {
      for (size_t i = 0; i < n; i++) col[i] = T[i * m + j];
      char what[64];
      snprintf(what, sizeof what, "%s E[T_%zu]", fc->fam, j);
      if (fc->eta[j] == -INFINITY && !strcmp(fc->fam, "categorical")) {
        assert_true(ET[j] == 0.0);
        continue;
      }
      check_mean(what, col, n, ET[j]);
    }
    free(T);
    free(col);
  }
}

/* ---- grad A = mean_stats --------------------------------------------------- */

static void test_grad_log_partition(void **state) {
  (void)state;
  for (size_t c = 0; c < ncases; c++) {
    const fcase *fc = &cases[c];
    const lvm_family *f = fam(fc->fam);
    size_t m = f->eta_size(fc->n);
    double ET[32], work[64], e[32], Ap, Am;
    assert_int_equal(f->mean_stats(fc->n, fc->eta, ET, work), LVM_OK);
    double maxerr = 0.0;
    for (size_t j = 0; j < m; j++) {
      if (isinf(fc->eta[j])) { /* a -inf categorical weight: p = 0 */
        assert_true(ET[j] == 0.0);
        continue;
      }
      /* step relative to the entry (so small entries near the boundary of
       * the natural parameter space, e.g. eta2 = -0.005, stay accurate):
       * truncation ~ (h/|eta|)^2 ~ 1e-10, rounding ~ 1e-16 |A| / h */
      double h = 1e-5 * fmax(fabs(fc->eta[j]), 1e-2);
      memcpy(e, fc->eta, m * sizeof *e);
      e[j] = fc->eta[j] + h;
      assert_int_equal(f->log_partition(fc->n, e, &Ap, work), LVM_OK);
      e[j] = fc->eta[j] - h;
      assert_int_equal(f->log_partition(fc->n, e, &Am, work), LVM_OK);
      double fd = (Ap - Am) / (2.0 * h);
      double err = fabs(fd - ET[j]) / fmax(1.0, fabs(ET[j]));
      if (err > maxerr) maxerr = err;
      if (err > 1e-6)
        printf("  %s: dA/deta_%zu fd %.12g vs mean_stats %.12g\n", fc->fam, j,
               fd, ET[j]);
      assert_true(err < 1e-6);
    }
    printf("  grad A %-12s n=%zu: max rel error %.2e over %zu entries\n",
           fc->fam, fc->n, maxerr, m);
  }
}

/* ---- log p = <eta, T> - A vs lvm/dist.h ----------------------------------------- */

static void test_log_density_vs_dist(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 555, 0);
  for (size_t c = 0; c < ncases; c++) {
    const fcase *fc = &cases[c];
    const lvm_family *f = fam(fc->fam);
    double work[128], x[16], par[16], lp, ref, dw[64];
    assert_int_equal(f->params(fc->n, fc->eta, par, work), LVM_OK);
    for (int t = 0; t < 5; t++) {
      assert_int_equal(f->draw(&r, fc->n, fc->eta, x, work), LVM_OK);
      assert_int_equal(lvm_family_log_density(f, fc->n, fc->eta, x, &lp, work),
                       LVM_OK);
      const char *nm = fc->fam;
      if (!strcmp(nm, "normal")) ref = lvm_normal_lpdf(x[0], par[0], par[1]);
      else if (!strcmp(nm, "gamma")) ref = lvm_gamma_lpdf(x[0], par[0], par[1]);
      else if (!strcmp(nm, "invgamma"))
        ref = lvm_inv_gamma_lpdf(x[0], par[0], par[1]);
      else if (!strcmp(nm, "beta")) ref = lvm_beta_lpdf(x[0], par[0], par[1]);
      else if (!strcmp(nm, "bernoulli"))
        ref = lvm_bernoulli_lpmf((int64_t)x[0], par[0]);
      else if (!strcmp(nm, "spin"))
        ref = lvm_bernoulli_lpmf(x[0] > 0, par[0]);
      else if (!strcmp(nm, "categorical"))
        ref = lvm_categorical_lpmf((int64_t)x[0], fc->n, par);
      else if (!strcmp(nm, "dirichlet"))
        ref = lvm_dirichlet_lpdf(x, fc->n, par);
      else if (!strcmp(nm, "mvnormal"))
        assert_int_equal(
            lvm_mvnormal_lpdf(x, 3, par, par + 3, dw, &ref), LVM_OK);
      else
        assert_int_equal(lvm_wishart_lpdf(x, 3, par[0], par + 1, dw, &ref),
                         LVM_OK);
      double tol = 1e-10 * fmax(1.0, fabs(ref));
      if (!(fabs(lp - ref) <= tol))
        printf("  %s: log density %.15g vs dist.h %.15g\n", nm, lp, ref);
      assert_true(fabs(lp - ref) <= tol);
    }
  }
  /* outside the support: -inf, no error */
  double lp, work[64];
  double xo = -1.0;
  assert_int_equal(lvm_family_log_density(fam("gamma"), 1, cases[2].eta, &xo,
                                          &lp, work),
                   LVM_OK);
  assert_true(lp == -INFINITY);
}

/* ---- Entropy --------------------------------------------------------------- */

typedef struct {
  const char *fam;
  double p0, p1;
} qpar;

static double lpdf_of(const qpar *q, double x) {
  if (!strcmp(q->fam, "normal")) return lvm_normal_lpdf(x, q->p0, q->p1);
  if (!strcmp(q->fam, "gamma")) return lvm_gamma_lpdf(x, q->p0, q->p1);
  if (!strcmp(q->fam, "invgamma")) return lvm_inv_gamma_lpdf(x, q->p0, q->p1);
  return lvm_beta_lpdf(x, q->p0, q->p1);
}

static double neg_plogp(double x, void *v) {
  double lp = lpdf_of(v, x);
  return lp == -INFINITY ? 0.0 : -exp(lp) * lp;
}

static void test_entropy(void **state) {
  (void)state;
  gsl_integration_workspace *iw = gsl_integration_workspace_alloc(2000);
  gsl_set_error_handler_off();
  lvm_rng r;
  lvm_rng_seed(&r, 4242, 1);
  for (size_t c = 0; c < ncases; c++) {
    const fcase *fc = &cases[c];
    const lvm_family *f = fam(fc->fam);
    double H, work[128], par[16];
    assert_int_equal(f->entropy(fc->n, fc->eta, &H, work), LVM_OK);
    assert_int_equal(f->params(fc->n, fc->eta, par, work), LVM_OK);
    const char *nm = fc->fam;
    if (!strcmp(nm, "normal") || !strcmp(nm, "gamma") ||
        !strcmp(nm, "invgamma") || !strcmp(nm, "beta")) {
      qpar q = {nm, par[0], par[1]};
      gsl_function F = {neg_plogp, &q};
      double res, err;
      int st;
      if (!strcmp(nm, "normal")) { /* split at the mean */
        double r1, r2, e1, e2;
        st = gsl_integration_qagil(&F, par[0], 1e-12, 1e-11, 2000, iw, &r1, &e1);
        st |= gsl_integration_qagiu(&F, par[0], 1e-12, 1e-11, 2000, iw, &r2, &e2);
        res = r1 + r2;
        err = e1 + e2;
      } else if (!strcmp(nm, "beta")) {
        st = gsl_integration_qags(&F, 0.0, 1.0, 1e-12, 1e-11, 2000, iw, &res,
                                  &err);
      } else {
        double r1, r2, e1, e2, mid = !strcmp(nm, "gamma") ? par[0] / par[1]
                                                          : par[1] / par[0];
        st = gsl_integration_qags(&F, 0.0, mid, 1e-12, 1e-11, 2000, iw, &r1,
                                  &e1);
        st |= gsl_integration_qagiu(&F, mid, 1e-12, 1e-11, 2000, iw, &r2, &e2);
        res = r1 + r2;
        err = e1 + e2;
      }
      printf("  entropy %-9s(%.3g, %.3g): closed %.12g quadrature %.12g "
             "(est. err %.1e, status %d)\n",
             nm, par[0], par[1], H, res, err, st);
      assert_true(fabs(H - res) < 1e-7 * fmax(1.0, fabs(H)) + 10 * err);
      assert_true(fabs(H - res) < 1e-6 * fmax(1.0, fabs(H)));
    } else if (!strcmp(nm, "bernoulli") || !strcmp(nm, "spin") ||
               !strcmp(nm, "categorical")) {
      size_t K = !strcmp(nm, "categorical") ? fc->n : 2;
      double s = 0.0;
      for (size_t k = 0; k < K; k++) {
        double lp = !strcmp(nm, "categorical")
                        ? lvm_categorical_logit_lpmf((int64_t)k, K, fc->eta)
                        : lvm_bernoulli_lpmf((int64_t)k, par[0]);
        if (lp > -INFINITY) s -= exp(lp) * lp;
      }
      printf("  entropy %-9s: closed %.15g sum %.15g\n", nm, H, s);
      assert_true(fabs(H - s) < 1e-13);
    } else { /* Monte Carlo with lvm/dist.h densities */
      const size_t n = 20000;
      double *v = malloc(n * sizeof *v), x[16], dw[64];
      for (size_t i = 0; i < n; i++) {
        assert_int_equal(f->draw(&r, fc->n, fc->eta, x, work), LVM_OK);
        double lp;
        if (!strcmp(nm, "dirichlet")) lp = lvm_dirichlet_lpdf(x, fc->n, par);
        else if (!strcmp(nm, "mvnormal"))
          assert_int_equal(lvm_mvnormal_lpdf(x, 3, par, par + 3, dw, &lp),
                           LVM_OK);
        else
          assert_int_equal(lvm_wishart_lpdf(x, 3, par[0], par + 1, dw, &lp),
                           LVM_OK);
        v[i] = -lp;
      }
      char what[64];
      snprintf(what, sizeof what, "entropy %s: MC of -log p", nm);
      check_mean(what, v, n, H);
      free(v);
    }
  }
  gsl_integration_workspace_free(iw);
}

/* ---- params ------------------------------------------------------------------ */

static void test_params(void **state) {
  (void)state;
  double par[16], work[128];
  assert_int_equal(lvm_family_normal_params((double[]){6.0, -2.0}, par), 0);
  assert_true(fabs(par[0] - 1.5) < 1e-15 && fabs(par[1] - 0.5) < 1e-15);
  assert_int_equal(lvm_family_gamma_params((double[]){-2.0, -0.7}, par), 0);
  assert_true(fabs(par[0] - 0.3) < 1e-15 && par[1] == 2.0);
  assert_int_equal(lvm_family_invgamma_params((double[]){-3.5, -3.0}, par), 0);
  assert_true(par[0] == 2.5 && par[1] == 3.0);
  assert_int_equal(lvm_family_beta_params((double[]){19.0, 4.0}, par), 0);
  assert_true(par[0] == 20.0 && par[1] == 5.0);
  assert_int_equal(lvm_family_bernoulli_params((double[]){0.0}, par), 0);
  assert_true(par[0] == 0.5);
  assert_int_equal(lvm_family_spin_params((double[]){0.5}, par), 0);
  assert_true(fabs(par[0] - 1.0 / (1.0 + exp(-1.0))) < 1e-15);
  double ET;
  assert_int_equal(lvm_family_spin_mean_stats((double[]){0.5}, &ET), 0);
  assert_true(fabs(ET - (2.0 * par[0] - 1.0)) < 1e-15);
  assert_int_equal(
      lvm_family_dirichlet_params(3, (double[]){-0.5, 1.0, 2.5}, par), 0);
  assert_true(par[0] == 0.5 && par[1] == 2.0 && par[2] == 3.5);
  assert_int_equal(lvm_family_categorical_params(
                       3, (double[]){log(2.0), log(3.0), -INFINITY}, par),
                   0);
  assert_true(fabs(par[0] - 0.4) < 1e-15 && fabs(par[1] - 0.6) < 1e-15 &&
              par[2] == 0.0);
  /* mvnormal: mean Lambda^{-1} h and Sigma = Lambda^{-1}, both eta forms */
  double Sig[9], mu[3];
  gsl_spd_inverse(3, LAM, Sig);
  matvec(3, Sig, HVEC, mu);
  for (int c = 16; c <= 17; c++) {
    assert_string_equal(cases[c].fam, "mvnormal");
    assert_int_equal(lvm_family_mvnormal_params(3, cases[c].eta, par, work), 0);
    for (int i = 0; i < 3; i++) assert_true(fabs(par[i] - mu[i]) < 1e-13);
    for (int i = 0; i < 9; i++) assert_true(fabs(par[3 + i] - Sig[i]) < 1e-13);
  }
  for (int c = 18; c <= 19; c++) {
    assert_string_equal(cases[c].fam, "wishart");
    assert_int_equal(lvm_family_wishart_params(3, cases[c].eta, par, work), 0);
    assert_true(fabs(par[0] - NUW) < 1e-14);
    for (int i = 0; i < 9; i++) assert_true(fabs(par[1 + i] - SW[i]) < 1e-13);
  }
}

/* ---- Invalid natural parameters -------------------------------------------- */

typedef struct {
  const char *fam;
  size_t n;
  double eta[16];
  const char *reason; /* substring of the reported reason */
} bad_case;

static void test_invalid_eta(void **state) {
  (void)state;
  const double N = NAN, I = INFINITY;
  const bad_case bad[] = {
      {"normal", 1, {1.0, 0.0}, "non-positive precision"},
      {"normal", 1, {1.0, 2.0}, "non-positive precision"},
      {"normal", 1, {N, -1.0}, "NaN or infinite"},
      {"normal", 1, {1.0, -I}, "NaN or infinite"},
      {"normal", 1, {1e300, -1e-300}, "overflows"},
      {"gamma", 1, {-1.0, -1.0}, "shape"},
      {"gamma", 1, {-1.0, -2.5}, "shape"},
      {"gamma", 1, {0.0, 1.0}, "rate"},
      {"gamma", 1, {0.5, 1.0}, "rate"},
      {"gamma", 1, {-1.0, N}, "NaN"},
      {"invgamma", 1, {-1.0, -1.0}, "shape"},
      {"invgamma", 1, {-2.0, 0.0}, "scale"},
      {"invgamma", 1, {I, -1.0}, "NaN or infinite"},
      {"beta", 1, {-1.0, 0.0}, "a = eta1 + 1"},
      {"beta", 1, {0.0, -1.5}, "b = eta2 + 1"},
      {"beta", 1, {N, 0.0}, "NaN"},
      {"dirichlet", 3, {0.0, -1.0, 1.0}, "alpha_k"},
      {"dirichlet", 3, {0.0, N, 1.0}, "NaN"},
      {"bernoulli", 1, {N}, "NaN"},
      {"spin", 1, {N}, "NaN"},
      {"categorical", 3, {-I, -I, -I}, "every log-weight is -inf"},
      {"categorical", 3, {0.0, N, 1.0}, "NaN"},
      {"categorical", 3, {0.0, I, 1.0}, "+inf"},
      /* indefinite precision: eigenvalues of [[1,2],[2,1]] are 3, -1 */
      {"mvnormal", 2, {0, 0, -0.5, -1.0, -1.0, -0.5}, "not positive definite"},
      {"mvnormal", 2, {0, 0, 0.5, 0, 0, -0.5}, "not positive definite"},
      {"mvnormal", 2, {N, 0, -0.5, 0, 0, -0.5}, "NaN"},
      {"mvnormal", 2, {0, 0, -0.5, N, 0, -0.5}, "NaN"},
      /* asymmetric eta2 whose symmetric part is indefinite */
      {"mvnormal", 2, {0, 0, -0.5, -4.0, 0.0, -0.5}, "not positive definite"},
      {"wishart", 2, {-0.5, 0, 0, -0.5, -1.0}, "degrees of freedom"},
      {"wishart", 2, {-0.5, 0, 0, -0.5, -1.6}, "degrees of freedom"},
      {"wishart", 2, {0.5, 0, 0, -0.5, 1.0}, "not positive definite"},
      {"wishart", 2, {-0.5, 0, 0, -0.5, N}, "NaN"},
  };
  lvm_error_handler old = lvm_set_error_handler(capture_handler);
  lvm_rng r;
  lvm_rng_seed(&r, 1, 0);
  for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
    const bad_case *bc = &bad[b];
    const lvm_family *f = fam(bc->fam);
    double out[32], work[64];
    for (int i = 0; i < 32; i++) out[i] = 12345.0;
    int st[6];
    capture_reset();
    st[0] = f->check(bc->n, bc->eta, work);
    st[1] = f->draw(&r, bc->n, bc->eta, out, work);
    st[2] = f->mean_stats(bc->n, bc->eta, out, work);
    st[3] = f->log_partition(bc->n, bc->eta, out, work);
    st[4] = f->entropy(bc->n, bc->eta, out, work);
    st[5] = f->params(bc->n, bc->eta, out, work);
    printf("  %-11s invalid case %2zu: status %d, \"%s\"\n", bc->fam, b, st[0],
           err_reason);
    lvm_status want = strstr(bc->reason, "overflows") ? LVM_ERANGE : LVM_EDOM;
    for (int i = 0; i < 6; i++) assert_int_equal(st[i], want);
    assert_int_equal(err_count, 6); /* reported once per call */
    assert_non_null(strstr(err_reason, bc->fam));
    assert_non_null(strstr(err_reason, bc->reason));
    for (int i = 0; i < 32; i++) assert_true(out[i] == 12345.0);
  }
  /* typed entry points and their messages */
  capture_reset();
  double x = 7.0;
  assert_int_equal(lvm_family_normal_draw(&r, (double[]){0.3, 0.0}, &x),
                   LVM_EDOM);
  assert_true(x == 7.0);
  assert_non_null(strstr(err_reason, "improper"));
  int z = 5;
  assert_int_equal(lvm_family_bernoulli_draw(&r, (double[]){NAN}, &z),
                   LVM_EDOM);
  assert_int_equal(z, 5);
  int64_t k = 9;
  assert_int_equal(
      lvm_family_categorical_draw(&r, 2, (double[]){-INFINITY, -INFINITY}, &k),
      LVM_EDOM);
  assert_int_equal(k, 9);
  assert_int_equal(lvm_family_dirichlet_check(0, NULL), LVM_EINVAL);
  assert_int_equal(lvm_family_mvnormal_check(0, NULL, NULL), LVM_EINVAL);
  /* values outside the support for stats */
  double T[4];
  assert_int_equal(fam("beta")->stats(1, (double[]){1.0}, T), LVM_EDOM);
  assert_int_equal(fam("spin")->stats(1, (double[]){0.0}, T), LVM_EDOM);
  assert_int_equal(fam("categorical")->stats(3, (double[]){3.0}, T), LVM_EDOM);
  lvm_set_error_handler(old);
}

/* Degenerate but valid: +-inf for bernoulli/spin is a point mass. */
static void test_degenerate_binary(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 2, 0);
  double e = INFINITY, H, A, ET;
  int x;
  for (int i = 0; i < 100; i++) {
    assert_int_equal(lvm_family_bernoulli_draw(&r, &e, &x), 0);
    assert_int_equal(x, 1);
    assert_int_equal(lvm_family_spin_draw(&r, &e, &x), 0);
    assert_int_equal(x, 1);
  }
  assert_int_equal(lvm_family_bernoulli_entropy(&e, &H), 0);
  assert_true(H == 0.0);
  assert_int_equal(lvm_family_spin_mean_stats(&e, &ET), 0);
  assert_true(ET == 1.0);
  e = -INFINITY;
  assert_int_equal(lvm_family_bernoulli_log_partition(&e, &A), 0);
  assert_true(A == 0.0);
  assert_int_equal(lvm_family_spin_draw(&r, &e, &x), 0);
  assert_int_equal(x, -1);
  /* spin entropy and log partition at large |eta|: no overflow */
  e = 800.0;
  assert_int_equal(lvm_family_spin_log_partition(&e, &A), 0);
  assert_true(A == 800.0);
  assert_int_equal(lvm_family_spin_entropy(&e, &H), 0);
  assert_true(H >= 0.0 && H < 1e-300);
}

/* Extreme parameters: every draw lies in the open support, so the next
 * sweep's log x, log(1 - x), 1/x are finite. */
static void test_extreme_draws(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 99, 0);
  const size_t n = 20000;
  double x, work[64], v[8];
  size_t clamped = 0;
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(lvm_family_gamma_draw(&r, (double[]){-1.0, -0.999}, &x),
                     0); /* shape 1e-3 */
    assert_true(x >= DBL_MIN && isfinite(log(x)));
    clamped += x == DBL_MIN;
    assert_int_equal(
        lvm_family_invgamma_draw(&r, (double[]){-1.001, -1.0}, &x), 0);
    assert_true(x >= DBL_MIN && x <= DBL_MAX && isfinite(1.0 / x));
    assert_int_equal(lvm_family_beta_draw(&r, (double[]){-0.98, -0.97}, &x), 0);
    assert_true(x > 0.0 && x < 1.0 && isfinite(log(x)) && isfinite(log1p(-x)));
    assert_int_equal(lvm_family_dirichlet_draw(
                         &r, 3, (double[]){-0.995, -0.99, 4.0}, v),
                     0);
    for (int k = 0; k < 3; k++) assert_true(v[k] >= DBL_MIN && v[k] <= 1.0);
    assert_int_equal(lvm_family_normal_draw(&r, (double[]){0.0, -1e-300}, &x),
                     0);
    assert_true(isfinite(x));
  }
  /* P(Gamma(0.001) < DBL_MIN) = DBL_MIN^0.001 / Gamma(1.001): the clamped
   * fraction is that probability (binomial, 4.5 sd) */
  double p = exp(0.001 * log(DBL_MIN) - lvm_lgamma(1.001));
  double sd = sqrt(n * p * (1 - p));
  printf("  gamma(0.001): %zu of %zu clamped to DBL_MIN, expected %.1f\n",
         clamped, n, n * p);
  assert_true(fabs((double)clamped - n * p) < 4.5 * sd);
  (void)work;
}

/* Many rows at once (lvm_family_categorical_mean_stats_rows) give the
 * same bits as one row at a time, for every row length and block split;
 * rows not free are left untouched; an improper row stops with its
 * status, the rows before it done. */
static void test_categorical_rows(void **state) {
  (void)state;
  enum { ROWS = 1003, KMAX = 17 }; /* chunks whose row counts are not multiples of 8; the lane
                                      kernel's unrolled K, its other K up to 16, beyond it */
  static double eta[ROWS * KMAX], one[ROWS * KMAX], all[ROWS * KMAX];
  static unsigned char mask[ROWS], ones[ROWS];
  uint64_t u = 12345;
  memset(ones, 1, sizeof ones);
  for (size_t K = 1; K <= KMAX; K++) {
    for (size_t i = 0; i < ROWS * K; i++) {
      u ^= u << 13, u ^= u >> 7, u ^= u << 17;
      eta[i] = (double)(u % 20000) / 100.0 - 150.0; /* differences up to 200: some exps underflow */
      if (u % 97 == 0) eta[i] = -INFINITY;
      if (u % 101 == 0) eta[i] -= 1000; /* out of lvm_exp_n's polynomial range */
    }
    for (size_t r = 0; r < ROWS; r++) {
      if (eta[r * K] == -INFINITY) eta[r * K] = 0.5; /* every row proper */
      assert_int_equal(lvm_family_categorical_mean_stats(K, eta + r * K, one + r * K), LVM_OK);
      mask[r] = (unsigned char)(r % 3 != 0);
    }
    assert_int_equal(lvm_family_categorical_mean_stats_rows(K, ROWS, NULL, eta, all, NULL), LVM_OK);
    assert_memory_equal(one, all, ROWS * K * sizeof(double));
    for (size_t i = 0; i < ROWS * K; i++) all[i] = -7.0;
    assert_int_equal(lvm_family_categorical_mean_stats_rows(K, ROWS, mask, eta, all, NULL), LVM_OK);
    for (size_t r = 0; r < ROWS; r++)
      for (size_t k = 0; k < K; k++)
        assert_true(mask[r] ? all[r * K + k] == one[r * K + k] : all[r * K + k] == -7.0);
    /* the rows' entropies: the same sum as one row at a time (-sum p log p
     * from the log-partition), for every row and for the free rows; the
     * probabilities the same bits with H asked for */
    double h_all = 0, h_free = 0, H = -1;
    for (size_t r = 0; r < ROWS; r++) {
      double h;
      assert_int_equal(lvm_family_categorical_entropy(K, eta + r * K, &h), LVM_OK);
      h_all += h;
      if (mask[r]) h_free += h;
    }
    assert_int_equal(lvm_family_categorical_mean_stats_rows(K, ROWS, NULL, eta, all, &H), LVM_OK);
    assert_memory_equal(one, all, ROWS * K * sizeof(double));
    assert_true(fabs(H - h_all) <= 1e-12 * (h_all > 1 ? h_all : 1));
    assert_true(K > 1 ? h_all > 10 : h_all == 0); /* not trivially equal */
    /* every row free, as a mask or as NULL (the lane kernel for 2 <= K <=
     * 16, row by row with a mask): the same bits, entropy included */
    double H1 = -1;
    for (size_t i = 0; i < ROWS * K; i++) all[i] = -7.0;
    assert_int_equal(lvm_family_categorical_mean_stats_rows(K, ROWS, ones, eta, all, &H1), LVM_OK);
    assert_memory_equal(one, all, ROWS * K * sizeof(double));
    assert_memory_equal(&H, &H1, sizeof H);
    assert_int_equal(lvm_family_categorical_mean_stats_rows(K, ROWS, mask, eta, all, &H), LVM_OK);
    assert_true(fabs(H - h_free) <= 1e-12 * (h_free > 1 ? h_free : 1));
  }
  double bad[] = {0.0, 1.0, 2.0, NAN, -1.0, 3.0};
  double out[6] = {0};
  assert_int_equal(lvm_family_categorical_mean_stats_rows(2, 3, NULL, bad, out, NULL), LVM_EDOM);
  assert_true(fabs(out[0] + out[1] - 1.0) < 1e-15 && out[1] > out[0]);
  double none[] = {-INFINITY, -INFINITY};
  assert_int_equal(lvm_family_categorical_mean_stats_rows(2, 1, NULL, none, out, NULL), LVM_EDOM);
}

int main(int argc, char **argv) {
  if (argc > 1) families_lvm = argv[1];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table),
      cmocka_unit_test_setup(test_draws_gof, setup_cases),
      cmocka_unit_test_setup(test_draws_match_mean_stats, setup_cases),
      cmocka_unit_test_setup(test_grad_log_partition, setup_cases),
      cmocka_unit_test_setup(test_log_density_vs_dist, setup_cases),
      cmocka_unit_test_setup(test_entropy, setup_cases),
      cmocka_unit_test_setup(test_params, setup_cases),
      cmocka_unit_test(test_invalid_eta),
      cmocka_unit_test(test_degenerate_binary),
      cmocka_unit_test(test_extreme_draws),
      cmocka_unit_test(test_categorical_rows),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
