/* ast.h — the syntax tree of a .lvm file.
 *
 * One Node type for everything (chibicc style): `kind` says which fields are
 * in use, as listed beside each kind.  Nodes live in the compilation's
 * Arena.  Semantic analysis (sema.c) fills the fields under "set by sema".
 */
#ifndef LVMC_AST_H
#define LVMC_AST_H

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"
#include "util.h"

typedef enum NodeKind {
  /* Expressions */
  N_NUM,        /* num, is_int */
  N_NAME,       /* name */
  N_INDEX,      /* a = base, list = indices */
  N_CALL,       /* name = function, list = arguments */
  N_COMPREH,    /* name = reducer, a = body, var = index name, b = lo, c = hi, d = cond|NULL */
  N_UNARY,      /* op ('-' or '!'), a */
  N_BINARY,     /* op, a, b */
  N_TRANSPOSE,  /* a */
  /* Statements */
  N_TILDE,      /* a = lhs, name = distribution, list = arguments */
  N_REST,       /* a = lhs, name = distribution, list = arguments ('| rest ~') */
  N_ASSIGN,     /* a = lhs, b = value */
  N_FACTOR,     /* a = log-potential */
  N_FOR,        /* var, b = lo, c = hi, d = cond|NULL, a = body */
  N_BLOCK,      /* list = statements */
  /* Top-level items */
  N_MODEL,      /* name */
  N_DATA,       /* name, type, a = default|NULL */
  N_PARAM,      /* name, type, a = default|NULL */
  N_ANNOT,      /* name, type */
  N_DIST,       /* name, list = N_VARDECL (first is the variate), a = log density */
  N_FAMILY,     /* name, list = [N_VARDECL], clauses = N_CLAUSE */
  N_CLAUSE,     /* name, list = expressions */
  N_VARDECL,    /* name, type */
  N_TYPE,       /* domain, a = domain size|NULL, list = dims */
} NodeKind;

/* Binary operators use their token: '+', '-', '*', '/', '^', '<', '>', and: */
enum { OP_EQ = 256, OP_NE, OP_LE, OP_GE, OP_AND, OP_OR };

typedef enum Domain {
  D_NONE = 0,
  D_REAL, D_POS, D_UNIT, D_INT, D_NAT, D_BIN, D_SPIN,
  D_CAT, D_SIMPLEX, D_VEC, D_SPD,
  D_COUNT
} Domain;

typedef struct Node Node;
typedef struct Type Type;
typedef struct Sym Sym;

struct Node {
  NodeKind kind;
  Span span;
  const char *name;  /* interned */
  Span name_span;
  const char *var;   /* N_FOR / N_COMPREH index name (interned) */
  Span var_span;
  double num;
  bool is_int;
  int op;
  Domain domain;     /* N_TYPE */
  Node *type;        /* declarations */
  Node *a, *b, *c, *d;
  PtrVec list;       /* Node* */
  PtrVec clauses;    /* Node*, N_FAMILY */
  int from_stdlib;   /* item came from the embedded standard library */

  /* set by sema */
  Sym *sym;          /* N_NAME, N_INDEX base, N_FOR/N_COMPREH index, lhs */
  Type *ty;          /* expressions */
  void *aux;         /* pass-specific */
  PtrVec loops;      /* statements: the enclosing N_FOR nodes, outermost first */
};

typedef struct Program {
  PtrVec items;      /* Node*, in source order (stdlib first) */
  int nsources;
} Program;

Node *ast_new(Arena *a, NodeKind kind, Span span);
const char *domain_name(Domain d);
Domain domain_lookup(const char *name);
bool domain_has_size(Domain d);
const char *op_text(int op);

/* Dump in the stable, span-free form used by golden tests (--dump=ast). */
void ast_dump(FILE *out, const Program *p, bool include_stdlib);
void ast_dump_expr(FILE *out, const Node *e);
/* Print an expression back as model source (for messages and explain). */
void ast_unparse(StrBuf *b, const Node *e);
/* Does e (any of its subexpressions) mention the name `name` (interned)? */
bool ast_mentions_name(const Node *e, const char *name);

#endif
