/* exp and log of one block of LW lanes (GCC vector extensions), for LW = 4
 * or 8: a template, included once per width with LW defined (no include
 * guard), which defines static inline functions suffixed with the width
 * (exp_fast4, log_blk8, any_lane4, ...).  lvm_exp_n and lvm_log_n
 * (vmath.c) run their arrays through the eight-lane blocks; the fused
 * categorical kernel (gibbs/family_multi.c) calls the blocks on values in
 * registers, four lanes wide where the machine's vectors hold four doubles
 * (AVX2: GCC splits eight-lane vectors into pairs and spills them).
 *
 * Every lane does the same IEEE operations in the same order whatever the
 * width (no fused multiply-add: the project compiles with
 * -ffp-contract=off), so both widths and every instruction set give the
 * same bits; the algorithms and their accuracy are described in vmath.c.
 * Internal to the runtime. */
#include <float.h>
#include <math.h>
#include <string.h>

#ifndef LW
#error "define LW (4 or 8) before including vlane_math.h"
#endif

#include "lanes.h"

#define VL_CAT2(a, b) a##b
#define VL_CAT(a, b) VL_CAT2(a, b)
#define VF(name) VL_CAT(name, LW) /* name suffixed with the width */

#ifndef LVM_VLANE_COMMON
#define LVM_VLANE_COMMON
#define LVM_AI static inline __attribute__((always_inline))
#define VM_BOUND 708.0
#define VM_MINNORM 0x0010000000000000LL /* the bits of DBL_MIN */
#define VM_MAXFIN 0x7fefffffffffffffLL  /* the bits of DBL_MAX */
#define VM_ABS 0x7fffffffffffffffLL     /* all but the sign bit */
#define VM_BBITS 0x4086200000000000LL   /* the bits of 708.0 */
#define VM_INF1 0x7ff0000000000001LL    /* the bits of +inf, plus 1 */

/* Lanes of x above VM_BOUND (or NaN) take the C library's exp. */
static inline void vm_fix_exp(const double *x, double *y, size_t m) {
  for (size_t j = 0; j < m; j++)
    if (isnan(x[j]) || x[j] > VM_BOUND) y[j] = exp(x[j]);
}

/* Lanes of x that are not positive normal numbers take the C library's log. */
static inline void vm_fix_log(const double *x, double *y, size_t m) {
  for (size_t j = 0; j < m; j++)
    if (!(x[j] >= DBL_MIN && x[j] <= DBL_MAX)) y[j] = log(x[j]);
}
#endif

#if LW == 8
#define VD v8d
#define VI v8l
#define VU v8u
#elif LW == 4
#define VD v4d
#define VI v4l
#define VU v4u
#else
#error "LW must be 4 or 8"
#endif

#if LW == 8
LVM_AI VD VF(splat)(double x) { return (VD){x, x, x, x, x, x, x, x}; }
#else
LVM_AI VD VF(splat)(double x) { return (VD){x, x, x, x}; }
#endif
LVM_AI VI VF(isplat)(long long x) { return (VI){0} + x; }

/* LW consecutive doubles as a vector, and back (unaligned). */
LVM_AI VD VF(load)(const double *p) {
  VD v;
  memcpy(&v, p, sizeof v);
  return v;
}
LVM_AI void VF(put)(double *p, VD v) { memcpy(p, &v, sizeof v); }

/* Lane by lane: mask ? a : b, mask a comparison's result (all ones or 0). */
LVM_AI VD VF(select)(VI mask, VD a, VD b) { return (VD)(((VI)a & mask) | ((VI)b & ~mask)); }

/* Is any lane's flag (0 or 1) set? */
LVM_AI unsigned long long VF(any_lane)(VU f) {
#if LW == 8
  return f[0] | f[1] | f[2] | f[3] | f[4] | f[5] | f[6] | f[7];
#else
  return f[0] | f[1] | f[2] | f[3];
#endif
}

