/* Support for generated code (see lvm/gen.h). */
#include "lvm/gen.h"
#include "lvm/family.h"
#include "lvm/linalg.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lvm/slice.h"

double *lvm_gen_scratch(lvm_vars *st, int id, size_t n) {
  if (id < 0) return NULL;
  if (id >= st->n_scratch) {
    int m = id + 16;
    double **s = realloc(st->scratch, sizeof *s * (size_t)m);
    if (!s) return NULL;
    st->scratch = s;
    size_t *l = realloc(st->scratch_len, sizeof *l * (size_t)m);
    if (!l) return NULL;
    st->scratch_len = l;
    for (int i = st->n_scratch; i < m; i++) {
      st->scratch[i] = NULL;
      st->scratch_len[i] = 0;
    }
    st->n_scratch = m;
  }
  if (st->scratch_len[id] < n || !st->scratch[id]) {
    double *b = realloc(st->scratch[id], sizeof(double) * (n ? n : 1));
    if (!b) return NULL;
    st->scratch[id] = b;
    st->scratch_len[id] = n;
  }
  return st->scratch[id];
}

int lvm_gen_fail(lvm_vars *st, const char *where, const char *what, int status) {
  snprintf(st->error, sizeof st->error, "%s: %s (%s)", where, what, lvm_strerror(status));
  return status;
}

int lvm_gen_vi_categorical_rows(lvm_vars *st, int var, int64_t K, const double *eta, double *stats) {
  if (K < 1) return LVM_EINVAL;
  const unsigned char *free_rows = st->latent[var] ? NULL : st->missing[var];
  if (!st->latent[var] && !free_rows) { /* the data give every element: no entropy */
    st->vi_h[var] = 0.0;
    st->vi_h_ok[var] = 1;
    return LVM_OK;
  }
  lvm_status s = lvm_family_categorical_mean_stats_rows((size_t)K, st->len[var], free_rows, eta, stats, &st->vi_h[var]);
  st->vi_h_ok[var] = s == LVM_OK;
  return s;
}

double lvm_gen_log_det(const double *A, int64_t n) {
  if (n < 1) return NAN;
  double small[64];
  size_t nn = (size_t)n * (size_t)n;
  double *L = nn <= 64 ? small : malloc(sizeof(double) * nn);
  if (!L) return NAN;
  memcpy(L, A, sizeof(double) * nn);
  double r = lvm_linalg_cholesky(L, (size_t)n) == LVM_OK ? lvm_linalg_cholesky_logdet(L, (size_t)n) : NAN;
  if (L != small) free(L);
  return r;
}

/* ---- Slice updates ----------------------------------------------------- */

typedef struct slice_ctx {
  lvm_vars *st;
  lvm_gen_logp logp;
  int64_t e;
} slice_ctx;

static double slice_cb(double x, void *ctx) {
  const slice_ctx *c = ctx;
  return c->logp(c->st, c->e, x);
}

int lvm_gen_slice(lvm_vars *st, lvm_rng *r, int warmup, int kind, double *ss, lvm_gen_logp logp,
                  int64_t e, double *x) {
  lvm_slice sl;
  lvm_slice_init(&sl, (lvm_slice_domain){(lvm_slice_kind)kind, 0.0, 0.0}, ss[0] > 0.0 ? ss[0] : 1.0,
                 warmup);
  sl.adapt_sum = ss[1];
  sl.adapt_n = (uint64_t)ss[2];
  slice_ctx c = {st, logp, e};
  double x1;
  int status = lvm_slice_draw(&sl, r, slice_cb, &c, *x, &x1);
  if (status != LVM_OK) return status;
  *x = x1;
  ss[0] = sl.width;
  ss[1] = sl.adapt_sum;
  ss[2] = (double)sl.adapt_n;
  return LVM_OK;
}

/* ---- The model record -------------------------------------------------- */

/* The generated model of a set-up state (its desc is the model's vars). */
static const lvm_gen_model *gen_of(const void *s) {
  return (const lvm_gen_model *)((const lvm_vars *)s)->desc;
}

static int gen_setup(const void *ctx, void *s, const lvm_data *d, lvm_msgs *m) {
  return lvm_vars_setup((lvm_vars *)s, &((const lvm_gen_model *)ctx)->vars, d, m);
}
static void gen_teardown(void *s) { lvm_vars_free((lvm_vars *)s); }
static int gen_clone(void *dst, const void *src) {
  return lvm_vars_clone((lvm_vars *)dst, (const lvm_vars *)src);
}
static int gen_columns(const void *s, lvm_csv_names *n) {
  return lvm_vars_columns((const lvm_vars *)s, n);
}
static int gen_init(void *s, lvm_rng *r) { return gen_of(s)->init((lvm_vars *)s, r); }
static int gen_init_from(void *s, const lvm_data *i, lvm_msgs *m) {
  return lvm_vars_set_from((lvm_vars *)s, i, m);
}
static int gen_sweep(void *s, lvm_rng *r, int w) { return gen_of(s)->sweep((lvm_vars *)s, r, w); }
static double gen_log_joint(const void *s) { return gen_of(s)->log_joint((lvm_vars *)s); }
static void gen_write_row(const void *s, double *row) {
  lvm_vars_write_row((const lvm_vars *)s, row);
}
static int gen_simulate(void *s, lvm_rng *r, lvm_data *out) {
  int st = gen_of(s)->simulate((lvm_vars *)s, r);
  return st ? st : (int)lvm_vars_to_data((const lvm_vars *)s, out);
}
static const char *gen_last_error(const void *s) { return ((const lvm_vars *)s)->error; }
static int gen_exclude(void *s, const char *name) { return lvm_vars_exclude((lvm_vars *)s, name); }

lvm_model lvm_gen_record(const lvm_gen_model *g, lvm_vi_model *vi) {
  bool has_vi = g->vi_sweep || g->vi_unsupported;
  if (has_vi) {
    *vi = (lvm_vi_model){
        .n_factors = g->n_vi_factors,
        .factors = g->vi_factors,
        .unsupported = g->vi_unsupported,
        .local = g->vi_local,
        .sweep = g->vi_sweep,
        .expect = g->vi_expect,
        .refresh = g->vi_refresh,
        .seed = g->vi_seed,
    };
  }
  lvm_model m = {
      .name = g->vars.model,
      .source = g->source,
      .state_size = sizeof(lvm_vars),
      .teardown = gen_teardown,
      .clone = gen_clone,
      .columns = gen_columns,
      .init = gen_init,
      .init_from = gen_init_from,
      .sweep = gen_sweep,
      .log_joint = gen_log_joint,
      .write_row = gen_write_row,
      .simulate = g->simulate ? gen_simulate : NULL,
      .last_error = gen_last_error,
      .exclude = gen_exclude,
      .ctx = g,
      .setup_ctx = gen_setup,
      .vi = has_vi ? vi : NULL,
  };
  return m;
}

int lvm_gen_run(const lvm_gen_model *g, int argc, char **argv, FILE *out, FILE *err) {
  lvm_vi_model vi;
  lvm_model m = lvm_gen_record(g, &vi);
  return lvm_model_run(&m, argc, argv, out, err);
}

int lvm_gen_main(const lvm_gen_model *g, int argc, char **argv) {
  return lvm_gen_run(g, argc, argv, stdout, stderr);
}
