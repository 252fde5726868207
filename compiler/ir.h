/* ir.h — the loop IR (phase 5): what the backends read.
 *
 * A small structured imperative language, in one header (QBE's all.h in
 * spirit).  A module is a list of functions over one model-state record; a
 * function body is a tree of statements; expressions are trees.  There is
 * no SSA: locals are mutable slots (the C backend prints them as locals,
 * the LLVM backend as allocas that mem2reg promotes), which keeps lowering
 * simple and both backends obviously equivalent.
 *
 * Types: f64 and i64 scalars; arrays are fields of the state record (f64 or
 * i64 element type, flat, row-major) or function-local scratch arrays.
 * Every expression has a type; ir_check() verifies the invariants between
 * passes (types agree, locals defined before use, loop variables not
 * assigned, array element types match).
 *
 * Every statement carries the source span of the model statement it came
 * from; the backends emit a source-location table so that a runtime failure
 * (a non-finite log density, an improper conditional) names the model line.
 */
#ifndef LVMC_IR_H
#define LVMC_IR_H

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"
#include "util.h"

typedef enum IrType { IR_VOID = 0, IR_F64, IR_I64 } IrType;

/* Opcode table: name, arity (-1: variadic), result type rule. */
#define IR_OPS(X)                                                             \
  X(CONST_F, 0)   /* f64 literal: .f */                                       \
  X(CONST_I, 0)   /* i64 literal: .i */                                       \
  X(LOCAL, 0)     /* read local .local */                                     \
  X(FIELD, 0)     /* read scalar state field .field */                        \
  X(LOAD, 1)      /* .field[arg0] (flat index, i64) */                        \
  X(SCRATCH, 1)   /* .local scratch array [arg0] */                           \
  X(NEG, 1)                                                                   \
  X(ADD, 2)                                                                   \
  X(SUB, 2)                                                                   \
  X(MUL, 2)                                                                   \
  X(DIV, 2)                                                                   \
  X(REM, 2)       /* i64 only */                                              \
  X(IDIV, 2)      /* i64 only: truncating division */                                              \
  X(LT, 2)        /* comparisons give i64 0/1 */                              \
  X(LE, 2)                                                                    \
  X(EQ, 2)                                                                    \
  X(NE, 2)                                                                    \
  X(AND, 2)                                                                   \
  X(OR, 2)                                                                    \
  X(NOT, 1)                                                                   \
  X(I2F, 1)       /* i64 -> f64 */                                            \
  X(F2I, 1)       /* f64 -> i64 (exact integers only) */                      \
  X(CALL, -1)     /* pure math function .fn (f64 ... -> f64) */               \
  X(SELECT, 3)    /* arg0 ? arg1 : arg2 */                                    \
  X(FREE, 1)      /* i64: is element arg0 of variable .field to be sampled? */  \
  X(KCALL, -1)    /* f64: a generated function .fn of the module (e, x) */    \
  X(ARRCALL, 2)   /* f64: runtime .fn(&.field[arg0], (int64) arg1): a function \
                     of a sub-array of a state field (log det of a matrix) */

typedef enum IrOp {
#define X(name, arity) IR_##name,
  IR_OPS(X)
#undef X
  IR_OP_COUNT
} IrOp;

typedef struct IrExpr IrExpr;
struct IrExpr {
  IrOp op;
  IrType type;
  double f;
  long long i;
  int local;          /* IR_LOCAL, IR_SCRATCH */
  int field;          /* IR_FIELD, IR_LOAD */
  const char *fn;     /* IR_CALL: runtime math function name (lvm_lgamma, log, ...) */
  IrExpr **args;
  int nargs;
};

typedef enum IrStmtKind {
  IS_BLOCK,     /* body */
  IS_FOR,       /* local = lo .. hi (inclusive, i64), body */
  IS_IF,        /* cond, body, els */
  IS_SET,       /* local = value */
  IS_STORE,     /* field[index] = value */
  IS_ACC,       /* field[index] += value   (or scratch when local >= 0) */
  IS_SETF,      /* scalar field = value */
  IS_RTCALL,    /* status-returning runtime call .fn(args); on failure: report
                   .span and return the status */
  IS_RETURN,    /* return value (f64) or status (i64) */
  IS_DRAW,      /* field[index] = draw from runtime sampler .fn(rng, args) (scalar) */
  IS_DRAWVEC,   /* runtime vector draw .fn(rng, n=args[0], in=scratch .local, out=&field[index]) */
  IS_FAMILY,    /* field[index] = lvm_family_<fn>_draw(rng, [n=args[1],] eta=&scratch .local[args[0]]
                   [, work=&.value]); .value, when present, is an IR_SCRATCH element
                   (the work buffer of mvnormal / wishart) */
  IS_CATDRAW,   /* field[index] = offset + lvm_categorical_logit_draw(rng, n=args[0], scratch .local) */
  IS_FAIL,      /* return an error naming .span: .fn is the message */
  IS_SLICE,     /* field[index] = slice draw with log density function .fn (params: elem, x),
                   domain .local (lvm_slice_kind), state in field .value->field at [index] */
  IS_VIFACTOR,  /* CAVI factor update: field[index + i] = scratch .local[args[0] + i] for
                   i < args[1]; then field2[index ..] = E[T] of family .fn at those natural
                   parameters (lvm_family_<fn>_mean_stats; sized families take K = args[2]) */
  IS_VIROWS,    /* CAVI: every free element e of variable .local is a discrete factor whose
                   natural parameters are at field[e K ..] (K = args[0]): field2 gets their
                   probabilities (lvm_gen_vi_categorical_rows, all rows at once) */
} IrStmtKind;

