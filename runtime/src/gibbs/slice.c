/* Univariate slice sampling: stepping out and shrinkage (Neal 2003) on an
 * unconstrained scale (see lvm/slice.h). */
#include "lvm/slice.h"

#include <math.h>

#include "lvm/special.h"

static int domain_ok(const lvm_slice_domain *d) {
  switch (d->kind) {
  case LVM_SLICE_REAL:
  case LVM_SLICE_POS:
  case LVM_SLICE_UNIT:
    return 1;
  case LVM_SLICE_LOWER:
    return isfinite(d->lo);
  case LVM_SLICE_UPPER:
    return isfinite(d->hi);
  case LVM_SLICE_INTERVAL:
    return isfinite(d->lo) && isfinite(d->hi) && d->lo < d->hi &&
           isfinite(d->hi - d->lo);
  }
  return 0;
}

lvm_status lvm_slice_init(lvm_slice *s, lvm_slice_domain domain, double width,
                          int adapt) {
  if (!(width > 0.0) || !isfinite(width))
    LVM_ERROR("slice sampler: the initial width must be positive and finite",
              LVM_EINVAL);
  if (!domain_ok(&domain))
    LVM_ERROR("slice sampler: bad domain (unknown kind, non-finite bound or "
              "lo >= hi)",
              LVM_EINVAL);
  s->domain = domain;
  s->width = width;
  s->max_step_out = LVM_SLICE_DEFAULT_STEP_OUT;
  s->max_shrink = LVM_SLICE_DEFAULT_SHRINK;
  s->adapt = adapt != 0;
  s->adapt_sum = 0.0;
  s->adapt_n = 0;
  s->n_draws = 0;
  s->n_evals = 0;
  return LVM_OK;
}

void lvm_slice_end_adaptation(lvm_slice *s) { s->adapt = 0; }

/* (lo, hi) of the domain, for the interval and unit maps */
static void bounds(const lvm_slice_domain *d, double *lo, double *hi) {
  if (d->kind == LVM_SLICE_UNIT) {
    *lo = 0.0;
    *hi = 1.0;
  } else {
    *lo = d->lo;
    *hi = d->hi;
  }
}

double lvm_slice_to_unconstrained(const lvm_slice_domain *d, double x) {
  double lo, hi;
  switch (d->kind) {
  case LVM_SLICE_REAL:
    return isfinite(x) ? x : NAN;
  case LVM_SLICE_POS:
    return (x > 0.0 && isfinite(x)) ? log(x) : NAN;
  case LVM_SLICE_LOWER:
    return (x > d->lo && isfinite(x)) ? log(x - d->lo) : NAN;
  case LVM_SLICE_UPPER:
    return (x < d->hi && isfinite(x)) ? log(d->hi - x) : NAN;
  case LVM_SLICE_UNIT:
  case LVM_SLICE_INTERVAL:
    bounds(d, &lo, &hi);
    if (!(x > lo && x < hi)) return NAN;
    return log(x - lo) - log(hi - x);
  }
  return NAN;
}

double lvm_slice_from_unconstrained(const lvm_slice_domain *d, double u,
                                    double *log_jac) {
  double x, lo, hi, e;
  *log_jac = 0.0;
  if (!isfinite(u)) return NAN;
  switch (d->kind) {
  case LVM_SLICE_REAL:
    return u;
  case LVM_SLICE_POS:
    x = exp(u);
    *log_jac = u;
    return (x > 0.0 && isfinite(x)) ? x : NAN;
  case LVM_SLICE_LOWER:
    e = exp(u);
    x = d->lo + e;
    *log_jac = u;
    return (x > d->lo && isfinite(x)) ? x : NAN;
  case LVM_SLICE_UPPER:
    e = exp(u);
    x = d->hi - e;
    *log_jac = u;
    return (x < d->hi && isfinite(x)) ? x : NAN;
  case LVM_SLICE_UNIT:
  case LVM_SLICE_INTERVAL:
    bounds(d, &lo, &hi);
    /* from the nearer end: logistic(-|u|) is accurate when small */
    if (u <= 0.0)
      x = lo + (hi - lo) * lvm_inv_logit(u);
    else
      x = hi - (hi - lo) * lvm_inv_logit(-u);
    *log_jac = log(hi - lo) - lvm_log1pexp(-u) - lvm_log1pexp(u);
    return (x > lo && x < hi) ? x : NAN;
  }
  return NAN;
}

