/* Diagnostics (lvm/diag.h) against reference values from the R package
 * `posterior` (tests/unit/io/diag_ref.txt, made by ref/make_diag_ref.R):
 * R-hat, ESS bulk/tail/mean, MCSE, quantiles, mean, sd on iid, strongly
 * autocorrelated (AR(1) 0.95 and 0.995), non-mixing (different means),
 * discrete (ties), odd-length, antithetic, tiny, one-chain, heavy-tailed,
 * infinite, constant and badly scaled draws.  Then the FFT and the
 * autocovariance against direct sums, and the summary command. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lvm/csv.h"
#include "lvm/diag.h"

/* Every value agrees with posterior to this relative tolerance: both sides
 * compute the same formulas in double precision; the differences come from
 * summation order and the FFT (rounding ~1e-15 relative), far below it.
 *
 * One exception, the case "scaled" (draws 1e6 + 1e-3 * AR(1)): there the
 * variance of the chain means is ill-conditioned, and posterior's own
 * answers move by up to 3e-8 relative when the draws are shifted by -1e6
 * (which changes no statistic but the location ones; checked with
 * ref/make_diag_ref.R's inputs: mcse_mean 1.19203516984e-4 vs
 * 1.19203514550e-4).  We center before computing, so we are at least as
 * accurate; agreement is asked to 1e-7 there, and the shift invariance of
 * our own results to 1e-12. */
#define REL_TOL 1e-9
#define REL_TOL_SCALED 1e-7

enum { N_REF = 11 };
static const char *const ref_names[N_REF] = {"rhat", "ess_bulk", "ess_tail", "mcse_mean",
                                             "q5", "q50", "q95", "mean", "sd",
                                             "ess_mean", "rhat_basic"};

static int close_to_tol(double got, double want, double tol) {
  if (isnan(want)) return isnan(got);
  if (isinf(want)) return got == want;
  return fabs(got - want) <= tol * fabs(want) + 1e-300;
}


static void matches_posterior(void **state) {
  (void)state;
  FILE *f = fopen("diag_ref.txt", "r");
  assert_non_null(f); /* run from tests/unit/io (meson's workdir) */
  char tok[64];
  int n_cases = 0, n_values = 0, failures = 0;
  double worst = 0; /* largest relative difference outside "scaled" */
  while (fscanf(f, "%63s", tok) == 1) {
    assert_string_equal(tok, "case");
    char name[64];
    size_t M, N;
    assert_int_equal(fscanf(f, "%63s %zu %zu", name, &M, &N), 3);
    double *x = malloc(M * N * sizeof *x);
    for (size_t i = 0; i < M * N; i++) {
      assert_int_equal(fscanf(f, "%63s", tok), 1);
      x[i] = strtod(tok, NULL); /* R writes Inf; strtod reads it */
    }
    assert_int_equal(fscanf(f, "%63s", tok), 1);
    assert_string_equal(tok, "ref");
    double ref[N_REF];
    for (int k = 0; k < N_REF; k++) {
      assert_int_equal(fscanf(f, "%63s", tok), 1);
      ref[k] = strcmp(tok, "NA") == 0 ? NAN : strtod(tok, NULL);
    }
    lvm_diag_workspace *w = lvm_diag_alloc(N, M);
    assert_non_null(w);
    double got[N_REF] = {
        lvm_diag_rhat(w, x),         lvm_diag_ess_bulk(w, x),
        lvm_diag_ess_tail(w, x),     lvm_diag_mcse_mean(w, x),
        lvm_diag_quantile(w, x, 0.05), lvm_diag_quantile(w, x, 0.5),
        lvm_diag_quantile(w, x, 0.95), lvm_diag_mean(w, x),
        lvm_diag_sd(w, x),           lvm_diag_ess_mean(w, x),
        lvm_diag_rhat_basic(w, x)};
    double tol = strcmp(name, "scaled") == 0 ? REL_TOL_SCALED : REL_TOL;
    for (int k = 0; k < N_REF; k++)
      if (tol == REL_TOL && isfinite(ref[k]) && ref[k] != 0)
        worst = fmax(worst, fabs(got[k] - ref[k]) / fabs(ref[k]));
    for (int k = 0; k < N_REF; k++, n_values++)
      if (!close_to_tol(got[k], ref[k], tol)) {
        print_error("%s: %s = %.17g, posterior %.17g (rel. diff %.2g)\n", name, ref_names[k],
                    got[k], ref[k], fabs(got[k] - ref[k]) / fabs(ref[k]));
        failures++;
      }
    /* The summary struct gives the same numbers. */
    lvm_diag_summary s;
    lvm_diag_summarise(w, x, &s);
    double sv[] = {s.rhat, s.ess_bulk, s.ess_tail, s.mcse_mean, s.q5, s.q50, s.q95, s.mean, s.sd};
    for (int k = 0; k < 9; k++)
      if (!close_to_tol(sv[k], ref[k], tol)) {
        print_error("%s: summary %s = %.17g, posterior %.17g\n", name, ref_names[k], sv[k],
                    ref[k]);
        failures++;
      }
    if (strcmp(name, "scaled") == 0) {
      /* shift invariance of the scale-free statistics */
      for (size_t i = 0; i < M * N; i++) x[i] -= 1e6; /* exact here */
      double sh[] = {lvm_diag_rhat(w, x), lvm_diag_ess_bulk(w, x), lvm_diag_ess_tail(w, x),
                     lvm_diag_mcse_mean(w, x), lvm_diag_ess_mean(w, x),
                     lvm_diag_rhat_basic(w, x)};
      double un[] = {got[0], got[1], got[2], got[3], got[9], got[10]};
      for (int k = 0; k < 6; k++)
        if (!close_to_tol(sh[k], un[k], 1e-12)) {
          print_error("scaled: statistic %d changes when shifted: %.17g vs %.17g\n", k, sh[k],
                      un[k]);
          failures++;
        }
    }
    lvm_diag_free(w);
    free(x);
    n_cases++;
  }
  fclose(f);
  printf("[ INFO     ] %d cases, %d values compared with posterior; largest relative "
         "difference %.2g (case scaled excluded)\n", n_cases, n_values, worst);
  assert_int_equal(n_cases, 14);
  assert_int_equal(failures, 0);
}

