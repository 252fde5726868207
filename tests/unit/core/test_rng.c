/* Streams: reproducible, distinct, and uniform on (0, 1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lvm/rng.h"

static void same_seed_same_stream(void **state) {
  (void)state;
  lvm_rng a, b;
  lvm_rng_seed(&a, 42, 3);
  lvm_rng_seed(&b, 42, 3);
  for (int i = 0; i < 1000; i++) assert_int_equal(lvm_rng_next(&a), lvm_rng_next(&b));
}

static void streams_differ(void **state) {
  (void)state;
  lvm_rng a, b;
  lvm_rng_seed(&a, 42, 0);
  lvm_rng_seed(&b, 42, 1);
  int same = 0;
  for (int i = 0; i < 1000; i++) same += lvm_rng_next(&a) == lvm_rng_next(&b);
  assert_int_equal(same, 0);
}

static void stream_is_jump_of_stream0(void **state) {
  (void)state;
  lvm_rng a, b;
  lvm_rng_seed(&a, 7, 0);
  lvm_rng_jump(&a);
  lvm_rng_jump(&a);
  lvm_rng_seed(&b, 7, 2);
  for (int i = 0; i < 100; i++) assert_int_equal(lvm_rng_next(&a), lvm_rng_next(&b));
}

static void uniform_open_interval_and_mean(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 1, 0);
  const int n = 1000000;
  double sum = 0;
  for (int i = 0; i < n; i++) {
    double u = lvm_rng_uniform(&r);
    assert_true(u > 0.0 && u < 1.0);
    sum += u;
  }
  /* mean 1/2, sd of the mean sqrt(1/12/n) = 2.9e-4: allow 5 sd. */
  double mean = sum / n;
  assert_true(mean > 0.5 - 5 * 2.9e-4 && mean < 0.5 + 5 * 2.9e-4);
}

static void uniform_int_chi_square(void **state) {
  (void)state;
  lvm_rng r;
  lvm_rng_seed(&r, 99, 0);
  enum { K = 7, N = 70000 };
  int count[K] = {0};
  for (int i = 0; i < N; i++) {
    uint64_t k = lvm_rng_uniform_int(&r, K);
    assert_true(k < K);
    count[k]++;
  }
  double chi2 = 0, e = (double)N / K;
  for (int k = 0; k < K; k++) chi2 += (count[k] - e) * (count[k] - e) / e;
  /* 6 degrees of freedom: P(chi2 > 22.46) = 0.001 */
  assert_true(chi2 < 22.46);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(same_seed_same_stream),
    cmocka_unit_test(streams_differ),
    cmocka_unit_test(stream_is_jump_of_stream0),
    cmocka_unit_test(uniform_open_interval_and_mean),
    cmocka_unit_test(uniform_int_chi_square),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
