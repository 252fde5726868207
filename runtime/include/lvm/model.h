/* lvm/model.h — what generated model code provides, and the main that runs
 * it.
 *
 * The compiler generates, per model, a state struct and the functions of an
 * lvm_model; the executable's main is one line:
 *
 *   int main(int argc, char **argv) { return lvm_model_main(&gmm_model, argc, argv); }
 *
 * lvm_model_main implements the commands (docs/runtime-model.md):
 *
 *   gmm sample   --data d.json [--chains 4 --warmup 1000 --iter 1000 --thin 1
 *                --seed N --threads N --init FILE --out gmm_draws.csv --quiet]
 *   gmm simulate [--data d.json] [--seed N] [--out gmm_sim.json]
 *   gmm summary  gmm_draws_*.csv
 *   gmm vi       --data d.json [--tol 1e-8 --max-iter N --restarts R --seed N
 *                --trace elbo.csv --out gmm_vi.json]      (lvm/vi.h)
 *   gmm learn | infer    (not available yet: exit 1 with a message)
 *
 * Contract for the model functions.  A state is `state_size` bytes,
 * zero-filled by the runtime (calloc).  `setup` is called once, on the base
 * state; each chain gets its own state by `clone` from the base.  Distinct
 * states are used from distinct threads at once, and the base is read by
 * several `clone` calls at once, so the functions must keep no global
 * mutable state.  `teardown` is called on every state that `setup` or
 * `clone` was called on, even when that call failed, so it must accept a
 * zeroed or partly filled state.  Functions returning int return 0 on
 * success; after a non-zero return `last_error(state)` (may be NULL)
 * describes the failure for the user ("gmm.lvm:19:3: ...").  Problems in
 * the user's data (setup) and init file (init_from) are added to `msgs`,
 * all of them, and the function returns LVM_EDATA.
 */
#ifndef LVM_MODEL_H
#define LVM_MODEL_H

#include <stddef.h>
#include <stdio.h>

#include "lvm/csv.h"
#include "lvm/data.h"
#include "lvm/rng.h"
#include "lvm/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lvm_model {
  const char *name;   /* model name (CSV comment "model = gmm"; default file names) */
  const char *source; /* path of the .lvm file it was compiled from ("source = ...") */
  size_t state_size;  /* sizeof(the generated state struct); states are calloc'd */
  /* Check the data and fill a state: sizes, data, params, observed values
   * and missing masks; allocate its arrays.  Problems go to msgs (all of
   * them), return LVM_EDATA.  Called once, for the base state. */
  int (*setup)(void *state, const lvm_data *data, lvm_msgs *msgs);
  /* Free what setup/clone allocated (also after they failed). */
  void (*teardown)(void *state);
  /* Deep copy of a set-up state into a zeroed dst (one per chain). */
  int (*clone)(void *dst, const void *src);
  /* Append the output columns (after lp__; Gibbs has no sampler columns). */
  int (*columns)(const void *state, lvm_csv_names *names);
  /* Draw the latent values from the prior (the start of a chain). */
  int (*init)(void *state, lvm_rng *r);
  /* --init FILE: called after init(), it replaces the values the file gives
   * (the rest keep their init() draws) and checks them; problems go to
   * msgs, return LVM_EDATA.  NULL: the model takes no --init. */
  int (*init_from)(void *state, const lvm_data *init, lvm_msgs *msgs);
  /* One Gibbs sweep; warmup = 1 during warmup (slice widths may adapt). */
  int (*sweep)(void *state, lvm_rng *r, int warmup);
  /* lp__: the log joint density at the current values. */
  double (*log_joint)(const void *state);
  /* The values of the columns added by `columns`, in that order. */
  void (*write_row)(const void *state, double *row);
  /* Draw every non-fixed variable from the prior (observed ones too) and
   * add all data and drawn values to `out`, so that `out` written as a data
   * file can be given to `sample`.  NULL: the model cannot simulate. */
  int (*simulate)(void *state, lvm_rng *r, lvm_data *out);
  /* After a failed call: "gmm.lvm:19:3: the complete conditional of tau[2]
   * is improper (...)".  May be NULL (then the status code is described). */
  const char *(*last_error)(const void *state);
  /* Optional (may be NULL): leave variable `name` out of the output
   * (sample --exclude NAME); non-zero if the model has no such variable.
   * Called on the base state before clone, so chains inherit it. */
  int (*exclude)(void *state, const char *name);
  /* Optional (may be NULL): CAVI (lvm/vi.h); the state is an lvm_vars. */
  const struct lvm_vi_model *vi;
  /* Optional, for models described by data rather than by functions
   * (lvm/gen.h): when setup_ctx is set it is called instead of setup, with
   * `ctx` as its first argument. */
  const void *ctx;
  int (*setup_ctx)(const void *ctx, void *state, const lvm_data *data, lvm_msgs *msgs);
} lvm_model;

/* The executable's main: parse argv (lvm_cli_parse with m->name), run the
 * command, return the process exit status: 0 success, 1 errors (data,
 * files, a failed chain, a command not available yet), 2 usage errors, 130
 * interrupted (SIGINT/SIGTERM).  Output on stdout, messages and progress on
 * stderr. */
int lvm_model_main(const lvm_model *m, int argc, char **argv);

/* The same with the streams given (tests; or a program that embeds models).
 * `out` receives help and the summary table, `err` messages and progress.
 * Installs the SIGINT handler (lvm_signals_install) but does not clear the
 * interrupt flag: a process that runs several commands calls
 * lvm_interrupt_clear() between them. */
int lvm_model_run(const lvm_model *m, int argc, char **argv, FILE *out, FILE *err);

#ifdef __cplusplus
}
#endif
#endif
