/* R-hat, ESS, MCSE, quantiles (see lvm/diag.h for the definitions). */
#include "lvm/diag.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lvm/special.h"

typedef struct ranked {
  double x;
  size_t i;
} ranked;

struct lvm_diag_workspace {
  size_t N, M;      /* draws per chain, chains */
  size_t S;         /* N * M */
  double *split;    /* split chains, S doubles */
  double *z;        /* transformed values, S doubles */
  double *centered; /* x minus the pooled mean, S doubles */
  double *sorted;   /* sorted pooled draws, S doubles */
  ranked *rk;       /* S */
  double *fft;      /* 2 * P */
  size_t P;         /* FFT length for chains of length <= N */
  double *acov;     /* N */
  double *acov_sum; /* N */
  double *rho;      /* N */
  double *cmean;    /* 2M */
  double *cvar;     /* 2M */
};

static size_t pow2_at_least(size_t n) {
  size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

lvm_diag_workspace *lvm_diag_alloc(size_t n_draws, size_t n_chains) {
  if (n_draws == 0 || n_chains == 0 || n_draws > ((size_t)1 << 40) / n_chains) {
    lvm_error("lvm_diag_alloc: need at least one draw and one chain", __FILE__, __LINE__,
              LVM_EINVAL);
    return NULL;
  }
  lvm_diag_workspace *w = calloc(1, sizeof *w);
  if (!w) goto nomem;
  w->N = n_draws;
  w->M = n_chains;
  w->S = n_draws * n_chains;
  w->P = pow2_at_least(2 * n_draws);
  w->split = malloc(w->S * sizeof(double));
  w->z = malloc(w->S * sizeof(double));
  w->centered = malloc(w->S * sizeof(double));
  w->sorted = malloc(w->S * sizeof(double));
  w->rk = malloc(w->S * sizeof(ranked));
  w->fft = malloc(2 * w->P * sizeof(double));
  w->acov = malloc(w->N * sizeof(double));
  w->acov_sum = malloc(w->N * sizeof(double));
  w->rho = malloc(w->N * sizeof(double));
  w->cmean = malloc(2 * w->M * sizeof(double));
  w->cvar = malloc(2 * w->M * sizeof(double));
  if (!w->split || !w->z || !w->centered || !w->sorted || !w->rk || !w->fft || !w->acov || !w->acov_sum ||
      !w->rho || !w->cmean || !w->cvar) {
    lvm_diag_free(w);
    goto nomem;
  }
  return w;
nomem:
  lvm_error("cannot allocate a diagnostics workspace", __FILE__, __LINE__, LVM_ENOMEM);
  return NULL;
}

void lvm_diag_free(lvm_diag_workspace *w) {
  if (!w) return;
  free(w->split);
  free(w->z);
  free(w->centered);
  free(w->sorted);
  free(w->rk);
  free(w->fft);
  free(w->acov);
  free(w->acov_sum);
  free(w->rho);
  free(w->cmean);
  free(w->cvar);
  free(w);
}

/* ---- Basic statistics -------------------------------------------------- */

static double mean_of(const double *x, size_t n) {
  long double s = 0;
  for (size_t i = 0; i < n; i++) s += x[i];
  double m = (double)(s / n);
  if (!isfinite(m)) return m;
  /* R's second pass: add the mean of the residuals. */
  long double r = 0;
  for (size_t i = 0; i < n; i++) r += x[i] - m;
  return m + (double)(r / n);
}

/* Variance with n - 1 denominator; NaN for n < 2. */
static double var_of(const double *x, size_t n) {
  if (n < 2) return NAN;
  double m = mean_of(x, n);
  long double s = 0;
  for (size_t i = 0; i < n; i++) s += (x[i] - m) * (x[i] - m);
  return (double)(s / (n - 1));
}

/* posterior's should_return_NA: non-finite values or (nearly) constant. */
static int degenerate(const double *x, size_t n) {
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(x[i])) return 1;
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
  }
  return !(fabs(hi - lo) >= DBL_EPSILON);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int cmp_ranked(const void *a, const void *b) {
  const ranked *p = a, *q = b;
  if (p->x < q->x) return -1;
  if (p->x > q->x) return 1;
  return (p->i > q->i) - (p->i < q->i);
}

