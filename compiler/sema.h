/* sema.h — phase 2: names, sizes, shapes, types, definitions, roles. */
#ifndef LVMC_SEMA_H
#define LVMC_SEMA_H

#include "model.h"

struct lvm_data;

/* Analyse prog into a Model.  `data` (may be NULL) is the data file already
 * read; with it, sizes become exact, the data are checked against the
 * declarations, and roles become observed / partly observed / latent.
 * Returns NULL only if the model is too broken to describe; errors go to
 * diags either way. */
Model *sema_analyse(Arena *arena, Diags *diags, Program *prog, const struct lvm_data *data);

/* Builtin functions (the standard library's C side). */
typedef struct Builtin {
  const char *name;
  int min_args, max_args;  /* max -1: variadic */
  int kind;                /* see sema.c */
  Domain result;           /* result domain for scalar functions */
  const char *doc;
} Builtin;
const Builtin *builtin_lookup(const char *name);
const Builtin *builtin_table(int *n);

#endif