/* Independent of the fixture: chains on disjoint ranges give a large R-hat,
 * and the bulk ESS of iid draws is near the number of draws. */
static void separated_chains_have_large_rhat(void **state) {
  (void)state;
  /* Two chains far apart, two together: R-hat far above 1.01. */
  enum { N = 400, M = 4 };
  double *x = malloc(N * M * sizeof *x);
  uint64_t s = 7;
  for (int c = 0; c < M; c++)
    for (int i = 0; i < N; i++) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      double u = (double)(s >> 11) * 0x1p-53;
      x[c * N + i] = u + (c >= 2 ? 3.0 : 0.0);
    }
  lvm_diag_workspace *w = lvm_diag_alloc(N, M);
  assert_true(lvm_diag_rhat(w, x) > 1.5);
  for (int i = 0; i < N * M; i++) x[i] = fmod(x[i], 1.0); /* all iid uniform */
  assert_true(lvm_diag_rhat(w, x) < 1.01);
  double ess = lvm_diag_ess_bulk(w, x);
  assert_true(ess > 0.8 * N * M && ess < 1.25 * N * M);
  lvm_diag_free(w);
  free(x);
}

static void fft_matches_direct_dft(void **state) {
  (void)state;
  enum { n = 64 };
  double re[n], im[n], r0[n], i0[n];
  uint64_t s = 99;
  for (int k = 0; k < n; k++) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    re[k] = r0[k] = (double)(s >> 11) * 0x1p-53 - 0.5;
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    im[k] = i0[k] = (double)(s >> 11) * 0x1p-53 - 0.5;
  }
  lvm_diag_fft(re, im, n, -1);
  double maxerr = 0;
  for (int k = 0; k < n; k++) {
    long double sr = 0, si = 0;
    for (int j = 0; j < n; j++) {
      long double a = -2 * 3.14159265358979323846264338327950288L * j * k / n;
      sr += r0[j] * cosl(a) - i0[j] * sinl(a);
      si += r0[j] * sinl(a) + i0[j] * cosl(a);
    }
    maxerr = fmax(maxerr, fabs(re[k] - (double)sr));
    maxerr = fmax(maxerr, fabs(im[k] - (double)si));
  }
  assert_true(maxerr < 1e-13);
  lvm_diag_fft(re, im, n, +1);
  for (int k = 0; k < n; k++) {
    assert_true(fabs(re[k] / n - r0[k]) < 1e-15);
    assert_true(fabs(im[k] / n - i0[k]) < 1e-15);
  }
}