/* Type 7 quantile of sorted s[0..n-1], as R computes it. */
static double quantile_sorted(const double *s, size_t n, double p) {
  if (n == 0 || isnan(p)) return NAN;
  if (p < 0) p = 0;
  if (p > 1) p = 1;
  double index = 1 + (double)(n - 1) * p;
  double lo = floor(index), hi = ceil(index);
  double qs = s[(size_t)lo - 1];
  double xhi = s[(size_t)hi - 1];
  if (index > lo && xhi != qs) {
    double h = index - lo;
    qs = (1 - h) * qs + h * xhi;
  }
  return qs;
}

static double median_sorted(const double *s, size_t n) {
  if (n % 2) return s[n / 2];
  return (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Pooled draws sorted into w->sorted; 0 if any is NaN. */
static int sort_pooled(lvm_diag_workspace *w, const double *x) {
  for (size_t i = 0; i < w->S; i++) {
    if (isnan(x[i])) return 0;
    w->sorted[i] = x[i];
  }
  qsort(w->sorted, w->S, sizeof(double), cmp_double);
  return 1;
}

double lvm_diag_mean(lvm_diag_workspace *w, const double *x) {
  return mean_of(x, w->S);
}

double lvm_diag_sd(lvm_diag_workspace *w, const double *x) {
  return sqrt(var_of(x, w->S));
}

double lvm_diag_quantile(lvm_diag_workspace *w, const double *x, double p) {
  if (!sort_pooled(w, x)) return NAN;
  return quantile_sorted(w->sorted, w->S, p);
}

/* ---- Splitting and rank normalisation ---------------------------------- */

/* Split M chains of N draws (chain-major) into *m chains of *n draws in
 * out: first halves of every chain, then second halves (the order of
 * posterior's cbind); the middle draw of an odd N is dropped; N = 1 is not
 * split. */
static void split_chains(const lvm_diag_workspace *w, const double *x, double *out,
                         size_t *n, size_t *m) {
  size_t N = w->N, M = w->M;
  if (N == 1) {
    memcpy(out, x, M * sizeof(double));
    *n = 1;
    *m = M;
    return;
  }
  size_t half = N / 2;
  for (size_t c = 0; c < M; c++) {
    memcpy(out + c * half, x + c * N, half * sizeof(double));
    memcpy(out + (M + c) * half, x + c * N + (N - half), half * sizeof(double));
  }
  *n = half;
  *m = 2 * M;
}

/* z-scores of the average ranks of v[0..S-1], into v (in place). */
static void rank_normalise(lvm_diag_workspace *w, double *v, size_t S) {
  for (size_t i = 0; i < S; i++) {
    w->rk[i].x = v[i];
    w->rk[i].i = i;
  }
  qsort(w->rk, S, sizeof(ranked), cmp_ranked);
  double denom = (double)S - 2 * 0.375 + 1;
  for (size_t i = 0; i < S;) {
    size_t j = i;
    while (j + 1 < S && w->rk[j + 1].x == w->rk[i].x) j++;
    double r = ((double)i + (double)j + 2) / 2; /* average of ranks i+1..j+1 */
    double z = lvm_normal_quantile((r - 0.375) / denom);
    for (size_t k = i; k <= j; k++) v[w->rk[k].i] = z;
    i = j + 1;
  }
}

/* ---- R-hat ------------------------------------------------------------- */

/* x minus its mean, into w->centered.  R-hat and ESS do not change when
 * the draws are shifted, but their rounding errors do: draws like 1e6 +
 * 1e-3 u lose 7 digits in the variance of the chain means unless centered
 * first (posterior does not center; see test_diag.c). */
static const double *centered(lvm_diag_workspace *w, const double *x, size_t len) {
  double c = mean_of(x, len);
  for (size_t i = 0; i < len; i++) w->centered[i] = x[i] - c;
  return w->centered;
}

/* posterior's .rhat on m chains of n draws. */
static double rhat_chains(lvm_diag_workspace *w, const double *x, size_t n, size_t m) {
  if (degenerate(x, n * m) || n < 2 || m < 2) return NAN;
  x = centered(w, x, n * m);
  for (size_t c = 0; c < m; c++) {
    w->cmean[c] = mean_of(x + c * n, n);
    w->cvar[c] = var_of(x + c * n, n);
  }
  double var_between = (double)n * var_of(w->cmean, m);
  double var_within = mean_of(w->cvar, m);
  return sqrt((var_between / var_within + (double)n - 1) / (double)n);
}

double lvm_diag_rhat_basic(lvm_diag_workspace *w, const double *x) {
  size_t n, m;
  split_chains(w, x, w->split, &n, &m);
  return rhat_chains(w, w->split, n, m);
}

double lvm_diag_rhat(lvm_diag_workspace *w, const double *x) {
  size_t n, m;
  for (size_t i = 0; i < w->S; i++)
    if (isnan(x[i])) return NAN;
  /* Bulk: rank-normalised split chains. */
  /* Bulk: rank-normalised split chains (+-Inf are ranked like any value;
   * constant draws give constant z and so NaN). */
  split_chains(w, x, w->split, &n, &m);
  rank_normalise(w, w->split, n * m);
  double bulk = rhat_chains(w, w->split, n, m);
  /* Tail: the same on |x - median| (NaN when that is Inf - Inf). */
  sort_pooled(w, x);
  double med = median_sorted(w->sorted, w->S);
  int nan = 0;
  for (size_t i = 0; i < w->S; i++) {
    w->z[i] = fabs(x[i] - med);
    nan |= isnan(w->z[i]);
  }
  if (nan) return NAN;
  split_chains(w, w->z, w->split, &n, &m);
  rank_normalise(w, w->split, n * m);
  double tail = rhat_chains(w, w->split, n, m);
  if (isnan(bulk) || isnan(tail)) return NAN; /* R's max() with an NA */
  return bulk > tail ? bulk : tail;
}

/* ---- FFT and autocovariance -------------------------------------------- */

void lvm_diag_fft(double *re, double *im, size_t n, int sign) {
  /* Bit-reversal permutation. */
  for (size_t i = 1, j = 0; i < n; i++) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      double t = re[i];
      re[i] = re[j], re[j] = t;
      t = im[i];
      im[i] = im[j], im[j] = t;
    }
  }
  /* Butterflies; twiddles computed directly (cos/sin of each angle) rather
   * than by recurrence, to keep rounding errors at a few ulp. */
  const double two_pi = 6.283185307179586476925286766559;
  for (size_t len = 2; len <= n; len <<= 1) {
    size_t h = len / 2;
    for (size_t k = 0; k < h; k++) {
      double ang = sign * two_pi * (double)k / (double)len;
      double wr = cos(ang), wi = sin(ang);
      for (size_t s = k; s < n; s += len) {
        size_t t = s + h;
        double xr = re[t] * wr - im[t] * wi;
        double xi = re[t] * wi + im[t] * wr;
        re[t] = re[s] - xr;
        im[t] = im[s] - xi;
        re[s] += xr;
        im[s] += xi;
      }
    }
  }
}

