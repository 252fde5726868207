/* Scalar exponential families from natural parameters (see lvm/family.h):
 * normal, gamma, inverse gamma, beta, Bernoulli, spin. */
#include "lvm/family.h"

#include <float.h>
#include <math.h>

#include "lvm/dist.h"
#include "lvm/special.h"

#define LOG_2PI 1.83787706640934548356

/* Clamp a continuous draw into the open support (see family.h). */
static double clamp_pos(double x) { return x < DBL_MIN ? DBL_MIN : x; }
static double clamp_unit(double x) {
  if (x < DBL_MIN) return DBL_MIN;
  if (x >= 1.0) return 1.0 - 0x1.0p-53;
  return x;
}

/* ---- Normal: eta = (m tau, -tau/2) ---------------------------------------- */

/* tau, m from eta; LVM_OK or the reported error. */
static lvm_status normal_unpack(const double *eta, double *tau, double *m) {
  if (!isfinite(eta[0]) || !isfinite(eta[1]))
    LVM_ERROR("normal family: natural parameter is NaN or infinite", LVM_EDOM);
  if (!(eta[1] < 0.0))
    LVM_ERROR("normal family: eta2 >= 0, the complete conditional has "
              "non-positive precision (improper)",
              LVM_EDOM);
  double t = -2.0 * eta[1];
  double mm = eta[0] / t;
  if (!isfinite(t) || !isfinite(mm))
    LVM_ERROR("normal family: precision or mean overflows", LVM_ERANGE);
  *tau = t;
  *m = mm;
  return LVM_OK;
}

lvm_status lvm_family_normal_check(const double *eta) {
  double t, m;
  return normal_unpack(eta, &t, &m);
}

lvm_status lvm_family_normal_draw(lvm_rng *r, const double *eta, double *x) {
  double t, m;
  lvm_status st = normal_unpack(eta, &t, &m);
  if (st) return st;
  *x = m + lvm_std_normal_draw(r) / sqrt(t);
  return LVM_OK;
}

lvm_status lvm_family_normal_mean_stats(const double *eta, double *ET) {
  double t, m;
  lvm_status st = normal_unpack(eta, &t, &m);
  if (st) return st;
  ET[0] = m;
  ET[1] = m * m + 1.0 / t;
  return LVM_OK;
}

lvm_status lvm_family_normal_log_partition(const double *eta, double *A) {
  double t, m;
  lvm_status st = normal_unpack(eta, &t, &m);
  if (st) return st;
  /* -e1^2/(4 e2) = m^2 tau / 2 = e1 m / 2 */
  *A = 0.5 * eta[0] * m - 0.5 * log(t) + 0.5 * LOG_2PI;
  return LVM_OK;
}

lvm_status lvm_family_normal_entropy(const double *eta, double *H) {
  double t, m;
  lvm_status st = normal_unpack(eta, &t, &m);
  if (st) return st;
  *H = 0.5 * (1.0 + LOG_2PI - log(t));
  return LVM_OK;
}

lvm_status lvm_family_normal_params(const double *eta, double *par) {
  double t, m;
  lvm_status st = normal_unpack(eta, &t, &m);
  if (st) return st;
  par[0] = m;
  par[1] = 1.0 / sqrt(t);
  return LVM_OK;
}

/* ---- Gamma: eta = (-rate, shape - 1) -------------------------------------- */

static lvm_status gamma_unpack(const double *eta, double *a, double *b) {
  if (!isfinite(eta[0]) || !isfinite(eta[1]))
    LVM_ERROR("gamma family: natural parameter is NaN or infinite", LVM_EDOM);
  double aa = eta[1] + 1.0, bb = -eta[0];
  if (!(aa > 0.0))
    LVM_ERROR("gamma family: shape = eta_log + 1 <= 0, the complete "
              "conditional is improper (not integrable at 0)",
              LVM_EDOM);
  if (!(bb > 0.0))
    LVM_ERROR("gamma family: rate = -eta_x <= 0, the complete conditional "
              "is improper (not integrable at infinity)",
              LVM_EDOM);
  *a = aa;
  *b = bb;
  return LVM_OK;
}

