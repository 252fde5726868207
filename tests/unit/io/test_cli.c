/* Executable scaffolding (lvm/cli.h, lvm/progress.h): argument parsing and
 * its error messages, settings for the CSV comments, the chain pool (same
 * files with 1, 2 and 4 threads), SIGINT, progress lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lvm/cli.h"
#include "lvm/csv.h"
#include "lvm/progress.h"
#include "lvm/rng.h"

/* ---- Parsing ------------------------------------------------------------ */

typedef struct parsed {
  lvm_cli *c;
  lvm_status st;
  char *out, *err;
} parsed;

/* Parse a space-separated command line (no quoting needed in these tests). */
static parsed parse(const char *line) {
  static char buf[16][512];
  static int slot;
  char *copy = buf[slot = (slot + 1) % 16];
  snprintf(copy, 512, "%s", line);
  char *argv[64];
  int argc = 0;
  for (char *t = strtok(copy, " "); t && argc < 63; t = strtok(NULL, " ")) argv[argc++] = t;
  argv[argc] = NULL;
  parsed p;
  size_t lo, le;
  FILE *out = open_memstream(&p.out, &lo), *err = open_memstream(&p.err, &le);
  p.c = lvm_cli_alloc();
  p.st = lvm_cli_parse(p.c, "gmm", argc, argv, out, err);
  fclose(out);
  fclose(err);
  return p;
}

static void done(parsed *p) {
  lvm_cli_free(p->c);
  free(p->out);
  free(p->err);
}

static void defaults(void **state) {
  (void)state;
  parsed p = parse("./gmm sample");
  assert_int_equal(p.st, LVM_OK);
  lvm_cli *c = p.c;
  assert_int_equal(c->command, LVM_CMD_SAMPLE);
  assert_int_equal(c->chains, 4);
  assert_int_equal(c->warmup, 1000);
  assert_int_equal(c->iter, 1000);
  assert_int_equal(c->thin, 1);
  assert_true(c->seed == LVM_CLI_DEFAULT_SEED);
  int np = lvm_cli_nproc();
  assert_int_equal(c->threads, np < 4 ? np : 4);
  assert_int_equal(c->quiet, 0);
  assert_null(c->data);
  assert_null(c->out);
  assert_int_equal(c->n_sets, 0);
  assert_int_equal(c->given, 0);
  assert_int_equal(c->help, 0);
  assert_string_equal(p.out, "");
  assert_string_equal(p.err, "");
  done(&p);
}

static void all_options(void **state) {
  (void)state;
  parsed p = parse("./gmm sample --data d.json --set K=5 --set x=[1,2] --chains=2 --warmup 10"
                   " --iter 20 --thin 2 --seed 18446744073709551615 --out o.csv --init i.json"
                   " --threads 3 --quiet");
  assert_int_equal(p.st, LVM_OK);
  lvm_cli *c = p.c;
  assert_string_equal(c->data, "d.json");
  assert_int_equal(c->n_sets, 2);
  assert_string_equal(c->sets[0], "K=5");
  assert_string_equal(c->sets[1], "x=[1,2]");
  assert_int_equal(c->chains, 2);
  assert_int_equal(c->warmup, 10);
  assert_int_equal(c->iter, 20);
  assert_int_equal(c->thin, 2);
  assert_true(c->seed == UINT64_MAX);
  assert_string_equal(c->out, "o.csv");
  assert_string_equal(c->init, "i.json");
  assert_int_equal(c->threads, 3);
  assert_int_equal(c->quiet, 1);
  assert_true(c->given & LVM_OPT_SEED);
  assert_true(c->given & LVM_OPT_QUIET);
  assert_false(c->given & LVM_OPT_TOL);
  done(&p);

  p = parse("./gmm vi --tol 1e-9 --max-iter 50 --restarts 3 --trace elbo.csv --check-grad --data d.json");
  assert_int_equal(p.st, LVM_OK);
  assert_int_equal(p.c->command, LVM_CMD_VI);
  assert_true(p.c->tol == 1e-9);
  assert_int_equal(p.c->max_iter, 50);
  assert_int_equal(p.c->restarts, 3);
  assert_int_equal(p.c->trace, 1);
  assert_string_equal(p.c->trace_file, "elbo.csv");
  assert_int_equal(p.c->check_grad, 1);
  done(&p);

  p = parse("./gmm summary a.csv b.csv");
  assert_int_equal(p.st, LVM_OK);
  assert_int_equal(p.c->command, LVM_CMD_SUMMARY);
  assert_int_equal(p.c->n_args, 2);
  assert_string_equal(p.c->args[1], "b.csv");
  done(&p);

  /* every command parses with its common options */
  const char *cmds[] = {"learn", "infer", "simulate"};
  for (int i = 0; i < 3; i++) {
    char line[128];
    snprintf(line, sizeof line, "./gmm %s --data d.json --seed 3 --out x", cmds[i]);
    p = parse(line);
    assert_int_equal(p.st, LVM_OK);
    assert_string_equal(lvm_cli_command_name(p.c->command), cmds[i]);
    done(&p);
  }
}

