/* Fuzz target: the compile-from-buffer entry point (parse, semantic
 * analysis and, for models without errors, the conjugacy analysis, the
 * lowering to the IR, whose invariants are checked, and the LLVM backend,
 * whose module must pass LLVM's verifier) must
 * never crash, hang, leak or assert on any input.
 *
 * Built two ways:
 *  - with -Dfuzz=true (clang): a libFuzzer binary, fuzz_compile;
 *  - always: fuzz_replay, which runs every file given on the command line
 *    (the seed corpus and every crash ever found) through the same function,
 *    as an ordinary test. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "compile.h"
#include "conj.h"
#include "emit_llvm.h"
#include "lower.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 100000) return 0;
  Compilation *c = compilation_new();
  if (!c) return 0;
  if (compile_buffer(c, "fuzz.lvm", (const char *)data, size, STAGE_SEMA) == 0 && c->model) {
    IrModule *m = lower_model(c, conj_analyse(c));
    if (m && ir_check(m, stderr) != 0) abort(); /* generated IR must be well formed */
    if (m) { /* and so must its LLVM module (llvm_emit_ir runs the verifier) */
      char *ll = NULL;
      size_t lllen = 0;
      FILE *lf = open_memstream(&ll, &lllen);
      LlvmOptions lo = {true, false};
      if (!lf || llvm_emit_ir(lf, m, &c->diags, &lo) != 0) abort();
      fclose(lf);
      free(ll);
    }
  }
  /* render into a memory stream to exercise the renderer too */
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (f) {
    diags_render(&c->diags, f, 0);
    fclose(f);
  }
  free(buf);
  compilation_free(c);
  return 0;
}

#ifndef LVMC_LIBFUZZER
int main(int argc, char **argv) {
  int n = 0;
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f) {
      perror(argv[i]);
      return 1;
    }
    static uint8_t buf[100001];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, len);
    n++;
  }
  printf("replayed %d inputs without a crash\n", n);
  return 0;
}
#endif
