/* CmdStan CSV (lvm/csv.h): column names, chain file names, the exact text
 * written, a bit-exact round trip checked with an independent parser, files
 * left by a killed writer, and the reader's handling of CmdStan's own
 * layout and of malformed files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lvm/csv.h"

static char dir[64];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/lvm_test_csv_XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static char *path_in(const char *name) {
  static char p[4][256];
  static int k;
  k = (k + 1) % 4;
  snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
  return p[k];
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

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
}

/* ---- An independent parser (no code shared with csv.c) ------------------ */

typedef struct table {
  int n_cols, n_rows;
  char names[64][32];
  double *v; /* n_rows x n_cols */
  int bad;   /* a line with the wrong number of fields, or not newline-ended */
  int cut;   /* the last line is not newline-ended (and not counted) */
} table;

static table parse(const char *path) {
  table t;
  memset(&t, 0, sizeof t);
  char *text = slurp(path);
  assert_non_null(text);
  size_t cap = 1024;
  t.v = malloc(cap * sizeof(double));
  int header = 0;
  for (char *line = text; *line;) {
    char *nl = strchr(line, '\n');
    if (!nl) {
      t.bad = t.cut = 1; /* an incomplete last line */
      break;
    }
    *nl = '\0';
    if (line[0] != '#') {
      int k = 0;
      for (char *tok = strtok(line, ","); tok; tok = strtok(NULL, ",")) {
        if (!header) {
          snprintf(t.names[k], sizeof t.names[k], "%s", tok);
        } else {
          if ((size_t)(t.n_rows + 1) * (size_t)t.n_cols > cap) {
            cap *= 2;
            t.v = realloc(t.v, cap * sizeof(double));
          }
          if (k < t.n_cols) t.v[t.n_rows * t.n_cols + k] = strtod(tok, NULL);
        }
        k++;
      }
      if (!header) {
        t.n_cols = k;
        header = 1;
      } else {
        if (k != t.n_cols) t.bad = 1;
        t.n_rows++;
      }
    }
    line = nl + 1;
  }
  free(text);
  return t;
}

/* lvm_csv_read with its messages captured in *buf (free it). */
static lvm_status read_capturing(const char *path, lvm_csv_table **t, char **buf, size_t *len) {
  *buf = NULL;
  *len = 0;
  FILE *err = open_memstream(buf, len);
  assert_non_null(err);
  lvm_status st = lvm_csv_read(path, err, t);
  fclose(err);
  return st;
}

static int same_bits(double a, double b) {
  if (isnan(a) && isnan(b)) return 1;
  return memcmp(&a, &b, sizeof a) == 0;
}

/* ---- Tests -------------------------------------------------------------- */

static void column_names(void **state) {
  (void)state;
  lvm_csv_names *c = lvm_csv_names_alloc();
  size_t d2[2] = {2, 3}, d1[1] = {2}, d0[2] = {3, 0};
  assert_int_equal(lvm_csv_names_add(c, "lp__", 0, NULL, 0), LVM_OK);
  assert_int_equal(lvm_csv_names_add(c, "mu", 1, d1, 0), LVM_OK);
  assert_int_equal(lvm_csv_names_add(c, "z", 2, d2, 1), LVM_OK);
  assert_int_equal(lvm_csv_names_add(c, "empty", 2, d0, 0), LVM_OK);
  const char *want[] = {"lp__", "mu.1", "mu.2", "z.1.1", "z.1.2", "z.1.3",
                        "z.2.1", "z.2.2", "z.2.3"};
  assert_int_equal(c->n, 9);
  for (int i = 0; i < 9; i++) assert_string_equal(c->name[i], want[i]);
  assert_int_equal(c->is_int[0], 0);
  assert_int_equal(c->is_int[3], 1);
  lvm_csv_names_free(c);
}

