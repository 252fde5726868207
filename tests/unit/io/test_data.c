/* Data files in (lvm/data.h) and JSON out (lvm/jsonout.h): values, shapes,
 * every error message, the checker, --set, round trips, and the time to
 * read 10^6 numbers (printed, not asserted). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "lvm/data.h"
#include "lvm/jsonout.h"

/* A data set read from a string named "data.json"; messages in *m. */
static lvm_data *read_str(const char *json, lvm_msgs **m, lvm_status *st) {
  lvm_data *d = lvm_data_alloc();
  *m = lvm_msgs_alloc();
  *st = lvm_data_read_string(d, json, "data.json", *m);
  return d;
}

/* The messages must be exactly `expected` (NULL-terminated list). */
static void expect_msgs(const lvm_msgs *m, const char *const *expected) {
  size_t n = 0;
  while (expected[n]) n++;
  for (size_t i = 0; i < m->n || i < n; i++) {
    const char *got = i < m->n ? m->text[i] : "(no message)";
    const char *want = i < n ? expected[i] : "(no message)";
    if (strcmp(got, want) != 0) {
      print_error("message %zu:\n  got:  %s\n  want: %s\n", i + 1, got, want);
      fail();
    }
  }
}

/* Read `json` expecting failure with exactly one message. */
static void expect_read_error(const char *json, const char *message) {
  lvm_msgs *m;
  lvm_status st;
  lvm_data *d = read_str(json, &m, &st);
  assert_int_equal(st, LVM_EDATA);
  const char *e[] = {message, NULL};
  expect_msgs(m, e);
  lvm_data_free(d);
  lvm_msgs_free(m);
}

static void reads_values_and_shapes(void **state) {
  (void)state;
  lvm_msgs *m;
  lvm_status st;
  lvm_data *d = read_str(
      "{\"N\": 3, \"x\": [1.5, 2, -3e2], \"y\": [[1, 2], [3, 4], [5, 6]],\n"
      " \"e\": [], \"z\": [[], []], \"s\": \"Inf\", \"t\": [\"-Inf\", \"NaN\", null],\n"
      " \"b\": -0, \"w\": [[[1], [2]], [[3], [4]]]}",
      &m, &st);
  assert_int_equal(st, LVM_OK);
  assert_int_equal(m->n, 0);
  assert_int_equal(d->n_vars, 9);

  const lvm_data_var *v = lvm_data_find(d, "N");
  assert_non_null(v);
  assert_int_equal(v->ndim, 0);
  assert_int_equal(v->size, 1);
  assert_true(v->is_integer);
  assert_true(v->values[0] == 3.0);
  assert_null(v->missing);

  v = lvm_data_find(d, "x");
  assert_int_equal(v->ndim, 1);
  assert_int_equal(v->dims[0], 3);
  assert_false(v->is_integer);
  assert_int_equal(v->first_real, 0);
  assert_true(v->values[0] == 1.5 && v->values[1] == 2.0 && v->values[2] == -300.0);

  v = lvm_data_find(d, "y");
  assert_int_equal(v->ndim, 2);
  assert_int_equal(v->dims[0], 3);
  assert_int_equal(v->dims[1], 2);
  assert_true(v->is_integer);
  for (int i = 0; i < 6; i++) assert_true(v->values[i] == i + 1); /* row-major */

  v = lvm_data_find(d, "e");
  assert_int_equal(v->ndim, 1);
  assert_int_equal(v->dims[0], 0);
  assert_int_equal(v->size, 0);
  assert_true(v->is_integer);

  v = lvm_data_find(d, "z");
  assert_int_equal(v->ndim, 2);
  assert_int_equal(v->dims[0], 2);
  assert_int_equal(v->dims[1], 0);
  assert_int_equal(v->size, 0);

  v = lvm_data_find(d, "s");
  assert_true(isinf(v->values[0]) && v->values[0] > 0);
  assert_false(v->is_integer);

  v = lvm_data_find(d, "t");
  assert_true(isinf(v->values[0]) && v->values[0] < 0);
  assert_true(isnan(v->values[1]));
  assert_non_null(v->missing);
  assert_int_equal(v->missing[0], 0);
  assert_int_equal(v->missing[1], 0);
  assert_int_equal(v->missing[2], 1);

  v = lvm_data_find(d, "w");
  assert_int_equal(v->ndim, 3);
  assert_int_equal(v->dims[2], 1);
  assert_true(v->values[3] == 4);

  assert_null(lvm_data_find(d, "nope"));
  lvm_data_free(d);
  lvm_msgs_free(m);
}

static void integers_and_reals(void **state) {
  (void)state;
  lvm_msgs *m;
  lvm_status st;
  lvm_data *d = read_str("{\"a\": [1, 2.0, 3], \"b\": 1e2, \"c\": [null, 4], \"d\": [null]}",
                         &m, &st);
  assert_int_equal(st, LVM_OK);
  const lvm_data_var *a = lvm_data_find(d, "a");
  assert_false(a->is_integer);
  assert_int_equal(a->first_real, 1);
  assert_false(lvm_data_find(d, "b")->is_integer);
  /* null does not make a variable real */
  assert_true(lvm_data_find(d, "c")->is_integer);
  assert_true(lvm_data_find(d, "d")->is_integer);
  lvm_data_free(d);
  lvm_msgs_free(m);
}

