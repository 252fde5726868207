/* gmm_gibbs — hand-written C reference of the Gibbs sampler for
 * examples/gmm.lvm, the yardstick for lvmc's generated code.
 *
 *   model gmm;  data N; data K = 3; data alpha = 1.0;
 *   pi ~ Dirichlet(rep(alpha, K));
 *   mu[k] ~ Normal(0, 10);  tau[k] ~ Gamma(1, 1);       (sd 10: precision 0.01)
 *   z[n] ~ Categorical(pi); x[n] ~ NormalPrec(mu[z[n]], tau[z[n]]);
 *
 * One sweep (systematic scan):
 *   1. z[n] for every n by enumeration of the K values, with
 *      c_k = log pi_k + 1/2 log tau_k and h_k = tau_k / 2 computed once per
 *      sweep: log w_k = c_k - h_k (x_n - mu_k)^2, shifted by the max,
 *      exponentiated, and inverted with one uniform.  In the same pass the
 *      sufficient statistics n_k, sum x, sum x^2 of each component.
 *   2. pi | z ~ Dirichlet(alpha + n).
 *   3. mu_k | tau_k, z, x ~ Normal with precision 0.01 + tau_k n_k and mean
 *      tau_k Sx_k / precision.
 *   4. tau_k | mu_k, z, x ~ Gamma(1 + n_k / 2, 1 + SS_k / 2), where
 *      SS_k = sum over z_n = k of (x_n - mu_k)^2 = Sxx - 2 mu Sx + n mu^2.
 * The data are centred on their mean for the sums (so Sxx - 2 mu Sx + n mu^2
 * does not cancel badly on data far from 0); the draws are in the original
 * units.
 *
 * Random numbers and variates come from liblvmrt (lvm/rng.h, lvm/dist.h):
 * xoshiro256++, stream c for chain c; lvm_dirichlet_draw,
 * lvm_normal_prec_draw, lvm_gamma_draw.  The z loop inlines the categorical
 * draw (the default, --zdraw inline) or calls lvm_categorical_logit_draw
 * (--zdraw runtime), to show what the call costs.
 *
 * Output: CmdStan CSV (lvm/csv.h), one file per chain, columns lp__,
 * pi.1..K, mu.1..K, tau.1..K (z is not written: N columns); lp__ is the log
 * joint density log p(x, z, pi, mu, tau) at the end of the sweep, computed
 * from the sufficient statistics in O(K).  Chains run one after the other on
 * one thread.  Printed on stdout: one line of JSON (see README.md).
 *
 *   gmm_gibbs --data d.json [--chains 1] [--warmup 1000] [--iter 1000]
 *             [--seed 1] [--out draws.csv] [--zdraw inline|runtime]
 *             [--expect-mu -2,0,3 --tol 0.05]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lvm/csv.h"
#include "lvm/data.h"
#include "lvm/diag.h"
#include "lvm/dist.h"
#include "lvm/rng.h"

#define KMAX 64
#define HALF_LOG_2PI 0.91893853320467274178
#define PRIOR_MU_PREC 0.01 /* Normal(0, 10): sd 10 */
#define PRIOR_TAU_SHAPE 1.0
#define PRIOR_TAU_RATE 1.0

typedef struct state {
  size_t K;
  double pi[KMAX], mu[KMAX], tau[KMAX];
  double cnt[KMAX], sx[KMAX], sxx[KMAX]; /* of the centred data */
  double lp;
} state;

typedef struct problem {
  size_t N, K;
  double alpha;
  const double *x; /* original */
  double *xc;      /* centred: x - xbar */
  double xbar;
  uint8_t *z;      /* 0-based component of each point */
  int zdraw_runtime;
} problem;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(const char *msg) {
  fprintf(stderr, "gmm_gibbs: %s\n", msg);
  exit(2);
}

