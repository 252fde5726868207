/* compile.h — one compilation: sources, diagnostics, AST, model.
 * The entry point used by the driver, the tests and the fuzzer. */
#ifndef LVMC_COMPILE_H
#define LVMC_COMPILE_H

#include <stddef.h>

#include "ast.h"
#include "diag.h"
#include "model.h"

typedef struct EmbeddedFile {
  const char *name;
  const char *text;
} EmbeddedFile;
extern const EmbeddedFile lvmc_stdlib[];
extern const int lvmc_stdlib_count;

typedef enum Stage { STAGE_PARSE = 1, STAGE_SEMA = 2 } Stage;

typedef struct Compilation {
  Arena arena;
  Diags diags;
  Program prog;
  Model *model;
  int user_src;
  struct lvm_data *data;  /* owned; NULL without --data */
} Compilation;

Compilation *compilation_new(void);
void compilation_free(Compilation *c);
/* Read a data file (and --set assignments) before compile(); problems are
 * reported as diagnostics.  Returns 0 on success. */
int compilation_read_data(Compilation *c, const char *path, char **sets, int nsets);
/* Parse the stdlib and the given buffer, then analyse up to `stage`.
 * Returns the number of errors. */
int compile_buffer(Compilation *c, const char *name, const char *text, size_t len, Stage stage);

#endif