static void autocovariance_matches_direct_sums(void **state) {
  (void)state;
  enum { n = 100 };
  double x[n], acov[n], work[2 * 256];
  double y = 0;
  uint64_t s = 5;
  for (int i = 0; i < n; i++) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    y = 0.8 * y + ((double)(s >> 11) * 0x1p-53 - 0.5);
    x[i] = y;
  }
  lvm_diag_autocovariance(x, n, acov, work);
  double m = 0;
  for (int i = 0; i < n; i++) m += x[i];
  m /= n;
  for (int t = 0; t < n; t++) {
    double d = 0;
    for (int i = 0; i + t < n; i++) d += (x[i] - m) * (x[i + t] - m);
    d /= n;
    assert_true(fabs(acov[t] - d) <= 1e-12 * fabs(acov[0]));
  }
  /* constant input: all zero */
  for (int i = 0; i < n; i++) x[i] = 0.1;
  lvm_diag_autocovariance(x, n, acov, work);
  for (int t = 0; t < n; t++) assert_true(acov[t] == 0);
}

/* ---- summary ------------------------------------------------------------ */

static char dir[64];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/lvm_test_diag_XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* Write chain files c = 1..M with columns theta, lp__, treedepth__, mu.1,
 * mu.2 (lp__ deliberately not first); mu.2 has a different mean in the last
 * chain, so its R-hat is large. */
static void write_chains(int M, int N, char paths[][256], const char *header_override) {
  uint64_t s = 11;
  for (int c = 0; c < M; c++) {
    snprintf(paths[c], 256, "%s/d_%d.csv", dir, c + 1);
    lvm_csv *w = lvm_csv_open(paths[c]);
    lvm_kv kv[] = {{"model", "toy"}, {"method", "sample"}};
    lvm_csv_settings(w, kv, 2);
    lvm_csv_names *nm = lvm_csv_names_alloc();
    lvm_csv_names_add(nm, c == M - 1 && header_override ? header_override : "theta", 0, NULL, 0);
    lvm_csv_names_add(nm, "lp__", 0, NULL, 0);
    lvm_csv_names_add(nm, "treedepth__", 0, NULL, 1);
    size_t d[1] = {2};
    lvm_csv_names_add(nm, "mu", 1, d, 0);
    lvm_csv_header(w, nm);
    lvm_csv_names_free(nm);
    double a = 0;
    for (int i = 0; i < N; i++) {
      double u[4];
      for (int k = 0; k < 4; k++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        u[k] = (double)(s >> 11) * 0x1p-53;
      }
      a = 0.5 * a + u[0] - 0.5;
      double row[5] = {a, -10 + u[1], (double)(1 + (i % 3)), u[2], u[3] + (c == M - 1 ? 2 : 0)};
      lvm_csv_row(w, row);
    }
    lvm_csv_comment(w, "Elapsed Time: 0.1 seconds");
    lvm_csv_close(w);
  }
}

typedef struct run_out {
  int rc;
  char *out, *err;
} run_out;

static run_out run_summary(int n, char paths[][256]) {
  run_out r;
  size_t lo, le;
  FILE *out = open_memstream(&r.out, &lo), *err = open_memstream(&r.err, &le);
  char *files[8];
  for (int i = 0; i < n; i++) files[i] = paths[i];
  r.rc = lvm_summary_run(n, files, out, err);
  fclose(out);
  fclose(err);
  return r;
}

/* The line of the table that starts with `name` followed by a space. */
static const char *table_line(const char *text, const char *name) {
  size_t n = strlen(name);
  for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
    if (strncmp(p, name, n) == 0 && p[n] == ' ') return p;
  return NULL;
}

