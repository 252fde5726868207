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
  /* one block from the heap's top (lvm_mem_setup: no mmaps), advised, then
   * freed back to the top chunk.  Nothing in its aligned interior has been
   * touched when the advice is given: malloc writes chunk headers just
   * before and after it, outside.  (Reserving in pieces under the mmap
   * threshold, as before M_MMAP_MAX, left the 2 MiB page across each
   * piece's boundary touched by a header, so in 4 KiB pages for good.) */
  char *p = malloc(bytes);
  if (!p) return;
  uintptr_t a = ((uintptr_t)p + HUGE - 1) & ~((uintptr_t)HUGE - 1);
#ifdef MADV_HUGEPAGE
  uintptr_t e = ((uintptr_t)p + bytes) & ~((uintptr_t)HUGE - 1);
  if (e > a) (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#endif
  /* back to the top chunk, kept (M_TRIM_THRESHOLD): the advice stays */
  free(p);
  /* The part before the first 2 MiB boundary cannot have huge pages (a
   * huge page needs its whole aligned range in the heap): a spacer holds
   * it, untouched, so that the next large blocks start at the boundary
   * instead of faulting their first megabytes in 4 KiB pages (the 2-D
   * bench's state arrays: 300 faults).  Held for the process's life (a
   * static pointer: not a leak). */
  static void *spacer;
  size_t lead = (size_t)(a - (uintptr_t)p);
  if (!spacer && lead > 256) spacer = malloc(lead - 32); /* less its chunk's and the next one's headers */
}

/* glibc serves blocks over its mmap threshold (at most 32 MiB) with mmaps
 * of their own, in 4 KiB pages without the huge-page advice: the data
 * file's parse asks for 8 bytes per byte of the file in one block
 * (simdjson's tape; a 4 MiB file, 33.6 MiB), of which it touches a
 * fraction, and each page it touches costs a fault (about 10 us here).
 * With M_MMAP_MAX 0 every block comes from the heap, whose top
 * lvm_mem_reserve has advised (glibc still falls back to mmap when the
 * heap cannot grow); the processes are short-lived, so nothing is lost by
 * freed large blocks staying in the heap. */
void lvm_mem_setup(void) {
#ifdef M_MMAP_THRESHOLD
  (void)mallopt(M_MMAP_THRESHOLD, 32 << 20);
#endif
#ifdef M_MMAP_MAX
  (void)mallopt(M_MMAP_MAX, 0);
#endif
#ifdef M_TRIM_THRESHOLD
  (void)mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}
