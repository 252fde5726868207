/* Special functions (see lvm/special.h).
 *
 * Sources of the methods:
 *  - lgamma: the C library's reentrant lgamma_r (glibc: correctly handles
 *    tiny, huge and negative arguments; a few ulp).  lgamma() itself writes
 *    the global `signgam`, a data race between chains, so it is not used.
 *  - digamma/trigamma: recurrence psi(x) = psi(x+1) - 1/x up to x >= 12,
 *    then the asymptotic (Stirling) series with Bernoulli numbers
 *    (Abramowitz & Stegun 6.3.18, 6.4.12); reflection for x < 0
 *    (A&S 6.3.7, 6.4.7); near the positive root x0 = 1.4616... of psi a
 *    Taylor series psi(x0 + h) = sum_k (-1)^(k+1) zeta(k+1, x0) h^k
 *    (coefficients computed with mpmath) keeps full relative accuracy.
 *  - lbeta: the Stirling-remainder split of R's lbeta (Morris 1992 style):
 *    no cancellation between lgamma terms when an argument is large.
 *  - log1pexp/log1mexp: Maechler (2012), "Accurately computing
 *    log(1 - exp(-|a|))", Rmpfr vignette.
 *  - log I0: power series sum (x^2/4)^k / (k!)^2 for |x| <= 25, else the
 *    Hankel asymptotic expansion (A&S 9.7.1) in log form.
 */
#include "lvm/special.h"

#include <float.h>
#include <math.h>

#define LVM_PI 3.14159265358979323846
#define LVM_LOG_SQRT_2PI 0.91893853320467274178 /* log(sqrt(2 pi)) */
#define LVM_LOG_PI 1.14472988584940017414

/* ---- Gamma family ------------------------------------------------------ */

double lvm_lgamma(double x) {
  int sign;
  return lgamma_r(x, &sign);
}

/* sin(pi x) with exact argument reduction: remainder(x, 2) is exact and
 * lies in [-1, 1], and 1 - |r| is exact for |r| >= 1/2, so reflection
 * formulas stay accurate for tiny and for large negative x. */
static double sinpi(double x) {
  double r = remainder(x, 2.0), a = fabs(r), s;
  if (a <= 0.25) s = sin(LVM_PI * a);
  else if (a <= 0.75) s = cos(LVM_PI * (a - 0.5));
  else s = sin(LVM_PI * (1.0 - a));
  return r < 0 ? -s : s;
}

/* cos(pi x) = sin(pi (x + 1/2)); x + 1/2 is exact for |x| < 2^52, and larger
 * |x| are integers or half-integers handled by the caller's pole test. */
static double cospi(double x) {
  double r = remainder(x, 2.0), a = fabs(r); /* cos is even */
  if (a <= 0.25) return cos(LVM_PI * a);
  if (a <= 0.75) return sin(LVM_PI * (0.5 - a));
  return -cos(LVM_PI * (1.0 - a));
}

/* Positive root of psi, split into hi + lo. */
static const double PSI_ROOT_HI = 1.4616321449683622;
static const double PSI_ROOT_LO = 9.549995429965697e-17;
/* (-1)^(k+1) zeta(k+1, x0), k = 1..24. */
static const double PSI_ROOT_TAYLOR[] = {
  9.67672245447621204e-01,  -4.42763168983592081e-01, 2.58499760955651026e-01,
  -1.63942705442406522e-01, 1.07824050691262371e-01,  -7.21995612564547140e-02,
  4.88042881641431101e-02,  -3.31611264748473619e-02, 2.25976482322181038e-02,
  -1.54247659049489595e-02, 1.05387916166121750e-02,  -7.20453438635686866e-03,
  4.92678139572985327e-03,  -3.36980165543932821e-03, 2.30512632673492797e-03,
  -1.57693677143019720e-03, 1.07882520191629667e-03,  -7.38070938996005150e-04,
  5.04953265834601987e-04,  -3.45468025106307692e-04, 2.36356015640270530e-04,
  -1.61706220919748030e-04, 1.10633727687474103e-04,  -7.56917958219506607e-05,
};

/* Bernoulli numbers B_2 .. B_20. */
static const double BERN[] = {
  1.0 / 6,     -1.0 / 30,  1.0 / 42,      -1.0 / 30,      5.0 / 66,
  -691.0 / 2730, 7.0 / 6, -3617.0 / 510, 43867.0 / 798, -174611.0 / 330,
};

/* psi(x) for x >= 12: log x - 1/(2x) - sum_k B_2k / (2k x^2k). The k = 10
 * term is below 1e-19 relative at x = 12. */