lvm_status lvm_family_gamma_check(const double *eta) {
  double a, b;
  return gamma_unpack(eta, &a, &b);
}

lvm_status lvm_family_gamma_draw(lvm_rng *r, const double *eta, double *x) {
  double a, b;
  lvm_status st = gamma_unpack(eta, &a, &b);
  if (st) return st;
  double v = lvm_gamma_draw(r, a, b);
  if (!(v < INFINITY)) LVM_ERROR("gamma family: draw overflows", LVM_ERANGE);
  *x = clamp_pos(v);
  return LVM_OK;
}

lvm_status lvm_family_gamma_mean_stats(const double *eta, double *ET) {
  double a, b;
  lvm_status st = gamma_unpack(eta, &a, &b);
  if (st) return st;
  double m = a / b;
  if (!isfinite(m)) LVM_ERROR("gamma family: mean overflows", LVM_ERANGE);
  ET[0] = m;
  ET[1] = lvm_digamma(a) - log(b);
  return LVM_OK;
}

lvm_status lvm_family_gamma_log_partition(const double *eta, double *A) {
  double a, b;
  lvm_status st = gamma_unpack(eta, &a, &b);
  if (st) return st;
  *A = lvm_lgamma(a) - a * log(b);
  return LVM_OK;
}

lvm_status lvm_family_gamma_entropy(const double *eta, double *H) {
  double a, b;
  lvm_status st = gamma_unpack(eta, &a, &b);
  if (st) return st;
  *H = a - log(b) + lvm_lgamma(a) + (1.0 - a) * lvm_digamma(a);
  return LVM_OK;
}

lvm_status lvm_family_gamma_params(const double *eta, double *par) {
  double a, b;
  lvm_status st = gamma_unpack(eta, &a, &b);
  if (st) return st;
  par[0] = a;
  par[1] = b;
  return LVM_OK;
}

/* ---- Inverse gamma: eta = (-shape - 1, -scale) ---------------------------- */

static lvm_status invgamma_unpack(const double *eta, double *a, double *s) {
  if (!isfinite(eta[0]) || !isfinite(eta[1]))
    LVM_ERROR("invgamma family: natural parameter is NaN or infinite",
              LVM_EDOM);
  double aa = -eta[0] - 1.0, ss = -eta[1];
  if (!(aa > 0.0))
    LVM_ERROR("invgamma family: shape = -eta_log - 1 <= 0, the complete "
              "conditional is improper (not integrable at infinity)",
              LVM_EDOM);
  if (!(ss > 0.0))
    LVM_ERROR("invgamma family: scale = -eta_inv <= 0, the complete "
              "conditional is improper (not integrable at 0)",
              LVM_EDOM);
  *a = aa;
  *s = ss;
  return LVM_OK;
}

lvm_status lvm_family_invgamma_check(const double *eta) {
  double a, s;
  return invgamma_unpack(eta, &a, &s);
}

lvm_status lvm_family_invgamma_draw(lvm_rng *r, const double *eta,
                                    double *x) {
  double a, s;
  lvm_status st = invgamma_unpack(eta, &a, &s);
  if (st) return st;
  /* 1/x ~ Gamma(a, rate s), from the log variate (finite for every a). */
  double lx = -lvm_gamma_log_draw(r, a, s);
  double v = exp(lx);
  if (v > DBL_MAX) v = DBL_MAX;
  *x = clamp_pos(v);
  return LVM_OK;
}

