/* lvm_model_main (lvm/model.h) driven end to end through two hand-written
 * models that implement lvm_model as generated code will:
 *
 *   coin:  p ~ Beta(a, b); y[n] ~ Bernoulli(p)        (conjugate: lvm_beta_draw)
 *   nmean: mu ~ Normal(mu0, s0); x[n] ~ Normal(mu, sigma), x partly missing
 *          (mu by lvm_family_normal_draw, missing x imputed)
 *
 * Test hooks are data variables of the toy models: fail_at / fail_chain make
 * a sweep fail, interrupt_at / interrupt_chain raise the interrupt flag
 * (lvm_interrupt_raise, as the SIGINT handler does), frozen = 1 makes the
 * nmean sweep a no-op (to see the initial values).  "Chain k" of a hook is
 * the k-th clone made, which is chain k with --threads 1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lvm/cli.h"
#include "lvm/csv.h"
#include "lvm/data.h"
#include "lvm/diag.h"
#include "lvm/dist.h"
#include "lvm/family.h"
#include "lvm/gen.h"
#include "lvm/model.h"

static atomic_int clone_count;

static double get_real(const lvm_data *d, const char *name, double dflt) {
  const lvm_data_var *v = lvm_data_find(d, name);
  return v && v->size == 1 ? v->values[0] : dflt;
}

static size_t size_of(const lvm_data *d, const char *name) {
  const lvm_data_var *v = lvm_data_find(d, name);
  if (v && v->ndim == 0 && v->is_integer && v->values[0] >= 0) return (size_t)v->values[0];
  return LVM_DIM_ANY;
}

/* Copy an observed array (absent: all missing). */
static int copy_observed(const lvm_data *d, const char *name, size_t N, double **x,
                         unsigned char **miss) {
  *x = calloc(N ? N : 1, sizeof **x);
  *miss = calloc(N ? N : 1, 1);
  if (!*x || !*miss) return LVM_ENOMEM;
  const lvm_data_var *v = lvm_data_find(d, name);
  for (size_t n = 0; n < N; n++) {
    (*miss)[n] = !v || (v->missing && v->missing[n]);
    (*x)[n] = (*miss)[n] ? 0 : v->values[n];
  }
  return 0;
}

/* ---- coin: p ~ Beta(a, b); y[n] ~ Bernoulli(p) ------------------------- */

typedef struct coin {
  size_t N;
  double a, b, p;
  double *y;
  unsigned char *miss;
  long fail_at, fail_chain, interrupt_at, interrupt_chain;
  int id;      /* clone number (1-based) */
  long sweeps, warm_sweeps;
  char err[200];
} coin;

#define HOOK_SPECS                                                            \
  {"fail_at", LVM_DOMAIN_NAT, 0, 0, {0}, 0},                                  \
      {"fail_chain", LVM_DOMAIN_NAT, 0, 0, {0}, 0},                           \
      {"interrupt_at", LVM_DOMAIN_NAT, 0, 0, {0}, 0},                         \
      {"interrupt_chain", LVM_DOMAIN_NAT, 0, 0, {0}, 0}

static int coin_setup(void *s, const lvm_data *d, lvm_msgs *msgs) {
  coin *c = s;
  size_t N = size_of(d, "N");
  lvm_data_spec specs[] = {
      {"N", LVM_DOMAIN_NAT, 0, 0, {0}, LVM_SPEC_REQUIRED},
      {"a", LVM_DOMAIN_POS, 0, 0, {0}, 0},
      {"b", LVM_DOMAIN_POS, 0, 0, {0}, 0},
      {"y", LVM_DOMAIN_BIN, 0, 1, {N}, LVM_SPEC_MISSING_OK},
      HOOK_SPECS,
  };
  if (lvm_data_check(d, specs, sizeof specs / sizeof specs[0], msgs) != LVM_OK)
    return LVM_EDATA;
  c->N = N;
  c->a = get_real(d, "a", 1.0);
  c->b = get_real(d, "b", 1.0);
  c->fail_at = (long)get_real(d, "fail_at", 0);
  c->fail_chain = (long)get_real(d, "fail_chain", 0);
  c->interrupt_at = (long)get_real(d, "interrupt_at", 0);
  c->interrupt_chain = (long)get_real(d, "interrupt_chain", 0);
  return copy_observed(d, "y", N, &c->y, &c->miss);
}

static void coin_teardown(void *s) {
  coin *c = s;
  free(c->y);
  free(c->miss);
}

static int coin_clone(void *dst, const void *src) {
  coin *c = dst;
  *c = *(const coin *)src;
  c->y = malloc((c->N ? c->N : 1) * sizeof *c->y);
  c->miss = malloc(c->N ? c->N : 1);
  if (!c->y || !c->miss) return LVM_ENOMEM;
  memcpy(c->y, ((const coin *)src)->y, c->N * sizeof *c->y);
  memcpy(c->miss, ((const coin *)src)->miss, c->N);
  c->id = atomic_fetch_add(&clone_count, 1) + 1;
  return 0;
}

static int coin_columns(const void *s, lvm_csv_names *names) {
  const coin *c = s;
  int st = lvm_csv_names_add(names, "p", 0, NULL, 0);
  if (st == 0) st = lvm_csv_names_add(names, "y", 1, (size_t[]){c->N}, 1);
  return st;
}

static void coin_impute(coin *c, lvm_rng *r) {
  for (size_t n = 0; n < c->N; n++)
    if (c->miss[n]) c->y[n] = lvm_bernoulli_draw(r, c->p);
}

static int coin_init(void *s, lvm_rng *r) {
  coin *c = s;
  c->p = lvm_beta_draw(r, c->a, c->b);
  coin_impute(c, r);
  return 0;
}

static int coin_init_from(void *s, const lvm_data *init, lvm_msgs *msgs) {
  coin *c = s;
  lvm_data_spec spec = {"p", LVM_DOMAIN_UNIT, 0, 0, {0}, 0};
  if (lvm_data_check(init, &spec, 1, msgs) != LVM_OK) return LVM_EDATA;
  c->p = get_real(init, "p", c->p);
  return 0;
}

