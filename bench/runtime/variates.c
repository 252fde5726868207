/* Throughput of random variate generators (draws per second).
 *
 *   build-core/bench/runtime/bench_variates [seconds-per-case]
 *
 * Each case runs for about the given time (default 0.5 s) after a short
 * warm-up; the draws are summed into a volatile sink so the compiler
 * cannot drop them.  One thread, one stream. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lvm/dist.h"
#include "lvm/rng.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static volatile double sink;

typedef double (*draw_fn)(lvm_rng *r, const void *arg);

static double d_uniform(lvm_rng *r, const void *a) { (void)a; return lvm_rng_uniform(r); }
static double d_normal(lvm_rng *r, const void *a) { (void)a; return lvm_std_normal_draw(r); }
static double d_gamma(lvm_rng *r, const void *a) {
  return lvm_gamma_draw(r, *(const double *)a, 1.0);
}
static double d_cat3(lvm_rng *r, const void *a) {
  return (double)lvm_categorical_logit_draw(r, 3, a);
}
static double d_cat20(lvm_rng *r, const void *a) {
  return (double)lvm_categorical_logit_draw(r, 20, a);
}
static double d_pois(lvm_rng *r, const void *a) {
  return (double)lvm_poisson_draw(r, *(const double *)a);
}
static double d_binom(lvm_rng *r, const void *a) {
  return (double)lvm_binomial_draw(r, 1000, *(const double *)a);
}
static double d_beta(lvm_rng *r, const void *a) {
  const double *p = a;
  return lvm_beta_draw(r, p[0], p[1]);
}
static double d_pg(lvm_rng *r, const void *a) {
  return lvm_polya_gamma_draw(r, 1.0, *(const double *)a);
}

static void run(const char *name, draw_fn f, const void *arg, double secs) {
  lvm_rng r;
  lvm_rng_seed(&r, 12345, 0);
  double s = 0;
  for (int i = 0; i < 10000; i++) s += f(&r, arg); /* warm-up */
  long n = 0, batch = 100000;
  double t0 = now(), t;
  do {
    for (long i = 0; i < batch; i++) s += f(&r, arg);
    n += batch;
    t = now() - t0;
  } while (t < secs);
  sink = s;
  printf("%-34s %10.1f M draws/s  %7.2f ns/draw\n", name, n / t / 1e6, 1e9 * t / n);
}

int main(int argc, char **argv) {
  double secs = argc > 1 ? atof(argv[1]) : 0.5;
  if (!(secs > 0)) secs = 0.5;
  double g05 = 0.5, g5 = 5.0, lam_small = 3.0, lam_mid = 30.0, lam_big = 1e6;
  double lw3[3] = {-1.0, 0.5, 2.0}, lw20[20];
  for (int k = 0; k < 20; k++) lw20[k] = sin(1.3 * k) * 2.0;
  double p04 = 0.4, b_small[2] = {0.5, 0.5}, b_big[2] = {2.0, 5.0}, c1 = 1.0;
  printf("liblvmrt variate throughput (single thread, %.2f s per case)\n", secs);
  run("uniform (rng baseline)", d_uniform, NULL, secs);
  run("normal (ziggurat)", d_normal, NULL, secs);
  run("gamma shape 0.5", d_gamma, &g05, secs);
  run("gamma shape 5", d_gamma, &g5, secs);
  run("categorical_logit K=3", d_cat3, lw3, secs);
  run("categorical_logit K=20", d_cat20, lw20, secs);
  run("poisson mean 3 (inversion)", d_pois, &lam_small, secs);
  run("poisson mean 30 (PTRS)", d_pois, &lam_mid, secs);
  run("poisson mean 1e6 (PTRS)", d_pois, &lam_big, secs);
  run("binomial n=1000 p=0.4 (BTRS)", d_binom, &p04, secs);
  run("beta(0.5, 0.5)", d_beta, b_small, secs);
  run("beta(2, 5)", d_beta, b_big, secs);
  run("polya_gamma(1, 1)", d_pg, &c1, secs);
  return 0;
}