static double digamma_asym(double x) {
  double z = 1.0 / (x * x), s = 0.0;
  for (int k = 9; k >= 0; k--) s = s * z + BERN[k] / (2.0 * (k + 1));
  return log(x) - 0.5 / x - s * z;
}

double lvm_digamma(double x) {
  if (isnan(x)) return x;
  if (x == INFINITY) return x;
  if (x <= 0.0) {
    if (x == floor(x)) return NAN; /* poles, including -inf */
    /* psi(1 - x) - psi(x) = pi cot(pi x) */
    return lvm_digamma(1.0 - x) - LVM_PI * cospi(x) / sinpi(x);
  }
  double h = (x - PSI_ROOT_HI) - PSI_ROOT_LO;
  if (fabs(h) < 0.25) {
    double s = 0.0;
    for (int k = 23; k >= 0; k--) s = s * h + PSI_ROOT_TAYLOR[k];
    return s * h;
  }
  double acc = 0.0;
  /* invariant: psi(x_original) = psi(x) - acc */
  while (x < 12.0) {
    acc += 1.0 / x;
    x += 1.0;
  }
  return digamma_asym(x) - acc;
}

/* psi'(x) for x >= 12: 1/x + 1/(2x^2) + sum_k B_2k / x^(2k+1). */
static double trigamma_asym(double x) {
  double iz = 1.0 / x, z = iz * iz, s = 0.0;
  for (int k = 9; k >= 0; k--) s = s * z + BERN[k];
  return iz + 0.5 * z + s * z * iz;
}

double lvm_trigamma(double x) {
  if (isnan(x)) return x;
  if (x == INFINITY) return 0.0;
  if (x <= 0.0) {
    if (x == floor(x)) return INFINITY;
    /* psi1(1 - x) + psi1(x) = pi^2 / sin^2(pi x) */
    double s = sinpi(x);
    return LVM_PI * LVM_PI / (s * s) - lvm_trigamma(1.0 - x);
  }
  if (x > 1e8) { /* asymptotic terms past 1/(2x^2) are below 1 ulp */
    return (1.0 + 0.5 / x) / x;
  }
  double acc = 0.0;
  while (x < 12.0) { /* psi1(x) = psi1(x + 1) + 1/x^2 */
    acc += 1.0 / (x * x);
    x += 1.0;
  }
  return trigamma_asym(x) + acc;
}

/* Stirling remainder: lgamma(x) - ((x - 1/2) log x - x + log sqrt(2 pi)),
 * x >= 10: sum_k B_2k / (2k (2k - 1) x^(2k - 1)); the omitted term is below
 * 1e-21 at x = 10. */
static double lgamma_stirling_rem(double x) {
  static const double C[] = {
    1.0 / 12,          -1.0 / 360,  1.0 / 1260,          -1.0 / 1680,
    1.0 / 1188,        -691.0 / 360360, 1.0 / 156,       -3617.0 / 122400,
  };
  if (x > 1e17) return 1.0 / (12.0 * x);
  double z = 1.0 / (x * x), s = 0.0;
  for (int k = 7; k >= 0; k--) s = s * z + C[k];
  return s / x;
}

double lvm_lbeta(double a, double b) {
  if (isnan(a) || isnan(b)) return a + b;
  double p = fmin(a, b), q = fmax(a, b);
  if (p < 0.0) return NAN;
  if (p == 0.0) return INFINITY;
  if (q == INFINITY) return -INFINITY;
  if (p >= 10.0) {
    /* both large: the (x - 1/2) log x - x parts combine exactly */
    double corr = lgamma_stirling_rem(p) + lgamma_stirling_rem(q) -
                  lgamma_stirling_rem(p + q);
    return -0.5 * log(q) + LVM_LOG_SQRT_2PI + corr +
           (p - 0.5) * log(p / (p + q)) + q * log1p(-p / (p + q));
  }
  if (q >= 10.0) {
    /* p small, q large */
    double corr = lgamma_stirling_rem(q) - lgamma_stirling_rem(p + q);
    return lvm_lgamma(p) + corr + p - p * log(p + q) +
           (q - 0.5) * log1p(-p / (p + q));
  }
  return lvm_lgamma(p) + lvm_lgamma(q) - lvm_lgamma(p + q);
}

double lvm_lchoose(double n, double k) {
  if (isnan(n) || isnan(k)) return n + k;
  if (k < 0.0 || k > n) return -INFINITY;
  if (k == 0.0 || k == n) return 0.0;
  /* binom(n, k) = 1 / ((n + 1) B(n - k + 1, k + 1)) */
  return -log1p(n) - lvm_lbeta(n - k + 1.0, k + 1.0);
}