lvm_status lvm_family_invgamma_mean_stats(const double *eta, double *ET) {
  double a, s;
  lvm_status st = invgamma_unpack(eta, &a, &s);
  if (st) return st;
  double m = a / s;
  if (!isfinite(m)) LVM_ERROR("invgamma family: E[1/x] overflows", LVM_ERANGE);
  ET[0] = log(s) - lvm_digamma(a);
  ET[1] = m;
  return LVM_OK;
}

lvm_status lvm_family_invgamma_log_partition(const double *eta, double *A) {
  double a, s;
  lvm_status st = invgamma_unpack(eta, &a, &s);
  if (st) return st;
  *A = lvm_lgamma(a) - a * log(s);
  return LVM_OK;
}

lvm_status lvm_family_invgamma_entropy(const double *eta, double *H) {
  double a, s;
  lvm_status st = invgamma_unpack(eta, &a, &s);
  if (st) return st;
  *H = a + log(s) + lvm_lgamma(a) - (1.0 + a) * lvm_digamma(a);
  return LVM_OK;
}

lvm_status lvm_family_invgamma_params(const double *eta, double *par) {
  double a, s;
  lvm_status st = invgamma_unpack(eta, &a, &s);
  if (st) return st;
  par[0] = a;
  par[1] = s;
  return LVM_OK;
}

/* ---- Beta: eta = (a - 1, b - 1) ------------------------------------------- */

static lvm_status beta_unpack(const double *eta, double *a, double *b) {
  if (!isfinite(eta[0]) || !isfinite(eta[1]))
    LVM_ERROR("beta family: natural parameter is NaN or infinite", LVM_EDOM);
  double aa = eta[0] + 1.0, bb = eta[1] + 1.0;
  if (!(aa > 0.0))
    LVM_ERROR("beta family: a = eta1 + 1 <= 0, the complete conditional is "
              "improper (not integrable at 0)",
              LVM_EDOM);
  if (!(bb > 0.0))
    LVM_ERROR("beta family: b = eta2 + 1 <= 0, the complete conditional is "
              "improper (not integrable at 1)",
              LVM_EDOM);
  *a = aa;
  *b = bb;
  return LVM_OK;
}

lvm_status lvm_family_beta_check(const double *eta) {
  double a, b;
  return beta_unpack(eta, &a, &b);
}

lvm_status lvm_family_beta_draw(lvm_rng *r, const double *eta, double *x) {
  double a, b;
  lvm_status st = beta_unpack(eta, &a, &b);
  if (st) return st;
  *x = clamp_unit(lvm_beta_draw(r, a, b));
  return LVM_OK;
}

lvm_status lvm_family_beta_mean_stats(const double *eta, double *ET) {
  double a, b;
  lvm_status st = beta_unpack(eta, &a, &b);
  if (st) return st;
  double p = lvm_digamma(a + b);
  ET[0] = lvm_digamma(a) - p;
  ET[1] = lvm_digamma(b) - p;
  return LVM_OK;
}

lvm_status lvm_family_beta_log_partition(const double *eta, double *A) {
  double a, b;
  lvm_status st = beta_unpack(eta, &a, &b);
  if (st) return st;
  *A = lvm_lbeta(a, b);
  return LVM_OK;
}

lvm_status lvm_family_beta_entropy(const double *eta, double *H) {
  double a, b;
  lvm_status st = beta_unpack(eta, &a, &b);
  if (st) return st;
  *H = lvm_lbeta(a, b) - (a - 1.0) * lvm_digamma(a) -
       (b - 1.0) * lvm_digamma(b) + (a + b - 2.0) * lvm_digamma(a + b);
  return LVM_OK;
}

lvm_status lvm_family_beta_params(const double *eta, double *par) {
  double a, b;
  lvm_status st = beta_unpack(eta, &a, &b);
  if (st) return st;
  par[0] = a;
  par[1] = b;
  return LVM_OK;
}

/* ---- Bernoulli: eta = logit p --------------------------------------------- */

