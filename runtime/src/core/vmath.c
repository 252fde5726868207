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
 * The lanes are GCC vector extensions, compiled for AVX-512, AVX2 and the
 * baseline SSE2 (target_clones: the loader picks one at start-up).  Each
 * lane does the same IEEE operations in the same order, with no fused
 * multiply-add (the project compiles with -ffp-contract=off), so every
 * version gives the same bits. */
#include "lvm/special.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "lanes.h"

#define BOUND 708.0
#define MINNORM 0x0010000000000000LL /* the bits of DBL_MIN */
#define MAXFIN 0x7fefffffffffffffLL  /* the bits of DBL_MAX */
#define ABS 0x7fffffffffffffffLL   /* all but the sign bit */
#define BBITS 0x4086200000000000LL /* the bits of 708.0 */

/* e^x for |x| <= BOUND in every lane; for x in [-746, -BOUND) (subnormal
 * results) with low set: y = 2^(n + 1074) p (a normal number below 2^53,
 * the scaling exact) rounded to an integer m (to nearest, ties to even:
 * y + 2^52 - 2^52 below 2^52, y itself above) is m 2^-1074, a subnormal
 * (or DBL_MIN's binade) whose bits are m -- no arithmetic on
 * subnormals, which takes microcode assists of ~100 cycles on x86. */
static inline __attribute__((always_inline)) v8d exp8s(v8d x, int low) {
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
  v8l bits = ((v8l)t - (v8l)shifter + (low ? 1023 + 1074 : 1023)) << 52;
  if (!low) return p * (v8d)bits;
  v8d y = p * (v8d)bits, two52 = splat(0x1p52); /* y < 2^53 */
  v8l small = (v8l)(y < two52);                   /* else y is an integer */
  v8d m = lanes_select(small, (y + two52) - two52, y);
  return (v8d)__builtin_convertvector(m, v8l);
}

static inline __attribute__((always_inline)) v8d exp8(v8d x) { return exp8s(x, 0); }

/* Is any lane's flag (0 or 1) set? */
static inline __attribute__((always_inline)) unsigned long long any_lane(v8u f) {
  return f[0] | f[1] | f[2] | f[3] | f[4] | f[5] | f[6] | f[7];
}

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

/* Lanes of x above BOUND (or NaN) take the C library's exp (the lanes
 * below -BOUND are done, whatever their neighbours). */
static void fix_lanes(const double *x, double *y, size_t m) {
  for (size_t j = 0; j < m; j++)
    if (isnan(x[j]) || x[j] > BOUND) y[j] = exp(x[j]);
}

LVM_CLONES
void lvm_exp_n(size_t n, const double *x, double *y) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    v8d v = load8(x + i);
    /* in range: |x| <= BOUND, as integers (NaN's bits are larger); the
     * sign bit of bound - |x| is set for the lanes out of range */
    v8l ab = (v8l)v & (v8l){ABS, ABS, ABS, ABS, ABS, ABS, ABS, ABS};
    v8u out = (v8u)((v8l){BBITS, BBITS, BBITS, BBITS, BBITS, BBITS, BBITS, BBITS} - ab) >> 63;
    v8l ok = (v8l)out - 1;
    v8d e = exp8((v8d)((v8l)v & ok)); /* other lanes computed at 0 */
    /* below -746 (-inf included) exp is 0, as the C library's: the sign
     * bits of x + 746 (set, for x < -746) and of x (set) */
    const v8l INF1 = {0x7ff0000000000001LL, 0x7ff0000000000001LL, 0x7ff0000000000001LL, 0x7ff0000000000001LL,
                      0x7ff0000000000001LL, 0x7ff0000000000001LL, 0x7ff0000000000001LL, 0x7ff0000000000001LL};
    v8u notnan = (v8u)(ab - INF1) >> 63;
    v8u zero = ((v8u)((v8l)(v + splat(746.0)) & (v8l)v) >> 63) & notnan; /* a NaN's sign bit may be set */
    e = (v8d)((v8l)e & ((v8l)zero - 1));
    out &= zero ^ 1;
    if (any_lane(out)) {
      /* subnormal results, x in [-746, -BOUND) (out of range, negative,
       * not NaN, not below -746): their own lanes, as the C library's exp
       * takes a slow path there (~100 ns a value) */
      v8u lo = out & ((v8u)v >> 63) & notnan;
      if (any_lane(lo)) {
        v8l m = -(v8l)lo;
        v8d el = exp8s(lanes_select(m, v, splat(-720.0)), 1);
        e = lanes_select(m, el, e);
        out &= lo ^ 1;
      }
    }
    store8(x + i, y + i, e, any_lane(out), fix_lanes);
  }
  tail(n - i, x + i, y + i, 0.0, lvm_exp_n);
}

/* k (|k| < 2^51) as a double, without int64 -> double conversions (which
 * AVX-512F lacks): through the bits of 1.5 2^52 + k. */
static inline __attribute__((always_inline)) v8d to_double(v8l k) {
  const v8d shifter = splat(0x1.8p52);
  return (v8d)(k + (v8l)shifter) - shifter;
}

/* log x for positive normal x in every lane. */
static inline __attribute__((always_inline)) v8d log8(v8d x) {
  v8l ix = (v8l)x;
  v8l tmp = ix - 0x3fe6a09e667f3bcdLL; /* the bits of sqrt(1/2) */
  v8l k = tmp >> 52;                   /* arithmetic: x < sqrt(1/2) gives k < 0 */
  v8d z = (v8d)(ix - (v8l)((v8u)k << 52)); /* x / 2^k */
  v8d f = z - splat(1.0);
  v8d hfsq = splat(0.5) * f * f;
  v8d s = f / (splat(2.0) + f);
  v8d s2 = s * s, w = s2 * s2;
  v8d t1 = w * (splat(3.999999999940941908e-01) +
                w * (splat(2.222219843214978396e-01) + w * splat(1.531383769920937332e-01)));
  v8d t2 = s2 * (splat(6.666666666666735130e-01) +
                 w * (splat(2.857142874366239149e-01) +
                      w * (splat(1.818357216161805012e-01) + w * splat(1.479819860511658591e-01))));
  v8d R = t2 + t1;
  v8d dk = to_double(k);
  return dk * splat(6.93147180369123816490e-01) -
         ((hfsq - (s * (hfsq + R) + dk * splat(1.90821492927058770002e-10))) - f);
}

static void fix_log_lanes(const double *x, double *y, size_t m) {
  for (size_t j = 0; j < m; j++)
    if (!(x[j] >= DBL_MIN && x[j] <= DBL_MAX)) y[j] = log(x[j]);
}

LVM_CLONES
void lvm_log_n(size_t n, const double *x, double *y) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    v8d v = load8(x + i);
    /* in range: DBL_MIN <= x <= DBL_MAX, as integers (negative numbers and
     * NaN's bits are out of it); the sign bits of the two differences */
    v8l b = (v8l)v;
    v8u out = (((v8u)b - MINNORM) | (MAXFIN - (v8u)b)) >> 63; /* unsigned: no overflow */
    v8l ok = (v8l)out - 1;
    v8d e = log8(lanes_select(ok, v, splat(1.0))); /* other lanes computed at 1 */
    store8(x + i, y + i, e, any_lane(out), fix_log_lanes);
  }
  tail(n - i, x + i, y + i, 1.0, lvm_log_n);
}