/* e^x for |x| <= VM_BOUND in every lane (vmath.c); for x in [-746,
 * -VM_BOUND) (subnormal results) with low set: y = 2^(n + 1074) p (a
 * normal number below 2^53, the scaling exact) rounded to an integer m (to
 * nearest, ties to even: y + 2^52 - 2^52 below 2^52, y itself above) is
 * m 2^-1074, a subnormal (or DBL_MIN's binade) whose bits are m -- no
 * arithmetic on subnormals, which takes microcode assists of ~100 cycles
 * on x86. */
LVM_AI VD VF(exp_core)(VD x, int low) {
  const double shifter = 0x1.8p52; /* adding it rounds to an integer */
  VD t = x * 1.4426950408889634074 + shifter;
  VD n = t - shifter;
  VD r = x - n * 6.93147180369123816490e-01; /* ln2_hi */
  r = r - n * 1.90821492927058770002e-10;     /* ln2_lo */
  /* Taylor coefficients 1/k!, Estrin's scheme (a chain of 5 multiplies
   * instead of Horner's 13, so the lanes of consecutive blocks overlap) */
  VD r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
  VD p23 = VF(splat)(1.0 / 2) + (1.0 / 6) * r;
  VD p45 = VF(splat)(1.0 / 24) + (1.0 / 120) * r, p67 = VF(splat)(1.0 / 720) + (1.0 / 5040) * r;
  VD p89 = VF(splat)(1.0 / 40320) + (1.0 / 362880) * r;
  VD pab = VF(splat)(1.0 / 3628800) + (1.0 / 39916800) * r;
  VD pcd = VF(splat)(1.0 / 479001600) + (1.0 / 6227020800.0) * r;
  /* the small terms first, then r, then 1 (as Horner's last two steps) */
  VD q = r2 * p23 + (r4 * (p45 + r2 * p67) + r8 * ((p89 + r2 * pab) + r4 * pcd));
  VD p = 1.0 + (r + q);
  /* t's low mantissa bits hold n (two's complement) */
  VI bits = ((VI)t - (VI)VF(splat)(shifter) + (low ? 1023 + 1074 : 1023)) << 52;
  if (!low) return p * (VD)bits;
  VD y = p * (VD)bits, two52 = VF(splat)(0x1p52); /* y < 2^53 */
  VI small = (VI)(y < two52);                       /* else y is an integer */
  VD m = VF(select)(small, (y + two52) - two52, y);
  return (VD)__builtin_convertvector(m, VI);
}

/* e^v lane by lane for the lanes in range (|v| <= VM_BOUND) and 0 below
 * -746 (-inf included), as the C library's exp; *out flags the other
 * lanes (the subnormal results of [-746, -VM_BOUND), above VM_BOUND, NaN),
 * which exp_sub, then fixed with vm_fix_exp, redo. */
LVM_AI VD VF(exp_fast)(VD v, VU *outp) {
  /* in range: |x| <= VM_BOUND, as integers (NaN's bits are larger); the
   * sign bit of bound - |x| is set for the lanes out of range */
  VI ab = (VI)v & VM_ABS;
  VU out = (VU)(VF(isplat)(VM_BBITS) - ab) >> 63;
  VI ok = (VI)out - 1;
  VD e = VF(exp_core)((VD)((VI)v & ok), 0); /* other lanes computed at 0 */
  /* below -746 (-inf included) exp is 0: the sign bits of x + 746 (set,
   * for x < -746) and of x (set) */
  VU notnan = (VU)(ab - VM_INF1) >> 63;
  VU zero = ((VU)((VI)(v + 746.0) & (VI)v) >> 63) & notnan; /* a NaN's sign bit may be set */
  *outp = out & (zero ^ 1);
  return (VD)((VI)e & ((VI)zero - 1));
}

/* exp_fast's flagged lanes that are subnormal results, x in [-746,
 * -VM_BOUND) (out of range, negative, not NaN, not below -746), done in
 * their own lanes (the C library's exp takes a slow path there, ~100 ns a
 * value); *outp keeps the others (above VM_BOUND, NaN). */
