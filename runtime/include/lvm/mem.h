/* Memory for large arrays (see runtime/src/core/mem.c). */
#ifndef LVM_MEM_H
#define LVM_MEM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* malloc(bytes); a block of 2 MiB or more is aligned to 2 MiB and marked
 * for transparent huge pages (madvise MADV_HUGEPAGE), so that touching it
 * the first time costs one page fault per 2 MiB instead of one per 4 KiB.
 * Free it with free().  NULL if out of memory. */
void *lvm_alloc_large(size_t bytes);
/* The same, zeroed, for n elements of `size` bytes (NULL on overflow). */
void *lvm_calloc_large(size_t n, size_t size);
/* Once at the start of an executable (lvm_model_run): every block comes
 * from the heap (M_MMAP_MAX 0, M_MMAP_THRESHOLD at glibc's maximum; glibc
 * still maps memory when the heap cannot grow) and freed heap memory is
 * kept (M_TRIM_THRESHOLD 1 GiB), so that a block allocated after another
 * was freed (the state's arrays after the data file's parse) reuses its
 * pages instead of faulting in and zeroing fresh ones, and a block over
 * 32 MiB (simdjson's tape for a 4 MiB file) lands in the huge pages
 * lvm_mem_reserve advised instead of a mapping of its own in 4 KiB pages. */
void lvm_mem_setup(void);
/* After lvm_mem_setup: grow the heap by `bytes` (at most 240 MiB, one
 * block; nothing below 4 MiB), mark that range for transparent huge pages,
 * then give it back to malloc, which keeps it.  The blocks malloc hands out
 * from it afterwards (arrays below 2 MiB, a parser's buffers, a state's
 * copy) then fault in 2 MiB at a time instead of 4 KiB; the first call
 * keeps the part before the block's first 2 MiB boundary (which cannot
 * have huge pages) allocated, so that later blocks start at the boundary.
 * A hint only: where the kernel gives no huge pages, nothing changes. */
void lvm_mem_reserve(size_t bytes);

#ifdef __cplusplus
}
#endif
#endif
