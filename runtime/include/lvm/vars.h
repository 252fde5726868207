/* lvm/vars.h — the variable table of a compiled model, and the generic
 * state built from it.
 *
 * Generated code describes every variable of the model (data, params,
 * random and deterministic variables) in a table; the runtime allocates the
 * arrays, checks and copies the data, clones states for chains, names the
 * output columns and writes rows.  Generated kernels (init, sweep,
 * log_joint, simulate) then only read and write `st->v[k]` (the flat,
 * row-major values of variable k, double or int64_t by `is_int`) and
 * `st->n[j]` (size j of the size table).
 */
#ifndef LVM_VARS_H
#define LVM_VARS_H

#include <stddef.h>
#include <stdint.h>

#include "lvm/csv.h"
#include "lvm/data.h"
#include "lvm/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LVM_VARS_MAX_DIMS 8

typedef enum lvm_var_kind {
  LVM_VK_DATA = 0,      /* a fixed input: required unless it has a default */
  LVM_VK_PARAM,         /* a point parameter: data file or default */
  LVM_VK_RANDOM,        /* modelled: observed, partly observed or latent per the data */
  LVM_VK_DETERMINISTIC  /* defined by '=' (computed, written to the output) */
} lvm_var_kind;

/* A size: `value` when var < 0, else the scalar integer variable `var`
 * plus `add` (sizes such as N, K, T - 1). */
typedef struct lvm_size_desc {
  const char *text;  /* as written in the model, for messages */
  int var;
  long long add;
  long long value;
} lvm_size_desc;

typedef struct lvm_var_desc {
  const char *name;
  lvm_var_kind kind;
  lvm_domain domain;
  int is_int;              /* stored as int64_t (discrete domains) */
  int ndim;                /* all dims, including the domain's own (simplex: +1, spd: +2) */
  int dim[LVM_VARS_MAX_DIMS]; /* index into the size table */
  int domain_arg;          /* size index of K / D, or -1 */
  int has_default;         /* scalar default in `default_value` */
  double default_value;
} lvm_var_desc;

typedef struct lvm_vars_desc {
  const char *model;
  int n_vars;
  const lvm_var_desc *vars;
  int n_sizes;
  const lvm_size_desc *sizes;
} lvm_vars_desc;

/* The generic state: values and sizes.  `missing[k]` is NULL or a 0/1 mask
 * per element (1: not given by the data, to be sampled); for a latent
 * variable every element is missing and the mask is NULL with
 * `latent[k] = 1`. */
typedef struct lvm_vars {
  const lvm_vars_desc *desc;
  void **v;                 /* per variable: double* or int64_t* */
  size_t *len;              /* per variable: number of elements */
  unsigned char **missing;  /* per variable: NULL or mask */
  unsigned char *latent;    /* per variable: 1 if nothing observed */
  unsigned char *hidden;    /* per variable: 1 if left out of the output */
  long long *n;             /* sizes */
  /* for generated kernels: cached scratch buffers and the last error */
  double **scratch;
  size_t *scratch_len;
  int n_scratch;
  char error[512];
  /* CAVI: per discrete variable, the sum of its free rows' entropies as the
   * all-rows update (lvm_gen_vi_categorical_rows) computed it with their
   * probabilities; valid while vi_h_ok[k] (the runtime clears it whenever
   * it writes the factor's probabilities otherwise: lvm_vars_stats_changed) */
  double *vi_h;
  unsigned char *vi_h_ok;
} lvm_vars;

/* Evaluate sizes, check the data against the table (every problem reported
 * to msgs), allocate, copy data and defaults.  LVM_EDATA on bad data. */
lvm_status lvm_vars_setup(lvm_vars *st, const lvm_vars_desc *desc, const lvm_data *data,
                          lvm_msgs *msgs);
void lvm_vars_free(lvm_vars *st);
lvm_status lvm_vars_clone(lvm_vars *dst, const lvm_vars *src);
/* Output columns: random and deterministic variables, name.i.j. */
lvm_status lvm_vars_columns(const lvm_vars *st, lvm_csv_names *names);
/* Leave variable `name` out of the output; LVM_EINVAL if there is none. */
lvm_status lvm_vars_exclude(lvm_vars *st, const char *name);
/* Number of output values (the row length after lp__). */
size_t lvm_vars_row_length(const lvm_vars *st);
void lvm_vars_write_row(const lvm_vars *st, double *row);
/* Copy given values (e.g. --init) into the state: every variable present in
 * `init` overwrites the corresponding (non-missing-from-init) elements. */
lvm_status lvm_vars_set_from(lvm_vars *st, const lvm_data *init, lvm_msgs *msgs);
/* Add every variable (data and random) to a data set (simulate). */
lvm_status lvm_vars_to_data(const lvm_vars *st, lvm_data *out);

/* Variable k's variational statistics were written other than by the
 * all-rows update: its cached entropy is stale. */
static inline void lvm_vars_stats_changed(lvm_vars *st, int k) { st->vi_h_ok[k] = 0; }

/* Element access for generated code. */
static inline double *lvm_vars_f(const lvm_vars *st, int k) { return (double *)st->v[k]; }
static inline int64_t *lvm_vars_i(const lvm_vars *st, int k) { return (int64_t *)st->v[k]; }
/* Should element e of variable k be sampled (latent, or missing in the data)? */
static inline int lvm_vars_free_elem(const lvm_vars *st, int k, size_t e) {
  return st->latent[k] || (st->missing[k] && st->missing[k][e]);
}

#ifdef __cplusplus
}
#endif
#endif
