/* build.h — `lvmc build`: plan → IR → C → executable. */
#ifndef LVMC_BUILD_H
#define LVMC_BUILD_H

#include <stdio.h>

#include "compile.h"

typedef struct BuildOptions {
  const char *out;      /* executable path (NULL: only the other outputs) */
  const char *emit_c;   /* write the C source here too */
  FILE *dump_ir;        /* print the IR here */
  int verbose;          /* print the C compiler command */
} BuildOptions;

/* Returns 0 on success, 1 on errors in the model (reported in diags or on
 * stderr). */
int lvmc_build(Compilation *c, const BuildOptions *o);

#endif