void lvm_diag_autocovariance(const double *x, size_t n, double *acov, double *work) {
  if (n == 0) return;
  double m = mean_of(x, n);
  int constant = 1;
  for (size_t i = 1; i < n; i++)
    if (x[i] != x[0]) constant = 0;
  if (constant || n < 2) {
    for (size_t i = 0; i < n; i++) acov[i] = 0;
    return;
  }
  size_t P = pow2_at_least(2 * n);
  double *re = work, *im = work + P;
  for (size_t i = 0; i < P; i++) {
    re[i] = i < n ? x[i] - m : 0;
    im[i] = 0;
  }
  lvm_diag_fft(re, im, P, -1);
  for (size_t i = 0; i < P; i++) {
    re[i] = re[i] * re[i] + im[i] * im[i];
    im[i] = 0;
  }
  lvm_diag_fft(re, im, P, +1);
  /* Scale so that acov[0] is the variance with denominator n, computed
   * directly (as posterior does: ac / ac[1] * var(x) * (n - 1) / n). */
  double v = var_of(x, n) * (double)(n - 1) / (double)n;
  double a0 = re[0];
  for (size_t i = 0; i < n; i++) acov[i] = re[i] / a0 * v;
}

/* ---- ESS --------------------------------------------------------------- */

double lvm_diag_ess_chains(lvm_diag_workspace *w, const double *x, size_t n, size_t m) {
  if (n < 3 || n > w->N || n * m > w->S || degenerate(x, n * m)) return NAN;
  x = centered(w, x, n * m);
  for (size_t t = 0; t < n; t++) w->acov_sum[t] = 0;
  for (size_t c = 0; c < m; c++) {
    lvm_diag_autocovariance(x + c * n, n, w->acov, w->fft);
    for (size_t t = 0; t < n; t++) w->acov_sum[t] += w->acov[t];
    w->cmean[c] = mean_of(x + c * n, n);
  }
  double *am = w->acov_sum; /* becomes the means over chains */
  for (size_t t = 0; t < n; t++) am[t] /= (double)m;
  double dn = (double)n;
  double mean_var = am[0] * dn / (dn - 1);
  double var_plus = mean_var * (dn - 1) / dn;
  if (m > 1) var_plus += var_of(w->cmean, m);
  double *rho = w->rho;
  for (size_t t = 0; t < n; t++) rho[t] = 0;
  /* Geyer's initial positive sequence. */
  long t = 0, N = (long)n;
  double even = 1, odd = 1 - (mean_var - am[1]) / var_plus;
  rho[0] = even;
  rho[1] = odd;
  while (t < N - 5 && !isnan(even + odd) && even + odd > 0) {
    t += 2;
    even = 1 - (mean_var - am[t]) / var_plus;
    odd = 1 - (mean_var - am[t + 1]) / var_plus;
    if (even + odd >= 0) {
      rho[t] = even;
      rho[t + 1] = odd;
    }
  }
  long max_t = t;
  if (even > 0) rho[max_t] = even;
  /* Geyer's initial monotone sequence. */
  t = 0;
  while (t <= max_t - 4) {
    t += 2;
    if (rho[t] + rho[t + 1] > rho[t - 2] + rho[t - 1]) {
      rho[t] = (rho[t - 2] + rho[t - 1]) / 2;
      rho[t + 1] = rho[t];
    }
  }
  /* tau = -1 + 2 sum(rho[lags 0..max_t-1]) + rho[max_t]; for max_t = 0 the
   * sum is rho[0] (R's 1:0 is c(1, 0)). */
  double sum = 0;
  long last = max_t > 0 ? max_t - 1 : 0;
  for (long k = 0; k <= last; k++) sum += rho[k];
  double ess = (double)m * dn;
  double tau = -1 + 2 * sum + rho[max_t];
  double bound = 1 / log10(ess);
  if (tau < bound) tau = bound;
  return ess / tau;
}