static void ragged_arrays(void **state) {
  (void)state;
  expect_read_error("{\"x\": [[1, 2], [3]]}",
                    "data.json: error: 'x': ragged array: x[2] has 1 element but x[1] has 2 "
                    "elements");
  expect_read_error("{\"x\": [[1, 2], 3]}",
                    "data.json: error: 'x': ragged array: x[2] is a number but x[1] has 2 "
                    "elements");
  expect_read_error("{\"x\": [1, [2]]}",
                    "data.json: error: 'x': ragged array: x[2] is an array of 1 element but "
                    "x[1] is a number");
  expect_read_error("{\"x\": [[[1], [2]], [[3], [4, 5]]]}",
                    "data.json: error: 'x': ragged array: x[2,2] has 2 elements but x[1,1] "
                    "has 1 element");
  expect_read_error("{\"x\": [[], [1]]}",
                    "data.json: error: 'x': ragged array: x[2] has 1 element but x[1] has 0 "
                    "elements");
  expect_read_error("{\"x\": [[1, 2], null]}",
                    "data.json: error: 'x': ragged array: x[2] is null but x[1] has 2 "
                    "elements");
}

static void bad_elements(void **state) {
  (void)state;
  expect_read_error("{\"x\": [1, \"abc\"]}",
                    "data.json: error: 'x': element x[2] is the string \"abc\" but a number "
                    "was expected (the only strings allowed are \"Inf\", \"-Inf\" and "
                    "\"NaN\")");
  expect_read_error("{\"s\": \"inf\"}",
                    "data.json: error: 's' is the string \"inf\" but a number was expected "
                    "(the only strings allowed are \"Inf\", \"-Inf\" and \"NaN\")");
  expect_read_error("{\"b\": true}", "data.json: error: 'b' is true but a number was expected");
  expect_read_error("{\"m\": [[1, false]]}",
                    "data.json: error: 'm': element m[1,2] is false but a number was expected");
  expect_read_error("{\"o\": {\"a\": 1}}",
                    "data.json: error: 'o' is an object but a number was expected");
  expect_read_error("{\"big\": 12345678901234567}",
                    "data.json: error: 'big' is 12345678901234567, an integer too large to be "
                    "stored exactly (the limit is 2^53 in magnitude)");
  expect_read_error("{\"deep\": [[[[[[[[[1]]]]]]]]]}",
                    "data.json: error: 'deep' has more than 8 dimensions");
  expect_read_error("[1, 2]",
                    "data.json: error: the data file must hold one JSON object, like "
                    "{\"N\": 3, \"x\": [1, 2, 3]}, but it holds an array");
}

static void reports_every_bad_variable(void **state) {
  (void)state;
  lvm_msgs *m;
  lvm_status st;
  lvm_data *d = read_str("{\"a\": [\"x\", 1, \"y\"], \"ok\": 1, \"b\": [[1], [2, 3]]}", &m, &st);
  assert_int_equal(st, LVM_EDATA);
  /* a and b are rejected, ok is kept */
  assert_null(lvm_data_find(d, "a"));
  assert_null(lvm_data_find(d, "b"));
  assert_non_null(lvm_data_find(d, "ok"));
  assert_int_equal(m->n, 3);
  assert_string_equal(m->text[2],
                      "data.json: error: 'b': ragged array: b[2] has 2 elements but b[1] has "
                      "1 element");
  lvm_data_free(d);
  lvm_msgs_free(m);

  /* More than 10 bad elements: 10 lines and a count. */
  d = read_str("{\"x\": [\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\","
               "\"a\",\"a\",\"a\"]}",
               &m, &st);
  assert_int_equal(st, LVM_EDATA);
  assert_int_equal(m->n, 11);
  assert_string_equal(m->text[9], "data.json: error: 'x': element x[10] is the string \"a\" but a "
                                  "number was expected (the only strings allowed are \"Inf\", "
                                  "\"-Inf\" and \"NaN\")");
  assert_string_equal(m->text[10], "data.json: error: 'x': 5 more elements with problems (only "
                                   "the first 10 are listed)");
  lvm_data_free(d);
  lvm_msgs_free(m);
}

static void malformed_json(void **state) {
  (void)state;
  lvm_msgs *m;
  lvm_status st;
  /* The parser's own wording (jansson) follows the prefix; we assert the
   * file:line:column prefix exactly (column 14 is the second comma) and
   * that a reason is given. */
  lvm_data *d = read_str("{\"N\": 3,\n  \"x\": [1, 2,, 3]}", &m, &st);
  assert_int_equal(st, LVM_EDATA);
  assert_int_equal(m->n, 1);
  const char *prefix = "data.json:2:14: error: the file is not valid JSON: ";
  if (strncmp(m->text[0], prefix, strlen(prefix)) != 0) {
    print_error("got: %s\n", m->text[0]);
    fail();
  }
  assert_true(strlen(m->text[0]) > strlen(prefix) + 5);
  lvm_data_free(d);
  lvm_msgs_free(m);

  d = read_str("{\"a\": 1, \"a\": 2}", &m, &st);
  assert_int_equal(st, LVM_EDATA);
  assert_non_null(strstr(m->text[0], "data.json:1:"));
  assert_non_null(strstr(m->text[0], "duplicate"));
  lvm_data_free(d);
  lvm_msgs_free(m);

  d = read_str("", &m, &st);
  assert_int_equal(st, LVM_EDATA);
  assert_non_null(strstr(m->text[0], "data.json:1:0: error: the file is not valid JSON: "));
  lvm_data_free(d);
  lvm_msgs_free(m);
}