/* Step 1: z and the sufficient statistics, one pass over the data. */
static void sweep_z(const problem *p, state *s, lvm_rng *r) {
  const size_t N = p->N, K = p->K;
  double c[KMAX], h[KMAX], m[KMAX];
  for (size_t k = 0; k < K; k++) {
    c[k] = log(s->pi[k]) + 0.5 * log(s->tau[k]);
    h[k] = 0.5 * s->tau[k];
    m[k] = s->mu[k] - p->xbar; /* mean in centred units */
    s->cnt[k] = s->sx[k] = s->sxx[k] = 0.0;
  }
  const double *xc = p->xc;
  uint8_t *z = p->z;
  if (p->zdraw_runtime) {
    double lw[KMAX];
    for (size_t n = 0; n < N; n++) {
      const double xn = xc[n];
      for (size_t k = 0; k < K; k++) {
        const double d = xn - m[k];
        lw[k] = c[k] - h[k] * d * d;
      }
      const size_t j = (size_t)lvm_categorical_logit_draw(r, K, lw);
      z[n] = (uint8_t)j;
      s->cnt[j] += 1.0;
      s->sx[j] += xn;
      s->sxx[j] += xn * xn;
    }
    return;
  }
  for (size_t n = 0; n < N; n++) {
    const double xn = xc[n];
    double w[KMAX], mx = -INFINITY;
    for (size_t k = 0; k < K; k++) {
      const double d = xn - m[k];
      w[k] = c[k] - h[k] * d * d;
      mx = w[k] > mx ? w[k] : mx;
    }
    double tot = 0.0;
    for (size_t k = 0; k < K; k++) {
      w[k] = exp(w[k] - mx);
      tot += w[k];
    }
    double u = lvm_rng_uniform(r) * tot;
    size_t j = 0;
    while (j + 1 < K && u >= w[j]) {
      u -= w[j];
      j++;
    }
    z[n] = (uint8_t)j;
    s->cnt[j] += 1.0;
    s->sx[j] += xn;
    s->sxx[j] += xn * xn;
  }
}

/* Steps 2-4: the conjugate draws, then lp__. */
static void sweep_params(const problem *p, state *s, lvm_rng *r) {
  const size_t K = p->K;
  double a[KMAX] = {0};
  for (size_t k = 0; k < K; k++) a[k] = p->alpha + s->cnt[k];
  lvm_dirichlet_draw(r, K, a, s->pi);

  double lp = 0.0, ss[KMAX];
  for (size_t k = 0; k < K; k++) {
    const double nk = s->cnt[k], tk = s->tau[k];
    /* mu_k: prior mean 0 is -xbar in centred units */
    const double prec = PRIOR_MU_PREC + tk * nk;
    const double mean_c = (PRIOR_MU_PREC * (-p->xbar) + tk * s->sx[k]) / prec;
    const double mc = lvm_normal_prec_draw(r, mean_c, prec);
    s->mu[k] = mc + p->xbar;
    /* tau_k */
    double sk = s->sxx[k] - 2.0 * mc * s->sx[k] + nk * mc * mc;
    ss[k] = sk > 0.0 ? sk : 0.0;
    s->tau[k] = lvm_gamma_draw(r, PRIOR_TAU_SHAPE + 0.5 * nk,
                               PRIOR_TAU_RATE + 0.5 * ss[k]);
  }
  /* lp__ = log p(pi) + sum_k [log p(mu_k) + log p(tau_k)]
   *        + sum_k [n_k (log pi_k + 1/2 log tau_k - 1/2 log 2 pi) - tau_k SS_k / 2]
   * with SS_k at the new mu_k (z is unchanged since step 1). */
  double alph[KMAX] = {0};
  for (size_t k = 0; k < K; k++) alph[k] = p->alpha;
  lp += lvm_dirichlet_lpdf(s->pi, K, alph);
  for (size_t k = 0; k < K; k++) {
    const double nk = s->cnt[k], mc = s->mu[k] - p->xbar, tk = s->tau[k];
    double sk = s->sxx[k] - 2.0 * mc * s->sx[k] + nk * mc * mc;
    if (sk < 0.0) sk = 0.0;
    lp += lvm_normal_lpdf(s->mu[k], 0.0, 10.0);
    lp += lvm_gamma_lpdf(tk, PRIOR_TAU_SHAPE, PRIOR_TAU_RATE);
    lp += nk * (log(s->pi[k]) + 0.5 * log(tk) - HALF_LOG_2PI) - 0.5 * tk * sk;
  }
  s->lp = lp;
}

static void sweep(const problem *p, state *s, lvm_rng *r) {
  sweep_z(p, s, r);
  sweep_params(p, s, r);
}

/* Initial values: pi uniform, mu at K distinct data points drawn at random,
 * tau = 1 / var(x). */