double lvm_lfactorial(double n) {
  if (n < 0.0) return NAN;
  return lvm_lgamma(n + 1.0);
}

double lvm_lmgamma(int D, double x) {
  double r = 0.25 * D * (D - 1) * LVM_LOG_PI;
  for (int j = 1; j <= D; j++) r += lvm_lgamma(x + 0.5 * (1 - j));
  return r;
}

double lvm_lmgamma_d(double D, double x) {
  if (!(D >= 1 && D <= 1e6) || D != floor(D)) return NAN;
  return lvm_lmgamma((int)D, x);
}

/* ---- Logistic / log-space arithmetic ----------------------------------- */

double lvm_log1pexp(double x) {
  if (x <= -37.0) return exp(x);          /* log1p(e) = e to double precision */
  if (x <= 18.0) return log1p(exp(x));
  if (x <= 33.3) return x + exp(-x);      /* log(1 + e^x) = x + log1p(e^-x) */
  return x;
}

double lvm_log1mexp(double x) {
  if (isnan(x)) return x;
  if (x > 0.0) return NAN;
  /* Maechler's switch at -log 2 */
  if (x > -0.69314718055994530942) return log(-expm1(x));
  return log1p(-exp(x));
}

double lvm_inv_logit(double x) {
  if (x >= 0.0) return 1.0 / (1.0 + exp(-x));
  double e = exp(x);
  return e / (1.0 + e);
}

double lvm_logit(double p) { return log(p) - log1p(-p); }

double lvm_log_inv_logit(double x) { return -lvm_log1pexp(-x); }

double lvm_log1m_inv_logit(double x) { return -lvm_log1pexp(x); }

double lvm_log_sum_exp2(double a, double b) {
  if (isnan(a) || isnan(b)) return a + b;
  double m = fmax(a, b);
  if (m == -INFINITY || m == INFINITY) return m;
  return m + lvm_log1pexp(fmin(a, b) - m);
}

/* m + log1p(sum_{i != argmax} exp(x_i - m)): the log1p keeps full relative
 * accuracy when the maximum dominates (log softmax of the largest entry is
 * then -sum of the others, not 0). */
double lvm_log_sum_exp(const double *x, size_t n) {
  double m = -INFINITY;
  size_t im = 0;
  for (size_t i = 0; i < n; i++) {
    if (isnan(x[i])) return x[i];
    if (x[i] > m) m = x[i], im = i;
  }
  if (m == -INFINITY || m == INFINITY) return m;
  double s = 0.0;
  for (size_t i = 0; i < n; i++)
    if (i != im) s += exp(x[i] - m);
  return m + log1p(s);
}

/* ---- Bessel ------------------------------------------------------------ */

/* Power series of I0(x) - 1 for |x| <= 25: sum_k t_k, t_k = (x^2/4)^k/(k!)^2,
 * all terms positive so the sum is accurate to a few ulp; stop once
 * t_k < eps/4 (1 + sum). */
static double bessel_i0m1_series(double x) {
  double y = 0.25 * x * x, t = 1.0, s = 0.0;
  for (int k = 1; k < 500; k++) {
    t *= y / ((double)k * k);
    s += t;
    if (t <= 0.25 * DBL_EPSILON * (1.0 + s)) break;
  }
  return s;
}

/* log(I0(x) e^-x) for x > 25 from the Hankel expansion
 * I0(x) ~ e^x / sqrt(2 pi x) sum_k a_k / x^k, a_k = ((2k-1)!!)^2/(k! 8^k)
 * (A&S 9.7.1); the terms decrease monotonically until k ~ 2x, and at
 * x = 25 the 30th term is below 1e-17. */
static double log_bessel_i0_scaled_asym(double x) {
  double t = 1.0, s = 1.0;
  for (int k = 1; k < 60; k++) {
    t *= (2.0 * k - 1) * (2.0 * k - 1) / (8.0 * k * x);
    s += t;
    if (t < 0.25 * DBL_EPSILON * s) break;
  }
  return -0.5 * log(2.0 * LVM_PI * x) + log(s);
}

double lvm_log_bessel_i0(double x) {
  if (isnan(x)) return x;
  x = fabs(x);
  if (x == INFINITY) return INFINITY;
  if (x <= 25.0) return log1p(bessel_i0m1_series(x));
  return x + log_bessel_i0_scaled_asym(x);
}

double lvm_log_bessel_i0_scaled(double x) {
  if (isnan(x)) return x;
  x = fabs(x);
  if (x == INFINITY) return -INFINITY;
  if (x <= 25.0) return log1p(bessel_i0m1_series(x)) - x;
  return log_bessel_i0_scaled_asym(x);
}
