/* The categorical rows' lane kernel, LW rows at a time, one row to a lane:
 * a template of family_multi.c, included once per width after
 * ../core/vlane_math.h for the same LW (no include guard).  Defines
 * lane_rowsLW(K, r0, r1, eta, ET, H): rows [r0, r1) of a chunk, every row
 * free, the same operations in the same order as fixed_chunk there (so the
 * same bits): per block of LW rows, the log-weights gathered into K
 * vectors (the padding rows of the last block 0), the maximum, the shifted
 * exps (exp_fast; the rare lanes by exp_sub and the C library), their
 * sum, the normalisation and the entropy terms, all in registers, the
 * probabilities scattered to ET.  The scalar rows' chains
 * of dependent operations (K maxima, K sums, K entropy terms a row) become
 * LW rows' at once, and no pass goes through memory between the steps.
 * Returns 0 when some row is improper (a NaN or +inf log-weight, or all
 * -inf: the sum of its shifted exps is not >= 1), the chunk's rows of ET
 * then unspecified (the general loop redoes the chunk and reports it). */
#ifndef LW
#error "define LW (4 or 8) before including categorical_lanes.h"
#endif

#define CL_CAT2(a, b) a##b
#define CL_CAT(a, b) CL_CAT2(a, b)
#define VF(name) CL_CAT(name, LW)
#if LW == 8
#define VD v8d
#define VI v8l
#define VU v8u
#else
#define VD v4d
#define VI v4l
#define VU v4u
#endif

/* the largest K the kernel takes (beyond, a row's own loops are long
 * enough); CHUNK / K + LW rows of entropy terms */
#ifndef LANE_KMAX
#define LANE_KMAX 16
#endif

LVM_AI int VF(lane_block_rows)(size_t K, size_t r0, size_t r1, const double *eta, double *ET, double *H,
                               double *hb) {
  size_t n = r1 - r0;
  VI bad = {0};
  for (size_t q0 = 0; q0 < n; q0 += LW) {
    VD e[LANE_KMAX], p[LANE_KMAX];
    size_t nn = n - q0 < LW ? n - q0 : LW;
    const double *b = eta + (r0 + q0) * K;
    if (nn == LW) {
#pragma GCC unroll 16
      for (size_t k = 0; k < K; k++)
        for (size_t q = 0; q < LW; q++) e[k][q] = b[q * K + k];
    } else {
      for (size_t k = 0; k < K; k++)
        for (size_t q = 0; q < LW; q++) e[k][q] = q < nn ? b[q * K + k] : 0.0;
    }
    VD m = e[0];
#pragma GCC unroll 16
    for (size_t k = 1; k < K; k++) m = VF(select)((VI)(e[k] > m), e[k], m);
    /* the shifted exps, the rare lanes (subnormal results, NaN) redone
     * after one test for the K vectors */
    VU out[LANE_KMAX], any = {0};
#pragma GCC unroll 16
    for (size_t k = 0; k < K; k++) {
      p[k] = VF(exp_fast)(e[k] - m, &out[k]);
      any |= out[k];
    }
    if (VF(any_lane)(any))
      for (size_t k = 0; k < K; k++)
        if (VF(any_lane)(out[k])) {
          VD x = e[k] - m;
          p[k] = VF(exp_sub)(x, p[k], &out[k]);
          p[k] = VF(fixed)(x, p[k], out[k], vm_fix_exp);
        }
    VD t = VF(splat)(0.0);
#pragma GCC unroll 16
    for (size_t k = 0; k < K; k++) t += p[k];
    bad |= ~(VI)(t >= 1.0);
    VD inv = 1.0 / t;
#pragma GCC unroll 16
    for (size_t k = 0; k < K; k++) p[k] = p[k] * inv;
    if (H) { /* log s + sum_k p_k (m - eta_k), p_k = 0 adding nothing (eta_k may be -inf) */
      VD d = VF(splat)(0.0);
#pragma GCC unroll 16
      for (size_t k = 0; k < K; k++) {
        VD term = p[k] * (m - e[k]);
        d += (VD)((VI)term & (VI)(p[k] > 0.0));
      }
      VF(put)(hb + q0, VF(log_blk)(t) + d);
    }
    double *o = ET + (r0 + q0) * K;
    if (nn == LW) {
#pragma GCC unroll 16
      for (size_t k = 0; k < K; k++)
        for (size_t q = 0; q < LW; q++) o[q * K + k] = p[k][q];
    } else {
      for (size_t k = 0; k < K; k++)
        for (size_t q = 0; q < nn; q++) o[q * K + k] = p[k][q];
    }
  }
  if (VF(any_lane)((VU)bad)) return 0;
  if (H) { /* the rows' terms in row order, as fixed_chunk's */
    double h = 0.0;
    for (size_t q = 0; q < n; q++) h += hb[q];
    *H += h;
  }
  return 1;
}

/* The kernel with K a constant for the common sizes (unrolled); hb holds
 * a chunk's entropy terms. */
LVM_AI int VF(lane_rows)(size_t K, size_t r0, size_t r1, const double *eta, double *ET, double *H) {
  double hb[CHUNK + LW];
  switch (K) {
  case 2: return VF(lane_block_rows)(2, r0, r1, eta, ET, H, hb);
  case 3: return VF(lane_block_rows)(3, r0, r1, eta, ET, H, hb);
  case 4: return VF(lane_block_rows)(4, r0, r1, eta, ET, H, hb);
  case 5: return VF(lane_block_rows)(5, r0, r1, eta, ET, H, hb);
  case 6: return VF(lane_block_rows)(6, r0, r1, eta, ET, H, hb);
  case 8: return VF(lane_block_rows)(8, r0, r1, eta, ET, H, hb);
  case 10: return VF(lane_block_rows)(10, r0, r1, eta, ET, H, hb);
  default: return VF(lane_block_rows)(K, r0, r1, eta, ET, H, hb);
  }
}

#undef VD
#undef VI
#undef VU
#undef VF
#undef CL_CAT
#undef CL_CAT2
#undef LW