static void init_state(const problem *p, state *s, lvm_rng *r) {
  const size_t N = p->N, K = p->K;
  double v = 0.0;
  for (size_t n = 0; n < N; n++) v += p->xc[n] * p->xc[n];
  v = N > 1 ? v / (double)(N - 1) : 1.0;
  s->K = K;
  for (size_t k = 0; k < K; k++) {
    s->pi[k] = 1.0 / (double)K;
    s->mu[k] = p->x[lvm_rng_uniform_int(r, N)];
    s->tau[k] = v > 0.0 ? 1.0 / v : 1.0;
  }
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  const char *data_path = NULL, *out = NULL, *expect = NULL;
  long chains = 1, warmup = 1000, iter = 1000;
  unsigned long long seed = 1;
  double tol = 0.05;
  int zrt = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name) (strcmp(a, name) == 0 && v && (i++, 1))
    if (OPT("--data")) data_path = v;
    else if (OPT("--out")) out = v;
    else if (OPT("--chains")) chains = atol(v);
    else if (OPT("--warmup")) warmup = atol(v);
    else if (OPT("--iter")) iter = atol(v);
    else if (OPT("--seed")) seed = strtoull(v, NULL, 10);
    else if (OPT("--expect-mu")) expect = v;
    else if (OPT("--tol")) tol = atof(v);
    else if (OPT("--zdraw")) {
      if (strcmp(v, "runtime") == 0) zrt = 1;
      else if (strcmp(v, "inline") == 0) zrt = 0;
      else die("--zdraw takes inline or runtime");
    } else {
      fprintf(stderr,
              "usage: %s --data D.json [--chains C] [--warmup W] [--iter N] "
              "[--seed S] [--out draws.csv] [--zdraw inline|runtime] "
              "[--expect-mu m1,m2,... [--tol T]]\n", argv[0]);
      return 2;
    }