static void chain_paths(void **state) {
  (void)state;
  const struct {
    const char *out;
    int chain, n;
    const char *want;
  } cases[] = {
      {"draws.csv", 2, 4, "draws_2.csv"},  {"draws.csv", 1, 1, "draws.csv"},
      {"out", 3, 4, "out_3"},              {"dir.v2/draws", 1, 2, "dir.v2/draws_1"},
      {"a/b.c/d.csv", 2, 2, "a/b.c/d_2.csv"}, {".hidden", 1, 2, ".hidden_1"},
      {"x.tar.gz", 1, 2, "x.tar_1.gz"},    {"draws.csv", 10, 12, "draws_10.csv"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *p = lvm_csv_chain_path(cases[i].out, cases[i].chain, cases[i].n);
    assert_string_equal(p, cases[i].want);
    free(p);
  }
}

static lvm_csv_names *names_for(int n_real) {
  lvm_csv_names *c = lvm_csv_names_alloc();
  lvm_csv_names_add(c, "lp__", 0, NULL, 0);
  lvm_csv_names_add(c, "accept_stat__", 0, NULL, 0);
  lvm_csv_names_add(c, "k", 0, NULL, 1);
  size_t d[1] = {(size_t)n_real};
  lvm_csv_names_add(c, "x", 1, d, 0);
  return c;
}

static void exact_text(void **state) {
  (void)state;
  const char *p = path_in("text.csv");
  lvm_csv *w = lvm_csv_open(p);
  assert_non_null(w);
  lvm_kv kv[] = {{"model", "gmm"}, {"method", "sample"}, {"seed", "42"}};
  assert_int_equal(lvm_csv_settings(w, kv, 3), LVM_OK);
  lvm_csv_names *c = names_for(5);
  assert_int_equal(lvm_csv_header(w, c), LVM_OK);
  double row[8] = {-12.5, 0.93, 3, 0.1, 1e-300, -0.0, INFINITY, NAN};
  assert_int_equal(lvm_csv_row(w, row), LVM_OK);
  double row2[8] = {1.0 / 3, 1, -7, 2, 123456789012345678.0, -INFINITY, 5e-324, 1e21};
  assert_int_equal(lvm_csv_row(w, row2), LVM_OK);
  assert_int_equal(lvm_csv_comment(w, "Adaptation terminated\nStep size = %g", 0.5), LVM_OK);
  assert_int_equal(lvm_csv_elapsed(w, 0.25, 1.5), LVM_OK);
  assert_int_equal(lvm_csv_close(w), LVM_OK);
  char *text = slurp(p);
  assert_string_equal(text, "# model = gmm\n"
                            "# method = sample\n"
                            "# seed = 42\n"
                            "lp__,accept_stat__,k,x.1,x.2,x.3,x.4,x.5\n"
                            "-12.5,0.93,3,0.1,1e-300,-0,inf,nan\n"
                            "0.3333333333333333,1,-7,2,1.2345678901234568e+17,-inf,"
                            "4.94065645841247e-324,1e+21\n"
                            "# Adaptation terminated\n"
                            "# Step size = 0.5\n"
                            "# \n"
                            "#  Elapsed Time: 0.250 seconds (Warm-up)\n"
                            "#                1.500 seconds (Sampling)\n"
                            "#                1.750 seconds (Total)\n"
                            "# \n");
  free(text);
  lvm_csv_names_free(c);
}

static void round_trip_bit_exact(void **state) {
  (void)state;
  enum { ROWS = 2000, NX = 20, COLS = NX + 3 };
  const char *p = path_in("rt.csv");
  lvm_csv *w = lvm_csv_open(p);
  lvm_csv_names *c = names_for(NX);
  lvm_csv_header(w, c);
  double *all = malloc(ROWS * COLS * sizeof *all);
  uint64_t s = 0x9E3779B97F4A7C15ULL;
  for (int r = 0; r < ROWS; r++) {
    double *row = all + r * COLS;
    for (int j = 0; j < COLS; j++) {
      s ^= s << 13, s ^= s >> 7, s ^= s << 17;
      double v;
      if (j == 2) v = (double)(int64_t)(s % 2000001) - 1000000; /* int column */
      else if (j % 3 == 0) {                                      /* any bit pattern */
        memcpy(&v, &s, sizeof v);
      } else {
        v = ((double)(s >> 11) * 0x1p-53 - 0.5) * pow(10, (int)(s % 41) - 20);
      }
      row[j] = v;
    }
    assert_int_equal(lvm_csv_row(w, row), LVM_OK);
  }
  assert_int_equal(lvm_csv_close(w), LVM_OK);
  table t = parse(p);
  assert_false(t.bad);
  assert_int_equal(t.n_cols, COLS);
  assert_int_equal(t.n_rows, ROWS);
  assert_string_equal(t.names[3], "x.1");
  for (int i = 0; i < ROWS * COLS; i++) {
    if (!same_bits(all[i], t.v[i])) {
      print_error("value %d: wrote %a, read %a\n", i, all[i], t.v[i]);
      fail();
    }
  }
  free(t.v);
  free(all);
  lvm_csv_names_free(c);
}

/* The writer's number formatting (internal to the runtime) against its
 * definition: the shortest of %.15g, %.16g, %.17g that reads back. */
size_t lvm_io_fmt_double(char *buf, double x);

static void shortest_matches_printf(void **state) {
  (void)state;
  uint64_t s = 0x9E3779B97F4A7C15ull;
  long differ = 0;
  for (int i = 0; i < 300000; i++) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    double x;
    if (i % 3 == 0) {
      memcpy(&x, &s, sizeof x); /* any bit pattern */
      if (!isfinite(x)) continue;
    } else if (i % 3 == 1) {
      x = (double)(s >> 11) * 0x1p-53 * pow(10, (int)(s % 40) - 20);
    } else { /* few digits: exact ties at 15 and 16 digits are common */
      x = round((double)(s >> 20) * 1e-3 * pow(10, (int)(s % 8))) / 1000;
    }
    char want[40], got[40];
    for (int prec = 15; prec <= 17; prec++) {
      snprintf(want, sizeof want, "%.*g", prec, x);
      if (prec == 17 || strtod(want, NULL) == x) break;
    }
    lvm_io_fmt_double(got, x);
    if (strcmp(want, got) != 0 && differ++ < 5) print_error("%a: printf %s, writer %s\n", x, want, got);
  }
  assert_int_equal(differ, 0);
}