static lvm_status binary_check(const double *eta, const char *why) {
  if (isnan(eta[0])) LVM_ERROR(why, LVM_EDOM);
  return LVM_OK;
}
#define BERN_NAN "bernoulli family: natural parameter is NaN"
#define SPIN_NAN "spin family: natural parameter is NaN"

/* -p log p - (1-p) log(1-p) for p = logistic(e), without cancellation:
 * log1pexp(-|e|) + |e| logistic(-|e|); 0 at |e| = inf. */
static double binary_entropy_logit(double e) {
  double a = fabs(e);
  if (isinf(a)) return 0.0;
  return lvm_log1pexp(-a) + a * lvm_inv_logit(-a);
}

lvm_status lvm_family_bernoulli_check(const double *eta) {
  return binary_check(eta, BERN_NAN);
}

lvm_status lvm_family_bernoulli_draw(lvm_rng *r, const double *eta, int *x) {
  lvm_status st = binary_check(eta, BERN_NAN);
  if (st) return st;
  *x = lvm_rng_uniform(r) < lvm_inv_logit(eta[0]) ? 1 : 0;
  return LVM_OK;
}

lvm_status lvm_family_bernoulli_mean_stats(const double *eta, double *ET) {
  lvm_status st = binary_check(eta, BERN_NAN);
  if (st) return st;
  ET[0] = lvm_inv_logit(eta[0]);
  return LVM_OK;
}

lvm_status lvm_family_bernoulli_log_partition(const double *eta, double *A) {
  lvm_status st = binary_check(eta, BERN_NAN);
  if (st) return st;
  *A = lvm_log1pexp(eta[0]);
  return LVM_OK;
}

lvm_status lvm_family_bernoulli_entropy(const double *eta, double *H) {
  lvm_status st = binary_check(eta, BERN_NAN);
  if (st) return st;
  *H = binary_entropy_logit(eta[0]);
  return LVM_OK;
}

lvm_status lvm_family_bernoulli_params(const double *eta, double *par) {
  lvm_status st = binary_check(eta, BERN_NAN);
  if (st) return st;
  par[0] = lvm_inv_logit(eta[0]);
  return LVM_OK;
}

/* ---- Spin: x in {-1, +1}, P(+1) = logistic(2 eta) ------------------------- */

lvm_status lvm_family_spin_check(const double *eta) {
  return binary_check(eta, SPIN_NAN);
}

lvm_status lvm_family_spin_draw(lvm_rng *r, const double *eta, int *x) {
  lvm_status st = binary_check(eta, SPIN_NAN);
  if (st) return st;
  *x = lvm_rng_uniform(r) < lvm_inv_logit(2.0 * eta[0]) ? 1 : -1;
  return LVM_OK;
}

lvm_status lvm_family_spin_mean_stats(const double *eta, double *ET) {
  lvm_status st = binary_check(eta, SPIN_NAN);
  if (st) return st;
  ET[0] = tanh(eta[0]);
  return LVM_OK;
}

lvm_status lvm_family_spin_log_partition(const double *eta, double *A) {
  lvm_status st = binary_check(eta, SPIN_NAN);
  if (st) return st;
  /* log(e^e + e^-e) = |e| + log1p(e^{-2|e|}) */
  double a = fabs(eta[0]);
  *A = a + lvm_log1pexp(-2.0 * a);
  return LVM_OK;
}

lvm_status lvm_family_spin_entropy(const double *eta, double *H) {
  lvm_status st = binary_check(eta, SPIN_NAN);
  if (st) return st;
  /* the binary entropy of P(+1) = logistic(2 eta) */
  *H = binary_entropy_logit(2.0 * eta[0]);
  return LVM_OK;
}

lvm_status lvm_family_spin_params(const double *eta, double *par) {
  lvm_status st = binary_check(eta, SPIN_NAN);
  if (st) return st;
  par[0] = lvm_inv_logit(2.0 * eta[0]);
  return LVM_OK;
}
