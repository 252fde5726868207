/* poly.h — the canonical form of log-density terms (internal to the
 * conjugacy analysis and the lowering): sums of monomials c · Π atom^p with
 * sum binders.  See conj.h for the method. */
#ifndef LVMC_POLY_H
#define LVMC_POLY_H

#include "compile.h"

typedef enum AtomKind { A_REF, A_FUNC, A_PAREN } AtomKind;

typedef struct Poly Poly;

typedef struct Atom {
  AtomKind kind;
  const char *key;     /* canonical text: equal atoms have equal keys */
  const Node *ref;     /* A_REF: N_NAME or N_INDEX */
  Sym *var;            /* A_REF: the variable referred to */
  const char *fname;   /* A_FUNC */
  Poly **args;         /* A_FUNC arguments, A_PAREN: one */
  int nargs;
  PtrVec deps;         /* Sym*: random variables anywhere inside */
  Span span;
} Atom;

typedef struct Factor {
  Atom *atom;
  int power;
} Factor;

typedef struct Binder {
  const char *var;
  const Node *lo, *hi, *cond;
} Binder;

typedef struct Mono {
  double coef;
  int nf, nb;
  Factor *f;
  Binder *b;
} Mono;

struct Poly {
  int n;
  Mono **m;
};

typedef struct PolyCtx {
  Arena *A;
  Model *m;
  int budget;       /* monomials left before giving up on a term */
  bool overflow;
  int depth;        /* deterministic inlining depth */
  int fresh;        /* counter for fresh index names */
  bool no_fold;     /* lowering: do not fold data values (they may change at run time) */
} PolyCtx;


enum { POLY_MAX_MONOS = 20000 };

/* One statement's term of the log joint: a '~' or '| rest' statement's log
 * density (the dist body, arguments substituted) or a factor's expression. */
typedef struct Term {
  Node *stmt;
  Poly *poly;
  bool too_large;  /* the expansion hit POLY_MAX_MONOS: poly is one opaque atom */
} Term;

/* Every term of the model, in statement order. */
void poly_terms(PolyCtx *c, PtrVec *terms);

/* Rewrite an expression (scalar-valued) into a polynomial. */
Poly *to_poly(PolyCtx *c, const Node *e);
const Type *expr_type(PolyCtx *c, const Node *e);
bool depends_on(const Atom *a, const Sym *v);
bool index_depends_on(const Atom *a, const Sym *v);
bool is_ref_to(const Atom *a, const Sym *v);
const Atom *poly_single_ref(const Poly *p, const Sym *v);
bool poly_one_minus_ref(const Poly *p, const Sym *v);
unsigned family_stats(const Family *fam);
/* The family of v in one term alone (its statistics matched against the
 * declared families), or NULL when the term is not of exponential-family
 * form in v: used to draw from a distribution through its family. */
Family *term_family(PolyCtx *c, const Poly *p, const Sym *v);
void poly_pretty(StrBuf *b, const Poly *p);
/* Sum like monomials (equal factors and binders, in any order) and drop
 * zero ones; the factors of each monomial end up sorted by key. */
Poly *poly_merge(PolyCtx *c, const Poly *p);

#endif
