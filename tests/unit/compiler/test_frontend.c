/* Front-end unit tests: the standard library, name resolution, shapes,
 * roles, and that a distribution declared in .lvm is usable without any
 * change to the compiler. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "compile.h"
#include "lvm/data.h"
#include "sema.h"

static Compilation *compile_str(const char *src, const char *data_json) {
  Compilation *c = compilation_new();
  if (data_json) {
    c->data = lvm_data_alloc();
    lvm_msgs *m = lvm_msgs_alloc();
    assert_int_equal(lvm_data_read_string(c->data, data_json, "test.json", m), LVM_OK);
    lvm_msgs_free(m);
  }
  compile_buffer(c, "test.lvm", src, strlen(src), STAGE_SEMA);
  return c;
}

static const char *first_error(Compilation *c) {
  for (int i = 0; i < c->diags.list.n; i++) {
    Diag *d = c->diags.list.v[i];
    if (d->level == DL_ERROR) return d->text;
  }
  return "";
}

static void stdlib_is_clean(void **state) {
  (void)state;
  Compilation *c = compile_str("model m; x ~ Normal(0, 1);", NULL);
  assert_int_equal(c->diags.nerrors, 0);
  /* every distribution of the draft's section 6 is declared */
  static const char *const dists[] = {
      "Normal", "NormalPrec", "MvNormal", "MvNormalPrec", "LogNormal", "Gamma", "InvGamma",
      "Exponential", "Beta", "Dirichlet", "Bernoulli", "BernoulliLogit", "Binomial",
      "BinomialLogit", "Categorical", "CategoricalLogit", "Multinomial", "Poisson",
      "PoissonLog", "Wishart", "InvWishart", "VonMises", "Uniform"};
  for (size_t i = 0; i < sizeof dists / sizeof dists[0]; i++)
    assert_non_null(model_find_dist(c->model, dists[i]));
  assert_true(c->model->families.n >= 8);
  compilation_free(c);
}

static void user_distribution_without_touching_c(void **state) {
  (void)state;
  /* a Laplace distribution added in .lvm source */
  Compilation *c = compile_str(
      "dist Laplace(x : real | mu : real, b : pos) = -abs(x - mu) / b - log(2 * b);\n"
      "model m;\n data N : int;\n for i in 1:N y[i] ~ Laplace(0, 2);",
      "{\"N\": 3, \"y\": [1.0, -2.0, 0.5]}");
  assert_int_equal(c->diags.nerrors, 0);
  Sym *y = model_find(c->model, "y");
  assert_non_null(y);
  assert_int_equal(y->role, ROLE_OBSERVED);
  assert_string_equal(y->dist->name, "Laplace");
  compilation_free(c);
}

static void gmm_shapes_and_roles(void **state) {
  (void)state;
  Compilation *c = compile_str(
      "model gmm; data N : int; data K : int = 3; data alpha : pos = 1.0;\n"
      "pi ~ Dirichlet(rep(alpha, K));\n"
      "for k in 1:K { mu[k] ~ Normal(0, 10); tau[k] ~ Gamma(1, 1); }\n"
      "for n in 1:N { z[n] ~ Categorical(pi); x[n] ~ NormalPrec(mu[z[n]], tau[z[n]]); }\n",
      "{\"N\": 4, \"x\": [0.1, 0.2, null, 3]}");
  assert_int_equal(c->diags.nerrors, 0);
  Sym *pi = model_find(c->model, "pi"), *z = model_find(c->model, "z"),
      *x = model_find(c->model, "x"), *mu = model_find(c->model, "mu");
  assert_int_equal(pi->type->dom, D_SIMPLEX);
  assert_int_equal(pi->type->domsize.value, 3);
  assert_int_equal(z->type->dom, D_CAT);
  assert_int_equal(z->type->dims[0].value, 4);
  assert_int_equal(mu->type->dims[0].value, 3);
  assert_int_equal(pi->role, ROLE_LATENT);
  assert_int_equal(x->role, ROLE_PARTIAL);
  assert_int_equal(x->n_missing, 1);
  compilation_free(c);
}

static void chain_is_not_a_cycle(void **state) {
  (void)state;
  Compilation *c = compile_str(
      "model hmm; data T : int; data K : int;\n"
      "for k in 1:K A[k] ~ Dirichlet(rep(1.0, K));\n"
      "z[1] ~ Categorical(rep(1.0 / K, K));\n"
      "for t in 2:T z[t] ~ Categorical(A[z[t-1]]);\n",
      "{\"T\": 5, \"K\": 2}");
  assert_int_equal(c->diags.nerrors, 0);
  compilation_free(c);
  c = compile_str("model bad; x ~ Normal(x, 1);", NULL);
  assert_int_equal(c->diags.nerrors, 1);
  assert_non_null(strstr(first_error(c), "depends on itself"));
  compilation_free(c);
}

static void coverage_gap_and_overlap(void **state) {
  (void)state;
  Compilation *c = compile_str(
      "model m; data T : int = 10; z[1] ~ Normal(0, 1); for t in 3:T z[t] ~ Normal(z[t-1], 1);",
      NULL);
  assert_int_equal(c->diags.nerrors, 1);
  assert_non_null(strstr(first_error(c), "z[2] is never defined"));
  compilation_free(c);
  c = compile_str(
      "model m; data T : int = 10; z[1] ~ Normal(0, 1); for t in 1:T z[t] ~ Normal(0, 1);", NULL);
  assert_int_equal(c->diags.nerrors, 1);
  assert_non_null(strstr(first_error(c), "z[1] is defined twice"));
  compilation_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(stdlib_is_clean),
      cmocka_unit_test(user_distribution_without_touching_c),
      cmocka_unit_test(gmm_shapes_and_roles),
      cmocka_unit_test(chain_is_not_a_cycle),
      cmocka_unit_test(coverage_gap_and_overlap),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