static void summary_table(void **state) {
  (void)state;
  char paths[4][256];
  write_chains(4, 200, paths, NULL);
  run_out r = run_summary(4, paths);
  assert_int_equal(r.rc, 0);
  assert_string_equal(r.err, "");
  assert_non_null(strstr(r.out, "Inference for model toy, method sample: 4 chains of 200 draws "
                                "each, 800 draws in total.\n"));
  /* header then rows: lp__, treedepth__, theta, mu.1, mu.2 */
  const char *h = strstr(r.out, "Mean");
  const char *lp = table_line(r.out, "lp__"), *td = table_line(r.out, "treedepth__"),
             *th = table_line(r.out, "theta"), *m1 = table_line(r.out, "mu.1"),
             *m2 = table_line(r.out, "mu.2");
  assert_true(h && lp && td && th && m1 && m2);
  assert_true(h < lp && lp < td && td < th && th < m1 && m1 < m2);
  const char *cols[] = {"Mean", "MCSE", "StdDev", "5%", "50%", "95%", "ESS_bulk", "ESS_tail",
                        "R_hat"};
  for (int i = 1; i < 9; i++) assert_true(strstr(h, cols[i - 1]) < strstr(h, cols[i]));
  /* mu.2 is flagged, nothing else */
  const char *flag = strstr(r.out, "(!)");
  assert_non_null(flag);
  assert_true(flag > m2 && flag < strchr(m2, '\n'));
  assert_non_null(strstr(r.out, "(!) R_hat > 1.01 for 1 of 5 columns"));
  /* the numbers are those of lvm_diag_summarise: check mu.1's mean */
  lvm_csv_table *t[4];
  double *x = malloc(800 * sizeof *x);
  for (int c = 0; c < 4; c++) {
    assert_int_equal(lvm_csv_read(paths[c], NULL, &t[c]), LVM_OK);
    for (int i = 0; i < 200; i++) x[c * 200 + i] = t[c]->values[i * 5 + 3];
  }
  lvm_diag_workspace *w = lvm_diag_alloc(200, 4);
  lvm_diag_summary s;
  lvm_diag_summarise(w, x, &s);
  char want[64];
  snprintf(want, sizeof want, " %.4g ", s.mean);
  const char *end = strchr(m1, '\n');
  const char *hit = strstr(m1, want);
  assert_true(hit && hit < end);
  snprintf(want, sizeof want, " %.0f ", s.ess_bulk);
  hit = strstr(m1, want);
  assert_true(hit && hit < end);
  lvm_diag_free(w);
  for (int c = 0; c < 4; c++) lvm_csv_table_free(t[c]);
  free(x);
  free(r.out);
  free(r.err);
}