/* Rows reach the disk as whole lines, at the latest with the first row
 * written 0.25 s after the previous write; a writer killed with SIGKILL at
 * an arbitrary moment leaves a valid file. */
static void killed_writer_leaves_valid_file(void **state) {
  (void)state;
  const char *p = path_in("killed.csv");
  /* Without close: what is on disk is whole lines, and after a pause every
   * row written is there. */
  lvm_csv *w = lvm_csv_open(p);
  lvm_csv_names *c = names_for(50);
  lvm_csv_header(w, c);
  double row[53];
  for (int j = 0; j < 53; j++) row[j] = j + 0.1;
  for (int r = 0; r < 10; r++) lvm_csv_row(w, row);
  table t = parse(p);
  assert_false(t.bad);
  assert_true(t.n_rows == 0 || t.n_rows == 10);
  free(t.v);
  struct timespec pause = {0, 300000000};
  nanosleep(&pause, NULL);
  lvm_csv_row(w, row);
  t = parse(p);
  assert_false(t.bad);
  assert_int_equal(t.n_rows, 11);
  free(t.v);
  /* 64 KiB of rows are written without waiting */
  for (int r = 0; r < 400; r++) lvm_csv_row(w, row);
  t = parse(p);
  assert_false(t.bad);
  assert_true(t.n_rows > 11);
  free(t.v);
  lvm_csv_close(w);
  t = parse(p);
  assert_int_equal(t.n_rows, 411);
  free(t.v);

  for (int trial = 0; trial < 3; trial++) {
    unlink(p); /* the size polled below is the child's file's */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      lvm_csv *cw = lvm_csv_open(p);
      lvm_csv_header(cw, c);
      double v[53];
      for (long r = 0;; r++) {
        for (int j = 0; j < 53; j++) v[j] = (double)r / (j + 1);
        lvm_csv_row(cw, v);
      }
    }
    /* wait (up to 10 s, however loaded the machine) until the child has
     * written some rows, then kill it a few milliseconds later, at an
     * arbitrary point of its writing */
    struct stat sb;
    struct timespec poll = {0, 1000000};
    for (int i = 0; i < 10000 && !(stat(p, &sb) == 0 && sb.st_size > 200000); i++) nanosleep(&poll, NULL);
    struct timespec ts = {0, 1000000 + trial * 3000000};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    t = parse(p);
    /* every line complete, but for (rarely) the last: SIGKILL ends a
     * regular-file write(2) between the pages it copies, so a write of
     * whole lines can stop in a line; lvm_csv_read leaves that line out */
    assert_true(!t.bad || t.cut);
    assert_true(t.n_rows > 0);
    for (int r = 0; r < t.n_rows; r++)
      for (int j = 0; j < 53; j++) assert_true(same_bits(t.v[r * 53 + j], (double)r / (j + 1)));
    char *buf;
    size_t len;
    lvm_csv_table *rt = NULL;
    assert_int_equal(read_capturing(p, &rt, &buf, &len), LVM_OK);
    assert_int_equal(rt->n_rows, (size_t)t.n_rows);
    assert_true(t.cut ? strstr(buf, "warning: the last line has no newline") != NULL : len == 0);
    lvm_csv_table_free(rt);
    free(buf);
    free(t.v);
  }
  lvm_csv_names_free(c);
}

