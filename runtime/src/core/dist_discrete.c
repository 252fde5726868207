/* Discrete univariate distributions (see lvm/dist.h).
 *
 * Invariant: every sampler is exact given exact uniforms; sequential-search
 * inversions restart (with fresh uniforms) in the ~1e-16-probability event
 * that rounding leaves the accumulated cdf below U, instead of looping or
 * returning an impossible value. */
#include "lvm/dist.h"

#include <math.h>

#include "lvm/special.h"

#define LVM_LOG_SQRT_2PI 0.91893853320467274178


/* ---- Bernoulli ------------------------------------------------------------ */

int lvm_bernoulli_draw(lvm_rng *r, double p) {
  if (!(p >= 0.0 && p <= 1.0)) return -1;
  return lvm_rng_uniform(r) < p;
}

double lvm_bernoulli_lpmf(int64_t k, double p) {
  if (!(p >= 0.0 && p <= 1.0)) return NAN;
  if (k == 1) return log(p);
  if (k == 0) return log1p(-p);
  return -INFINITY;
}

int lvm_bernoulli_logit_draw(lvm_rng *r, double alpha) {
  if (isnan(alpha)) return -1;
  return lvm_rng_uniform(r) < lvm_inv_logit(alpha);
}

double lvm_bernoulli_logit_lpmf(int64_t k, double alpha) {
  if (isnan(alpha)) return NAN;
  if (k == 1) return lvm_log_inv_logit(alpha);
  if (k == 0) return lvm_log1m_inv_logit(alpha);
  return -INFINITY;
}

/* ---- Binomial --------------------------------------------------------------
 * bin_small: inversion by sequential search from 0 (BINV, Kachitvichyanukul
 * & Schmeiser 1988), P(0) = q^n, P(x)/P(x-1) = (n - x + 1) p / (x q).
 * bin_btrs: Hormann (1993), "The generation of binomial random variates",
 * J. Statist. Comput. Simul. 46, algorithm BTRS (transformed rejection with
 * squeeze), valid for n p >= 10, p <= 1/2.  The acceptance test compares
 * log(v alpha / (a/us^2 + b)) with the exact log(f(k)/f(m)) written with
 * Stirling remainders fc() so that nothing cancels for large n. */

/* fc(k) = log k! - [(k + 1/2) log(k + 1) - (k + 1) + log sqrt(2 pi)], the
 * Stirling remainder at k + 1. Series (B_2j / (2j(2j-1) x^(2j-1))) for
 * k + 1 >= 10, where the omitted term is below 1e-21. */
static double stirling_tail(double k) {
  double x = k + 1.0;
  if (x < 10.0)
    return lvm_lgamma(x) - ((x - 0.5) * log(x) - x + LVM_LOG_SQRT_2PI);
  static const double C[] = {1.0 / 12,   -1.0 / 360,      1.0 / 1260,
                             -1.0 / 1680, 1.0 / 1188,     -691.0 / 360360,
                             1.0 / 156,  -3617.0 / 122400};
  double z = 1.0 / (x * x), s = 0.0;
  for (int j = 7; j >= 0; j--) s = s * z + C[j];
  return s / x;
}

/* Loader (2000), "Fast and accurate computation of binomial
 * probabilities": the deviance term bd0(x, M) = x log(x/M) + M - x, by a
 * series in v = (x - M)/(x + M) when x is close to M (where the direct
 * formula cancels catastrophically). */
static double bd0(double x, double M) {
  if (fabs(x - M) < 0.1 * (x + M)) {
    double v = (x - M) / (x + M), s = (x - M) * v, ej = 2.0 * x * v;
    v *= v;
    for (int j = 1; j < 1000; j++) {
      ej *= v;
      double s1 = s + ej / (2 * j + 1);
      if (s1 == s) return s1;
      s = s1;
    }
    return s;
  }
  return x * log(x / M) + M - x;
}

