/* emit_c.h — the C backend. */
#ifndef LVMC_EMIT_C_H
#define LVMC_EMIT_C_H

#include <stdio.h>

#include "ir.h"

/* Print the module as one C file with a main(); 0 on success. */
int emit_c(FILE *f, const IrModule *m, Diags *diags);

#endif