/* A file as CmdStan writes it: settings with "(Default)", the adaptation
 * block between header and draws, comments at the end, CRLF lines. */
static void reads_cmdstan_layout(void **state) {
  (void)state;
  const char *p = path_in("cmdstan.csv");
  write_file(p, "# stan_version_major = 2\n"
                "# model = bernoulli_model\n"
                "# method = sample (Default)\n"
                "#   sample\n"
                "#     num_samples = 3 (Default)\n"
                "#     save_warmup = 0 (Default)\n"
                "lp__,accept_stat__,stepsize__,treedepth__,theta\n"
                "# Adaptation terminated\n"
                "# Step size = 0.95\n"
                "# Diagonal elements of inverse mass matrix:\n"
                "# 0.5\n"
                "-7.1,0.9,0.95,1,0.25\r\n"
                "-6.9,1,0.95,2,inf\n"
                "\n"
                "# a comment between rows\n"
                "-7.5,0.4,0.95,1,-1e-3\n"
                "# \n"
                "#  Elapsed Time: 0.005 seconds (Warm-up)\n");
  lvm_csv_table *t;
  assert_int_equal(lvm_csv_read(p, NULL, &t), LVM_OK);
  assert_int_equal(t->n_cols, 5);
  assert_int_equal(t->n_rows, 3);
  assert_string_equal(t->names[4], "theta");
  assert_true(t->values[4] == 0.25);
  assert_true(isinf(t->values[9]));
  assert_true(t->values[14] == -1e-3);
  assert_string_equal(lvm_csv_table_setting(t, "model"), "bernoulli_model");
  assert_string_equal(lvm_csv_table_setting(t, "method"), "sample");
  assert_string_equal(lvm_csv_table_setting(t, "num_samples"), "3");
  assert_null(lvm_csv_table_setting(t, "Step size")); /* after the header */
  assert_int_equal(t->n_warmup_dropped, 0);
  lvm_csv_table_free(t);
}

