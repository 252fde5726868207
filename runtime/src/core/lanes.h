/* Eight-lane doubles (GCC vector extensions) and the target clones the
 * runtime's lane kernels are compiled for: AVX-512, AVX2 and the baseline
 * SSE2, the loader picking one at start-up.  Each lane does the same IEEE
 * operations in the same order (the project compiles with
 * -ffp-contract=off: no fused multiply-add), so every clone gives the same
 * bits as the scalar code it mirrors.  Internal to the runtime. */
#ifndef LVM_LANES_H
#define LVM_LANES_H

/* The vectors never cross a call that is not inlined: GCC's note that
 * passing them changes the ABI without AVX-512 does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"

#include <string.h>

typedef double v8d __attribute__((vector_size(64)));
typedef long long v8l __attribute__((vector_size(64)));
typedef unsigned long long v8u __attribute__((vector_size(64)));

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define LVM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LVM_CLONES
#endif

static inline __attribute__((always_inline)) v8d splat(double x) { return (v8d){x, x, x, x, x, x, x, x}; }

/* Eight consecutive doubles as a vector, and back (unaligned). */
static inline __attribute__((always_inline)) v8d load8(const double *p) {
  v8d v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline __attribute__((always_inline)) void put8(double *p, v8d v) { memcpy(p, &v, sizeof v); }

/* Lane by lane: mask ? a : b, mask a comparison's result (all ones or 0). */
static inline __attribute__((always_inline)) v8d lanes_select(v8l mask, v8d a, v8d b) {
  return (v8d)(((v8l)a & mask) | ((v8l)b & ~mask));
}

#endif