/* stirlerr(k) = log k! - [(k + 1/2) log k - k + log sqrt(2 pi)], k >= 1 */
static double stirlerr(double k) { return stirling_tail(k - 1.0); }

/* p <= 1/2, n p < 10 */
static int64_t bin_small(lvm_rng *r, int64_t n, double p) {
  const double q = 1.0 - p, s = p / q, a = ((double)n + 1.0) * s;
  const double r0 = exp((double)n * log1p(-p));
  for (;;) {
    double u = lvm_rng_uniform(r), pr = r0;
    int64_t x = 0;
    while (u > pr) {
      u -= pr;
      x++;
      if (x > n) break;
      pr *= a / (double)x - s;
      if (pr <= 0.0) { x = n + 1; break; } /* underflow: restart */
    }
    if (x <= n) return x;
  }
}

/* p <= 1/2, n p >= 10 */
static int64_t bin_btrs(lvm_rng *r, int64_t n, double p) {
  const double dn = (double)n, q = 1.0 - p;
  const double spq = sqrt(dn * p * q);
  const double b = 1.15 + 2.53 * spq;
  const double a = -0.0873 + 0.0248 * b + 0.01 * p;
  const double c = dn * p + 0.5;
  const double vr = 0.92 - 4.2 / b;
  const double alpha = (2.83 + 5.1 / b) * spq;
  const double m = floor((dn + 1.0) * p);
  const double h_m = (m + 0.5) * log((m + 1.0) / (p / q * (dn - m + 1.0))) +
                     stirling_tail(m) + stirling_tail(dn - m);
  for (;;) {
    double u = lvm_rng_uniform(r) - 0.5, v = lvm_rng_uniform(r);
    double us = 0.5 - fabs(u);
    double k = floor((2.0 * a / us + b) * u + c);
    if (us >= 0.07 && v <= vr) return (int64_t)k; /* squeeze: inside box */
    if (k < 0.0 || k > dn) continue;
    v = log(v * alpha / (a / (us * us) + b));
    double h = h_m + (dn + 1.0) * log((dn - m + 1.0) / (dn - k + 1.0)) +
               (k + 0.5) * log(p / q * (dn - k + 1.0) / (k + 1.0)) -
               stirling_tail(k) - stirling_tail(dn - k);
    if (v <= h) return (int64_t)k;
  }
}

/* Binomial(n, p) for p <= 1/2 */
static int64_t bin_lower(lvm_rng *r, int64_t n, double p) {
  if (p == 0.0 || n == 0) return 0;
  if ((double)n * p < 10.0) return bin_small(r, n, p);
  return bin_btrs(r, n, p);
}

int64_t lvm_binomial_draw(lvm_rng *r, int64_t n, double p) {
  if (n < 0 || !(p >= 0.0 && p <= 1.0)) return -1;
  if (p <= 0.5) return bin_lower(r, n, p);
  return n - bin_lower(r, n, 1.0 - p);
}

int64_t lvm_binomial_logit_draw(lvm_rng *r, int64_t n, double alpha) {
  if (n < 0 || isnan(alpha)) return -1;
  /* the smaller of p, 1 - p is formed directly from alpha */
  if (alpha <= 0.0) return bin_lower(r, n, lvm_inv_logit(alpha));
  return n - bin_lower(r, n, lvm_inv_logit(-alpha));
}

/* log C(n,k) p^k q^(n-k) in Loader's saddle-point form, 0 < k < n:
 *   stirlerr(n) - stirlerr(k) - stirlerr(n-k) - bd0(k, np) - bd0(n-k, nq)
 *   + log sqrt(n / (2 pi k (n - k))),
 * accurate to a few ulp where lchoose + k log p + ... would lose
 * log10(n) digits to cancellation.  q is passed separately so the logit
 * form keeps p near 1 exact. */
