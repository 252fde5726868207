/* Goodness-of-fit helpers shared by the variate tests.
 *
 * Every statistical test here uses a fixed seed and the threshold
 * p-value > 1e-4 (LVM_TEST_ALPHA): for correct code each check fails with
 * probability 1e-4 over seeds; with ~60 such checks the chance that an
 * arbitrary fixed seed trips one is < 1%, while a wrong parameterisation
 * with n = 1e5 draws gives p-values below 1e-100.  The seeds are fixed,
 * so a pass is reproducible; the thresholds were set before running. */
#ifndef LVM_TEST_STAT_UTIL_H
#define LVM_TEST_STAT_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>

#define LVM_TEST_ALPHA 1e-4

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Asymptotic Kolmogorov distribution with Stephens' (1970) finite-n
 * correction: P(D_n > d) ~ Q_KS((sqrt n + 0.12 + 0.11/sqrt n) d),
 * Q_KS(l) = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 l^2).  Accurate to a few
 * percent of p for n >= 1000, ample for a 1e-4 threshold. */
static double ks_pvalue(double d, size_t n) {
  double sn = sqrt((double)n);
  double l = (sn + 0.12 + 0.11 / sn) * d;
  if (l < 0.2) return 1.0;
  double s = 0.0;
  for (int k = 1; k <= 100; k++) {
    double t = exp(-2.0 * k * k * l * l);
    s += (k & 1) ? t : -t;
    if (t < 1e-18) break;
  }
  s *= 2.0;
  return s < 0 ? 0 : s > 1 ? 1 : s;
}

/* One-sample KS test of x[0..n-1] (sorted in place) against the cdf F.
 * F is evaluated at every sample; returns the p-value and prints it. */
typedef double (*cdf_fn)(double x, const void *par);

static double ks_test(const char *what, double *x, size_t n, cdf_fn F,
                      const void *par) {
  qsort(x, n, sizeof *x, cmp_double);
  double d = 0.0;
  for (size_t i = 0; i < n; i++) {
    double f = F(x[i], par);
    double d1 = (double)(i + 1) / n - f, d2 = f - (double)i / n;
    if (d1 > d) d = d1;
    if (d2 > d) d = d2;
  }
  double p = ks_pvalue(d, n);
  printf("  KS %-44s n=%zu D=%.5f p=%.3g\n", what, n, d, p);
  return p;
}

/* KS with precomputed cdf values at the sorted sample (for cdfs obtained by
 * integrating a density between consecutive samples). */
static double ks_from_cdf(const char *what, const double *fsorted, size_t n) {
  double d = 0.0;
  for (size_t i = 0; i < n; i++) {
    double f = fsorted[i];
    double d1 = (double)(i + 1) / n - f, d2 = f - (double)i / n;
    if (d1 > d) d = d1;
    if (d2 > d) d = d2;
  }
  double p = ks_pvalue(d, n);
  printf("  KS %-44s n=%zu D=%.5f p=%.3g\n", what, n, d, p);
  return p;
}

/* Pearson chi-square of observed counts against expected probabilities
 * over nb bins; adjacent bins are merged greedily until every merged bin
 * has an expected count >= 5 (Cochran's rule).  df = merged bins - 1. */
static double chisq_test(const char *what, const double *obs,
                         const double *prob, size_t nb, double n) {
  double *mo = malloc(nb * sizeof *mo), *me = malloc(nb * sizeof *me);
  size_t bins = 0;
  double o = 0.0, e = 0.0;
  for (size_t i = 0; i < nb; i++) {
    o += obs[i];
    e += prob[i] * n;
    if (e >= 5.0) {
      mo[bins] = o;
      me[bins] = e;
      bins++;
      o = e = 0.0;
    }
  }
  if (bins == 0) {
    mo[0] = me[0] = 0.0;
    bins = 1;
  }
  mo[bins - 1] += o; /* leftover tail goes into the last full bin */
  me[bins - 1] += e;
  double chi2 = 0.0;
  for (size_t i = 0; i < bins; i++)
    chi2 += (mo[i] - me[i]) * (mo[i] - me[i]) / me[i];
  free(mo);
  free(me);
  double p = bins > 1 ? gsl_cdf_chisq_Q(chi2, (double)(bins - 1)) : 1.0;
  printf("  chi2 %-42s bins=%zu chi2=%.2f p=%.3g\n", what, bins, chi2, p);
  return p;
}

#endif