static void unreadable_file(void **state) {
  (void)state;
  lvm_data *d = lvm_data_alloc();
  lvm_msgs *m = lvm_msgs_alloc();
  assert_int_equal(lvm_data_read_file(d, "/nonexistent/data.json", m), LVM_EIO);
  const char *e[] = {"/nonexistent/data.json: error: cannot read the data file: No such file "
                     "or directory",
                     NULL};
  expect_msgs(m, e);
  lvm_data_free(d);
  lvm_msgs_free(m);
}

static void set_values(void **state) {
  (void)state;
  lvm_msgs *m;
  lvm_status st;
  lvm_data *d = read_str("{\"K\": 3, \"x\": [1, 2]}", &m, &st);
  assert_int_equal(st, LVM_OK);
  assert_int_equal(lvm_data_set(d, "K=5", m), LVM_OK);
  assert_int_equal(lvm_data_set(d, "x=[[1, 2.5], [3, 4]]", m), LVM_OK);
  assert_int_equal(lvm_data_set(d, "s=Inf", m), LVM_OK);
  assert_int_equal(lvm_data_set(d, "t=-Inf", m), LVM_OK);
  assert_int_equal(lvm_data_set(d, " u = 0.25", m), LVM_OK);
  assert_int_equal(m->n, 0);
  const lvm_data_var *v = lvm_data_find(d, "K");
  assert_true(v->values[0] == 5 && v->is_integer);
  assert_string_equal(v->source, "--set");
  v = lvm_data_find(d, "x");
  assert_int_equal(v->ndim, 2);
  assert_true(v->values[1] == 2.5);
  assert_true(isinf(lvm_data_find(d, "s")->values[0]));
  assert_true(lvm_data_find(d, "t")->values[0] < 0);
  assert_true(lvm_data_find(d, "u")->values[0] == 0.25);
  assert_int_equal(d->n_vars, 5);

  const char *bad[][2] = {
      {"K5", "--set: error: 'K5': expected NAME=VALUE"},
      {"1x=3", "--set: error: '1x=3': expected NAME=VALUE where NAME is a variable name"},
      {"x=", "--set: error: 'x=': no value after '='"},
      {"x=\"abc\"", "--set: error: 'x' is the string \"abc\" but a number was expected (the "
                    "only strings allowed are \"Inf\", \"-Inf\" and \"NaN\")"},
      {"x=[[1], [2, 3]]",
       "--set: error: 'x': ragged array: x[2] has 2 elements but x[1] has 1 element"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    lvm_msgs_clear(m);
    assert_int_equal(lvm_data_set(d, bad[i][0], m), LVM_EDATA);
    const char *e[] = {bad[i][1], NULL};
    expect_msgs(m, e);
  }
  /* Not JSON: the parser's wording follows a fixed prefix. */
  lvm_msgs_clear(m);
  assert_int_equal(lvm_data_set(d, "x=[1, 2", m), LVM_EDATA);
  assert_int_equal(m->n, 1);
  assert_non_null(strstr(m->text[0], "--set: error: 'x=[1, 2': the value is not a number or a "
                                     "JSON array (column "));
  lvm_msgs_clear(m);
  assert_int_equal(lvm_data_set(d, "x=abc", m), LVM_EDATA);
  assert_int_equal(m->n, 1);
  /* the failed sets left x as it was */
  assert_int_equal(lvm_data_find(d, "x")->ndim, 2);
  lvm_data_free(d);
  lvm_msgs_free(m);
}

/* ---- Checker ----------------------------------------------------------- */

static lvm_data_spec spec(const char *name, lvm_domain dom, size_t arg, int ndim,
                          size_t d0, size_t d1, int flags) {
  lvm_data_spec s;
  memset(&s, 0, sizeof s);
  s.name = name;
  s.domain = dom;
  s.domain_arg = arg;
  s.ndim = ndim;
  s.dims[0] = d0;
  s.dims[1] = d1;
  s.flags = flags;
  return s;
}

/* Check `json` against specs; expect the messages (and LVM_EDATA if any is an
 * error). */
static void check_json(const char *json, const lvm_data_spec *specs, size_t n,
                         const char *const *expected, lvm_status want) {
  lvm_msgs *m;
  lvm_status st;
  lvm_data *d = read_str(json, &m, &st);
  assert_int_equal(st, LVM_OK);
  d->path = strdup("data.json");
  assert_int_equal(lvm_data_check(d, specs, n, m), want);
  expect_msgs(m, expected);
  lvm_data_free(d);
  lvm_msgs_free(m);
}

#define R LVM_SPEC_REQUIRED

static void check_accepts_good_data(void **state) {
  (void)state;
  lvm_data_spec s[] = {
      spec("N", LVM_DOMAIN_INT, 0, 0, 0, 0, R),
      spec("x", LVM_DOMAIN_NAT, 0, 2, 3, 2, R),
      spec("b", LVM_DOMAIN_BIN, 0, 1, 3, 0, R),
      spec("sp", LVM_DOMAIN_SPIN, 0, 1, 2, 0, R),
      spec("c", LVM_DOMAIN_CAT, 3, 1, 2, 0, R),
      spec("p", LVM_DOMAIN_POS, 0, 1, 2, 0, R),
      spec("u", LVM_DOMAIN_UNIT, 0, 0, 0, 0, R),
      spec("r", LVM_DOMAIN_REAL, 0, 1, LVM_DIM_ANY, 0, R),
      spec("sx", LVM_DOMAIN_SIMPLEX, 3, 1, 2, 0, R),
      spec("v", LVM_DOMAIN_VEC, 3, 1, 2, 0, R),
      spec("S", LVM_DOMAIN_SPD, 2, 0, 0, 0, R),
      spec("mis", LVM_DOMAIN_REAL, 0, 1, 3, 0, R | LVM_SPEC_MISSING_OK),
      spec("e", LVM_DOMAIN_REAL, 0, 2, 0, 3, R),
      spec("opt", LVM_DOMAIN_POS, 0, 0, 0, 0, 0), /* has a default, absent */
      spec("K", LVM_DOMAIN_INT, 0, 0, 0, 0, 0),   /* has a default, given */
  };
  const char *none[] = {NULL};
  check_json("{\"N\": 3, \"x\": [[0, 1], [2, 3], [4, 5]], \"b\": [0, 1, 1], \"sp\": [-1, 1],"
               " \"c\": [1, 3], \"p\": [0.5, 1e300], \"u\": 0.999, \"r\": [-1e9, \"Inf\", 0],"
               " \"sx\": [[0.2, 0.3, 0.5], [0, 0, 1]], \"v\": [[1, 2, 3], [4, 5, 6]],"
               " \"S\": [[2, 0.5], [0.5, 1]], \"mis\": [1, null, 2.5], \"e\": [],"
               " \"K\": 7}",
               s, sizeof s / sizeof s[0], none, LVM_OK);
}

static void check_reports_all_problems(void **state) {
  (void)state;
  lvm_data_spec s[] = {
      spec("N", LVM_DOMAIN_INT, 0, 0, 0, 0, R),
      spec("y", LVM_DOMAIN_REAL, 0, 1, 10, 0, R),
      spec("z", LVM_DOMAIN_REAL, 0, 0, 0, 0, R),
      spec("x", LVM_DOMAIN_NAT, 0, 2, 3, 2, R),
      spec("b", LVM_DOMAIN_BIN, 0, 1, 3, 0, R),
      spec("sp", LVM_DOMAIN_SPIN, 0, 1, 3, 0, R),
      spec("c", LVM_DOMAIN_CAT, 3, 1, 2, 0, R),
      spec("p", LVM_DOMAIN_POS, 0, 1, 2, 0, R),
      spec("u", LVM_DOMAIN_UNIT, 0, 0, 0, 0, R),
      spec("r", LVM_DOMAIN_REAL, 0, 1, 2, 0, R),
      spec("n0", LVM_DOMAIN_REAL, 0, 1, 2, 0, R),
      spec("K", LVM_DOMAIN_INT, 0, 0, 0, 0, R),
  };
  const char *e[] = {
      "data.json: error: 'N' is 2.5 but N is declared int (an integer)",
      "data.json: error: 'y': expected shape [10] but the file has [9]",
      "data.json: error: 'z' is missing from the data file",
      "data.json: error: 'x': element x[2,2] is -2.5 but x is declared nat (a non-negative "
      "integer)",
      "data.json: error: 'x': element x[3,1] is -1 but x is declared nat (a non-negative "
      "integer)",
      "data.json: error: 'b': element b[3] is 2 but b is declared bin (0 or 1)",
      "data.json: error: 'sp': element sp[3] is 0 but sp is declared spin (-1 or +1)",
      "data.json: error: 'c': element c[2] is 4 but c is declared cat(3) (an integer from 1 "
      "to 3)",
      "data.json: error: 'p': element p[2] is 0 but p is declared pos (a finite number > 0)",
      "data.json: error: 'u' is 1 but u is declared unit (a number strictly between 0 and 1)",
      "data.json: error: 'r': element r[1] is NaN but r is declared real (a real number, not "
      "NaN); write null for a missing value",
      "data.json: error: 'n0': element n0[2] is null (missing) but n0 must be given in full",
      "data.json: error: 'K' must be an integer, but the file writes it as a real number (3); "
      "write integers without a decimal point or exponent",
      "data.json: warning: 'extra' is not a variable of the model; it is ignored",
      NULL};
  check_json("{\"N\": 2.5, \"y\": [1, 2, 3, 4, 5, 6, 7, 8, 9],"
               " \"x\": [[1, 2], [3, -2.5], [-1, 1]], \"b\": [0, 1, 2], \"sp\": [1, -1, 0],"
               " \"c\": [1, 4], \"p\": [1, 0], \"u\": 1, \"r\": [\"NaN\", 1],"
               " \"n0\": [1, null], \"K\": 3.0, \"extra\": 1}",
               s, sizeof s / sizeof s[0], e, LVM_EDATA);
}

static void check_shapes(void **state) {
  (void)state;
  lvm_data_spec s[] = {
      spec("N", LVM_DOMAIN_INT, 0, 0, 0, 0, R),
      spec("x", LVM_DOMAIN_REAL, 0, 1, 3, 0, R),
      spec("v", LVM_DOMAIN_VEC, 3, 1, 2, 0, R),
      spec("S", LVM_DOMAIN_SPD, 2, 1, 2, 0, R),
      spec("a", LVM_DOMAIN_REAL, 0, 2, LVM_DIM_ANY, 2, R),
      spec("e", LVM_DOMAIN_REAL, 0, 2, 2, 3, R),
  };
  const char *e[] = {
      "data.json: error: 'N': expected a single value but the file has [2]",
      "data.json: error: 'x': expected shape [3] but the file has a single value",
      "data.json: error: 'v': expected shape [2, 3] but the file has [2, 2] (vec(3) adds the "
      "last dimension)",
      "data.json: error: 'S': expected shape [2, 2, 2] but the file has [2, 2] (spd(2) adds "
      "the last two dimensions)",
      "data.json: error: 'a': expected shape [*, 2] but the file has [4, 3]",
      "data.json: error: 'e': expected shape [2, 3] but the file has [0]",
      NULL};
  check_json("{\"N\": [1, 2], \"x\": 1, \"v\": [[1, 2], [3, 4]], \"S\": [[1, 0], [0, 1]],"
               " \"a\": [[1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, 3]], \"e\": []}",
               s, sizeof s / sizeof s[0], e, LVM_EDATA);
}

static void check_simplex_and_spd(void **state) {
  (void)state;
  lvm_data_spec s[] = {
      spec("sx", LVM_DOMAIN_SIMPLEX, 3, 1, 3, 0, R),
      spec("p", LVM_DOMAIN_SIMPLEX, 2, 0, 0, 0, R),
      spec("S", LVM_DOMAIN_SPD, 2, 0, 0, 0, R),
      spec("T", LVM_DOMAIN_SPD, 2, 1, 3, 0, R),
      spec("ok", LVM_DOMAIN_SIMPLEX, 4, 0, 0, 0, R),
  };
  const char *e[] = {
      "data.json: error: 'sx': element sx[1,2] is -0.1 but sx is declared simplex(3) (3 "
      "non-negative numbers summing to 1)",
      "data.json: error: 'sx': sx[2] sums to 1.1 but sx is declared simplex(3): each row "
      "must sum to 1 (within 1e-8)",
      "data.json: error: 'p' sums to 0.99999998 but p is declared simplex(2): its elements "
      "must sum to 1 (within 1e-8)",
      "data.json: error: 'S' is not symmetric positive definite: it is not symmetric (S[1,2] "
      "is 0.5 but S[2,1] is 0.4)",
      "data.json: error: 'T': T[2] is not symmetric positive definite: its Cholesky "
      "factorisation fails at column 2",
      "data.json: error: 'T': T[3] is not symmetric positive definite: its Cholesky "
      "factorisation fails at column 1",
      NULL};
  /* ok sums to 1 within 1e-8 (0.1 + 0.2 + 0.3 + 0.4 is 1 - 1.1e-16). */
  check_json("{\"sx\": [[0.5, -0.1, 0.6], [0.5, 0.5, 0.1], [0.25, 0.25, 0.5]],"
               " \"p\": [0.49999999, 0.49999999], \"S\": [[1, 0.5], [0.4, 1]],"
               " \"T\": [[[1, 0], [0, 1]], [[1, 2], [2, 1]], [[0, 0], [0, 1]]],"
               " \"ok\": [0.1, 0.2, 0.3, 0.4]}",
               s, sizeof s / sizeof s[0], e, LVM_EDATA);
}

static void check_missing_variables(void **state) {
  (void)state;
  lvm_data_spec s[] = {
      spec("z", LVM_DOMAIN_REAL, 0, 0, 0, 0, R),
      spec("w", LVM_DOMAIN_REAL, 0, 0, 0, 0, 0),
  };
  lvm_data *d = lvm_data_alloc();
  lvm_msgs *m = lvm_msgs_alloc();
  assert_int_equal(lvm_data_check(d, s, 2, m), LVM_EDATA);
  const char *e[] = {"error: 'z' is not given: pass a data file (--data FILE) or --set z=VALUE",
                     NULL};
  expect_msgs(m, e);
  lvm_data_free(d);
  lvm_msgs_free(m);
}

static void check_limits_element_messages(void **state) {
  (void)state;
  lvm_data_spec s[] = {spec("x", LVM_DOMAIN_NAT, 0, 1, 15, 0, R)};
  lvm_msgs *m;
  lvm_status st;
  lvm_data *d = read_str("{\"x\": [-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1]}", &m, &st);
  assert_int_equal(lvm_data_check(d, s, 1, m), LVM_EDATA);
  assert_int_equal(m->n, 11);
  assert_string_equal(m->text[10],
                      "data.json: error: 'x': 5 more problems (only the first 10 are listed)");
  lvm_data_free(d);
  lvm_msgs_free(m);
}

/* ---- JSON out and round trips ------------------------------------------ */

static char tmpdir[64];

static int setup_dir(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/lvm_test_data_XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state) {
  (void)state;
  DIR *dir = opendir(tmpdir);
  if (dir) {
    struct dirent *e;
    char p[512];
    while ((e = readdir(dir)))
      if (e->d_name[0] != '.') {
        snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
        unlink(p);
      }
    closedir(dir);
  }
  rmdir(tmpdir);
  return 0;
}

static int count_files(void) {
  DIR *dir = opendir(tmpdir);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(dir)))
    if (e->d_name[0] != '.') n++;
  closedir(dir);
  return n;
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