static double binom_lpmf_pq(int64_t k, int64_t n, double p, double q) {
  double dn = (double)n, dk = (double)k;
  if (k == 0) return p == 0.0 ? 0.0 : dn * log(q);
  if (k == n) return q == 0.0 ? 0.0 : dn * log(p);
  if (p == 0.0 || q == 0.0) return -INFINITY;
  return stirlerr(dn) - stirlerr(dk) - stirlerr(dn - dk) - bd0(dk, dn * p) -
         bd0(dn - dk, dn * q) +
         0.5 * log(dn / (6.28318530717958647693 * dk * (dn - dk)));
}

/* n log(1 - p) with log1p (exact for tiny p) */
static double dn_log1m(int64_t n, double p) {
  return n == 0 ? 0.0 : (double)n * log1p(-p);
}

double lvm_binomial_lpmf(int64_t k, int64_t n, double p) {
  if (n < 0 || !(p >= 0.0 && p <= 1.0)) return NAN;
  if (k < 0 || k > n) return -INFINITY;
  if (k == 0) return dn_log1m(n, p);
  return binom_lpmf_pq(k, n, p, 1.0 - p);
}

double lvm_binomial_logit_lpmf(int64_t k, int64_t n, double alpha) {
  if (n < 0 || isnan(alpha)) return NAN;
  if (k < 0 || k > n) return -INFINITY;
  if (k == 0) return (double)n * lvm_log1m_inv_logit(alpha);
  if (k == n) return (double)n * lvm_log_inv_logit(alpha);
  return binom_lpmf_pq(k, n, lvm_inv_logit(alpha), lvm_inv_logit(-alpha));
}

/* ---- Poisson ---------------------------------------------------------------
 * lambda < 10: inversion by sequential search.
 * lambda >= 10: PTRS, Hormann (1993), "The transformed rejection method for
 * generating Poisson random variables", Insurance: Mathematics and
 * Economics 12, 39-45 (constants as in the paper). */
static int64_t pois_small(lvm_rng *r, double lambda) {
  const double p0 = exp(-lambda);
  for (;;) {
    double u = lvm_rng_uniform(r), p = p0;
    int64_t k = 0;
    while (u > p) {
      u -= p;
      k++;
      p *= lambda / (double)k;
      if (p <= 0.0) break; /* cdf stuck below u by rounding: restart */
    }
    if (u <= p) return k;
  }
}

