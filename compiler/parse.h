/* parse.h — the interface between the flex scanner, the bison parser and
 * the rest of the compiler. */
#ifndef LVMC_PARSE_H
#define LVMC_PARSE_H

#include "ast.h"
#include "diag.h"

typedef struct ParseCtx {
  Arena *arena;
  Diags *diags;
  Program *prog;
  int src;          /* source index of the buffer being parsed */
  int from_stdlib;
  /* scanner position: line and column of the next character */
  int line, col;
  /* end of the previous token, for "expected ';' after ..." */
  int prev_end_line, prev_end_col;
  int tok_end_line, tok_end_col;
  /* open braces, for "to close '{' at line N" */
  int brace_line[256], brace_col[256];
  int nbrace;
  void *scanner;
} ParseCtx;

/* Parse source `src` (already registered in diags) and append its items to
 * prog.  Returns the number of errors reported. */
int parse_source(Arena *arena, Diags *diags, Program *prog, int src, int from_stdlib);

#endif