static int coin_sweep(void *s, lvm_rng *r, int warmup) {
  coin *c = s;
  c->sweeps++;
  c->warm_sweeps += warmup != 0;
  if (c->fail_at && c->sweeps == c->fail_at && (!c->fail_chain || c->fail_chain == c->id)) {
    snprintf(c->err, sizeof c->err,
             "coin.lvm:7:3: the complete conditional of p is improper (test hook after %ld "
             "warmup sweeps)", c->warm_sweeps);
    return LVM_EDOM;
  }
  if (c->interrupt_at && c->sweeps == c->interrupt_at &&
      (!c->interrupt_chain || c->interrupt_chain == c->id))
    lvm_interrupt_raise();
  coin_impute(c, r);
  double k = 0;
  for (size_t n = 0; n < c->N; n++) k += c->y[n];
  c->p = lvm_beta_draw(r, c->a + k, c->b + (double)c->N - k);
  return 0;
}

static double coin_log_joint(const void *s) {
  const coin *c = s;
  double lp = lvm_beta_lpdf(c->p, c->a, c->b);
  for (size_t n = 0; n < c->N; n++) lp += lvm_bernoulli_lpmf((int64_t)c->y[n], c->p);
  return lp;
}

static void coin_write_row(const void *s, double *row) {
  const coin *c = s;
  row[0] = c->p;
  for (size_t n = 0; n < c->N; n++) row[1 + n] = c->y[n];
}

static int coin_simulate(void *s, lvm_rng *r, lvm_data *out) {
  coin *c = s;
  c->p = lvm_beta_draw(r, c->a, c->b);
  for (size_t n = 0; n < c->N; n++) c->y[n] = lvm_bernoulli_draw(r, c->p);
  double N = (double)c->N;
  int st = lvm_data_add(out, "N", 0, NULL, &N, 1, NULL);
  if (!st) st = lvm_data_add(out, "a", 0, NULL, &c->a, 0, NULL);
  if (!st) st = lvm_data_add(out, "b", 0, NULL, &c->b, 0, NULL);
  if (!st) st = lvm_data_add(out, "y", 1, (size_t[]){c->N}, c->y, 1, NULL);
  return st;
}

static const char *coin_last_error(const void *s) { return ((const coin *)s)->err; }

static const lvm_model coin_model = {
    .name = "coin",
    .source = "coin.lvm",
    .state_size = sizeof(coin),
    .setup = coin_setup,
    .teardown = coin_teardown,
    .clone = coin_clone,
    .columns = coin_columns,
    .init = coin_init,
    .init_from = coin_init_from,
    .sweep = coin_sweep,
    .log_joint = coin_log_joint,
    .write_row = coin_write_row,
    .simulate = coin_simulate,
    .last_error = coin_last_error,
};

/* ---- nmean: mu ~ Normal(mu0, s0); x[n] ~ Normal(mu, sigma) ------------- */

typedef struct nmean {
  size_t N;
  double sigma, mu0, s0, mu;
  double *x;
  unsigned char *miss;
  int frozen;
  char err[200];
} nmean;

static int nmean_setup(void *s, const lvm_data *d, lvm_msgs *msgs) {
  nmean *m = s;
  size_t N = size_of(d, "N");
  lvm_data_spec specs[] = {
      {"N", LVM_DOMAIN_NAT, 0, 0, {0}, LVM_SPEC_REQUIRED},
      {"sigma", LVM_DOMAIN_POS, 0, 0, {0}, 0},
      {"mu0", LVM_DOMAIN_REAL, 0, 0, {0}, 0},
      {"s0", LVM_DOMAIN_POS, 0, 0, {0}, 0},
      {"x", LVM_DOMAIN_REAL, 0, 1, {N}, LVM_SPEC_MISSING_OK},
      {"frozen", LVM_DOMAIN_BIN, 0, 0, {0}, 0},
  };
  if (lvm_data_check(d, specs, sizeof specs / sizeof specs[0], msgs) != LVM_OK)
    return LVM_EDATA;
  m->N = N;
  m->sigma = get_real(d, "sigma", 1.0);
  m->mu0 = get_real(d, "mu0", 0.0);
  m->s0 = get_real(d, "s0", 10.0);
  m->frozen = (int)get_real(d, "frozen", 0);
  return copy_observed(d, "x", N, &m->x, &m->miss);
}

static void nmean_teardown(void *s) {
  nmean *m = s;
  free(m->x);
  free(m->miss);
}

static int nmean_clone(void *dst, const void *src) {
  nmean *m = dst;
  *m = *(const nmean *)src;
  m->x = malloc((m->N ? m->N : 1) * sizeof *m->x);
  m->miss = malloc(m->N ? m->N : 1);
  if (!m->x || !m->miss) return LVM_ENOMEM;
  memcpy(m->x, ((const nmean *)src)->x, m->N * sizeof *m->x);
  memcpy(m->miss, ((const nmean *)src)->miss, m->N);
  return 0;
}

static int nmean_columns(const void *s, lvm_csv_names *names) {
  const nmean *m = s;
  int st = lvm_csv_names_add(names, "mu", 0, NULL, 0);
  if (st == 0) st = lvm_csv_names_add(names, "x", 1, (size_t[]){m->N}, 0);
  return st;
}

static void nmean_impute(nmean *m, lvm_rng *r) {
  for (size_t n = 0; n < m->N; n++)
    if (m->miss[n]) m->x[n] = lvm_normal_draw(r, m->mu, m->sigma);
}

static int nmean_init(void *s, lvm_rng *r) {
  nmean *m = s;
  m->mu = lvm_normal_draw(r, m->mu0, m->s0);
  nmean_impute(m, r);
  return 0;
}

