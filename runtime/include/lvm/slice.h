/* lvm/slice.h — univariate slice sampling (Neal 2003, "Slice sampling",
 * Ann. Statist. 31:705-767, Figs. 3 and 5: stepping out, then shrinkage).
 *
 * Updates one continuous scalar x whose log density (up to a constant) is
 * given by a callback on the variable's own (constrained) scale,
 *
 *     double logp(double x, void *ctx);
 *
 * The sampler works on an unconstrained scale u with x = x(u) and adds the
 * log Jacobian, i.e. it samples g(u) = logp(x(u)) + log |dx/du|, so the
 * draws of x have density proportional to exp(logp(x)) on the domain:
 *
 *   kind                 domain      x(u)                          log|dx/du|
 *   LVM_SLICE_REAL       R           u                             0
 *   LVM_SLICE_POS        (0, inf)    exp(u)                        u
 *   LVM_SLICE_UNIT       (0, 1)      logistic(u)                   log x + log(1-x)
 *   LVM_SLICE_LOWER      (lo, inf)   lo + exp(u)                   u
 *   LVM_SLICE_UPPER      (-inf, hi)  hi - exp(u)                   u
 *   LVM_SLICE_INTERVAL   (lo, hi)    lo + (hi-lo) logistic(u)      log(hi-lo) + log s + log(1-s), s = logistic(u)
 *
 * (The interval map is evaluated from the nearer end, so x stays strictly
 * inside (lo, hi) as long as it is representable; a u whose x rounds onto
 * a bound or overflows counts as outside the slice.)
 *
 * One draw (lvm_slice_draw):
 *   1. y = g(u0) - E, E ~ Exponential(1)  (the slice level, log scale);
 *   2. stepping out with Neal's limit m = max_step_out: a bracket of width
 *      w placed uniformly around u0 is extended by w to the left at most J
 *      = floor(m V) times and to the right at most m - 1 - J times while its
 *      end is inside the slice.  Reaching the limit is part of the
 *      algorithm (the update still leaves the target invariant), not an
 *      error;
 *   3. shrinkage: u1 uniform in the bracket; accept if g(u1) > y, else the
 *      bracket end on u1's side moves to u1.  At most max_shrink trials;
 *      since u0 is always in the slice and the bracket shrinks towards it,
 *      reaching the cap means the log density is numerically broken (e.g.
 *      positive only at isolated points): LVM_ENUMERIC, "shrinkage found no
 *      point of the slice in max_shrink steps".
 * A log density that is NaN at a trial point counts as outside the slice
 * (a rejection, as in Stan).  At the current point x0 it is an error:
 * NaN or +inf gives LVM_ENUMERIC ("log density is NaN at the current
 * point"), -inf or x0 outside the domain gives LVM_EDOM.  On error *x1 is
 * untouched.  Every call evaluates logp at x0 afresh (in Gibbs the other
 * variables change between updates, so no value is cached).
 *
 * Width adaptation (optional; only during warmup, since it breaks the
 * Markov property).  With adapt != 0, after each draw the width becomes the
 * running mean, over the draws made while adapting, of the final bracket
 * width R - L (the interval from which the accepted point was drawn, on the
 * u scale).  A too-small w grows (stepping out makes the bracket up to m w
 * wide); a too-large w shrinks (shrinkage ends near the slice's own size),
 * so w settles at a small multiple of the typical slice width (measured:
 * about 2.4 times, w = 7.5 for N(0, 1) whose slices are about 3 wide, from
 * w0 = 1e-6 and from w0 = 1e6; about 6 log density evaluations per draw on
 * the test targets), the scale Neal recommends up to that factor.
 * Call lvm_slice_end_adaptation() when warmup ends: the width is then fixed
 * and the chain is a valid (reversible) Markov chain.
 *
 * No global state: the state struct belongs to one variable of one chain.
 */
#ifndef LVM_SLICE_H
#define LVM_SLICE_H

#include <stdint.h>

#include "lvm/rng.h"
#include "lvm/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lvm_slice_kind {
  LVM_SLICE_REAL = 0,
  LVM_SLICE_POS,
  LVM_SLICE_UNIT,
  LVM_SLICE_LOWER,
  LVM_SLICE_UPPER,
  LVM_SLICE_INTERVAL
} lvm_slice_kind;

/* lo is read for LOWER and INTERVAL, hi for UPPER and INTERVAL. */
typedef struct lvm_slice_domain {
  lvm_slice_kind kind;
  double lo, hi;
} lvm_slice_domain;

/* Log density (up to an additive constant) at x in the domain. */
typedef double (*lvm_slice_logp)(double x, void *ctx);

#define LVM_SLICE_DEFAULT_STEP_OUT 100
#define LVM_SLICE_DEFAULT_SHRINK 200

typedef struct lvm_slice {
  lvm_slice_domain domain;
  double width;       /* w, on the unconstrained scale */
  int max_step_out;   /* Neal's m (>= 1); default 100 */
  int max_shrink;     /* cap on shrinkage trials (>= 1); default 200 */
  int adapt;          /* nonzero: tune width (warmup only) */
  double adapt_sum;   /* sum of final bracket widths while adapting */
  uint64_t adapt_n;   /* number of draws while adapting */
  uint64_t n_draws;   /* successful draws */
  uint64_t n_evals;   /* calls of logp, over all draws */
} lvm_slice;

/* Initialise for a domain with the initial width w > 0 (unconstrained
 * scale; 1 is a reasonable start with adaptation on).  LVM_EINVAL for a bad
 * width or domain (lo >= hi, NaN or infinite bounds). */
lvm_status lvm_slice_init(lvm_slice *s, lvm_slice_domain domain, double width,
                          int adapt);

/* One slice-sampling update from x0 (inside the domain): *x1 is the new
 * value.  LVM_OK, LVM_EDOM or LVM_ENUMERIC as described above. */
lvm_status lvm_slice_draw(lvm_slice *s, lvm_rng *r, lvm_slice_logp logp,
                          void *ctx, double x0, double *x1);

/* Freeze the width (end of warmup). */
void lvm_slice_end_adaptation(lvm_slice *s);

/* The transforms: u of x (NaN if x is outside the domain), and x of u with
 * the log Jacobian log|dx/du| in *log_jac (x is NaN if it rounds onto a
 * bound or overflows). */
double lvm_slice_to_unconstrained(const lvm_slice_domain *d, double x);
double lvm_slice_from_unconstrained(const lvm_slice_domain *d, double u,
                                    double *log_jac);

#ifdef __cplusplus
}
#endif
#endif
