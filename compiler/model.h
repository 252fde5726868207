/* model.h — the typed model graph produced by semantic analysis (sema.c).
 *
 * Phase 2 (resolve names, sizes, shapes, types) turns the AST into a Model:
 * one Sym per name (data, param, random variable, loop index), the
 * definition sites of every random variable with the loops around them, the
 * parent/child graph, and — when a data file is given — the exact role of
 * each variable (observed, partly observed, latent).  Later phases (the
 * conjugacy analysis and lowering) read only this structure and the AST it
 * points into.
 */
#ifndef LVMC_MODEL_H
#define LVMC_MODEL_H

#include "ast.h"

struct lvm_data_var;
struct lvm_data;

#define MAXDIM 8

/* One dimension of a shape: a known value, or a size expression (both when
 * the expression is known: value >= 0 and expr != NULL). */
typedef struct Dim {
  long long value;   /* -1 when unknown */
  const Node *expr;  /* for display ("N", "K + 1"); NULL for a literal */
} Dim;

struct Type {
  Domain dom;        /* the element domain (D_NONE for "unknown") */
  Dim domsize;       /* K of cat(K)/simplex(K), D of vec(D)/spd(D) */
  int ndim;          /* full shape, including the trailing structural dims */
  Dim dims[MAXDIM];
  int nstruct;       /* trailing dims that belong to dom: vec/simplex 1, spd 2 */
  bool row;          /* a transposed vector */
};

typedef enum SymKind {
  SYM_DATA,    /* data NAME : TYPE */
  SYM_PARAM,   /* param NAME : TYPE */
  SYM_VAR,     /* random variable (defined by ~, = or | rest, or annotated for factors) */
  SYM_LOOP,    /* loop / comprehension index */
  SYM_LOCAL,   /* a parameter, variate or size inside a dist/family declaration */
} SymKind;

typedef enum Role {
  ROLE_UNKNOWN = 0,    /* no data file given */
  ROLE_LATENT,
  ROLE_OBSERVED,
  ROLE_PARTIAL,        /* some elements observed, some missing (null) */
  ROLE_DETERMINISTIC,  /* defined by '=' from random variables */
  ROLE_DERIVED,        /* defined by '=' from data only */
  ROLE_FIXED,          /* data and params */
} Role;

typedef struct DefSite {
  Node *stmt;    /* N_TILDE, N_REST or N_ASSIGN */
  Node *lhs;     /* N_NAME or N_INDEX */
  PtrVec loops;  /* enclosing N_FOR nodes, outermost first */
} DefSite;

typedef struct Dist Dist;
typedef struct Family Family;

struct Sym {
  SymKind kind;
  const char *name;
  Span span;            /* declaration, or first definition */
  Node *decl;           /* N_DATA / N_PARAM / N_ANNOT, or NULL */
  Type *type;
  /* random variables */
  PtrVec defs;          /* DefSite* */
  PtrVec factors;       /* N_FACTOR statements that mention it */
  PtrVec parents;       /* Sym* (random variables, data, params) */
  PtrVec children;      /* Sym* */
  bool deterministic;   /* defined by '=' */
  NodeKind defkind;     /* kind of the first defining statement */
  Span defspan;         /* its left-hand side */
  bool rest;            /* defined by '| rest ~' */
  bool used;
  Dist *dist;           /* distribution of the first '~' (NULL otherwise) */
  Role role;
  long long n_observed, n_missing; /* elements, with --data */
  /* data and params */
  bool has_value;       /* scalar value known (default, --set or data) */
  double value;
  bool value_from_data;
  const struct lvm_data_var *data; /* with --data (runtime data reader) */
  /* loop indices */
  Node *loop;           /* N_FOR or N_COMPREH */
};

struct Dist {
  const char *name;
  Node *decl;           /* N_DIST */
  PtrVec params;        /* Sym* (SYM_LOCAL): [0] is the variate */
  PtrVec sizes;         /* Sym* (SYM_LOCAL): size names bound implicitly */
};

struct Family {
  const char *name;
  Node *decl;           /* N_FAMILY */
  Sym *var;             /* the variate */
  PtrVec stats;         /* Node*: the sufficient statistics */
  const char *runtime;  /* runtime routine prefix */
};

typedef struct Model {
  const char *name;
  Span name_span;
  Program *prog;
  PtrVec syms;      /* top-level Sym*: data, params, random variables (declaration order) */
  PtrVec dists;     /* Dist* */
  PtrVec families;  /* Family* */
  PtrVec stmts;     /* every N_TILDE, N_REST, N_ASSIGN, N_FACTOR of the model, in order */
  PtrVec factors;   /* N_FACTOR */
  bool have_data;   /* a data file was given */
  const struct lvm_data *data;
} Model;

const char *role_name(Role r);
const char *symkind_name(SymKind k);
/* "real[N, 3]", "simplex(K)[K]", "cat(3)" */
void type_format(StrBuf *b, const Type *t);
Sym *model_find(const Model *m, const char *name);
Dist *model_find_dist(const Model *m, const char *name);

#endif
