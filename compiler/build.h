/* build.h — `lvmc build` and `lvmc run`: plan → IR → executable (through
 * LLVM or C) or → in-memory code (LLVM ORC JIT). */
#ifndef LVMC_BUILD_H
#define LVMC_BUILD_H

#include <stdbool.h>
#include <stdio.h>

#include "compile.h"

typedef enum Backend { BACKEND_LLVM = 0, BACKEND_C } Backend;

typedef struct BuildOptions {
  const char *out;       /* executable path (NULL: only the other outputs) */
  const char *emit_c;    /* write the C source here too */
  const char *emit_llvm; /* write the LLVM IR (textual, before optimisation) here too */
  FILE *dump_ir;         /* print the IR here */
  int verbose;           /* print the linker / C compiler command */
  Backend backend;       /* of the executable */
  bool debug;            /* -g: debug information naming the model's lines */
} BuildOptions;

/* Returns 0 on success, 1 on errors in the model (reported in diags or on
 * stderr). */
int lvmc_build(Compilation *c, const BuildOptions *o);

/* `lvmc run`: compile in memory and run the model's main with the model's
 * name and the nargs arguments args.  The diagnostics are rendered to
 * stderr before the model runs.  Returns the exit status the executable
 * would give; 1 when the model cannot be compiled. */
int lvmc_run(Compilation *c, const BuildOptions *o, int nargs, char **args, int color);

#endif
