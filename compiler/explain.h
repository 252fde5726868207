/* explain.h — human-readable views of the model graph: `lvmc explain`,
 * --dump=typed and --dump=graph. */
#ifndef LVMC_EXPLAIN_H
#define LVMC_EXPLAIN_H

#include <stdio.h>

#include "compile.h"

void explain_model(FILE *out, Compilation *c);
void dump_typed(FILE *out, Compilation *c);
void dump_graph(FILE *out, Compilation *c);
/* The log-density term a '~' statement adds: the dist body with the
 * statement's arguments substituted, as model source. */
void explain_term(StrBuf *b, Arena *a, const Node *stmt, const Dist *d);

#endif
