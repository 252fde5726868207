/* lvm/vi.h — coordinate-ascent variational inference (CAVI, variational
 * message passing) for compiled models: the factor table and kernels the
 * generated code provides, and the runtime around them (`EXE vi`).
 *
 * Mean field: every latent variable's elements are independent under q,
 * and each element's factor is in the family of its complete conditional
 * (lvm/family.h).  Per factor the state holds two hidden arrays (kind
 * LVM_VK_AUX... i.e. 4 in the variable table, not written to CSV):
 *
 *   eta    natural parameters, per element (family eta_size; a simplex: K
 *          per vector, in the value's own layout; a discrete variable: K
 *          log-weights, one per value)
 *   stats  expected statistics E_q[T(x)] in the same layout (a discrete
 *          variable: the K probabilities q(x = value))
 *
 * An element that the data give (a partly observed variable) keeps the
 * statistics of its value, so the kernels read `stats` for every element.
 *
 * The kernels (generated):
 *   local(st, r)   update the discrete factors once (after the start)
 *   sweep(st, r)   one CAVI pass over all factors in plan order
 *   expect(st)     E_q[log joint], exactly
 *   refresh(st, r) recompute the accumulated statistics (below)
 *
 * Accumulated statistics: the sums over a data plate that the updates of
 * global factors and `expect` need (e.g. a mixture's sum over n of
 * q(z[n] = k) x[n] and x[n]^2) are kept in hidden arrays.  local and sweep
 * recompute them after each update of a discrete factor, so a sweep passes
 * over the data once per discrete factor; the runtime calls refresh after
 * changing any factor itself (the start, the gradient check).
 *
 * A discrete factor's eta holds the expected log-weights of its values
 * (unnormalised), so its entropy is log Z - sum_j p_j eta_j with log Z =
 * eta_v - log p_v for its most probable value v: one log per element.
 * and ELBO = expect + the sum of the free elements' entropies, computed by
 * lvm_vi_elbo from the factor table.
 */
#ifndef LVM_VI_H
#define LVM_VI_H

#include <stdio.h>

#include "lvm/rng.h"
#include "lvm/status.h"
#include "lvm/vars.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lvm_vi_factor {
  int var;             /* the variable (index into the variable table) */
  const char *family;  /* runtime family (lvm_family_find) or "discrete" */
  int eta, stats;      /* the hidden arrays (variable indices) */
  int size;            /* size index of K for dirichlet and discrete, else -1 */
} lvm_vi_factor;

typedef struct lvm_vi_model {
  int n_factors;
  const lvm_vi_factor *factors;
  /* Non-NULL: why the model has no CAVI (e.g. a variable without a
   * conjugate complete conditional); the kernels are then NULL. */
  const char *unsupported;
  int (*local)(lvm_vars *st, lvm_rng *r);
  int (*sweep)(lvm_vars *st, lvm_rng *r);
  double (*expect)(lvm_vars *st);
  /* Optional: recompute the kernels' accumulated expected statistics (sums
   * over the data weighted by the discrete factors, hidden arrays that
   * local and sweep keep current) after the runtime has changed factors
   * itself.  NULL: the kernels keep none. */
  int (*refresh)(lvm_vars *st, lvm_rng *r);
  /* Optional: the seeded start's evaluation sweep: the continuous factors
   * updated as in sweep, then only the natural parameters of the discrete
   * factors (their statistics and the accumulated ones left as they are).
   * NULL: the runtime uses refresh and sweep. */
  int (*seed)(lvm_vars *st, lvm_rng *r);
} lvm_vi_model;

/* Set every factor from the current values: stats = T(value) (a point
 * mass; discrete: one-hot), eta = 0.  The start of a run, after init(). */
lvm_status lvm_vi_set_point(lvm_vars *st, const lvm_vi_model *vi);

/* The sum over factors and free elements of the entropy of q. */
lvm_status lvm_vi_entropy(const lvm_vars *st, const lvm_vi_model *vi, double *H);

/* ELBO = expect(st) + entropy. */
lvm_status lvm_vi_elbo(lvm_vars *st, const lvm_vi_model *vi, double *elbo);

struct lvm_model;
struct lvm_cli;
/* The `vi` command (called by lvm_model_run): restarts, sweeps to
 * convergence, the ELBO check, --trace, the JSON output.  Returns the
 * process exit status. */
int lvm_vi_command(const struct lvm_model *m, const struct lvm_cli *cli, const char *who,
                   void *base, FILE *err);

#ifdef __cplusplus
}
#endif
#endif
