/* emit_llvm.h — phase 6, second backend: the loop IR as an LLVM module
 * (through LLVM's C API), compiled to an object file or run in memory with
 * ORC LLJIT (`lvmc run`). */
#ifndef LVMC_EMIT_LLVM_H
#define LVMC_EMIT_LLVM_H

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"
#include "ir.h"

typedef struct LlvmOptions {
  bool debug;        /* -g: DWARF line tables naming the .lvm file */
  bool optimize;     /* run default<O2> (the object file and the JIT) */
} LlvmOptions;

/* Write the module's textual IR (verified, before optimisation) to f.
 * Returns 0, or 1 after printing the reason to stderr. */
int llvm_emit_ir(FILE *f, const IrModule *m, Diags *diags, const LlvmOptions *o);

/* Compile the module (with main) to an object file for the host. */
int llvm_emit_object(const char *path, const IrModule *m, Diags *diags, const LlvmOptions *o);

/* Compile in memory and run the model's main with argv (argv[0]: the
 * model's name); returns the exit status the executable would give, or -1
 * (after a message on stderr) when the JIT fails. */
int llvm_run(const IrModule *m, Diags *diags, const LlvmOptions *o, int argc, char **argv);

#endif
