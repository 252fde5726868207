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
/* Once at the start of an executable (lvm_model_run): blocks below 32 MiB
 * come from the heap (M_MMAP_THRESHOLD at glibc's maximum) and freed heap
 * memory is kept (M_TRIM_THRESHOLD 1 GiB), so that a block allocated after
 * another was freed (the state's arrays after the data file's parse)
 * reuses its pages instead of faulting in and zeroing fresh ones. */
void lvm_mem_setup(void);

#ifdef __cplusplus
}
#endif
#endif