static int same_bits(double a, double b) {
  if (isnan(a) && isnan(b)) return 1;
  return memcmp(&a, &b, sizeof a) == 0;
}

static void jsonout_format_and_atomicity(void **state) {
  (void)state;
  char path[256];
  snprintf(path, sizeof path, "%s/out.json", tmpdir);
  lvm_jsonout *w = lvm_jsonout_open(path);
  assert_non_null(w);
  assert_int_equal(access(path, F_OK), -1); /* not there until close */
  assert_int_equal(count_files(), 1);       /* the temporary */
  size_t dims[2] = {2, 2};
  double m[4] = {1, 0.1, -2.5e-300, 3};
  lvm_jsonout_begin_object(w);
  lvm_jsonout_key(w, "N");
  lvm_jsonout_int(w, 3);
  lvm_jsonout_key(w, "x");
  lvm_jsonout_double(w, 2);
  lvm_jsonout_key(w, "m");
  lvm_jsonout_array(w, 2, dims, m, 0, NULL);
  lvm_jsonout_key(w, "nf");
  lvm_jsonout_begin_array(w);
  lvm_jsonout_double(w, INFINITY);
  lvm_jsonout_double(w, -INFINITY);
  lvm_jsonout_double(w, NAN);
  lvm_jsonout_null(w);
  lvm_jsonout_end_array(w);
  lvm_jsonout_key(w, "fit");
  lvm_jsonout_begin_object(w);
  lvm_jsonout_key(w, "name \"q\"\n");
  lvm_jsonout_string(w, "tab\there");
  lvm_jsonout_key(w, "ok");
  lvm_jsonout_bool(w, 1);
  lvm_jsonout_end_object(w);
  lvm_jsonout_end_object(w);
  assert_int_equal(lvm_jsonout_close(w), LVM_OK);
  assert_int_equal(count_files(), 1); /* the temporary became out.json */
  char *text = slurp(path);
  assert_string_equal(text, "{\n"
                            "  \"N\": 3,\n"
                            "  \"x\": 2.0,\n"
                            "  \"m\": [[1.0, 0.1], [-2.5e-300, 3.0]],\n"
                            "  \"nf\": [\"Inf\", \"-Inf\", \"NaN\", null],\n"
                            "  \"fit\": {\n"
                            "    \"name \\\"q\\\"\\n\": \"tab\\there\",\n"
                            "    \"ok\": true\n"
                            "  }\n"
                            "}\n");
  free(text);

  /* Replacing: the old file stays whole until close; abort keeps it. */
  w = lvm_jsonout_open(path);
  lvm_jsonout_begin_object(w);
  lvm_jsonout_key(w, "new");
  text = slurp(path);
  assert_non_null(strstr(text, "\"N\": 3"));
  free(text);
  lvm_jsonout_abort(w);
  assert_int_equal(count_files(), 1);
  text = slurp(path);
  assert_non_null(strstr(text, "\"N\": 3"));
  free(text);

  /* An incomplete document is an error; nothing replaces the file. */
  lvm_error_handler old = lvm_set_error_handler(lvm_error_handler_silent);
  w = lvm_jsonout_open(path);
  lvm_jsonout_begin_object(w);
  lvm_jsonout_key(w, "a");
  lvm_jsonout_begin_array(w);
  assert_int_equal(lvm_jsonout_close(w), LVM_EINVAL);
  assert_int_equal(count_files(), 1);
  /* Misuse is sticky: a value without key in an object. */
  w = lvm_jsonout_open(path);
  lvm_jsonout_begin_object(w);
  assert_int_equal(lvm_jsonout_int(w, 1), LVM_EINVAL);
  assert_int_equal(lvm_jsonout_end_object(w), LVM_EINVAL);
  assert_int_equal(lvm_jsonout_close(w), LVM_EINVAL);
  assert_int_equal(count_files(), 1);
  /* A directory that does not exist. */
  assert_null(lvm_jsonout_open("/nonexistent/dir/out.json"));
  lvm_set_error_handler(old);
}

