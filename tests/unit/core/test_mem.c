/* lvm_alloc_large / lvm_calloc_large (lvm/mem.h): small blocks as malloc,
 * large ones aligned to 2 MiB, zeroed by the calloc form, overflow refused,
 * every block usable to its last byte and freed by free() (ASan checks).
 * lvm_mem_reserve: blocks malloc gives afterwards lie in memory marked for
 * huge pages (the mapping's VmFlags in /proc/self/smaps have "hg"), where
 * the kernel takes the advice and malloc is glibc's (not under ASan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* 1: the mapping holding p is marked for huge pages; 0: not; -1: unknown */
static int huge_advised(const void *p) {
  FILE *f = fopen("/proc/self/smaps", "r");
  if (!f) return -1;
  char line[512];
  int in = 0, found = -1;
  uintptr_t a = (uintptr_t)p;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
      in = a >= lo && a < hi;
    } else if (in && !strncmp(line, "VmFlags:", 8)) {
      found = strstr(line, " hg") != NULL;
      break;
    }
  }
  fclose(f);
  return found;
}

/* does this kernel take MADV_HUGEPAGE at all? */
static int kernel_takes_advice(void) {
#ifdef MADV_HUGEPAGE
  size_t b = 4u << 20;
  void *m = mmap(NULL, b, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return 0;
  int ok = madvise(m, b, MADV_HUGEPAGE) == 0;
  munmap(m, b);
  return ok;
#else
  return 0;
#endif
}

static void reserve(void **state) {
  (void)state;
  lvm_mem_setup();
  lvm_mem_reserve(0);        /* below 4 MiB: nothing */
  lvm_mem_reserve(SIZE_MAX); /* capped */
  lvm_mem_reserve(16u << 20);
  /* 12 MiB in blocks below 2 MiB (malloc's own) after the reservation:
   * all are in advised memory (the part of the reservation before its
   * first 2 MiB boundary is held by a spacer); without the reservation,
   * the heap grows by unadvised pages */
  enum { NB = 12 };
  unsigned char *p[NB];
  for (int i = 0; i < NB; i++) {
    p[i] = malloc(1u << 20);
    assert_non_null(p[i]);
    memset(p[i], 0x5a, 1u << 20);
  }
#ifndef UNDER_ASAN
  if (kernel_takes_advice()) {
    int advised = 0, unknown = 0;
    for (int i = 0; i < NB; i++) {
      int h = huge_advised(p[i] + (1u << 19));
      advised += h == 1;
      unknown += h < 0;
    }
    if (!unknown) assert_int_equal(advised, NB);
  }
#endif
  for (int i = 0; i < NB; i++) free(p[i]);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(reserve), cmocka_unit_test(blocks)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