static void help(void **state) {
  (void)state;
  parsed p = parse("./gmm --help");
  assert_int_equal(p.st, LVM_OK);
  assert_int_equal(p.c->help, 1);
  assert_non_null(strstr(p.out, "usage: gmm COMMAND [options]\n"));
  assert_non_null(strstr(p.out, "  sample    draw from the posterior by MCMC"));
  assert_string_equal(p.err, "");
  assert_int_equal(lvm_cli_exit_code(p.st), 0);
  done(&p);

  p = parse("./gmm sample --chains 2 --help");
  assert_int_equal(p.st, LVM_OK);
  assert_int_equal(p.c->help, 1);
  assert_non_null(strstr(p.out, "usage: gmm sample [options]\n"));
  assert_non_null(strstr(p.out, "  --chains N             number of chains (default 4)\n"));
  assert_null(strstr(p.out, "--tol"));
  done(&p);

  p = parse("./gmm vi -h");
  assert_int_equal(p.c->help, 1);
  assert_non_null(strstr(p.out, "--tol X"));
  assert_null(strstr(p.out, "--chains"));
  done(&p);
}

/* The exact error (first line) and the hint that follows it. */
static void expect_usage_error(const char *line, const char *first) {
  parsed p = parse(line);
  assert_int_equal(p.st, LVM_EUSAGE);
  assert_int_equal(lvm_cli_exit_code(p.st), 2);
  size_t n = strlen(first);
  if (strncmp(p.err, first, n) != 0 || p.err[n] != '\n') {
    print_error("for: %s\n  got:  %s  want: %s\n", line, p.err, first);
    fail();
  }
  assert_string_equal(p.out, "");
  done(&p);
}

static void usage_errors(void **state) {
  (void)state;
  expect_usage_error("./gmm", "gmm: error: no command given");
  expect_usage_error("./gmm smaple", "gmm: error: unknown command 'smaple' (did you mean "
                                     "'sample'?)");
  expect_usage_error("./gmm frobnicate", "gmm: error: unknown command 'frobnicate'");
  expect_usage_error("./gmm --chains 4", "gmm: error: the command comes first, before "
                                         "'--chains'");
  expect_usage_error("./gmm sample --chains 0",
                     "gmm sample: error: --chains must be a positive integer, not '0'");
  expect_usage_error("./gmm sample --chains abc",
                     "gmm sample: error: --chains must be a positive integer, not 'abc'");
  expect_usage_error("./gmm sample --chains 3x",
                     "gmm sample: error: --chains must be a positive integer, not '3x'");
  expect_usage_error("./gmm sample --chains 99999999999",
                     "gmm sample: error: --chains must be a positive integer, not "
                     "'99999999999'");
  expect_usage_error("./gmm sample --warmup -1",
                     "gmm sample: error: --warmup must be a non-negative integer, not '-1'");
  expect_usage_error("./gmm sample --seed -1",
                     "gmm sample: error: --seed must be an integer from 0 to "
                     "18446744073709551615, not '-1'");
  expect_usage_error("./gmm sample --seed 18446744073709551616",
                     "gmm sample: error: --seed must be an integer from 0 to "
                     "18446744073709551615, not '18446744073709551616'");
  expect_usage_error("./gmm vi --tol -1", "gmm vi: error: --tol must be a number >= 0 (0: run "
                                          "--max-iter iterations), not '-1'");
  expect_usage_error("./gmm vi --tol nan", "gmm vi: error: --tol must be a number >= 0 (0: run "
                                           "--max-iter iterations), not 'nan'");
  expect_usage_error("./gmm sample --chians 3", "gmm sample: error: unknown option '--chians' "
                                                "(did you mean '--chains'?)");
  expect_usage_error("./gmm sample --zzzzzzz", "gmm sample: error: unknown option '--zzzzzzz'");
  expect_usage_error("./gmm sample -x", "gmm sample: error: unknown option '-x'");
  expect_usage_error("./gmm sample --quiet=1",
                     "gmm sample: error: option '--quiet' takes no value");
  expect_usage_error("./gmm sample --data",
                     "gmm sample: error: option '--data' needs a value (FILE)");
  expect_usage_error("./gmm vi --chains 4", "gmm vi: error: '--chains' is not an option of "
                                            "'vi'");
  expect_usage_error("./gmm simulate --init i.json",
                     "gmm simulate: error: '--init' is not an option of 'simulate'");
  expect_usage_error("./gmm sample data.json", "gmm sample: error: unexpected argument "
                                               "'data.json'");
  expect_usage_error("./gmm sample --chains 2 --chains 3",
                     "gmm sample: error: --chains is given twice");
  expect_usage_error("./gmm sample --set K", "gmm sample: error: --set needs NAME=VALUE, not "
                                             "'K'");
  expect_usage_error("./gmm sample --t 3", "gmm sample: error: option '--t' is ambiguous");
  /* the hint line */
  parsed p = parse("./gmm sample --thin 0");
  assert_string_equal(p.err, "gmm sample: error: --thin must be a positive integer, not '0'\n"
                             "Run 'gmm sample --help' for the options.\n");
  done(&p);
}

