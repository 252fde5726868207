/* lvm_family_table: dispatch of the exponential families by their
 * `runtime NAME;` (see lvm/family.h), with uniform signatures, the
 * statistics T(x) of a value, and the log density from eta. */
#include "lvm/family.h"

#include "../core/blas.h"
#include <limits.h>
#include <math.h>
#include <string.h>

/* ---- Sizes ----------------------------------------------------------------- */

static size_t sz_0(size_t n) { (void)n; return 0; }
static size_t sz_1(size_t n) { (void)n; return 1; }
static size_t sz_2(size_t n) { (void)n; return 2; }
static size_t sz_n(size_t n) { return n; }
static size_t sz_nn(size_t n) { return n * n; }
static size_t sz_n_nn(size_t n) { return n + n * n; }
static size_t sz_nn_1(size_t n) { return n * n + 1; }
static size_t sz_mvn_work(size_t n) { return LVM_FAMILY_MVNORMAL_WORK(n); }
static size_t sz_wis_work(size_t n) { return LVM_FAMILY_WISHART_WORK(n); }

/* ---- Statistics of a value (silent; 1 = outside the support) ---------------- */

static int st_normal(size_t n, const double *x, double *T) {
  (void)n;
  if (!isfinite(x[0])) return 1;
  T[0] = x[0];
  T[1] = x[0] * x[0];
  return 0;
}
static int st_gamma(size_t n, const double *x, double *T) {
  (void)n;
  if (!(x[0] > 0.0) || isinf(x[0])) return 1;
  T[0] = x[0];
  T[1] = log(x[0]);
  return 0;
}
static int st_invgamma(size_t n, const double *x, double *T) {
  (void)n;
  if (!(x[0] > 0.0) || isinf(x[0])) return 1;
  T[0] = log(x[0]);
  T[1] = 1.0 / x[0];
  return 0;
}
static int st_beta(size_t n, const double *x, double *T) {
  (void)n;
  if (!(x[0] > 0.0 && x[0] < 1.0)) return 1;
  T[0] = log(x[0]);
  T[1] = log1p(-x[0]);
  return 0;
}
static int st_bernoulli(size_t n, const double *x, double *T) {
  (void)n;
  if (x[0] != 0.0 && x[0] != 1.0) return 1;
  T[0] = x[0];
  return 0;
}
static int st_spin(size_t n, const double *x, double *T) {
  (void)n;
  if (x[0] != -1.0 && x[0] != 1.0) return 1;
  T[0] = x[0];
  return 0;
}
static int st_dirichlet(size_t K, const double *x, double *T) {
  double s = 0.0;
  for (size_t k = 0; k < K; k++) {
    if (!(x[k] > 0.0 && x[k] <= 1.0)) return 1;
    s += x[k];
  }
  if (!(fabs(s - 1.0) <= 1e-8)) return 1;
  for (size_t k = 0; k < K; k++) T[k] = log(x[k]);
  return 0;
}
static int st_categorical(size_t K, const double *x, double *T) {
  if (!(x[0] >= 0.0 && x[0] < (double)K) || x[0] != floor(x[0])) return 1;
  for (size_t k = 0; k < K; k++) T[k] = 0.0;
  T[(size_t)x[0]] = 1.0;
  return 0;
}
static int st_mvnormal(size_t D, const double *x, double *T) {
  for (size_t i = 0; i < D; i++)
    if (!isfinite(x[i])) return 1;
  memcpy(T, x, D * sizeof *T);
  for (size_t i = 0; i < D; i++)
    for (size_t j = 0; j < D; j++) T[D + i * D + j] = x[i] * x[j];
  return 0;
}
static int st_wishart(size_t D, const double *X, double *T) {
  if (D > INT_MAX) return 1;
  for (size_t i = 0; i < D; i++)
    for (size_t j = 0; j <= i; j++)
      if (!isfinite(X[i * D + j]) || X[i * D + j] != X[j * D + i]) return 1;
  /* log det X from a Cholesky factorisation done in T, then T <- X */
  memcpy(T, X, D * D * sizeof *T);
  if (lvm_blas()->dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)D, T, (lapack_int)D))
    return 1;
  double ld = 0.0;
  for (size_t i = 0; i < D; i++) {
    if (!(T[i * D + i] > 0.0)) return 1;
    ld += 2.0 * log(T[i * D + i]);
  }
  memcpy(T, X, D * D * sizeof *T);
  T[D * D] = ld;
  return 0;
}

/* ---- Uniform wrappers ------------------------------------------------------- */

