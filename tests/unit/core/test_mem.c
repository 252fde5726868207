/* lvm_alloc_large / lvm_calloc_large (lvm/mem.h): small blocks as malloc,
 * large ones aligned to 2 MiB, zeroed by the calloc form, overflow refused,
 * every block usable to its last byte and freed by free() (ASan checks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lvm/mem.h"

static void blocks(void **state) {
  (void)state;
  lvm_mem_setup();
  size_t sizes[] = {0, 1, 4096, (1u << 21) - 1, 1u << 21, (5u << 20) + 3};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    unsigned char *p = lvm_alloc_large(sizes[i]);
    assert_non_null(p);
    if (sizes[i] >= (1u << 21)) assert_int_equal((uintptr_t)p % (1u << 21), 0);
    if (sizes[i]) memset(p, 0xab, sizes[i]);
    free(p);
    double *z = lvm_calloc_large(sizes[i] / sizeof(double) + 1, sizeof(double));
    assert_non_null(z);
    for (size_t k = 0; k <= sizes[i] / sizeof(double); k++) assert_true(z[k] == 0.0);
    free(z);
  }
  assert_null(lvm_calloc_large(SIZE_MAX / 2, 3));
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(blocks)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
