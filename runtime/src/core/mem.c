/* Memory for large arrays (see lvm/mem.h).
 *
 * On this project's machines (virtual machines) a page fault costs about
 * 10 us: copying 8 MiB into fresh 4 KiB pages took 24-29 ms, into huge
 * pages 1.3-1.5 ms (measured with a copy into fresh mmap'ed memory).  The
 * kernel's transparent huge pages are often in "madvise" mode, where a
 * program has to ask for them; this asks for the state's large arrays and
 * the data file's parse.  Where the kernel gives no huge pages, the advice
 * is ignored and nothing else changes. */
#include "lvm/mem.h"

#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

enum { HUGE = 1 << 21 };
/* the most lvm_mem_reserve grows the heap by */
enum { RESERVE_MAX = 240 << 20 };

void *lvm_alloc_large(size_t bytes) {
  if (bytes < HUGE) return malloc(bytes ? bytes : 1);
  void *p = NULL;
  if (posix_memalign(&p, HUGE, bytes) != 0) return NULL;
#ifdef MADV_HUGEPAGE
  (void)madvise(p, bytes & ~((size_t)HUGE - 1), MADV_HUGEPAGE);
#endif
  return p;
}

void *lvm_calloc_large(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) return NULL;
  size_t bytes = n * size;
  if (bytes < HUGE) return calloc(n ? n : 1, size ? size : 1);
  void *p = lvm_alloc_large(bytes);
  if (p) memset(p, 0, bytes);
  return p;
}

void lvm_mem_reserve(size_t bytes) {
  if (bytes > RESERVE_MAX) bytes = RESERVE_MAX;
  if (bytes < 2 * (size_t)HUGE) return;
  /* in pieces below the mmap threshold, so that they are the heap's top */
  enum { PIECE = 30 << 20 };
  void *piece[RESERVE_MAX / PIECE + 1];
  size_t n = 0;
  for (size_t left = bytes; left > 0 && n < sizeof piece / sizeof *piece; n++) {
    size_t b = left < PIECE ? left : PIECE;
    char *p = malloc(b);
    if (!p) break;
    piece[n] = p;
    left -= b;
#ifdef MADV_HUGEPAGE
    uintptr_t a = ((uintptr_t)p + HUGE - 1) & ~((uintptr_t)HUGE - 1);
    uintptr_t e = ((uintptr_t)p + b) & ~((uintptr_t)HUGE - 1);
    if (e > a) (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#endif
  }
  /* back to the top chunk, kept (M_TRIM_THRESHOLD): the advice stays */
  while (n > 0) free(piece[--n]);
}

void lvm_mem_setup(void) {
#ifdef M_MMAP_THRESHOLD
  (void)mallopt(M_MMAP_THRESHOLD, 32 << 20);
#endif
#ifdef M_TRIM_THRESHOLD
  (void)mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}
