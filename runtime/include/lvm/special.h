/* lvm/special.h — special functions of the lvmc runtime.
 *
 * All functions are pure (no state, thread safe) and follow C99 <math.h>
 * conventions for domain errors: they return NaN outside their domain and
 * +-inf at poles, and never call the error hook (they sit in hot loops).
 * Accuracy goals (checked in tests/unit/core/test_special.c against GSL and
 * hard-coded values): a few ulp to ~1e-14 relative over the whole domain.
 */
#ifndef LVM_SPECIAL_H
#define LVM_SPECIAL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Gamma family ------------------------------------------------------ */

/* log|Gamma(x)|; +inf at the poles x = 0, -1, -2, ... */
double lvm_lgamma(double x);
/* psi(x) = d/dx log Gamma(x); NaN at the poles x = 0, -1, -2, ... */
double lvm_digamma(double x);
/* psi'(x); +inf at the poles. */
double lvm_trigamma(double x);
/* log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b), a, b > 0; stable when
 * one argument is much larger than the other. */
double lvm_lbeta(double a, double b);
/* log binom(n, k) for real 0 <= k <= n (via lbeta); -inf outside. */
double lvm_lchoose(double n, double k);
/* log n! = lgamma(n + 1) for real n >= 0; NaN for n < 0. */
double lvm_lfactorial(double n);
/* log multivariate gamma: log Gamma_D(x) = D(D-1)/4 log pi
 *   + sum_{j=1..D} lgamma(x + (1 - j)/2), for x > (D-1)/2. */
double lvm_lmgamma(int D, double x);
/* The same with D as a double (an integer value; NaN otherwise): the form
 * generated code calls, where every argument is a double. */
double lvm_lmgamma_d(double D, double x);

/* ---- Logistic / log-space arithmetic ----------------------------------- */

/* log(1 + exp(x)) without overflow (= x for large x). */
double lvm_log1pexp(double x);
/* log(1 - exp(x)) for x <= 0 (Maechler 2012); NaN for x > 0, -inf at 0. */
double lvm_log1mexp(double x);
/* 1 / (1 + exp(-x)) */
double lvm_inv_logit(double x);
/* log(p / (1 - p)) */
double lvm_logit(double p);
/* log(inv_logit(x)) = -log1pexp(-x) */
double lvm_log_inv_logit(double x);
/* log(1 - inv_logit(x)) = -log1pexp(x) */
double lvm_log1m_inv_logit(double x);
/* log(exp(a) + exp(b)); -inf if both are -inf. */
double lvm_log_sum_exp2(double a, double b);
/* log(sum_i exp(x[i])) over n values; -inf for n = 0 or all -inf; +inf if
 * any is +inf; NaN if any is NaN. */
double lvm_log_sum_exp(const double *x, size_t n);
/* y[i] = exp(x[i]) for i < n, several at a time (y may be x): within 1 ulp
 * of the C library's exp over [-708, 708], which it uses outside that
 * range (subnormal results, overflow, infinities, NaN); the same bits on
 * every x86-64 processor (runtime/src/core/vmath.c). */
void lvm_exp_n(size_t n, const double *x, double *y);
/* y[i] = log(x[i]) for i < n, several at a time (y may be x): within 1 ulp
 * of the C library's log for positive normal numbers, which it uses for
 * every other value (0, subnormals, negatives, infinities, NaN). */
void lvm_log_n(size_t n, const double *x, double *y);

/* ---- Bessel ------------------------------------------------------------ */

/* log I0(x), the modified Bessel function of the first kind of order 0;
 * accurate for all x (|x| up to DBL_MAX, no overflow). */
double lvm_log_bessel_i0(double x);
/* log(I0(x) e^{-|x|}) = log I0(x) - |x|, without cancellation for large |x|
 * (-> -log(2 pi |x|)/2); used by the von Mises log density. */
double lvm_log_bessel_i0_scaled(double x);

/* ---- Standard normal --------------------------------------------------- */

/* Phi(x) = P(Z <= x), full relative accuracy in the lower tail. */
double lvm_normal_cdf(double x);
/* log Phi(x), accurate for x -> -inf (asymptotic series) and x -> +inf. */
double lvm_normal_lcdf(double x);
/* Phi^{-1}(p) for p in [0, 1] (Wichura 1988, AS241 PPND16: relative error
 * about 1e-16); -inf at 0, +inf at 1, NaN outside. */
double lvm_normal_quantile(double p);

#ifdef __cplusplus
}
#endif
#endif