static int nmean_init_from(void *s, const lvm_data *init, lvm_msgs *msgs) {
  nmean *m = s;
  lvm_data_spec spec = {"mu", LVM_DOMAIN_REAL, 0, 0, {0}, 0};
  if (lvm_data_check(init, &spec, 1, msgs) != LVM_OK) return LVM_EDATA;
  m->mu = get_real(init, "mu", m->mu);
  return 0;
}

static int nmean_sweep(void *s, lvm_rng *r, int warmup) {
  nmean *m = s;
  if (m->frozen) return 0;
  double sum = 0;
  for (size_t n = 0; n < m->N; n++) sum += m->x[n];
  double v = m->sigma * m->sigma, v0 = m->s0 * m->s0;
  double eta[2] = {m->mu0 / v0 + sum / v, -0.5 * (1 / v0 + (double)m->N / v)};
  if (lvm_family_normal_draw(r, eta, &m->mu) != LVM_OK) {
    snprintf(m->err, sizeof m->err, "nmean.lvm:4:1: the complete conditional of mu is improper");
    return LVM_EDOM;
  }
  nmean_impute(m, r);
  return 0;
}

static double nmean_log_joint(const void *s) {
  const nmean *m = s;
  double lp = lvm_normal_lpdf(m->mu, m->mu0, m->s0);
  for (size_t n = 0; n < m->N; n++) lp += lvm_normal_lpdf(m->x[n], m->mu, m->sigma);
  return lp;
}

static void nmean_write_row(const void *s, double *row) {
  const nmean *m = s;
  row[0] = m->mu;
  memcpy(row + 1, m->x, m->N * sizeof *m->x);
}

static int nmean_simulate(void *s, lvm_rng *r, lvm_data *out) {
  nmean *m = s;
  m->mu = lvm_normal_draw(r, m->mu0, m->s0);
  for (size_t n = 0; n < m->N; n++) m->x[n] = lvm_normal_draw(r, m->mu, m->sigma);
  double N = (double)m->N;
  int st = lvm_data_add(out, "N", 0, NULL, &N, 1, NULL);
  if (!st) st = lvm_data_add(out, "sigma", 0, NULL, &m->sigma, 0, NULL);
  if (!st) st = lvm_data_add(out, "mu0", 0, NULL, &m->mu0, 0, NULL);
  if (!st) st = lvm_data_add(out, "s0", 0, NULL, &m->s0, 0, NULL);
  if (!st) st = lvm_data_add(out, "x", 1, (size_t[]){m->N}, m->x, 0, NULL);
  return st;
}

static const char *nmean_last_error(const void *s) { return ((const nmean *)s)->err; }

static const lvm_model nmean_model = {
    .name = "nmean",
    .source = "nmean.lvm",
    .state_size = sizeof(nmean),
    .setup = nmean_setup,
    .teardown = nmean_teardown,
    .clone = nmean_clone,
    .columns = nmean_columns,
    .init = nmean_init,
    .init_from = nmean_init_from,
    .sweep = nmean_sweep,
    .log_joint = nmean_log_joint,
    .write_row = nmean_write_row,
    .simulate = nmean_simulate,
    .last_error = nmean_last_error,
};

/* ---- Harness ------------------------------------------------------------ */

static char dir[64];

static int make_dir(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/lvm_test_model_XXXXXX");
  if (!mkdtemp(dir)) return -1;
  atomic_store(&clone_count, 0);
  lvm_interrupt_clear();
  return 0;
}

static int remove_dir(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  lvm_interrupt_clear();
  return system(cmd) == 0 ? 0 : -1;
}

