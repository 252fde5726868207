/* lvm_exp_n, lvm_log_n: exp and log of a block of doubles, eight lanes at
 * a time (see lvm/special.h).
 *
 * exp (Cody & Waite range reduction, as fdlibm's exp): n = round(x /
 * ln 2), r = x - n ln2_hi - n ln2_lo (ln2_hi has 32 significant bits, so
 * n ln2_hi is exact for |n| <= 1024), |r| <= ln(2)/2; e^r by its Taylor
 * polynomial of degree 13 (truncation 4e-18 relative) in Estrin's form; 2^n
 * built from its exponent bits.  Measured against the C library's exp in
 * tests/unit/core/test_special.c: at most 1 ulp apart over [-708, 708].
 * Lanes below -746 (-inf included) give 0, as the C library's exp does.
 * Lanes in [-746, -708) (subnormal results) round p 2^(n + 1074) to an
 * integer, the subnormal's bits, so the result is rounded once to the
 * subnormal grid: within 1 ulp (2^-1074) of exp there too; about 1% of
 * the values in [-720, -708) differ from exp by that ulp.  Other lanes outside [-708, 708] (overflow, NaN)
 * take the C library's exp, so every result is what exp gives or within
 * that 1 ulp of it.
 *
 * log (fdlibm's __ieee754_log, lane by lane): x = 2^k z with z in
 * [sqrt(1/2), sqrt(2)) from the bits (musl's offset trick), f = z - 1,
 * s = f / (2 + f), log z = f - f^2/2 + s (f^2/2 + R(s^2)) with fdlibm's
 * polynomial R (error below 2^-58.45), plus k ln2 in two parts.  Positive
 * normal numbers only; other lanes (0, subnormals, negatives, infinities,
 * NaN) take the C library's log.
 *
 * The lanes are GCC vector extensions (the blocks: vlane_math.h),
 * compiled for AVX-512, AVX2 and the baseline SSE2 (target_clones: the
 * loader picks one at start-up).  Each
 * lane does the same IEEE operations in the same order, with no fused
 * multiply-add (the project compiles with -ffp-contract=off), so every
 * version gives the same bits. */
#include "lvm/special.h"

#define LW 8
#include "vlane_math.h"

/* y[0..8) = e, then, when some lanes were out of range, fix(x, y, 8) on
 * them (x copied first: y may be x). */
static inline __attribute__((always_inline)) void store8(const double *x, double *y, v8d e, int any,
                                                         void (*fix)(const double *, double *, size_t)) {
  double xi[8];
  if (any) memcpy(xi, x, sizeof xi);
  memcpy(y, &e, sizeof e);
  if (any) fix(xi, y, 8);
}

/* The last m < 8 values through one block padded with `pad`. */
static void tail(size_t m, const double *x, double *y, double pad, void (*f)(size_t, const double *, double *)) {
  if (m == 0) return;
  double xi[8], yi[8];
  for (size_t j = 0; j < 8; j++) xi[j] = j < m ? x[j] : pad;
  f(8, xi, yi);
  memcpy(y, yi, m * sizeof(double));
}

/* The rare lanes through memory after the store (store8), not `fixed`'s
 * way through the registers, which inlined in this loop made GCC spill
 * (lvm_exp_n took twice as long). */
LVM_CLONES
void lvm_exp_n(size_t n, const double *x, double *y) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    v8u out;
    v8d e = exp_lanes8(load8(x + i), &out);
    store8(x + i, y + i, e, any_lane8(out), vm_fix_exp);
  }
  tail(n - i, x + i, y + i, 0.0, lvm_exp_n);
}

LVM_CLONES
void lvm_log_n(size_t n, const double *x, double *y) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    v8u out;
    v8d e = log_lanes8(load8(x + i), &out);
    store8(x + i, y + i, e, any_lane8(out), vm_fix_log);
  }
  tail(n - i, x + i, y + i, 1.0, lvm_log_n);
}
