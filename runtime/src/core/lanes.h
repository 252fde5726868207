/* Four- and eight-lane doubles (GCC vector extensions) and the target
 * clones the runtime's lane kernels are compiled for: AVX-512, AVX2 and
 * the baseline SSE2, the loader picking one at start-up.  Each lane does
 * the same IEEE operations in the same order (the project compiles with
 * -ffp-contract=off: no fused multiply-add), so every clone and both
 * widths give the same bits as the scalar code they mirror.  The lane
 * helpers and exp and log of a block: vlane_math.h.  Internal to the
 * runtime. */
#ifndef LVM_LANES_H
#define LVM_LANES_H

/* The vectors never cross a call that is not inlined: GCC's note that
 * passing them changes the ABI without AVX-512 does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"

typedef double v4d __attribute__((vector_size(32)));
typedef long long v4l __attribute__((vector_size(32)));
typedef unsigned long long v4u __attribute__((vector_size(32)));
typedef double v8d __attribute__((vector_size(64)));
typedef long long v8l __attribute__((vector_size(64)));
typedef unsigned long long v8u __attribute__((vector_size(64)));

/* LVM_CLONES: a function compiled three times, the loader picking one.
 * LVM_TARGETS: the runtime's own dispatch between functions compiled with
 * __attribute__((target("avx512f"))) and target("avx2") (and a baseline
 * one), by __builtin_cpu_supports, where the widths differ per target. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define LVM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#define LVM_TARGETS 1
#else
#define LVM_CLONES
#define LVM_TARGETS 0
#endif

#endif