static void drops_saved_warmup(void **state) {
  (void)state;
  const char *p = path_in("warm.csv");
  write_file(p, "# method = sample\n# save_warmup = 1\n"
                "lp__,a\n1,1\n2,2\n# Adaptation terminated\n# Step size = 1\n3,3\n4,4\n5,5\n");
  lvm_csv_table *t;
  assert_int_equal(lvm_csv_read(p, NULL, &t), LVM_OK);
  assert_int_equal(t->n_rows, 3);
  assert_int_equal(t->n_warmup_dropped, 2);
  assert_true(t->values[0] == 3 && t->values[5] == 5);
  lvm_csv_table_free(t);
}

/* Errors: read `text` and expect `message` on the error stream. */
static void expect_read_error(const char *name, const char *text, const char *message,
                              lvm_status want) {
  const char *p = path_in(name);
  if (text) write_file(p, text);
  char *buf;
  size_t len;
  lvm_csv_table *t = (lvm_csv_table *)1;
  assert_int_equal(read_capturing(p, &t, &buf, &len), want);
  assert_null(t);
  char want_text[512];
  snprintf(want_text, sizeof want_text, message, p);
  assert_string_equal(buf, want_text);
  free(buf);
}

/* A last line without its newline (a run killed in a write) is left out,
 * with a warning; with its newline it is a row. */
static void reader_drops_cut_last_line(void **state) {
  (void)state;
  const char *texts[2] = {"lp__,a\n1,2\n3,4", "lp__,a\n1,2\n3,4\n"};
  for (int i = 0; i < 2; i++) {
    const char *p = path_in("cut.csv");
    write_file(p, texts[i]);
    char *buf;
    size_t len;
    lvm_csv_table *t = NULL;
    assert_int_equal(read_capturing(p, &t, &buf, &len), LVM_OK);
    assert_int_equal(t->n_rows, i == 0 ? 1 : 2);
    assert_true(t->values[1] == 2.0);
    if (i == 0) {
      char want[512];
      snprintf(want, sizeof want,
               "%s:3: warning: the last line has no newline (a run killed while writing it?); it is left out\n", p);
      assert_string_equal(buf, want);
    } else {
      assert_int_equal(len, 0);
      assert_true(t->values[3] == 4.0);
    }
    lvm_csv_table_free(t);
    free(buf);
  }
}

static void reader_errors(void **state) {
  (void)state;
  expect_read_error("short.csv", "# c\nlp__,a,b\n1,2,3\n4,5\n",
                    "%s:4: error: row has 2 values but the header has 3 columns\n", LVM_EDATA);
  expect_read_error("long.csv", "lp__,a\n1,2,3\n",
                    "%s:2: error: row has 3 values but the header has 2 columns\n", LVM_EDATA);
  expect_read_error("nan.csv", "lp__,a,b\n1,2,3\n1,x2,3\n",
                    "%s:3: error: column 'a' (field 2): 'x2' is not a number\n", LVM_EDATA);
  expect_read_error("empty_field.csv", "lp__,a\n1,\n",
                    "%s:2: error: column 'a' (field 2): '' is not a number\n", LVM_EDATA);
  expect_read_error("noheader.csv", "# only\n# comments\n\n",
                    "%s: error: no header line (every line is empty or a # comment)\n",
                    LVM_EDATA);
  expect_read_error("noname.csv", "lp__,,b\n",
                    "%s:1: error: column 2 of the header has no name\n", LVM_EDATA);
  expect_read_error("missing.csv", NULL,
                    "%s: error: cannot read the file: No such file or directory\n", LVM_EIO);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(column_names),
      cmocka_unit_test(chain_paths),
      cmocka_unit_test(exact_text),
      cmocka_unit_test(round_trip_bit_exact),
      cmocka_unit_test(shortest_matches_printf),
      cmocka_unit_test(killed_writer_leaves_valid_file),
      cmocka_unit_test(reads_cmdstan_layout),
      cmocka_unit_test(drops_saved_warmup),
      cmocka_unit_test(reader_errors),
      cmocka_unit_test(reader_drops_cut_last_line),
  };
  return cmocka_run_group_tests_name("csv", tests, setup, teardown);
}