LVM_AI VD VF(exp_sub)(VD v, VD e, VU *outp) {
  VU notnan = (VU)(((VI)v & VM_ABS) - VM_INF1) >> 63;
  VU lo = *outp & ((VU)v >> 63) & notnan;
  if (VF(any_lane)(lo)) {
    VI m = -(VI)lo;
    VD el = VF(exp_core)(VF(select)(m, v, VF(splat)(-720.0)), 1);
    e = VF(select)(m, el, e);
    *outp &= lo ^ 1;
  }
  return e;
}

/* e^v lane by lane, what lvm_exp_n gives, except in the lanes *out flags
 * (1: above VM_BOUND, or NaN), which take the C library's exp (the caller
 * does it: vm_fix_exp). */
LVM_AI VD VF(exp_lanes)(VD v, VU *outp) {
  VD e = VF(exp_fast)(v, outp);
  return VF(any_lane)(*outp) ? VF(exp_sub)(v, e, outp) : e;
}

/* e with the lanes that out flags redone by fix (vm_fix_exp, vm_fix_log)
 * from v: the rare path of the categorical kernel's exps and of log_blk. */
LVM_AI VD VF(fixed)(VD v, VD e, VU out, void (*fix)(const double *, double *, size_t)) {
  if (VF(any_lane)(out)) {
    double xi[LW], yi[LW];
    memcpy(xi, &v, sizeof xi);
    memcpy(yi, &e, sizeof yi);
    fix(xi, yi, LW);
    memcpy(&e, yi, sizeof yi);
  }
  return e;
}

/* k (|k| < 2^51) as a double, without int64 -> double conversions (which
 * AVX-512F lacks): through the bits of 1.5 2^52 + k. */
LVM_AI VD VF(to_double)(VI k) {
  const VD shifter = VF(splat)(0x1.8p52);
  return (VD)(k + (VI)shifter) - shifter;
}

/* log x for positive normal x in every lane (vmath.c). */
LVM_AI VD VF(log_core)(VD x) {
  VI ix = (VI)x;
  VI tmp = ix - 0x3fe6a09e667f3bcdLL; /* the bits of sqrt(1/2) */
  VI k = tmp >> 52;                   /* arithmetic: x < sqrt(1/2) gives k < 0 */
  VD z = (VD)(ix - (VI)((VU)k << 52)); /* x / 2^k */
  VD f = z - 1.0;
  VD hfsq = 0.5 * f * f;
  VD s = f / (2.0 + f);
  VD s2 = s * s, w = s2 * s2;
  VD t1 = w * (3.999999999940941908e-01 + w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01));
  VD t2 = s2 * (6.666666666666735130e-01 +
                w * (2.857142874366239149e-01 + w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)));
  VD R = t2 + t1;
  VD dk = VF(to_double)(k);
  return dk * 6.93147180369123816490e-01 - ((hfsq - (s * (hfsq + R) + dk * 1.90821492927058770002e-10)) - f);
}

/* log v lane by lane, what lvm_log_n gives, except in the lanes *out
 * flags (1: not a positive normal number: 0, subnormals, negatives,
 * infinities, NaN), which take the C library's log (the caller does it:
 * vm_fix_log). */
LVM_AI VD VF(log_lanes)(VD v, VU *outp) {
  /* in range: DBL_MIN <= x <= DBL_MAX, as integers (negative numbers and
   * NaN's bits are out of it); the sign bits of the two differences */
  VI b = (VI)v;
  VU out = (((VU)b - VM_MINNORM) | (VM_MAXFIN - (VU)b)) >> 63; /* unsigned: no overflow */
  VI ok = (VI)out - 1;
  *outp = out;
  return VF(log_core)(VF(select)(ok, v, VF(splat)(1.0))); /* other lanes computed at 1 */
}

/* log v lane by lane, what lvm_log_n gives (the flagged lanes fixed). */
LVM_AI VD VF(log_blk)(VD v) {
  VU out;
  VD e = VF(log_lanes)(v, &out);
  return VF(fixed)(v, e, out, vm_fix_log);
}

#undef VD
#undef VI
#undef VU
#undef VF
#undef LW