static const char *setting(const lvm_kv *kv, size_t n, const char *key, int nth) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(kv[i].key, key) && nth-- == 0) return kv[i].value;
  return NULL;
}

static void settings_for_csv(void **state) {
  (void)state;
  parsed p = parse("./gmm sample --data d.json --set K=5 --set L=2 --seed 7 --chains 2");
  size_t n;
  const lvm_kv *kv = lvm_cli_settings(p.c, &n);
  assert_string_equal(kv[0].key, "model");
  assert_string_equal(kv[0].value, "gmm");
  assert_string_equal(setting(kv, n, "method", 0), "sample");
  assert_string_equal(setting(kv, n, "data", 0), "d.json");
  assert_string_equal(setting(kv, n, "set", 0), "K=5");
  assert_string_equal(setting(kv, n, "set", 1), "L=2");
  assert_string_equal(setting(kv, n, "seed", 0), "7");
  assert_string_equal(setting(kv, n, "chains", 0), "2");
  assert_string_equal(setting(kv, n, "warmup", 0), "1000");
  assert_string_equal(setting(kv, n, "thin", 0), "1");
  assert_null(setting(kv, n, "tol", 0));
  done(&p);
  p = parse("./gmm vi");
  kv = lvm_cli_settings(p.c, &n);
  assert_string_equal(setting(kv, n, "seed", 0), "20240611 (Default)");
  assert_string_equal(setting(kv, n, "tol", 0), "1e-08"); /* vi's default */
  assert_string_equal(setting(kv, n, "trace", 0), "(none)");
  assert_null(setting(kv, n, "chains", 0));
  done(&p);
}

/* ---- Chains on threads -------------------------------------------------- */

typedef struct toy {
  char dir[64];
  int n_chains;
  pthread_t who[16];
  int fail_chain[16];
  int interrupt_chain; /* raise SIGINT in this chain after 10 draws (-1: no) */
  int calls;
  pthread_mutex_t lock;
} toy;

/* A toy sampler: a random walk from the chain's own stream, one CSV per
 * chain, polling lvm_interrupted() after each draw. */