static void data_round_trip(void **state) {
  (void)state;
  char path[256];
  snprintf(path, sizeof path, "%s/rt.json", tmpdir);
  lvm_data *d = lvm_data_alloc();
  double scalar = 42;
  size_t d1[1] = {7}, d3[3] = {2, 3, 2}, d0[1] = {0};
  double reals[7] = {0.1, 1e300, -0.0, 5e-324, INFINITY, NAN, 1.0 / 3};
  unsigned char miss[7] = {0, 0, 0, 0, 0, 1, 0};
  double cube[12];
  for (int i = 0; i < 12; i++) cube[i] = i - 5;
  double tiny[1] = {0};
  assert_int_equal(lvm_data_add(d, "N", 0, NULL, &scalar, 1, NULL), LVM_OK);
  assert_int_equal(lvm_data_add(d, "x", 1, d1, reals, 0, miss), LVM_OK);
  assert_int_equal(lvm_data_add(d, "cube", 3, d3, cube, 1, NULL), LVM_OK);
  assert_int_equal(lvm_data_add(d, "e", 1, d0, tiny, 0, NULL), LVM_OK);
  /* real values that happen to be integral stay real */
  double two[2] = {2, -7};
  size_t d2[1] = {2};
  assert_int_equal(lvm_data_add(d, "r", 1, d2, two, 0, NULL), LVM_OK);
  assert_int_equal(lvm_data_write(d, path), LVM_OK);

  lvm_data *b = lvm_data_alloc();
  lvm_msgs *m = lvm_msgs_alloc();
  assert_int_equal(lvm_data_read_file(b, path, m), LVM_OK);
  assert_int_equal(m->n, 0);
  assert_int_equal(b->n_vars, d->n_vars);
  for (size_t i = 0; i < d->n_vars; i++) {
    const lvm_data_var *u = &d->vars[i], *v = lvm_data_find(b, u->name);
    assert_non_null(v);
    assert_int_equal(u->ndim, v->ndim);
    for (int k = 0; k < u->ndim; k++) assert_int_equal(u->dims[k], v->dims[k]);
    /* (an empty array carries no integer/real distinction: it reads back
     * as integer) */
    if (u->size) assert_int_equal(u->is_integer, v->is_integer);
    assert_int_equal(u->missing != NULL, v->missing != NULL);
    for (size_t j = 0; j < u->size; j++) {
      int um = u->missing && u->missing[j], vm = v->missing && v->missing[j];
      assert_int_equal(um, vm);
      if (!um && !same_bits(u->values[j], v->values[j])) {
        print_error("%s[%zu]: wrote %.17g read %.17g\n", u->name, j, u->values[j],
                    v->values[j]);
        fail();
      }
    }
  }
  lvm_data_free(d);
  lvm_data_free(b);
  lvm_msgs_free(m);
}