/* Scalar families: ignore n and work. */
#define SCALAR_WRAPPERS(F)                                                     \
  static lvm_status F##_check_u(size_t n, const double *eta, double *w) {     \
    (void)n, (void)w;                                                          \
    return lvm_family_##F##_check(eta);                                        \
  }                                                                            \
  static lvm_status F##_mean_u(size_t n, const double *eta, double *o,        \
                               double *w) {                                    \
    (void)n, (void)w;                                                          \
    return lvm_family_##F##_mean_stats(eta, o);                                \
  }                                                                            \
  static lvm_status F##_lp_u(size_t n, const double *eta, double *o,          \
                             double *w) {                                      \
    (void)n, (void)w;                                                          \
    return lvm_family_##F##_log_partition(eta, o);                             \
  }                                                                            \
  static lvm_status F##_ent_u(size_t n, const double *eta, double *o,         \
                              double *w) {                                     \
    (void)n, (void)w;                                                          \
    return lvm_family_##F##_entropy(eta, o);                                   \
  }                                                                            \
  static lvm_status F##_par_u(size_t n, const double *eta, double *o,         \
                              double *w) {                                     \
    (void)n, (void)w;                                                          \
    return lvm_family_##F##_params(eta, o);                                    \
  }

SCALAR_WRAPPERS(normal)
SCALAR_WRAPPERS(gamma)
SCALAR_WRAPPERS(invgamma)
SCALAR_WRAPPERS(beta)
SCALAR_WRAPPERS(bernoulli)
SCALAR_WRAPPERS(spin)

#define SCALAR_DRAW(F)                                                         \
  static lvm_status F##_draw_u(lvm_rng *r, size_t n, const double *eta,       \
                               double *x, double *w) {                         \
    (void)n, (void)w;                                                          \
    return lvm_family_##F##_draw(r, eta, x);                                   \
  }
SCALAR_DRAW(normal)
SCALAR_DRAW(gamma)
SCALAR_DRAW(invgamma)
SCALAR_DRAW(beta)

#define BINARY_DRAW(F)                                                         \
  static lvm_status F##_draw_u(lvm_rng *r, size_t n, const double *eta,       \
                               double *x, double *w) {                         \
    (void)n, (void)w;                                                          \
    int v;                                                                     \
    lvm_status st = lvm_family_##F##_draw(r, eta, &v);                         \
    if (!st) x[0] = v;                                                         \
    return st;                                                                 \
  }
BINARY_DRAW(bernoulli)
BINARY_DRAW(spin)

/* Sized families without workspace. */
#define NOWORK_WRAPPERS(F)                                                     \
  static lvm_status F##_check_u(size_t n, const double *eta, double *w) {     \
    (void)w;                                                                   \
    return lvm_family_##F##_check(n, eta);                                     \
  }                                                                            \
  static lvm_status F##_mean_u(size_t n, const double *eta, double *o,        \
                               double *w) {                                    \
    (void)w;                                                                   \
    return lvm_family_##F##_mean_stats(n, eta, o);                             \
  }                                                                            \
  static lvm_status F##_lp_u(size_t n, const double *eta, double *o,          \
                             double *w) {                                      \
    (void)w;                                                                   \
    return lvm_family_##F##_log_partition(n, eta, o);                          \
  }                                                                            \
  static lvm_status F##_ent_u(size_t n, const double *eta, double *o,         \
                              double *w) {                                     \
    (void)w;                                                                   \
    return lvm_family_##F##_entropy(n, eta, o);                                \
  }                                                                            \
  static lvm_status F##_par_u(size_t n, const double *eta, double *o,         \
                              double *w) {                                     \
    (void)w;                                                                   \
    return lvm_family_##F##_params(n, eta, o);                                 \
  }
NOWORK_WRAPPERS(dirichlet)
NOWORK_WRAPPERS(categorical)

static lvm_status dirichlet_draw_u(lvm_rng *r, size_t n, const double *eta,
                                   double *x, double *w) {
  (void)w;
  return lvm_family_dirichlet_draw(r, n, eta, x);
}
static lvm_status categorical_draw_u(lvm_rng *r, size_t n, const double *eta,
                                     double *x, double *w) {
  (void)w;
  int64_t k;
  lvm_status st = lvm_family_categorical_draw(r, n, eta, &k);
  if (!st) x[0] = (double)k;
  return st;
}

/* ---- The statistics, reported -------------------------------------------- */

