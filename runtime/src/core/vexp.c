/* lvm_exp_n: exp of a block of doubles, eight lanes at a time (see
 * lvm/special.h).
 *
 * Method (Cody & Waite range reduction, as fdlibm's exp): n = round(x /
 * ln 2), r = x - n ln2_hi - n ln2_lo (ln2_hi has 32 significant bits, so
 * n ln2_hi is exact for |n| <= 1024), |r| <= ln(2)/2; e^r by its Taylor
 * polynomial of degree 13 (truncation 4e-18 relative) in Estrin's form; 2^n
 * built from its exponent bits.  Measured against the C library's exp in
 * tests/unit/core/test_special.c: at most 1 ulp apart over [-708, 708].
 * Lanes outside [-708, 708] (underflow to subnormals or zero, overflow,
 * -inf, NaN) take the C library's exp, so every result is what exp gives
 * or within that 1 ulp of it.
 *
 * The lanes are GCC vector extensions, compiled for AVX-512, AVX2 and the
 * baseline SSE2 (target_clones: the loader picks one at start-up).  Each
 * lane does the same IEEE operations in the same order, with no fused
 * multiply-add (the project compiles with -ffp-contract=off), so every
 * version gives the same bits. */
#include "lvm/special.h"

#include <math.h>
#include <string.h>

typedef double v8d __attribute__((vector_size(64)));
typedef long long v8l __attribute__((vector_size(64)));
typedef unsigned long long v8u __attribute__((vector_size(64)));

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define LVM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LVM_CLONES
#endif

#define BOUND 708.0
#define ABS 0x7fffffffffffffffLL   /* all but the sign bit */
#define BBITS 0x4086200000000000LL /* the bits of 708.0 */

static inline __attribute__((always_inline)) v8d splat(double x) { return (v8d){x, x, x, x, x, x, x, x}; }

/* e^x for |x| <= BOUND in every lane. */
static inline __attribute__((always_inline)) v8d exp8(v8d x) {
  const v8d shifter = splat(0x1.8p52); /* adding it rounds to an integer */
  v8d t = x * splat(1.4426950408889634074) + shifter;
  v8d n = t - shifter;
  v8d r = x - n * splat(6.93147180369123816490e-01); /* ln2_hi */
  r = r - n * splat(1.90821492927058770002e-10);     /* ln2_lo */
  /* Taylor coefficients 1/k!, Estrin's scheme (a chain of 5 multiplies
   * instead of Horner's 13, so the lanes of consecutive blocks overlap) */
  v8d r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
  v8d p23 = splat(1.0 / 2) + splat(1.0 / 6) * r;
  v8d p45 = splat(1.0 / 24) + splat(1.0 / 120) * r, p67 = splat(1.0 / 720) + splat(1.0 / 5040) * r;
  v8d p89 = splat(1.0 / 40320) + splat(1.0 / 362880) * r;
  v8d pab = splat(1.0 / 3628800) + splat(1.0 / 39916800) * r;
  v8d pcd = splat(1.0 / 479001600) + splat(1.0 / 6227020800.0) * r;
  /* the small terms first, then r, then 1 (as Horner's last two steps) */
  v8d q = r2 * p23 + (r4 * (p45 + r2 * p67) + r8 * ((p89 + r2 * pab) + r4 * pcd));
  v8d p = splat(1.0) + (r + q);
  /* t's low mantissa bits hold n (two's complement) */
  v8l bits = ((v8l)t - (v8l)shifter + 1023) << 52;
  return p * (v8d)bits;
}

/* Lanes of x outside [-BOUND, BOUND] (or NaN) take the C library's exp. */
static void fix_lanes(const double *x, double *y, size_t m) {
  for (size_t j = 0; j < m; j++)
    if (!(fabs(x[j]) <= BOUND)) y[j] = exp(x[j]);
}

LVM_CLONES
void lvm_exp_n(size_t n, const double *x, double *y) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    v8d v;
    memcpy(&v, x + i, sizeof v);
    /* in range: |x| <= BOUND, as integers (NaN's bits are larger); the
     * sign bit of bound - |x| is set for the lanes out of range */
    v8l ab = (v8l)v & (v8l){ABS, ABS, ABS, ABS, ABS, ABS, ABS, ABS};
    v8u out = (v8u)((v8l){BBITS, BBITS, BBITS, BBITS, BBITS, BBITS, BBITS, BBITS} - ab) >> 63;
    v8l ok = (v8l)out - 1;
    v8d e = exp8((v8d)((v8l)v & ok)); /* other lanes computed at 0 */
    unsigned long long any = out[0] | out[1] | out[2] | out[3] | out[4] | out[5] | out[6] | out[7];
    int all = !any;
    double xi[8];
    if (!all) memcpy(xi, x + i, sizeof xi); /* y may be x */
    memcpy(y + i, &e, sizeof e);
    if (!all) fix_lanes(xi, y + i, 8);
  }
  if (i < n) { /* the tail, through a padded block */
    size_t m = n - i;
    double xi[8] = {0}, yi[8];
    memcpy(xi, x + i, m * sizeof(double));
    lvm_exp_n(8, xi, yi);
    memcpy(y + i, yi, m * sizeof(double));
  }
}
