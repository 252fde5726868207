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
/* Once at the start of an executable (lvm_model_run): blocks of 1 MiB or
 * more always come from their own mappings (M_MMAP_THRESHOLD fixed, where
 * glibc would raise it after the first such block is freed and serve later
 * ones from the heap, on which huge pages rarely fit). */
void lvm_mem_setup(void);

#ifdef __cplusplus
}
#endif
#endif
