/* lower.h — phase 5: the inference plan lowered to the loop IR.
 *
 * The module has a variable table (IrModule.vars/sizes: what the runtime's
 * lvm/vars.h needs to set up a state from data) and four kernels:
 *   init(rng)      latent values drawn from the prior, in dependency order
 *   sweep(rng, w)  one Gibbs sweep following the plan
 *   log_joint()    lp__, the log joint density
 *   simulate(rng)  every random variable drawn from the prior
 * and one log-density function per slice-sampled variable.
 */
#ifndef LVMC_LOWER_H
#define LVMC_LOWER_H

#include "conj.h"
#include "ir.h"

/* Returns NULL after reporting (diags) what cannot be lowered yet. */
IrModule *lower_model(Compilation *c, Plan *plan);

#endif