/* g(u) = logp(x(u)) + log J; -inf when x(u) is outside the domain. */
static double g_eval(lvm_slice *s, lvm_slice_logp logp, void *ctx, double u) {
  double lj;
  double x = lvm_slice_from_unconstrained(&s->domain, u, &lj);
  if (isnan(x)) return -INFINITY;
  s->n_evals++;
  return logp(x, ctx) + lj;
}

lvm_status lvm_slice_draw(lvm_slice *s, lvm_rng *r, lvm_slice_logp logp,
                          void *ctx, double x0, double *x1) {
  double u0 = lvm_slice_to_unconstrained(&s->domain, x0);
  if (isnan(u0))
    LVM_ERROR("slice sampler: the current point is outside the domain",
              LVM_EDOM);
  double lj; /* log Jacobian at u0 (set even if x(u0) rounds off) */
  (void)lvm_slice_from_unconstrained(&s->domain, u0, &lj);
  s->n_evals++;
  double lp0 = logp(x0, ctx);
  if (isnan(lp0))
    LVM_ERROR("slice sampler: the log density is NaN at the current point",
              LVM_ENUMERIC);
  if (lp0 == INFINITY)
    LVM_ERROR("slice sampler: the log density is +inf at the current point",
              LVM_ENUMERIC);
  if (lp0 == -INFINITY)
    LVM_ERROR("slice sampler: the log density is -inf at the current point "
              "(outside the support)",
              LVM_EDOM);
  double g0 = lp0 + lj;
  if (!isfinite(g0))
    LVM_ERROR("slice sampler: the log Jacobian is not finite at the current "
              "point",
              LVM_ENUMERIC);
  /* 1. slice level: y = g0 + log U, U in (0, 1) so y < g0 */
  double y = g0 + log(lvm_rng_uniform(r));
  /* 2. stepping out with limit m (Neal 2003, Fig. 3) */
  double w = s->width;
  double L = u0 - w * lvm_rng_uniform(r), R = L + w;
  int m = s->max_step_out > 0 ? s->max_step_out : 1;
  int J = (int)floor((double)m * lvm_rng_uniform(r));
  int K = (m - 1) - J;
  while (J > 0 && g_eval(s, logp, ctx, L) > y) {
    L -= w;
    J--;
  }
  while (K > 0 && g_eval(s, logp, ctx, R) > y) {
    R += w;
    K--;
  }
  /* 3. shrinkage (Neal 2003, Fig. 5) */
  for (int i = 0; i < s->max_shrink; i++) {
    double u1 = L + lvm_rng_uniform(r) * (R - L);
    if (g_eval(s, logp, ctx, u1) > y) {
      double x = lvm_slice_from_unconstrained(&s->domain, u1, &lj);
      if (isnan(x)) break; /* cannot happen: g_eval was finite */
      if (s->adapt) {
        s->adapt_sum += R - L;
        s->adapt_n++;
        double wn = s->adapt_sum / (double)s->adapt_n;
        if (wn > 0.0 && isfinite(wn)) s->width = wn;
      }
      s->n_draws++;
      *x1 = x;
      return LVM_OK;
    }
    if (u1 < u0)
      L = u1;
    else
      R = u1;
  }
  LVM_ERROR("slice sampler: shrinkage found no point of the slice in "
            "max_shrink steps (log density numerically broken near the "
            "current point?)",
            LVM_ENUMERIC);
}