#undef OPT
  }
  if (!data_path) die("--data is required");
  if (chains < 1 || warmup < 0 || iter < 4) die("need chains >= 1, warmup >= 0, iter >= 4");

  /* ---- data ---- */
  lvm_data *d = lvm_data_alloc();
  if (lvm_data_read_file(d, data_path, NULL) != LVM_OK) return 1;
  const lvm_data_var *vN = lvm_data_find(d, "N"), *vx = lvm_data_find(d, "x");
  const lvm_data_var *vK = lvm_data_find(d, "K"), *va = lvm_data_find(d, "alpha");
  if (!vN || !vx || vx->ndim != 1 || (size_t)vN->values[0] != vx->size)
    die("data needs N and x[N]");
  problem p = {0};
  p.N = vx->size;
  p.K = vK ? (size_t)vK->values[0] : 3;
  p.alpha = va ? va->values[0] : 1.0;
  if (p.K < 1 || p.K > KMAX || p.K > 255) die("K must be 1..64");
  if (vx->missing) die("x has missing values (not supported by the reference)");
  p.x = vx->values;
  p.xc = malloc(p.N * sizeof *p.xc);
  p.z = malloc(p.N);
  if (!p.xc || !p.z) die("out of memory");
  double xs = 0.0;
  for (size_t n = 0; n < p.N; n++) xs += p.x[n];
  p.xbar = xs / (double)p.N;
  for (size_t n = 0; n < p.N; n++) p.xc[n] = p.x[n] - p.xbar;
  p.zdraw_runtime = zrt;
  const size_t K = p.K;

  /* ---- output columns ---- */
  lvm_csv_names *names = lvm_csv_names_alloc();
  size_t kd[1] = {K};
  lvm_csv_names_add(names, "lp__", 0, NULL, 0);
  lvm_csv_names_add(names, "pi", 1, kd, 0);
  lvm_csv_names_add(names, "mu", 1, kd, 0);
  lvm_csv_names_add(names, "tau", 1, kd, 0);
  const size_t ncol = names->n; /* 1 + 3K */
  double *draws = malloc((size_t)chains * (size_t)iter * ncol * sizeof *draws);
  if (!draws) die("out of memory");

  double t_warm = 0.0, t_samp = 0.0;
  char sbuf[32], wbuf[32], ibuf[32], cbuf[32];
  snprintf(sbuf, sizeof sbuf, "%llu", seed);
  snprintf(wbuf, sizeof wbuf, "%ld", warmup);
  snprintf(ibuf, sizeof ibuf, "%ld", iter);
  for (long c = 0; c < chains; c++) {
    lvm_rng r;
    lvm_rng_seed(&r, seed, (uint64_t)c);
    state s;
    memset(&s, 0, sizeof s);
    init_state(&p, &s, &r);

    lvm_csv *w = NULL;
    if (out) {
      char *path = lvm_csv_chain_path(out, (int)c + 1, (int)chains);
      w = lvm_csv_open(path);
      free(path);
      if (!w) return 1;
      snprintf(cbuf, sizeof cbuf, "%ld", c + 1);
      lvm_kv kv[] = {{"model", "gmm"},        {"method", "sample"},
                     {"algorithm", "gibbs (hand-written C reference)"},
                     {"num_warmup", wbuf},    {"num_samples", ibuf},
                     {"seed", sbuf},          {"chain_id", cbuf},
                     {"data", data_path},     {"zdraw", zrt ? "runtime" : "inline"}};
      lvm_csv_settings(w, kv, sizeof kv / sizeof kv[0]);
      lvm_csv_header(w, names);
    }

    const double t0 = now();
    for (long it = 0; it < warmup; it++) sweep(&p, &s, &r);
    const double t1 = now();
    for (long it = 0; it < iter; it++) {
      sweep(&p, &s, &r);
      double *row = draws + ((size_t)c * (size_t)iter + (size_t)it) * ncol;
      row[0] = s.lp;
      for (size_t k = 0; k < K; k++) {
        row[1 + k] = s.pi[k];
        row[1 + K + k] = s.mu[k];
        row[1 + 2 * K + k] = s.tau[k];
      }
      if (w) lvm_csv_row(w, row);
    }
    const double t2 = now();
    if (w) {
      lvm_csv_elapsed(w, t1 - t0, t2 - t1);
      lvm_csv_close(w);
    }
    t_warm += t1 - t0;
    t_samp += t2 - t1;
  }

  /* ---- summaries ----
   * The labels of a mixture are not identified: chains started apart settle
   * on different permutations, so ESS of the raw columns across chains means
   * nothing.  The summaries relabel every draw by the order of mu (mu.1 the
   * smallest), permuting pi and tau with it, and report ESS (bulk) and means
   * of those columns; the CSV files hold the raw draws. */
  const size_t S = (size_t)chains * (size_t)iter;
  for (size_t i = 0; i < S; i++) {
    double *row = draws + i * ncol, tmp[3 * KMAX];
    size_t ord[KMAX];
    for (size_t k = 0; k < K; k++) ord[k] = k;
    for (size_t a = 1; a < K; a++) /* insertion sort of the indices by mu */
      for (size_t b = a; b > 0 && row[1 + K + ord[b]] < row[1 + K + ord[b - 1]]; b--) {
        const size_t t = ord[b];
        ord[b] = ord[b - 1];
        ord[b - 1] = t;
      }
    for (size_t k = 0; k < K; k++)
      for (size_t q = 0; q < 3; q++) tmp[q * K + k] = row[1 + q * K + ord[k]];
    memcpy(row + 1, tmp, 3 * K * sizeof tmp[0]);
  }
  lvm_diag_workspace *dw = lvm_diag_alloc((size_t)iter, (size_t)chains);
  double *col = malloc(S * sizeof *col);
  double ess[1 + 3 * KMAX], mean[1 + 3 * KMAX], sd[1 + 3 * KMAX], rhat[1 + 3 * KMAX], sorted_mu[KMAX] = {0};
  for (size_t j = 0; j < ncol; j++) {
    for (size_t i = 0; i < S; i++) col[i] = draws[i * ncol + j];
    ess[j] = lvm_diag_ess_bulk(dw, col);
    mean[j] = lvm_diag_mean(dw, col);
    rhat[j] = lvm_diag_rhat(dw, col);
    sd[j] = lvm_diag_sd(dw, col);
  }
  for (size_t k = 0; k < K; k++) sorted_mu[k] = mean[1 + K + k];

  /* Timing: per chain, warmup sweeps (no output) and sampling sweeps. */
  const double sweeps_w = (double)chains * (double)warmup;
  const double sweeps_s = (double)chains * (double)iter;
  const double sec_per_sweep = warmup > 0 ? t_warm / sweeps_w : t_samp / sweeps_s;
  const double ns_per_datum = 1e9 * sec_per_sweep / (double)p.N;
  fprintf(stderr,
          "gmm_gibbs: N = %zu, K = %zu, %ld chain(s) x (%ld warmup + %ld draws), zdraw = %s\n"
          "gmm_gibbs: %.4f s per 1000 sweeps, %.2f ns per data point per sweep "
          "(warmup %.3f s, sampling %.3f s in total)\n",
          p.N, K, chains, warmup, iter, zrt ? "runtime" : "inline",
          1000.0 * sec_per_sweep, ns_per_datum, t_warm, t_samp);

  printf("{\"system\": \"c_ref\", \"model\": \"gmm\", \"N\": %zu, \"K\": %zu, "
         "\"chains\": %ld, \"warmup\": %ld, \"iter\": %ld, \"zdraw\": \"%s\", "
         "\"compile_s\": null, \"warmup_s\": %.6g, \"sampling_s\": %.6g, "
         "\"sec_per_1000_sweeps\": %.6g, \"sec_per_1000_sweeps_sampling\": %.6g, "
         "\"ns_per_datum_per_sweep\": %.6g",
         p.N, K, chains, warmup, iter, zrt ? "runtime" : "inline", t_warm, t_samp,
         1000.0 * sec_per_sweep, 1000.0 * t_samp / sweeps_s, ns_per_datum);
  double min_eps = INFINITY;
  printf(", \"relabel\": \"by order of mu\", \"ess_bulk\": {");
  for (size_t j = 0; j < ncol; j++)
    printf("%s\"%s\": %.6g", j ? ", " : "", names->name[j], ess[j]);
  printf("}, \"ess_per_sec\": {");
  for (size_t j = 0; j < ncol; j++) {
    const double e = ess[j] / t_samp;
    if (j > 0 && e < min_eps) min_eps = e; /* lp__ excluded from the min */
    printf("%s\"%s\": %.6g", j ? ", " : "", names->name[j], e);
  }
  printf("}, \"min_ess_per_sec\": %.6g, \"mean\": {", min_eps);
  for (size_t j = 0; j < ncol; j++)
    printf("%s\"%s\": %.6g", j ? ", " : "", names->name[j], mean[j]);
  printf("}, \"sd\": {");
  for (size_t j = 0; j < ncol; j++)
    printf("%s\"%s\": %.6g", j ? ", " : "", names->name[j], sd[j]);
  printf("}, \"rhat\": {");
  for (size_t j = 0; j < ncol; j++)
    printf("%s\"%s\": %.6g", j ? ", " : "", names->name[j], rhat[j]);
  printf("}, \"sorted_mu_mean\": [");
  for (size_t k = 0; k < K; k++) printf("%s%.6g", k ? ", " : "", sorted_mu[k]);
  printf("]");

  int status = 0;
  if (expect) {
    /* --expect-mu m1,m2,...: posterior means of the sorted mu within tol */
    double e[KMAX];
    size_t ne = 0;
    const char *q = expect;
    while (*q && ne < KMAX) {
      char *end;
      e[ne++] = strtod(q, &end);
      if (end == q) die("--expect-mu: bad list");
      q = *end == ',' ? end + 1 : end;
      if (*end && *end != ',') die("--expect-mu: bad list");
    }
    if (ne != K) die("--expect-mu needs K values");
    qsort(e, ne, sizeof e[0], cmp_double);
    double worst = 0.0;
    for (size_t k = 0; k < K; k++)
      if (fabs(sorted_mu[k] - e[k]) > worst) worst = fabs(sorted_mu[k] - e[k]);
    status = worst <= tol ? 0 : 1;
    printf(", \"check\": {\"max_abs_err_sorted_mu\": %.6g, \"tol\": %g, \"pass\": %s}",
           worst, tol, status ? "false" : "true");
    fprintf(stderr, "gmm_gibbs: check: sorted mu means within %g of the truth: %s "
            "(max error %.4g)\n", tol, status ? "FAIL" : "ok", worst);
  }
  printf("}\n");

  free(col);
  lvm_diag_free(dw);
  free(draws);
  lvm_csv_names_free(names);
  free(p.xc);
  free(p.z);
  lvm_data_free(d);
  return status;
}
