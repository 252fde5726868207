/* jam.h — unroll-and-jam of a loop of the IR (jam.c).
 *
 * ir_jam(A, fn, loop, J) rewrites the IS_FOR statement `loop` of function
 * fn, in place, into a loop over blocks of J consecutive values of its
 * variable, whose body runs the J iterations statement by statement (each
 * statement J times, once per iteration, one after another; the loops and
 * ifs inside opened once for the J of them), followed by a loop over the
 * remaining values with the original body.  The backends then see J
 * independent chains of arithmetic side by side, which the processor
 * overlaps and LLVM's SLP vectorizer packs into vector instructions.
 *
 * Every iteration computes exactly what it computed before (the same
 * operations in the same order on its own locals), so the results are the
 * same to the bit.  It applies only where that is provable from the body
 * alone, and returns false (leaving the loop as it was) otherwise:
 *  - the body is made of SET, STORE, FOR and IF statements only;
 *  - the bounds of the inner loops and the conditions of the ifs do not
 *    depend on the iteration (on the loop variable or a local the body
 *    assigns);
 *  - every local the body assigns is assigned before it is read, in each
 *    iteration (no value carried from one iteration to the next);
 *  - no array (state field or scratch) the body stores into is read in the
 *    body, and the body calls no generated function (IR_KCALL), which might
 *    read one.  Stores then commute with everything but each other, and the
 *    last store to each address is the same as in the original order.
 * The loop's bounds are evaluated once, before both loops, as before. */
#ifndef LVMC_JAM_H
#define LVMC_JAM_H

#include <stdbool.h>

#include "ir.h"

bool ir_jam(Arena *A, IrFunc *fn, IrStmt *loop, int J);

#endif