/* Random doubles of every magnitude survive write + read bit for bit. */
static void random_doubles_round_trip(void **state) {
  (void)state;
  char path[256];
  snprintf(path, sizeof path, "%s/rand.json", tmpdir);
  enum { N = 20000 };
  double *x = malloc(N * sizeof *x);
  uint64_t s = 88172645463325252ULL;
  for (int i = 0; i < N; i++) {
    double v;
    do {
      s ^= s << 13, s ^= s >> 7, s ^= s << 17;
      memcpy(&v, &s, sizeof v);
    } while (!isfinite(v));
    x[i] = v;
  }
  lvm_jsonout *w = lvm_jsonout_open(path);
  size_t dims[1] = {N};
  lvm_jsonout_begin_object(w);
  lvm_jsonout_key(w, "x");
  lvm_jsonout_array(w, 1, dims, x, 0, NULL);
  lvm_jsonout_end_object(w);
  assert_int_equal(lvm_jsonout_close(w), LVM_OK);
  lvm_data *d = lvm_data_alloc();
  assert_int_equal(lvm_data_read_file(d, path, NULL), LVM_OK);
  const lvm_data_var *v = lvm_data_find(d, "x");
  assert_int_equal(v->size, N);
  for (int i = 0; i < N; i++) assert_true(same_bits(x[i], v->values[i]));
  free(x);
  lvm_data_free(d);
}