static lvm_status toy_chain(int chain, void *arg) {
  toy *t = arg;
  pthread_mutex_lock(&t->lock);
  t->calls++;
  pthread_mutex_unlock(&t->lock);
  t->who[chain] = pthread_self();
  if (t->fail_chain[chain]) return (lvm_status)t->fail_chain[chain];
  char out[128];
  snprintf(out, sizeof out, "%s/draws.csv", t->dir);
  char *path = lvm_csv_chain_path(out, chain + 1, t->n_chains);
  lvm_csv *w = lvm_csv_open(path);
  free(path);
  if (!w) return LVM_EIO;
  lvm_csv_names *nm = lvm_csv_names_alloc();
  lvm_csv_names_add(nm, "lp__", 0, NULL, 0);
  lvm_csv_names_add(nm, "x", 0, NULL, 0);
  lvm_csv_header(w, nm);
  lvm_csv_names_free(nm);
  lvm_rng r;
  lvm_rng_seed(&r, 42, (uint64_t)chain);
  double x = 0;
  lvm_status st = LVM_OK;
  for (int i = 0; i < 300; i++) {
    x += lvm_rng_uniform(&r) - 0.5;
    double row[2] = {-0.5 * x * x, x};
    lvm_csv_row(w, row);
    if (chain == t->interrupt_chain && i == 9) raise(SIGINT);
    if (lvm_interrupted()) {
      st = LVM_EINTR;
      break;
    }
    if (i % 100 == 0) {
      struct timespec ts = {0, 1000000};
      nanosleep(&ts, NULL); /* let the other workers pick up chains */
    }
  }
  lvm_csv_close(w);
  return st;
}

static toy *toy_new(const char *tag, int n_chains) {
  toy *t = calloc(1, sizeof *t);
  snprintf(t->dir, sizeof t->dir, "/tmp/lvm_test_cli_%s_XXXXXX", tag);
  assert_non_null(mkdtemp(t->dir));
  t->n_chains = n_chains;
  t->interrupt_chain = -1;
  pthread_mutex_init(&t->lock, NULL);
  return t;
}

static void toy_free(toy *t) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
  assert_int_equal(system(cmd), 0);
  pthread_mutex_destroy(&t->lock);
  free(t);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
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

static void same_files_for_any_thread_count(void **state) {
  (void)state;
  enum { C = 5 };
  int threads[3] = {1, 2, 4};
  toy *t[3];
  for (int k = 0; k < 3; k++) {
    t[k] = toy_new("repro", C);
    assert_int_equal(lvm_run_chains(C, threads[k], toy_chain, t[k]), LVM_OK);
    assert_int_equal(t[k]->calls, C);
  }
  /* 1 thread: all on the caller; 2 threads: two distinct workers */
  pthread_t self = pthread_self();
  for (int c = 0; c < C; c++) assert_true(pthread_equal(t[0]->who[c], self));
  int distinct = 0;
  for (int c = 1; c < C; c++) distinct |= !pthread_equal(t[1]->who[c], t[1]->who[0]);
  assert_true(distinct);
  for (int c = 1; c <= C; c++) {
    char p[3][160];
    char *text[3];
    for (int k = 0; k < 3; k++) {
      snprintf(p[k], sizeof p[k], "%s/draws_%d.csv", t[k]->dir, c);
      text[k] = slurp(p[k]);
      assert_non_null(text[k]);
    }
    assert_true(strlen(text[0]) > 300 * 10);
    assert_string_equal(text[0], text[1]);
    assert_string_equal(text[0], text[2]);
    for (int k = 0; k < 3; k++) free(text[k]);
  }
  /* and chains differ from each other */
  char a[160], b[160];
  snprintf(a, sizeof a, "%s/draws_1.csv", t[0]->dir);
  snprintf(b, sizeof b, "%s/draws_2.csv", t[0]->dir);
  char *ta = slurp(a), *tb = slurp(b);
  assert_string_not_equal(ta, tb);
  free(ta), free(tb);
  for (int k = 0; k < 3; k++) toy_free(t[k]);
}

static void first_failing_chain_is_reported(void **state) {
  (void)state;
  for (int threads = 1; threads <= 3; threads++) {
    toy *t = toy_new("fail", 4);
    t->fail_chain[3] = LVM_EDOM;
    t->fail_chain[1] = LVM_ENUMERIC;
    assert_int_equal(lvm_run_chains(4, threads, toy_chain, t), LVM_ENUMERIC);
    assert_int_equal(t->calls, 4); /* other chains still run */
    toy_free(t);
  }
  assert_int_equal(lvm_run_chains(0, 2, toy_chain, NULL), LVM_OK);
}