static void summary_errors(void **state) {
  (void)state;
  char paths[4][256];
  /* different headers */
  write_chains(3, 50, paths, "phi");
  run_out r = run_summary(3, paths);
  assert_int_equal(r.rc, 1);
  char want[1024];
  snprintf(want, sizeof want,
           "%s: error: the header differs from %s's: column 1 is 'phi' but 'theta' there\n",
           paths[2], paths[0]);
  assert_string_equal(r.err, want);
  assert_string_equal(r.out, "");
  free(r.out), free(r.err);

  /* a different number of columns */
  snprintf(paths[3], 256, "%s/narrow.csv", dir);
  FILE *f = fopen(paths[3], "w");
  fputs("lp__,theta\n1,2\n3,4\n", f);
  fclose(f);
  write_chains(1, 50, paths, NULL);
  char two[2][256];
  memcpy(two[0], paths[0], 256);
  memcpy(two[1], paths[3], 256);
  r = run_summary(2, two);
  assert_int_equal(r.rc, 1);
  snprintf(want, sizeof want, "%s: error: the header has 2 columns but %s has 5\n", two[1],
           two[0]);
  assert_string_equal(r.err, want);
  free(r.out), free(r.err);

  /* a malformed file: the reader's message */
  f = fopen(paths[3], "w");
  fputs("lp__,theta\n1,2\n3\n", f);
  fclose(f);
  r = run_summary(1, &paths[3]);
  assert_int_equal(r.rc, 1);
  snprintf(want, sizeof want, "%s:3: error: row has 1 value but the header has 2 columns\n",
           paths[3]);
  assert_string_equal(r.err, want);
  free(r.out), free(r.err);

  /* no draws */
  f = fopen(paths[3], "w");
  fputs("# nothing yet\nlp__,theta\n", f);
  fclose(f);
  r = run_summary(1, &paths[3]);
  assert_int_equal(r.rc, 1);
  snprintf(want, sizeof want, "%s: error: the file has no draws\n", paths[3]);
  assert_string_equal(r.err, want);
  free(r.out), free(r.err);

  /* unreadable */
  snprintf(paths[3], 256, "%s/none.csv", dir);
  r = run_summary(1, &paths[3]);
  assert_int_equal(r.rc, 1);
  snprintf(want, sizeof want, "%s: error: cannot read the file: No such file or directory\n",
           paths[3]);
  assert_string_equal(r.err, want);
  free(r.out), free(r.err);

  /* no files: usage */
  r = run_summary(0, paths);
  assert_int_equal(r.rc, 2);
  assert_non_null(strstr(r.err, "summary: error: no CSV files given\nusage: summary FILE.csv"));
  free(r.out), free(r.err);

  /* chains of different lengths (a run stopped early): a warning, the
   * shortest length is used */
  write_chains(2, 60, paths, NULL);
  f = fopen(paths[1], "a");
  fputs("0.5,-10,1,0.5,0.5\n", f);
  fclose(f);
  r = run_summary(2, paths);
  assert_int_equal(r.rc, 0);
  assert_string_equal(r.err, "summary: warning: the chains have different numbers of draws "
                             "(from 60 to 61); using the first 60 of each\n");
  assert_non_null(strstr(r.out, "2 chains of 60 draws each, 120 draws in total."));
  free(r.out), free(r.err);

  /* the main entry: usage errors */
  char *argv1[] = {"summary", "--bogus", NULL};
  assert_int_equal(lvm_summary_main(2, argv1), 2);
}

/* A file as CmdStan writes it (comments before, inside and after the draws). */
static void summary_reads_cmdstan_files(void **state) {
  (void)state;
  char p[2][256];
  for (int c = 0; c < 2; c++) {
    snprintf(p[c], 256, "%s/cmdstan_%d.csv", dir, c + 1);
    FILE *f = fopen(p[c], "w");
    fputs("# stan_version_major = 2\n# model = bernoulli_model\n# method = sample (Default)\n"
          "lp__,accept_stat__,stepsize__,treedepth__,n_leapfrog__,divergent__,energy__,theta\n"
          "# Adaptation terminated\n# Step size = 0.9\n# Diagonal elements of inverse mass "
          "matrix:\n# 0.5\n", f);
    for (int i = 0; i < 100; i++) {
      fprintf(f, "%g,0.9,0.9,1,3,0,%g,%g\n", -7 - 0.01 * ((i * 37 + c * 11) % 100), 7.5,
              0.01 * ((i * 53 + c * 7) % 100));
      if (i == 50) fputs("# a comment among the draws\n", f);
    }
    fputs("# \n#  Elapsed Time: 0.01 seconds (Warm-up)\n", f);
    fclose(f);
  }
  run_out r = run_summary(2, p);
  assert_int_equal(r.rc, 0);
  assert_string_equal(r.err, "");
  assert_non_null(strstr(r.out, "Inference for model bernoulli_model, method sample: 2 chains "
                                "of 100 draws each, 200 draws in total."));
  assert_non_null(table_line(r.out, "theta"));
  assert_non_null(table_line(r.out, "divergent__"));
  /* constant columns: NA for ESS and R-hat, not flagged */
  const char *st = table_line(r.out, "stepsize__");
  assert_non_null(st);
  assert_non_null(strstr(st, "NA"));
  assert_null(strstr(r.out, "(!)"));
  free(r.out), free(r.err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(matches_posterior),
      cmocka_unit_test(separated_chains_have_large_rhat),
      cmocka_unit_test(fft_matches_direct_dft),
      cmocka_unit_test(autocovariance_matches_direct_sums),
      cmocka_unit_test(summary_table),
      cmocka_unit_test(summary_errors),
      cmocka_unit_test(summary_reads_cmdstan_files),
  };
  return cmocka_run_group_tests_name("diag", tests, setup, teardown);
}