static int n_files_in_dir(void) {
  DIR *d = opendir(dir);
  int n = 0;
  for (struct dirent *e; (e = readdir(d));)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static const char *path(const char *name) {
  static char buf[8][256];
  static int slot;
  char *p = buf[slot = (slot + 1) % 8];
  snprintf(p, 256, "%s/%s", dir, name);
  return p;
}

static void write_text(const char *name, const char *text) {
  FILE *f = fopen(path(name), "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static char *slurp(const char *p) {
  FILE *f = fopen(p, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  size_t got = fread(s, 1, (size_t)n, f);
  s[got] = '\0';
  fclose(f);
  return s;
}

static int exists(const char *p) {
  struct stat sb;
  return stat(p, &sb) == 0;
}

typedef struct result {
  int rc;
  char *out, *err;
} result;

/* Run `PROGRAM ARGS...` (space-separated; "$D" is replaced by the test
 * directory) on model m, capturing stdout and stderr. */
static result run(const lvm_model *m, const char *fmt, ...) {
  char line[2048], expanded[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  char *o = expanded;
  for (const char *p = line; *p; p++) {
    if (p[0] == '$' && p[1] == 'D') {
      o += sprintf(o, "%s", dir);
      p++;
    } else {
      *o++ = *p;
    }
  }
  *o = '\0';
  char *argv[64];
  int argc = 0;
  for (char *t = strtok(expanded, " "); t && argc < 63; t = strtok(NULL, " ")) argv[argc++] = t;
  argv[argc] = NULL;
  atomic_store(&clone_count, 0);
  result r;
  size_t lo, le;
  FILE *out = open_memstream(&r.out, &lo), *err = open_memstream(&r.err, &le);
  r.rc = lvm_model_run(m, argc, argv, out, err);
  fclose(out);
  fclose(err);
  return r;
}

static void done(result *r) {
  free(r->out);
  free(r->err);
}

static lvm_csv_table *read_csv(const char *p) {
  lvm_csv_table *t = NULL;
  assert_int_equal(lvm_csv_read(p, stderr, &t), LVM_OK);
  return t;
}

static size_t col(const lvm_csv_table *t, const char *name) {
  for (size_t j = 0; j < t->n_cols; j++)
    if (!strcmp(t->names[j], name)) return j;
  fail_msg("no column %s", name);
  return 0;
}

/* The rows of a file (lines not starting with '#'), for comparing draws. */
static char *draw_lines(const char *p) {
  char *s = slurp(p);
  assert_non_null(s);
  char *o = s;
  for (char *l = s; *l;) {
    char *e = strchr(l, '\n');
    size_t n = e ? (size_t)(e - l + 1) : strlen(l);
    if (l[0] != '#') {
      memmove(o, l, n);
      o += n;
    }
    l += n;
  }
  *o = '\0';
  return s;
}

/* Every line of the file ends with a newline. */
static void assert_complete_lines(const char *p) {
  char *s = slurp(p);
  assert_non_null(s);
  size_t n = strlen(s);
  assert_true(n > 0);
  assert_int_equal(s[n - 1], '\n');
  free(s);
}

/* 20 coin flips, 14 heads. */
#define COIN_DATA "{\"N\": 20, \"a\": 2.0, \"b\": 3.0, \"y\": [1,1,0,1,1,1,0,1,1,0,1,1,1,0,1,0,1,1,0,1]}"

/* ---- Tests -------------------------------------------------------------- */

static void sample_writes_cmdstan_files(void **state) {
  (void)state;
  write_text("coin.json", COIN_DATA);
  result r = run(&coin_model,
                 "./coin sample --data $D/coin.json --chains 2 --warmup 50 --iter 100 "
                 "--thin 3 --seed 7 --out $D/d.csv --quiet");
  assert_int_equal(r.rc, 0);
  assert_string_equal(r.err, "");
  assert_string_equal(r.out, "");
  assert_false(exists(path("d.csv")));
  for (int c = 1; c <= 2; c++) {
    char name[32];
    snprintf(name, sizeof name, "d_%d.csv", c);
    lvm_csv_table *t = read_csv(path(name));
    assert_int_equal(t->n_cols, 22);
    assert_string_equal(t->names[0], "lp__");
    assert_string_equal(t->names[1], "p");
    assert_string_equal(t->names[2], "y.1");
    assert_string_equal(t->names[21], "y.20");
    assert_int_equal(t->n_rows, 34); /* ceil(100 / 3), as CmdStan */
    assert_string_equal(lvm_csv_table_setting(t, "model"), "coin");
    assert_string_equal(lvm_csv_table_setting(t, "source"), "coin.lvm");
    assert_string_equal(lvm_csv_table_setting(t, "method"), "sample");
    assert_string_equal(lvm_csv_table_setting(t, "algorithm"), "gibbs");
    assert_string_equal(lvm_csv_table_setting(t, "seed"), "7");
    assert_string_equal(lvm_csv_table_setting(t, "chains"), "2");
    assert_string_equal(lvm_csv_table_setting(t, "warmup"), "50");
    assert_string_equal(lvm_csv_table_setting(t, "iter"), "100");
    assert_string_equal(lvm_csv_table_setting(t, "thin"), "3");
    assert_string_equal(lvm_csv_table_setting(t, "data"), path("coin.json"));
    assert_string_equal(lvm_csv_table_setting(t, "out"), path("d.csv"));
    char id[8];
    snprintf(id, sizeof id, "%d", c);
    assert_string_equal(lvm_csv_table_setting(t, "chain"), id);
    /* lp__ is the log joint of the row's values; y is the data. */
    for (size_t i = 0; i < t->n_rows; i++) {
      const double *v = t->values + i * t->n_cols;
      double p = v[1], lp = lvm_beta_lpdf(p, 2, 3);
      for (int n = 0; n < 20; n++) lp += lvm_bernoulli_lpmf((int64_t)v[2 + n], p);
      assert_true(fabs(lp - v[0]) < 1e-12 * fabs(lp));
      assert_true(v[2] == 1 && v[4] == 0);
    }
    lvm_csv_table_free(t);
    char *s = slurp(path(name));
    assert_non_null(strstr(s, "\nlp__,p,y.1,y.2,"));
    assert_non_null(strstr(s, ",y.20\n"));
    assert_non_null(strstr(s, "#  Elapsed Time: "));
    assert_non_null(strstr(s, "seconds (Sampling)"));
    assert_null(strstr(s, ",1.0,")); /* integer columns without decimals */
    free(s);
    assert_complete_lines(path(name));
  }
  done(&r);
}

static void default_out_and_single_chain(void **state) {
  (void)state;
  write_text("coin.json", COIN_DATA);
  char cwd[512];
  assert_non_null(getcwd(cwd, sizeof cwd));
  assert_int_equal(chdir(dir), 0);
  result r = run(&coin_model, "./coin sample --data coin.json --chains 1 --warmup 5 --iter 10 --quiet");
  assert_int_equal(r.rc, 0);
  assert_true(exists("coin_draws.csv"));
  done(&r);
  r = run(&coin_model, "./coin sample --data coin.json --chains 2 --warmup 5 --iter 10 --quiet");
  assert_int_equal(r.rc, 0);
  assert_true(exists("coin_draws_1.csv") && exists("coin_draws_2.csv"));
  lvm_csv_table *t = read_csv("coin_draws_2.csv");
  assert_string_equal(lvm_csv_table_setting(t, "out"), "coin_draws.csv");
  assert_string_equal(lvm_csv_table_setting(t, "seed"), "20240611");
  lvm_csv_table_free(t);
  done(&r);
  r = run(&coin_model, "./coin sample --data coin.json --chains 1 --warmup 5 --iter 10 "
                       "--out one.csv --quiet");
  assert_int_equal(r.rc, 0);
  assert_true(exists("one.csv"));
  assert_false(exists("one_1.csv"));
  done(&r);
  r = run(&coin_model, "./coin simulate --set N=3");
  assert_int_equal(r.rc, 0);
  assert_true(exists("coin_sim.json"));
  assert_non_null(strstr(r.err, "coin simulate: wrote coin_sim.json"));
  done(&r);
  assert_int_equal(chdir(cwd), 0);
}

static void draws_reproduce_for_any_thread_count(void **state) {
  (void)state;
  write_text("coin.json", COIN_DATA);
  const char *cfg[] = {"--threads 1 --out $D/a.csv", "--threads 2 --out $D/b.csv",
                       "--threads 3 --out $D/c.csv", "--threads 1 --seed 8 --out $D/e.csv"};
  for (int k = 0; k < 4; k++) {
    result r = run(&coin_model, "./coin sample --data $D/coin.json --chains 3 --warmup 20 "
                                "--iter 200 --quiet %s", cfg[k]);
    assert_int_equal(r.rc, 0);
    done(&r);
  }
  for (int c = 1; c <= 3; c++) {
    char n[4][32];
    for (int k = 0; k < 4; k++) snprintf(n[k], 32, "%c_%d.csv", "abce"[k], c);
    char *a = draw_lines(path(n[0])), *b = draw_lines(path(n[1])), *cc = draw_lines(path(n[2])),
         *e = draw_lines(path(n[3]));
    assert_string_equal(a, b);
    assert_string_equal(a, cc);
    assert_string_not_equal(a, e);
    free(a), free(b), free(cc), free(e);
  }
  /* Chains differ from each other. */
  char *c1 = draw_lines(path("a_1.csv")), *c2 = draw_lines(path("a_2.csv"));
  assert_string_not_equal(c1, c2);
  free(c1), free(c2);
}

/* Posterior mean of p within 4 MCSE of (a + sum y) / (a + b + N). */
static void posterior_mean_of_p(void **state) {
  (void)state;
  write_text("coin.json", COIN_DATA);
  result r = run(&coin_model, "./coin sample --data $D/coin.json --chains 4 --warmup 100 "
                              "--iter 1000 --seed 11 --out $D/p.csv --quiet");
  assert_int_equal(r.rc, 0);
  done(&r);
  double *x = malloc(4000 * sizeof *x);
  for (int c = 0; c < 4; c++) {
    char name[32];
    snprintf(name, sizeof name, "p_%d.csv", c + 1);
    lvm_csv_table *t = read_csv(path(name));
    assert_int_equal(t->n_rows, 1000);
    size_t j = col(t, "p");
    for (size_t i = 0; i < 1000; i++) x[c * 1000 + i] = t->values[i * t->n_cols + j];
    lvm_csv_table_free(t);
  }
  lvm_diag_workspace *w = lvm_diag_alloc(1000, 4);
  double mean = lvm_diag_mean(w, x), mcse = lvm_diag_mcse_mean(w, x);
  double exact = (2.0 + 14) / (2.0 + 3 + 20);
  print_message("p: mean %.5f, exact %.5f, mcse %.5f, R-hat %.4f\n", mean, exact, mcse,
                lvm_diag_rhat(w, x));
  assert_true(mcse > 0 && mcse < 0.01);
  assert_true(fabs(mean - exact) < 4 * mcse);
  assert_true(lvm_diag_rhat(w, x) < 1.01);
  lvm_diag_free(w);
  free(x);

  /* The summary command reads the files (no sampler columns). */
  r = run(&coin_model, "./coin summary $D/p_1.csv $D/p_2.csv $D/p_3.csv $D/p_4.csv");
  assert_int_equal(r.rc, 0);
  assert_non_null(strstr(r.out, "Inference for model coin, method sample: 4 chains of 1000 draws"));
  assert_non_null(strstr(r.out, "\nlp__ "));
  assert_non_null(strstr(r.out, "\np "));
  done(&r);
}

/* Missing x are imputed; mu's posterior depends on the observed x only. */
static void missing_data_imputed(void **state) {
  (void)state;
  write_text("x.json", "{\"N\": 6, \"sigma\": 2.0, \"mu0\": 1.0, \"s0\": 3.0, "
                       "\"x\": [1.5, null, 2.5, 4.0, null, 3.0]}");
  result r = run(&nmean_model, "./nmean sample --data $D/x.json --chains 4 --warmup 100 "
                               "--iter 1000 --out $D/m.csv --quiet");
  assert_int_equal(r.rc, 0);
  assert_string_equal(r.err, "");
  done(&r);
  double *mu = malloc(4000 * sizeof *mu), *x2 = malloc(4000 * sizeof *x2);
  for (int c = 0; c < 4; c++) {
    char name[32];
    snprintf(name, sizeof name, "m_%d.csv", c + 1);
    lvm_csv_table *t = read_csv(path(name));
    assert_int_equal(t->n_cols, 8);
    for (size_t i = 0; i < 1000; i++) {
      const double *v = t->values + i * t->n_cols;
      mu[c * 1000 + i] = v[col(t, "mu")];
      x2[c * 1000 + i] = v[col(t, "x.2")];
      assert_true(v[col(t, "x.1")] == 1.5 && v[col(t, "x.6")] == 3.0);
    }
    lvm_csv_table_free(t);
  }
  /* mu | x_obs: precision 1/9 + 4/4, mean (1/9 + 11/4) / precision. */
  double prec = 1.0 / 9 + 4.0 / 4, exact = (1.0 / 9 + 11.0 / 4) / prec;
  lvm_diag_workspace *w = lvm_diag_alloc(1000, 4);
  double mean = lvm_diag_mean(w, mu), mcse = lvm_diag_mcse_mean(w, mu);
  print_message("mu: mean %.5f, exact %.5f, mcse %.5f; sd(x.2) %.3f (exact %.3f)\n", mean,
                exact, mcse, lvm_diag_sd(w, x2), sqrt(4 + 1 / prec));
  assert_true(fabs(mean - exact) < 4 * mcse);
  /* x.2 ~ Normal(mu, 2) given mu: predictive sd sqrt(4 + 1/prec). */
  assert_true(fabs(lvm_diag_sd(w, x2) - sqrt(4 + 1 / prec)) < 0.15);
  lvm_diag_free(w);
  free(mu), free(x2);
}

static void bad_data_fails_before_any_file(void **state) {
  (void)state;
  write_text("bad.json", "{\"N\": 3, \"a\": -1.0, \"y\": [1, 3, 0], \"extra\": 1}");
  result r = run(&coin_model, "./coin sample --data $D/bad.json --out $D/d.csv --quiet");
  assert_int_equal(r.rc, 1);
  assert_non_null(strstr(r.err, "bad.json: error: 'a'"));
  assert_non_null(strstr(r.err, "bad.json: error: 'y': element y[2] is 3"));
  assert_non_null(strstr(r.err, "'extra' is not a variable of the model"));
  assert_int_equal(n_files_in_dir(), 1); /* bad.json only */
  done(&r);

  /* Malformed JSON: the reader's message only. */
  write_text("broken.json", "{\"N\": 3,, }");
  r = run(&coin_model, "./coin sample --data $D/broken.json --out $D/d.csv --quiet");
  assert_int_equal(r.rc, 1);
  assert_non_null(strstr(r.err, "broken.json:1:"));
  assert_null(strstr(r.err, "'N'"));
  done(&r);

  /* No data at all. */
  r = run(&coin_model, "./coin sample --out $D/d.csv --quiet");
  assert_int_equal(r.rc, 1);
  assert_non_null(strstr(r.err, "'N' is not given"));
  done(&r);

  /* --set with a wrong shape. */
  r = run(&coin_model, "./coin simulate --set N=2 --set y=[1,0,1] --out $D/s.json");
  assert_int_equal(r.rc, 1);
  assert_non_null(strstr(r.err, "'y': expected shape [2] but the file has [3]"));
  done(&r);

  /* A missing data file. */
  r = run(&coin_model, "./coin sample --data $D/nothere.json --out $D/d.csv --quiet");
  assert_int_equal(r.rc, 1);
  assert_non_null(strstr(r.err, "nothere.json"));
  done(&r);
  assert_int_equal(n_files_in_dir(), 2);

  /* An output directory that does not exist. */
  write_text("coin.json", COIN_DATA);
  r = run(&coin_model, "./coin sample --data $D/coin.json --out $D/no/d.csv --quiet");
  assert_int_equal(r.rc, 1);
  assert_non_null(strstr(r.err, "coin sample: error: cannot create '"));
  done(&r);
}

/* simulate writes a data file that sample accepts (round trip). */
static void simulate_round_trip(void **state) {
  (void)state;
  write_text("in.json", "{\"N\": 5, \"sigma\": 0.5, \"x\": [1.0, null, 2.0, null, null]}");
  result r = run(&nmean_model, "./nmean simulate --data $D/in.json --seed 3 --out $D/sim.json");
  assert_int_equal(r.rc, 0);
  done(&r);
  r = run(&nmean_model, "./nmean simulate --data $D/in.json --seed 3 --out $D/sim2.json --quiet");
  assert_int_equal(r.rc, 0);
  assert_string_equal(r.err, "");
  done(&r);
  char *a = slurp(path("sim.json")), *b = slurp(path("sim2.json"));
  assert_string_equal(a, b);
  free(a), free(b);

  lvm_data *d = lvm_data_alloc();
  assert_int_equal(lvm_data_read_file(d, path("sim.json"), NULL), LVM_OK);
  const lvm_data_var *N = lvm_data_find(d, "N"), *x = lvm_data_find(d, "x"),
                     *sg = lvm_data_find(d, "sigma");
  assert_non_null(N), assert_non_null(x), assert_non_null(sg);
  assert_true(N->is_integer && N->values[0] == 5);
  assert_true(sg->values[0] == 0.5);
  assert_int_equal(x->size, 5);
  assert_null(x->missing);              /* every x simulated */
  assert_true(x->values[0] != 1.0);     /* observed ones too */
  lvm_data_free(d);

  r = run(&nmean_model, "./nmean sample --data $D/sim.json --chains 2 --warmup 10 --iter 20 "
                        "--out $D/rt.csv --quiet");
  assert_int_equal(r.rc, 0);
  assert_string_equal(r.err, "");
  done(&r);
  lvm_csv_table *t = read_csv(path("rt_2.csv"));
  assert_int_equal(t->n_rows, 20);
  lvm_csv_table_free(t);

  /* The coin model: integers stay integers. */
  r = run(&coin_model, "./coin simulate --set N=4 --set a=2 --seed 5 --out $D/c.json --quiet");
  assert_int_equal(r.rc, 0);
  char *s = slurp(path("c.json"));
  assert_non_null(strstr(s, "\"N\": 4"));
  assert_non_null(strstr(s, "\"a\": 2.0"));
  free(s);
  done(&r);
  r = run(&coin_model, "./coin sample --data $D/c.json --chains 1 --warmup 1 --iter 2 "
                       "--out $D/c.csv --quiet");
  assert_int_equal(r.rc, 0);
  done(&r);
}

/* A sweep fails in chain 2 at iteration 30: that chain stops with the
 * model's message, the others finish, exit 1, files hold complete rows. */
static void sweep_failure_stops_one_chain(void **state) {
  (void)state;
  write_text("coin.json", COIN_DATA);
  result r = run(&coin_model, "./coin sample --data $D/coin.json --chains 3 --threads 1 "
                              "--warmup 10 --iter 50 --set fail_at=30 --set fail_chain=2 "
                              "--out $D/f.csv");
  assert_int_equal(r.rc, 1);
  assert_non_null(strstr(r.err, "coin sample: error: chain 2, iteration 30: coin.lvm:7:3: the "
                                "complete conditional of p is improper (test hook after 10 warmup "
                                "sweeps)\n"));
  assert_non_null(strstr(r.err, "coin sample: error: 1 of 3 chains failed"));
  assert_non_null(strstr(r.err, "chain 2: stopped after 29 of 60 iterations"));
  assert_non_null(strstr(r.err, "chain 3: done, 60 iterations"));
  int rows[3] = {50, 19, 50};
  for (int c = 0; c < 3; c++) {
    char name[32];
    snprintf(name, sizeof name, "f_%d.csv", c + 1);
    lvm_csv_table *t = read_csv(path(name));
    assert_int_equal(t->n_rows, rows[c]);
    lvm_csv_table_free(t);
    assert_complete_lines(path(name));
  }
  char *s = slurp(path("f_2.csv"));
  assert_non_null(strstr(s, "\n# Sampling stopped at iteration 30 of 60 (sampling): coin.lvm:7:3:"));
  free(s);
  done(&r);

  /* During warmup, every chain. */
  r = run(&coin_model, "./coin sample --data $D/coin.json --chains 2 --warmup 10 --iter 50 "
                       "--set fail_at=4 --out $D/g.csv --quiet");
  assert_int_equal(r.rc, 1);
  assert_non_null(strstr(r.err, "chain 1, iteration 4: coin.lvm:7:3: the complete conditional "
                                "of p is improper (test hook after 4 warmup sweeps)"));
  assert_non_null(strstr(r.err, "chain 2, iteration 4: coin.lvm:7:3:"));
  assert_non_null(strstr(r.err, "2 of 2 chains failed"));
  lvm_csv_table *t = read_csv(path("g_1.csv"));
  assert_int_equal(t->n_rows, 0);
  lvm_csv_table_free(t);
  done(&r);
}

/* The interrupt flag raised during chain 2's 25th sweep: that draw is
 * finished and written, the file closed; chain 3 never starts (no file);
 * exit 130. */
static void interrupt_exits_130(void **state) {
  (void)state;
  write_text("coin.json", COIN_DATA);
  result r = run(&coin_model, "./coin sample --data $D/coin.json --chains 3 --threads 1 "
                              "--warmup 10 --iter 50 --set interrupt_at=25 "
                              "--set interrupt_chain=2 --out $D/i.csv --quiet");
  assert_int_equal(r.rc, 130);
  assert_non_null(strstr(r.err, "coin sample: interrupted; the files hold the draws made so far "
                                "(1 chain not started, no file)"));
  lvm_interrupt_clear();
  lvm_csv_table *t = read_csv(path("i_1.csv"));
  assert_int_equal(t->n_rows, 50);
  lvm_csv_table_free(t);
  t = read_csv(path("i_2.csv"));
  assert_int_equal(t->n_rows, 15);
  lvm_csv_table_free(t);
  assert_complete_lines(path("i_1.csv"));
  assert_complete_lines(path("i_2.csv"));
  char *s = slurp(path("i_2.csv"));
  assert_non_null(strstr(s, "\n# Interrupted at iteration 25 of 60\n"));
  free(s);
  assert_false(exists(path("i_3.csv")));
  done(&r);

  /* Chains on threads all stop; the exit status is 130. */
  r = run(&coin_model, "./coin sample --data $D/coin.json --chains 4 --threads 4 "
                       "--warmup 10 --iter 5000 --set interrupt_at=25 --set interrupt_chain=1 "
                       "--out $D/j.csv --quiet");
  assert_int_equal(r.rc, 130);
  lvm_interrupt_clear();
  for (int c = 1; c <= 4; c++) {
    char name[32];
    snprintf(name, sizeof name, "j_%d.csv", c);
    if (!exists(path(name))) continue;
    t = read_csv(path(name));
    assert_true(t->n_rows < 5000);
    lvm_csv_table_free(t);
    assert_complete_lines(path(name));
  }
  done(&r);
}

/* --init FILE: init() first, then the given values; problems before sampling. */
static void init_file(void **state) {
  (void)state;
  write_text("x.json", "{\"N\": 3, \"x\": [1.0, 2.0, null], \"frozen\": 1}");
  write_text("init.json", "{\"mu\": 2.5}");
  result r = run(&nmean_model, "./nmean sample --data $D/x.json --init $D/init.json --chains 2 "
                               "--warmup 0 --iter 3 --out $D/a.csv --quiet");
  assert_int_equal(r.rc, 0);
  assert_string_equal(r.err, "");
  done(&r);
  for (int c = 1; c <= 2; c++) {
    char name[32];
    snprintf(name, sizeof name, "a_%d.csv", c);
    lvm_csv_table *t = read_csv(path(name));
    assert_int_equal(t->n_rows, 3);
    assert_true(t->values[col(t, "mu")] == 2.5);
    assert_string_equal(lvm_csv_table_setting(t, "init"), path("init.json"));
    lvm_csv_table_free(t);
  }
  /* Without --init, each chain starts at its own prior draw. */
  r = run(&nmean_model, "./nmean sample --data $D/x.json --chains 2 --warmup 0 --iter 1 "
                        "--out $D/b.csv --quiet");
  assert_int_equal(r.rc, 0);
  done(&r);
  lvm_csv_table *t1 = read_csv(path("b_1.csv")), *t2 = read_csv(path("b_2.csv"));
  assert_true(t1->values[1] != t2->values[1] && t1->values[1] != 2.5);
  lvm_csv_table_free(t1);
  lvm_csv_table_free(t2);

  /* A bad init file: messages, exit 1, no draws files. */
  write_text("bad_init.json", "{\"mu\": [1.0, 2.0], \"nu\": 1}");
  int before = n_files_in_dir();
  r = run(&nmean_model, "./nmean sample --data $D/x.json --init $D/bad_init.json "
                        "--out $D/c.csv --quiet");
  assert_int_equal(r.rc, 1);
  assert_non_null(strstr(r.err, "bad_init.json: error: 'mu': expected a single value but the file has"));
  assert_non_null(strstr(r.err, "bad_init.json: warning: 'nu' is not a variable"));
  assert_int_equal(n_files_in_dir(), before);
  done(&r);
  r = run(&nmean_model, "./nmean sample --data $D/x.json --init $D/none.json --out $D/c.csv --quiet");
  assert_int_equal(r.rc, 1);
  assert_non_null(strstr(r.err, "none.json"));
  assert_int_equal(n_files_in_dir(), before);
  done(&r);
}

static void progress_on_stderr(void **state) {
  (void)state;
  write_text("coin.json", COIN_DATA);
  result r = run(&coin_model, "./coin sample --data $D/coin.json --chains 2 --warmup 10 "
                              "--iter 40 --out $D/q.csv");
  assert_int_equal(r.rc, 0);
  assert_non_null(strstr(r.err, "chain 1: done, 50 iterations"));
  assert_non_null(strstr(r.err, "chain 2: done, 50 iterations"));
  done(&r);
}

static void usage_errors(void **state) {
  (void)state;
  result r = run(&coin_model, "./coin");
  assert_int_equal(r.rc, 2);
  assert_non_null(strstr(r.err, "coin: error: no command given"));
  done(&r);
  r = run(&coin_model, "./coin smaple");
  assert_int_equal(r.rc, 2);
  assert_non_null(strstr(r.err, "unknown command 'smaple' (did you mean 'sample'?)"));
  done(&r);
  r = run(&coin_model, "./coin sample --chians 2");
  assert_int_equal(r.rc, 2);
  assert_non_null(strstr(r.err, "did you mean '--chains'?"));
  done(&r);
  r = run(&coin_model, "./coin simulate --chains 2");
  assert_int_equal(r.rc, 2);
  done(&r);
  r = run(&coin_model, "./coin summary --bogus x.csv");
  assert_int_equal(r.rc, 2);
  assert_non_null(strstr(r.err, "unknown option '--bogus'"));
  done(&r);
  r = run(&coin_model, "./coin summary");
  assert_int_equal(r.rc, 2);
  done(&r);
  r = run(&coin_model, "./coin summary $D/nofile.csv");
  assert_int_equal(r.rc, 1);
  done(&r);

  r = run(&coin_model, "./coin --help");
  assert_int_equal(r.rc, 0);
  assert_non_null(strstr(r.out, "usage: coin COMMAND"));
  done(&r);
  r = run(&coin_model, "./coin sample --help");
  assert_int_equal(r.rc, 0);
  assert_non_null(strstr(r.out, "--init FILE"));
  done(&r);

  r = run(&coin_model, "./coin vi --data x.json");
  assert_int_equal(r.rc, 1);
  assert_non_null(strstr(r.err, "coin vi: error: this model was built without CAVI kernels"));
  done(&r);
  const char *planned[] = {"learn", "infer"};
  for (int k = 0; k < 2; k++) {
    r = run(&coin_model, "./coin %s --data x.json", planned[k]);
    assert_int_equal(r.rc, 1);
    char want[64];
    snprintf(want, sizeof want, "coin %s: error: '%s' (", planned[k], planned[k]);
    assert_non_null(strstr(r.err, want));
    assert_non_null(strstr(r.err, "is not available yet"));
    done(&r);
  }
  r = run(&coin_model, "./coin vi --chains 2");
  assert_int_equal(r.rc, 2); /* usage errors first */
  done(&r);
  assert_int_equal(n_files_in_dir(), 0);
}

/* lvm_gen_record: the optional CAVI fields of a generated model's
 * descriptor become lvm_model.vi (NULL when all are zero). */
static int toy_vi_local(lvm_vars *st, lvm_rng *r) { return st && r ? 0 : 1; }
static int toy_vi_sweep(lvm_vars *st, lvm_rng *r) { return st && r ? 0 : 2; }
static double toy_vi_expect(lvm_vars *st) { return st ? 0.5 : 1.0; }

static void gen_record_vi_fields(void **state) {
  (void)state;
  static const lvm_vi_factor factors[] = {{0, "normal", 1, 2, -1}};
  lvm_gen_model g = {.vars = {.model = "toy"}, .source = "toy.lvm"};
  lvm_vi_model vi = {0};
  lvm_model m = lvm_gen_record(&g, &vi);
  assert_null(m.vi); /* built without CAVI */
  assert_string_equal(m.name, "toy");
  g.vi_unsupported = "'x': no conjugate complete conditional";
  m = lvm_gen_record(&g, &vi);
  assert_ptr_equal(m.vi, &vi);
  assert_string_equal(vi.unsupported, g.vi_unsupported);
  assert_null(vi.sweep);
  result r = run(&m, "./toy vi --data x.json");
  assert_int_equal(r.rc, 1);
  assert_non_null(strstr(r.err, "toy vi: error: 'x': no conjugate complete conditional"));
  done(&r);
  g.vi_unsupported = NULL;
  g.vi_local = toy_vi_local;
  g.vi_sweep = toy_vi_sweep;
  g.vi_expect = toy_vi_expect;
  g.vi_factors = factors;
  g.n_vi_factors = 1;
  m = lvm_gen_record(&g, &vi);
  assert_ptr_equal(m.vi, &vi);
  assert_null(vi.unsupported);
  assert_ptr_equal(vi.local, toy_vi_local);
  assert_ptr_equal(vi.sweep, toy_vi_sweep);
  assert_ptr_equal(vi.expect, toy_vi_expect);
  assert_ptr_equal(vi.factors, factors);
  assert_int_equal(vi.n_factors, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(gen_record_vi_fields),
      cmocka_unit_test_setup_teardown(sample_writes_cmdstan_files, make_dir, remove_dir),
      cmocka_unit_test_setup_teardown(default_out_and_single_chain, make_dir, remove_dir),
      cmocka_unit_test_setup_teardown(draws_reproduce_for_any_thread_count, make_dir, remove_dir),
      cmocka_unit_test_setup_teardown(posterior_mean_of_p, make_dir, remove_dir),
      cmocka_unit_test_setup_teardown(missing_data_imputed, make_dir, remove_dir),
      cmocka_unit_test_setup_teardown(bad_data_fails_before_any_file, make_dir, remove_dir),
      cmocka_unit_test_setup_teardown(simulate_round_trip, make_dir, remove_dir),
      cmocka_unit_test_setup_teardown(sweep_failure_stops_one_chain, make_dir, remove_dir),
      cmocka_unit_test_setup_teardown(interrupt_exits_130, make_dir, remove_dir),
      cmocka_unit_test_setup_teardown(init_file, make_dir, remove_dir),
      cmocka_unit_test_setup_teardown(progress_on_stderr, make_dir, remove_dir),
      cmocka_unit_test_setup_teardown(usage_errors, make_dir, remove_dir),
  };
  return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