static void sigint_stops_cleanly(void **state) {
  (void)state;
  lvm_interrupt_clear();
  assert_int_equal(lvm_signals_install(), LVM_OK);
  assert_int_equal(lvm_interrupted(), 0);
  toy *t = toy_new("int", 3);
  t->interrupt_chain = 0;
  /* one thread: chain 1 stops after its 10th draw, chains 2 and 3 are not
   * started */
  assert_int_equal(lvm_run_chains(3, 1, toy_chain, t), LVM_EINTR);
  assert_int_equal(lvm_interrupted(), 1);
  assert_int_equal(t->calls, 1);
  assert_int_equal(lvm_cli_exit_code(LVM_EINTR), 130);
  char p[160];
  snprintf(p, sizeof p, "%s/draws_1.csv", t->dir);
  char *text = slurp(p);
  int lines = 0;
  for (char *s = text; *s; s++) lines += *s == '\n';
  assert_int_equal(lines, 11); /* header + 10 complete rows */
  assert_int_equal(text[strlen(text) - 1], '\n');
  free(text);
  snprintf(p, sizeof p, "%s/draws_2.csv", t->dir);
  assert_int_equal(access(p, F_OK), -1);
  lvm_interrupt_clear();
  assert_int_equal(lvm_interrupted(), 0);
  toy_free(t);
}

/* ---- Progress ----------------------------------------------------------- */

static char *run_progress(lvm_progress_mode mode, int n_chains) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  lvm_progress *p = lvm_progress_alloc(n_chains, f, mode);
  assert_non_null(p);
  for (int c = 0; c < n_chains; c++) {
    lvm_progress_start(p, c, 100, 50);
    for (long i = 1; i <= 100; i++) lvm_progress_update(p, c, i);
    lvm_progress_finish(p, c);
  }
  lvm_progress_free(p);
  fclose(f);
  return buf;
}

static void progress_plain_lines(void **state) {
  (void)state;
  char *out = run_progress(LVM_PROGRESS_PLAIN, 2);
  /* 9 lines (10% .. 90%) and a done line per chain */
  int lines = 0;
  for (char *s = out; *s; s++) lines += *s == '\n';
  assert_int_equal(lines, 20);
  assert_non_null(strstr(out, "chain 1: 10% (10/100, warmup)"));
  assert_non_null(strstr(out, "chain 1: 50% (50/100, warmup)"));
  assert_non_null(strstr(out, "chain 1: 60% (60/100, sampling)"));
  assert_non_null(strstr(out, "chain 2: 90% (90/100, sampling)"));
  assert_non_null(strstr(out, "chain 2: done, 100 iterations in "));
  assert_null(strchr(out, '\033')); /* no terminal codes in a log */
  free(out);

  /* a chain stopped early says so */
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  lvm_progress *p = lvm_progress_alloc(1, f, LVM_PROGRESS_PLAIN);
  lvm_progress_start(p, 0, 100, 0);
  lvm_progress_update(p, 0, 7);
  lvm_progress_finish(p, 0);
  lvm_progress_free(p);
  fclose(f);
  assert_non_null(strstr(buf, "chain 1: stopped after 7 of 100 iterations ("));
  free(buf);
}

static void progress_tty_and_quiet(void **state) {
  (void)state;
  char *out = run_progress(LVM_PROGRESS_TTY, 2);
  assert_non_null(strstr(out, "\033[2A"));  /* redraws in place */
  assert_non_null(strstr(out, "\r\033[K"));
  /* the final frame shows both chains done */
  const char *last = strstr(out, "chain 1: [####################] 100%");
  assert_non_null(last);
  assert_non_null(strstr(out, "chain 2: [####################] 100%    100/100 done"));
  free(out);
  out = run_progress(LVM_PROGRESS_QUIET, 2);
  assert_true(out == NULL || out[0] == '\0');
  free(out);
  /* AUTO on a pipe (a memstream is not a terminal) is PLAIN */
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  lvm_progress *p = lvm_progress_alloc(1, f, LVM_PROGRESS_AUTO);
  assert_int_equal(lvm_progress_get_mode(p), LVM_PROGRESS_PLAIN);
  lvm_progress_free(p);
  fclose(f);
  free(buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(defaults),
      cmocka_unit_test(all_options),
      cmocka_unit_test(help),
      cmocka_unit_test(usage_errors),
      cmocka_unit_test(settings_for_csv),
      cmocka_unit_test(same_files_for_any_thread_count),
      cmocka_unit_test(first_failing_chain_is_reported),
      cmocka_unit_test(sigint_stops_cleanly),
      cmocka_unit_test(progress_plain_lines),
      cmocka_unit_test(progress_tty_and_quiet),
  };
  return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