/* Reading 10^6 numbers: printed for the record (no timing assertion). */
static void read_a_million_numbers(void **state) {
  (void)state;
  char path[256];
  snprintf(path, sizeof path, "%s/big.json", tmpdir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("{\"N\": 1000, \"D\": 1000, \"x\": [", f);
  uint64_t s = 12345;
  for (int i = 0; i < 1000; i++) {
    fputs(i ? ",\n[" : "[", f);
    for (int j = 0; j < 1000; j++) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      double v = ((double)(s >> 11) * 0x1p-53 - 0.5) * 200;
      fprintf(f, j ? ", %.17g" : "%.17g", v);
    }
    fputc(']', f);
  }
  fputs("]}\n", f);
  fclose(f);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  lvm_data *d = lvm_data_alloc();
  assert_int_equal(lvm_data_read_file(d, path, NULL), LVM_OK);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  const lvm_data_var *v = lvm_data_find(d, "x");
  assert_int_equal(v->size, 1000000);
  assert_int_equal(v->dims[0], 1000);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  printf("[ INFO     ] read 10^6 numbers (%s) in %.3f s\n", path, secs);
  lvm_data_free(d);
  unlink(path);
}

/* Reading parses with a bump allocator (runtime/src/io/data.c) that grows
 * past its first chunk here (about 30 bytes of objects per byte of text),
 * and gives jansson its own allocation functions back, after an error too;
 * jansson objects made afterwards are ordinary ones (ASan checks the free). */
static void parse_arena(void **state) {
  (void)state;
  json_malloc_t m0, m1;
  json_free_t f0, f1;
  json_get_alloc_funcs(&m0, &f0);
  enum { N = 20000 };
  char *text = malloc(16 * N + 64);
  size_t at = (size_t)sprintf(text, "{\"N\": %d, \"x\": [", N);
  for (int i = 0; i < N; i++) at += (size_t)sprintf(text + at, "%s[%d.5]", i ? "," : "", i);
  sprintf(text + at, "]}");
  lvm_msgs *m;
  lvm_status st;
  lvm_data *d = read_str(text, &m, &st);
  assert_int_equal(st, LVM_OK);
  const lvm_data_var *x = lvm_data_find(d, "x");
  assert_non_null(x);
  assert_int_equal(x->ndim, 2);
  assert_int_equal(x->dims[0], N);
  for (int i = 0; i < N; i++) assert_true(x->values[i] == i + 0.5);
  json_get_alloc_funcs(&m1, &f1);
  assert_true(m1 == m0 && f1 == f0);
  lvm_data_free(d);
  lvm_msgs_free(m);
  free(text);
  d = read_str("{\"N\": [1, }", &m, &st);
  assert_int_equal(st, LVM_EDATA);
  json_get_alloc_funcs(&m1, &f1);
  assert_true(m1 == m0 && f1 == f0);
  lvm_data_free(d);
  lvm_msgs_free(m);
  json_t *j = json_pack("{s:[f,i]}", "a", 1.5, 2);
  assert_non_null(j);
  json_decref(j);
}