static int64_t pois_ptrs(lvm_rng *r, double lambda) {
  const double slam = sqrt(lambda), loglam = log(lambda);
  const double b = 0.931 + 2.53 * slam;
  const double a = -0.059 + 0.02483 * b;
  const double log_invalpha = log(1.1239 + 1.1328 / (b - 3.4));
  const double vr = 0.9277 - 3.6224 / (b - 2.0);
  for (;;) {
    double u = lvm_rng_uniform(r) - 0.5, v = lvm_rng_uniform(r);
    double us = 0.5 - fabs(u);
    double k = floor((2.0 * a / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return (int64_t)k;
    if (k < 0.0 || (us < 0.013 && v > us)) continue;
    if (log(v) + log_invalpha - log(a / (us * us) + b) <=
        -lambda + k * loglam - lvm_lgamma(k + 1.0))
      return (int64_t)k;
  }
}

int64_t lvm_poisson_draw(lvm_rng *r, double lambda) {
  if (!(lambda >= 0.0) || !(lambda < 4.6e18)) return -1;
  if (lambda == 0.0) return 0;
  if (lambda < 10.0) return pois_small(r, lambda);
  return pois_ptrs(r, lambda);
}

int64_t lvm_poisson_log_draw(lvm_rng *r, double alpha) {
  if (isnan(alpha)) return -1;
  return lvm_poisson_draw(r, exp(alpha));
}

/* Loader's form for k >= 1: -stirlerr(k) - bd0(k, lambda) - log sqrt(2 pi k);
 * the naive k log(lambda) - lambda - lgamma(k + 1) loses ~1e-9 absolute
 * at lambda = 1e6. */
static double pois_lpmf(int64_t k, double lambda) {
  if (k == 0) return -lambda;
  if (lambda == 0.0) return -INFINITY;
  double dk = (double)k;
  return -stirlerr(dk) - bd0(dk, lambda) - 0.5 * log(6.28318530717958647693 * dk);
}

double lvm_poisson_lpmf(int64_t k, double lambda) {
  if (!(lambda >= 0.0) || isinf(lambda)) return NAN;
  if (k < 0) return -INFINITY;
  return pois_lpmf(k, lambda);
}

double lvm_poisson_log_lpmf(int64_t k, double alpha) {
  if (isnan(alpha) || alpha == INFINITY) return NAN;
  if (k < 0) return -INFINITY;
  if (alpha == -INFINITY) return k == 0 ? 0.0 : -INFINITY;
  double lambda = exp(alpha);
  if (lambda < 1e-300 || isinf(lambda)) /* keep the exact alpha in k alpha */
    return (double)k * alpha - lambda - lvm_lgamma((double)k + 1.0);
  return pois_lpmf(k, lambda);
}

/* ---- Categorical ------------------------------------------------------------ */

int64_t lvm_categorical_draw(lvm_rng *r, size_t K, const double *p) {
  if (K == 0) return -1;
  double s = 0.0;
  for (size_t k = 0; k < K; k++) s += p[k];
  if (!(s > 0.0) || isinf(s)) return -1;
  double u = lvm_rng_uniform(r) * s, acc = 0.0;
  size_t last = 0;
  for (size_t k = 0; k < K; k++) {
    if (p[k] > 0.0) last = k;
    acc += p[k];
    if (u < acc) return (int64_t)k;
  }
  return (int64_t)last; /* rounding: u landed past the accumulated sum */
}

double lvm_categorical_lpmf(int64_t k, size_t K, const double *p) {
  if (K == 0) return NAN;
  double s = 0.0;
  for (size_t j = 0; j < K; j++) {
    if (!(p[j] >= 0.0)) return NAN;
    s += p[j];
  }
  if (!(s > 0.0) || isinf(s)) return NAN;
  if (k < 0 || (uint64_t)k >= K) return -INFINITY;
  return log(p[k]) - log(s);
}

/* Weights exp(lw[k] - max) in (0, 1]; kept in a stack buffer for K <= 64,
 * recomputed in the search loop for larger K (no allocation). */
int64_t lvm_categorical_logit_draw(lvm_rng *r, size_t K, const double *lw) {
  if (K == 0) return -1;
  double m = -INFINITY;
  for (size_t k = 0; k < K; k++)
    if (lw[k] > m) m = lw[k];
  if (!isfinite(m)) return -1; /* all -inf, a +inf, or NaN max */
  enum { BUF = 64 };
  double w[BUF], s = 0.0;
  for (size_t k = 0; k < K; k++) {
    double e = exp(lw[k] - m);
    if (k < BUF) w[k] = e;
    s += e;
  }
  double u = lvm_rng_uniform(r) * s, acc = 0.0;
  size_t last = 0;
  for (size_t k = 0; k < K; k++) {
    double e = k < BUF ? w[k] : exp(lw[k] - m);
    if (e > 0.0) last = k;
    acc += e;
    if (u < acc) return (int64_t)k;
  }
  return (int64_t)last;
}

double lvm_categorical_logit_lpmf(int64_t k, size_t K, const double *lw) {
  if (K == 0) return NAN;
  /* (lw[k] - m) - log1p(sum_{j != argmax} exp(lw[j] - m)): exact for the
   * dominant class, where lw[k] - log_sum_exp(lw) would round to 0. */
  double m = -INFINITY;
  size_t im = 0;
  for (size_t j = 0; j < K; j++) {
    if (isnan(lw[j])) return NAN;
    if (lw[j] > m) m = lw[j], im = j;
  }
  if (!isfinite(m)) return NAN;
  if (k < 0 || (uint64_t)k >= K) return -INFINITY;
  double s = 0.0;
  for (size_t j = 0; j < K; j++)
    if (j != im) s += exp(lw[j] - m);
  return (lw[k] - m) - log1p(s);
}