#define STATS_REPORTED(F)                                                      \
  static lvm_status F##_stats_u(size_t n, const double *x, double *T) {       \
    if (st_##F(n, x, T))                                                       \
      LVM_ERROR(#F " family: value outside the support", LVM_EDOM);            \
    return LVM_OK;                                                             \
  }
STATS_REPORTED(normal)
STATS_REPORTED(gamma)
STATS_REPORTED(invgamma)
STATS_REPORTED(beta)
STATS_REPORTED(dirichlet)
STATS_REPORTED(bernoulli)
STATS_REPORTED(spin)
STATS_REPORTED(categorical)
STATS_REPORTED(mvnormal)
STATS_REPORTED(wishart)

/* ---- The table, in the order of stdlib/families.lvm ------------------------ */

#define ENTRY(NAME, DOM, SIZED, NST, ETA, VAL, PAR, WORK, CHK, DRW, MEAN, LP,   \
              ENT, PRM, STS)                                                   \
  {NAME, DOM, SIZED, NST, ETA, VAL, PAR, WORK, CHK, DRW, MEAN, LP, ENT, PRM,  \
   STS}

#define SCALAR_ENTRY(F, DOM, NST, ETA)                                         \
  ENTRY(#F, DOM, 0, NST, ETA, sz_1, ETA, sz_0, F##_check_u, F##_draw_u,        \
        F##_mean_u, F##_lp_u, F##_ent_u, F##_par_u, F##_stats_u)

const lvm_family lvm_family_table[] = {
    SCALAR_ENTRY(normal, "real", 2, sz_2),
    ENTRY("mvnormal", "vec", 1, 2, sz_n_nn, sz_n, sz_n_nn, sz_mvn_work,
          lvm_family_mvnormal_check, lvm_family_mvnormal_draw,
          lvm_family_mvnormal_mean_stats, lvm_family_mvnormal_log_partition,
          lvm_family_mvnormal_entropy, lvm_family_mvnormal_params,
          mvnormal_stats_u),
    SCALAR_ENTRY(gamma, "pos", 2, sz_2),
    SCALAR_ENTRY(invgamma, "pos", 2, sz_2),
    SCALAR_ENTRY(beta, "unit", 2, sz_2),
    ENTRY("dirichlet", "simplex", 1, 1, sz_n, sz_n, sz_n, sz_0,
          dirichlet_check_u, dirichlet_draw_u, dirichlet_mean_u, dirichlet_lp_u,
          dirichlet_ent_u, dirichlet_par_u, dirichlet_stats_u),
    SCALAR_ENTRY(bernoulli, "bin", 1, sz_1),
    SCALAR_ENTRY(spin, "spin", 1, sz_1),
    ENTRY("categorical", "cat", 1, 1, sz_n, sz_1, sz_n, sz_0,
          categorical_check_u, categorical_draw_u, categorical_mean_u,
          categorical_lp_u, categorical_ent_u, categorical_par_u,
          categorical_stats_u),
    ENTRY("wishart", "spd", 1, 2, sz_nn_1, sz_nn, sz_nn_1, sz_wis_work,
          lvm_family_wishart_check, lvm_family_wishart_draw,
          lvm_family_wishart_mean_stats, lvm_family_wishart_log_partition,
          lvm_family_wishart_entropy, lvm_family_wishart_params,
          wishart_stats_u),
};

const size_t lvm_family_table_size =
    sizeof lvm_family_table / sizeof lvm_family_table[0];

/* Silent statistics, parallel to the table. */
static int (*const silent_stats[])(size_t, const double *, double *) = {
    st_normal, st_mvnormal, st_gamma, st_invgamma, st_beta,
    st_dirichlet, st_bernoulli, st_spin, st_categorical, st_wishart,
};
_Static_assert(sizeof silent_stats / sizeof silent_stats[0] ==
                   sizeof lvm_family_table / sizeof lvm_family_table[0],
               "silent_stats must parallel lvm_family_table");

const lvm_family *lvm_family_find(const char *name) {
  if (!name) return NULL;
  for (size_t i = 0; i < lvm_family_table_size; i++)
    if (strcmp(lvm_family_table[i].name, name) == 0) return &lvm_family_table[i];
  return NULL;
}

lvm_status lvm_family_log_density(const lvm_family *f, size_t n,
                                  const double *eta, const double *x,
                                  double *lp, double *work) {
  if (f < lvm_family_table || f >= lvm_family_table + lvm_family_table_size)
    LVM_ERROR("lvm_family_log_density: not an entry of lvm_family_table",
              LVM_EINVAL);
  double A;
  lvm_status st = f->log_partition(n, eta, &A, work);
  if (st) return st;
  size_t m = f->eta_size(n);
  double *T = work + f->work_size(n);
  if (silent_stats[f - lvm_family_table](n, x, T)) {
    *lp = -INFINITY;
    return LVM_OK;
  }
  double s = 0.0;
  for (size_t i = 0; i < m; i++)
    if (T[i] != 0.0) s += eta[i] * T[i]; /* 0 * -inf = 0 (categorical) */
  *lp = s - A;
  return LVM_OK;
}