/* The file reader tries simdjson first (json_fast.cpp) and jansson when it
 * declines: every text reads the same both ways (status, messages,
 * variables to the bit), good files and bad. */
static lvm_data *read_file_with(const char *path, const char *reader, lvm_msgs **m, lvm_status *st) {
  if (reader) setenv("LVM_DATA_READER", reader, 1);
  else unsetenv("LVM_DATA_READER");
  lvm_data *d = lvm_data_alloc();
  *m = lvm_msgs_alloc();
  *st = lvm_data_read_file(d, path, *m);
  unsetenv("LVM_DATA_READER");
  return d;
}

static void fast_reader_same_as_jansson(void **state) {
  (void)state;
  const char *texts[] = {
      "{\"N\": 3, \"x\": [1, 2.5, -3e-2], \"y\": [[1, 2], [3, 4], [5, 6]]}",
      "{\"a\": -0, \"b\": -0.0, \"c\": 1E2, \"d\": 9007199254740992, \"e\": -9007199254740992}",
      "{\"tiny\": [4e-320, 1e-400, 2.2250738585072014e-308], \"big\": 1.7976931348623157e308}",
      "{\"s\": [\"Inf\", \"-Inf\", \"NaN\", \"+Infinity\", \"-Infinity\", 1]}",
      "{\"m\": [1, null, 3], \"n\": null, \"e\": [], \"ee\": [[], []], \"one\": [[[7]]]}",
      "{\"r\": [0.1, 0.30000000000000004, 123456789.123456789, 5e-324, 1.0]}",
      "{}",
      /* declined: jansson's messages */
      "{\"x\": [1, 2], \"x\": [3]}",
      "{\"x\": [[1, 2], [3]]}",
      "{\"x\": [[1, 2], 3]}",
      "{\"x\": [1, \"abc\"], \"b\": true, \"o\": {\"a\": 1}}",
      "{\"big\": 9007199254740993, \"u\": 18446744073709551615}",
      "{\"x\": 1e400}",
      "{\"x\": [1, 2,]}",
      "[1, 2, 3]",
      "{\"a\\u0000b\": 1}",
      "{\"x\": [[[[[[[[[1]]]]]]]]]}",
      "",
  };
  char path[128];
  snprintf(path, sizeof path, "%s/fast.json", tmpdir);
  for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(texts[t], f);
    fclose(f);
    lvm_msgs *ma, *mb;
    lvm_status sa, sb;
    lvm_data *a = read_file_with(path, NULL, &ma, &sa);
    lvm_data *b = read_file_with(path, "jansson", &mb, &sb);
    if (sa != sb) print_error("text %zu: status %d vs %d\n", t, (int)sa, (int)sb);
    assert_int_equal(sa, sb);
    assert_int_equal(ma->n, mb->n);
    for (size_t i = 0; i < ma->n; i++) assert_string_equal(ma->text[i], mb->text[i]);
    assert_int_equal(a->n_vars, b->n_vars);
    for (size_t i = 0; i < a->n_vars; i++) {
      const lvm_data_var *u = &a->vars[i], *v = &b->vars[i];
      assert_string_equal(u->name, v->name);
      assert_string_equal(u->source, v->source);
      assert_int_equal(u->ndim, v->ndim);
      for (int k = 0; k < u->ndim; k++) assert_int_equal(u->dims[k], v->dims[k]);
      assert_int_equal(u->size, v->size);
      assert_int_equal(u->is_integer, v->is_integer);
      assert_int_equal(u->first_real, v->first_real);
      assert_int_equal(u->missing != NULL, v->missing != NULL);
      for (size_t e = 0; e < u->size; e++) {
        if (!same_bits(u->values[e], v->values[e]))
          print_error("text %zu: %s[%zu] %.17g vs %.17g\n", t, u->name, e, u->values[e], v->values[e]);
        assert_true(same_bits(u->values[e], v->values[e]));
        if (u->missing) assert_int_equal(u->missing[e], v->missing[e]);
      }
    }
    lvm_data_free(a);
    lvm_data_free(b);
    lvm_msgs_free(ma);
    lvm_msgs_free(mb);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(reads_values_and_shapes),
      cmocka_unit_test(parse_arena),
      cmocka_unit_test(integers_and_reals),
      cmocka_unit_test(ragged_arrays),
      cmocka_unit_test(bad_elements),
      cmocka_unit_test(reports_every_bad_variable),
      cmocka_unit_test(malformed_json),
      cmocka_unit_test(unreadable_file),
      cmocka_unit_test(set_values),
      cmocka_unit_test(check_accepts_good_data),
      cmocka_unit_test(check_reports_all_problems),
      cmocka_unit_test(check_shapes),
      cmocka_unit_test(check_simplex_and_spd),
      cmocka_unit_test(check_missing_variables),
      cmocka_unit_test(check_limits_element_messages),
      cmocka_unit_test(jsonout_format_and_atomicity),
      cmocka_unit_test(data_round_trip),
      cmocka_unit_test(random_doubles_round_trip),
      cmocka_unit_test(read_a_million_numbers),
      cmocka_unit_test(fast_reader_same_as_jansson),
  };
  return cmocka_run_group_tests_name("data", tests, setup_dir, teardown_dir);
}