double lvm_diag_ess_mean(lvm_diag_workspace *w, const double *x) {
  size_t n, m;
  split_chains(w, x, w->split, &n, &m);
  return lvm_diag_ess_chains(w, w->split, n, m);
}

double lvm_diag_ess_bulk(lvm_diag_workspace *w, const double *x) {
  size_t n, m;
  for (size_t i = 0; i < w->S; i++)
    if (isnan(x[i])) return NAN;
  split_chains(w, x, w->split, &n, &m);
  rank_normalise(w, w->split, n * m);
  return lvm_diag_ess_chains(w, w->split, n, m);
}

/* ESS of I(x <= q) on split chains. */
static double ess_indicator(lvm_diag_workspace *w, const double *x, double q) {
  for (size_t i = 0; i < w->S; i++) w->z[i] = x[i] <= q ? 1.0 : 0.0;
  size_t n, m;
  split_chains(w, w->z, w->split, &n, &m);
  return lvm_diag_ess_chains(w, w->split, n, m);
}

static double ess_tail_sorted(lvm_diag_workspace *w, const double *x) {
  double q05 = quantile_sorted(w->sorted, w->S, 0.05);
  double q95 = quantile_sorted(w->sorted, w->S, 0.95);
  double a = ess_indicator(w, x, q05), b = ess_indicator(w, x, q95);
  if (isnan(a) || isnan(b)) return NAN;
  return a < b ? a : b;
}

double lvm_diag_ess_tail(lvm_diag_workspace *w, const double *x) {
  if (degenerate(x, w->S)) return NAN;
  sort_pooled(w, x);
  return ess_tail_sorted(w, x);
}

double lvm_diag_mcse_mean(lvm_diag_workspace *w, const double *x) {
  return sqrt(var_of(x, w->S)) / sqrt(lvm_diag_ess_mean(w, x));
}

void lvm_diag_summarise(lvm_diag_workspace *w, const double *x, lvm_diag_summary *s) {
  s->mean = mean_of(x, w->S);
  s->sd = sqrt(var_of(x, w->S));
  s->mcse_mean = lvm_diag_mcse_mean(w, x);
  if (sort_pooled(w, x)) {
    s->q5 = quantile_sorted(w->sorted, w->S, 0.05);
    s->q50 = quantile_sorted(w->sorted, w->S, 0.50);
    s->q95 = quantile_sorted(w->sorted, w->S, 0.95);
    s->ess_tail = degenerate(x, w->S) ? NAN : ess_tail_sorted(w, x);
  } else {
    s->q5 = s->q50 = s->q95 = s->ess_tail = NAN;
  }
  s->ess_bulk = lvm_diag_ess_bulk(w, x);
  s->rhat = lvm_diag_rhat(w, x);
}
