/* The `summary` command: a stansummary-like table from CmdStan CSV files
 * (see lvm/diag.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io_util.h"
#include "lvm/csv.h"
#include "lvm/diag.h"

static const char usage[] =
    "usage: summary FILE.csv...\n"
    "\n"
    "Summarise the draws in CmdStan CSV files, one file per chain:\n"
    "mean, Monte Carlo standard error of the mean (MCSE), standard deviation,\n"
    "5%, 50% and 95% quantiles (type 7, as R's quantile()), bulk and tail\n"
    "effective sample sizes and R-hat (Vehtari et al. 2021).\n";

static int is_sampler_column(const char *name) {
  size_t n = strlen(name);
  return n > 2 && name[n - 1] == '_' && name[n - 2] == '_';
}

/* Width of the widest string in a column. */
typedef struct cell {
  char s[48];
} cell;

static void fmt_num(char *buf, size_t size, double x, int sig) {
  if (isnan(x)) snprintf(buf, size, "NA");
  else if (isinf(x)) snprintf(buf, size, x > 0 ? "inf" : "-inf");
  else snprintf(buf, size, "%.*g", sig, x);
}

int lvm_summary_run(int n_files, char *const *files, FILE *out, FILE *err) {
  if (n_files <= 0) {
    fprintf(err, "summary: error: no CSV files given\n%s", usage);
    return 2;
  }
  lvm_csv_table **t = calloc((size_t)n_files, sizeof *t);
  if (!t) {
    fprintf(err, "summary: error: out of memory\n");
    return 1;
  }
  int rc = 0;
  for (int f = 0; f < n_files && rc == 0; f++) {
    if (lvm_csv_read(files[f], err, &t[f]) != LVM_OK) rc = 1;
  }
  /* Same header everywhere. */
  for (int f = 1; f < n_files && rc == 0; f++) {
    if (t[f]->n_cols != t[0]->n_cols) {
      fprintf(err, "%s: error: the header has %zu columns but %s has %zu\n", files[f],
              t[f]->n_cols, files[0], t[0]->n_cols);
      rc = 1;
      break;
    }
    for (size_t c = 0; c < t[0]->n_cols; c++) {
      if (strcmp(t[f]->names[c], t[0]->names[c]) != 0) {
        fprintf(err, "%s: error: the header differs from %s's: column %zu is '%s' but "
                "'%s' there\n", files[f], files[0], c + 1, t[f]->names[c], t[0]->names[c]);
        rc = 1;
        break;
      }
    }
  }
  size_t n = 0;
  if (rc == 0) {
    n = t[0]->n_rows;
    size_t nmax = n;
    for (int f = 1; f < n_files; f++) {
      if (t[f]->n_rows < n) n = t[f]->n_rows;
      if (t[f]->n_rows > nmax) nmax = t[f]->n_rows;
    }
    if (n == 0) {
      for (int f = 0; f < n_files; f++)
        if (t[f]->n_rows == 0) {
          fprintf(err, "%s: error: the file has no draws\n", files[f]);
          break;
        }
      rc = 1;
    } else if (n != nmax) {
      fprintf(err, "summary: warning: the chains have different numbers of draws "
              "(from %zu to %zu); using the first %zu of each\n", n, nmax, n);
    }
  }
  if (rc != 0) goto done;

  size_t M = (size_t)n_files, C = t[0]->n_cols;
  /* Column order: lp__, the other sampler columns, then the rest. */
  size_t *order = malloc(C * sizeof *order);
  double *x = malloc(n * M * sizeof *x);
  cell *cells = malloc((C + 1) * 10 * sizeof *cells);
  lvm_diag_workspace *w = lvm_diag_alloc(n, M);
  if (!order || !x || !cells || !w) {
    fprintf(err, "summary: error: out of memory\n");
    free(order), free(x), free(cells), lvm_diag_free(w);
    rc = 1;
    goto done;
  }
  size_t k = 0;
  for (size_t c = 0; c < C; c++)
    if (!strcmp(t[0]->names[c], "lp__")) order[k++] = c;
  for (size_t c = 0; c < C; c++)
    if (strcmp(t[0]->names[c], "lp__") && is_sampler_column(t[0]->names[c])) order[k++] = c;
  for (size_t c = 0; c < C; c++)
    if (!is_sampler_column(t[0]->names[c])) order[k++] = c;

  static const char *const head[10] = {"", "Mean", "MCSE", "StdDev", "5%", "50%",
                                       "95%", "ESS_bulk", "ESS_tail", "R_hat"};
  for (int j = 0; j < 10; j++) snprintf(cells[j].s, sizeof cells[j].s, "%s", head[j]);
  size_t n_flagged = 0, n_rhat = 0;
  for (size_t r = 0; r < C; r++) {
    size_t c = order[r];
    for (size_t m = 0; m < M; m++)
      for (size_t i = 0; i < n; i++) x[m * n + i] = t[m]->values[i * C + c];
    lvm_diag_summary s;
    lvm_diag_summarise(w, x, &s);
    cell *row = cells + (r + 1) * 10;
    snprintf(row[0].s, sizeof row[0].s, "%.47s", t[0]->names[c]);
    fmt_num(row[1].s, sizeof row[1].s, s.mean, 4);
    fmt_num(row[2].s, sizeof row[2].s, s.mcse_mean, 2);
    fmt_num(row[3].s, sizeof row[3].s, s.sd, 4);
    fmt_num(row[4].s, sizeof row[4].s, s.q5, 4);
    fmt_num(row[5].s, sizeof row[5].s, s.q50, 4);
    fmt_num(row[6].s, sizeof row[6].s, s.q95, 4);
    if (isnan(s.ess_bulk)) snprintf(row[7].s, sizeof row[7].s, "NA");
    else snprintf(row[7].s, sizeof row[7].s, "%.0f", s.ess_bulk);
    if (isnan(s.ess_tail)) snprintf(row[8].s, sizeof row[8].s, "NA");
    else snprintf(row[8].s, sizeof row[8].s, "%.0f", s.ess_tail);
    if (isnan(s.rhat)) snprintf(row[9].s, sizeof row[9].s, "NA");
    else {
      n_rhat++;
      int flag = s.rhat > 1.01;
      n_flagged += flag;
      snprintf(row[9].s, sizeof row[9].s, "%.3f%s", s.rhat, flag ? " (!)" : "");
    }
  }
  int width[10] = {0};
  for (size_t r = 0; r <= C; r++)
    for (int j = 0; j < 10; j++) {
      int l = (int)strlen(cells[r * 10 + j].s);
      if (j == 9 && strstr(cells[r * 10 + j].s, " (!)")) l -= 4;
      if (l > width[j]) width[j] = l;
    }

  const char *model = lvm_csv_table_setting(t[0], "model");
  const char *method = lvm_csv_table_setting(t[0], "method");
  fprintf(out, "Inference for %s%s%s%s: %zu chain%s of %zu draw%s each, %zu draws in total.\n\n",
          model ? "model " : "the draws", model ? model : "",
          method ? ", method " : "", method ? method : "", M, M == 1 ? "" : "s", n,
          n == 1 ? "" : "s", n * M);
  for (size_t r = 0; r <= C; r++) {
    cell *row = cells + r * 10;
    fprintf(out, "%-*s", width[0], row[0].s);
    for (int j = 1; j < 10; j++) fprintf(out, "  %*s", width[j], row[j].s);
    /* the (!) marker sticks out to the right of the R_hat column */
    fputc('\n', out);
    if (r == 0) fputc('\n', out);
  }
  fprintf(out, "\nMCSE: Monte Carlo standard error of the mean. ESS_bulk, ESS_tail: effective\n"
               "sample sizes of the bulk and the tails (5%% and 95%% quantiles). R_hat: potential\n"
               "scale reduction factor on rank-normalised split chains (1 at convergence).\n");
  if (n_flagged)
    fprintf(out, "\n(!) R_hat > 1.01 for %zu of %zu column%s: the chains do not agree, so these\n"
                 "draws are not yet reliable. Run longer chains, or reparameterise the model.\n",
            n_flagged, n_rhat, n_rhat == 1 ? "" : "s");
  free(order);
  free(x);
  free(cells);
  lvm_diag_free(w);
done:
  for (int f = 0; f < n_files; f++) lvm_csv_table_free(t[f]);
  free(t);
  return rc;
}

int lvm_summary_main(int argc, char **argv) {
  int first = 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(usage, stdout);
      return 0;
    }
    if (!strcmp(argv[i], "--")) {
      first = i + 1;
      break;
    }
    if (argv[i][0] == '-' && argv[i][1] != '\0') {
      fprintf(stderr, "summary: error: unknown option '%s'\n%s", argv[i], usage);
      return 2;
    }
  }
  return lvm_summary_run(argc - first, argv + first, stdout, stderr);
}