typedef struct IrStmt IrStmt;
struct IrStmt {
  IrStmtKind kind;
  Span span;
  int local;
  int field;
  IrExpr *lo, *hi, *cond, *index, *value;
  const char *fn;
  IrExpr **args;
  int nargs;
  PtrVec body;  /* IrStmt* */
  PtrVec els;   /* IrStmt* */
  int field2;   /* IS_VIFACTOR, IS_VIROWS: the expected-statistics field */
};

typedef struct IrField {
  const char *name;   /* C identifier */
  IrType type;        /* element type */
  bool array;         /* false: a scalar */
  const char *doc;    /* what it holds ("mu: latent real[K]") */
  bool size;          /* a size (st->n[index]) rather than a variable (st->v[index]) */
  int index;
} IrField;

/* The variable table (see runtime lvm/vars.h), emitted as data. */
typedef struct IrVarDesc {
  const char *name;
  int kind;           /* lvm_var_kind; 4 = hidden auxiliary state */
  int domain;         /* lvm_domain */
  bool is_int;
  int ndim;
  int dim[8];         /* size indices */
  int domain_arg;     /* size index or -1 */
  bool has_default;
  double default_value;
} IrVarDesc;

typedef struct IrSizeDesc {
  const char *text;
  int var;            /* variable index or -1 */
  long long add, value;
} IrSizeDesc;

typedef struct IrLocal {
  const char *name;
  IrType type;
  long long scratch;  /* > 0: a scratch array of this many elements */
  IrExpr *scratch_n;  /* or of a size computed at entry */
} IrLocal;

typedef struct IrFunc {
  const char *name;   /* sweep, log_joint, init, simulate, ... */
  IrType ret;
  int nparams;        /* the first nparams locals are parameters */
  PtrVec locals;      /* IrLocal* */
  PtrVec body;        /* IrStmt* */
} IrFunc;

/* A mean-field factor of CAVI: the variational family of one latent
 * variable and the hidden arrays holding, per element, its natural
 * parameters and expected statistics (a discrete variable: log-weights
 * and probabilities of its K values). */
typedef struct IrViFactor {
  int var;             /* variable index */
  const char *family;  /* runtime family (normal, gamma, ...) or "discrete" */
  int eta, stats;      /* variable indices of the hidden arrays */
  int size;            /* size index of K (dirichlet, discrete), or -1 */
} IrViFactor;

typedef struct IrModule {
  const char *model;
  const char *source;
  PtrVec vars;        /* IrVarDesc* */
  PtrVec sizes;       /* IrSizeDesc* */
  PtrVec fields;      /* IrField* */
  PtrVec funcs;       /* IrFunc* */
  PtrVec spans;       /* Span* referenced by statements, for the location table */
  PtrVec vi_factors;  /* IrViFactor*: CAVI, in update order */
  const char *vi_unsupported; /* why this model has no CAVI (then no vi_* kernels) */
} IrModule;

const char *ir_op_name(IrOp op);

/* Builders (allocate in the arena). */
IrExpr *ir_const_f(Arena *a, double v);
IrExpr *ir_const_i(Arena *a, long long v);
IrExpr *ir_local(Arena *a, int local, IrType t);
IrExpr *ir_load(Arena *a, int field, IrExpr *index, IrType t);
IrExpr *ir_scratch(Arena *a, int local, IrExpr *index);
IrExpr *ir_un(Arena *a, IrOp op, IrExpr *x);
IrExpr *ir_bin(Arena *a, IrOp op, IrExpr *x, IrExpr *y);
IrExpr *ir_call(Arena *a, const char *fn, int nargs, IrExpr **args);
IrExpr *ir_select(Arena *a, IrExpr *c, IrExpr *x, IrExpr *y);
IrExpr *ir_free(Arena *a, int field, IrExpr *index);
IrExpr *ir_arrcall(Arena *a, const char *fn, int field, IrExpr *offset, IrExpr *n);
IrExpr *ir_to_f(Arena *a, IrExpr *x);  /* I2F unless already f64 */
IrExpr *ir_to_i(Arena *a, IrExpr *x);  /* F2I unless already i64 */
IrStmt *ir_stmt(Arena *a, IrStmtKind k, Span span);
int ir_add_local(Arena *a, IrFunc *f, const char *name, IrType t);
/* a and b are the same expression (structurally: the same operations on
 * the same constants, locals, fields and functions). */
bool ir_expr_equal(const IrExpr *a, const IrExpr *b);
/* The function named `name` (without the gen_ prefix), or NULL. */
const IrFunc *ir_find_func(const IrModule *m, const char *name);
/* Verify the invariants; returns the number of violations (printed to f). */
int ir_check(const IrModule *m, FILE *f);
/* The --dump=ir text form. */
void ir_dump(FILE *f, const IrModule *m);

#endif
