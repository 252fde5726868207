/* sema.c — phase 2: resolve names, fold sizes, infer shapes and domains,
 * check every statement, and build the model graph (model.h).
 *
 * Order of work:
 *   1. distributions and families (stdlib first, then the model's own);
 *   2. declarations (data, param, annotations) and the names every
 *      statement defines, so that use before definition is fine;
 *   3. every statement in its loops: expressions typed, calls checked
 *      against builtins and `dist` signatures, definition sites recorded;
 *   4. shapes of random variables from their definition sites;
 *   5. element coverage (each element defined exactly once), cycles, the
 *      '| rest' rule, factor-only variables;
 *   6. with a data file: data checked against the declarations, roles.
 */
#include "sema.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lvm/data.h"

typedef struct S {
  Arena *A;
  Diags *D;
  Model *m;
  PtrVec locals;         /* Sym*: loop indices and dist locals, innermost last */
  PtrVec loops;          /* N_FOR nodes around the current statement */
  Node *stmt;            /* statement being checked */
  Sym *target;           /* variable the statement defines (for parents) */
  bool in_dist;          /* checking a dist/family body */
  bool in_cond;          /* inside an 'if' filter */
  const lvm_data *data;
} S;

/* ------------------------------------------------------------------ */
/* Builtin functions                                                   */

enum {
  BK_MATH,     /* scalar -> scalar, elementwise on arrays */
  BK_MATH2,    /* (scalar, scalar) -> scalar */
  BK_REDUCE,   /* vector -> scalar (sum, prod, log_sum_exp, max, min); also comprehensions */
  BK_DOT,      /* (vector, vector) -> scalar */
  BK_REP,      /* (scalar, n) -> vector */
  BK_ZEROS,    /* n -> vector */
  BK_IDENTITY, /* n -> matrix */
  BK_SOFTMAX,  /* vector -> simplex */
  BK_TRANSPOSE,
  BK_INVERSE,  /* matrix -> matrix */
  BK_MAT2SCALAR, /* log_det, trace */
  BK_ONEHOT,   /* cat(K) -> K-vector */
  BK_PI,       /* () -> pos */
  BK_LMGAMMA,  /* (int D, real) -> real */
};

static const Builtin builtins[] = {
  {"exp", 1, 1, BK_MATH, D_POS, "exponential"},
  {"log", 1, 1, BK_MATH, D_REAL, "natural logarithm"},
  {"log1p", 1, 1, BK_MATH, D_REAL, "log(1 + x)"},
  {"log1m", 1, 1, BK_MATH, D_REAL, "log(1 - x)"},
  {"expm1", 1, 1, BK_MATH, D_REAL, "exp(x) - 1"},
  {"sqrt", 1, 1, BK_MATH, D_POS, "square root"},
  {"square", 1, 1, BK_MATH, D_POS, "x^2"},
  {"abs", 1, 1, BK_MATH, D_POS, "absolute value"},
  {"lgamma", 1, 1, BK_MATH, D_REAL, "log Gamma function"},
  {"digamma", 1, 1, BK_MATH, D_REAL, "derivative of lgamma"},
  {"lfactorial", 1, 1, BK_MATH, D_REAL, "log(x!)"},
  {"log_bessel_i0", 1, 1, BK_MATH, D_REAL, "log of the modified Bessel function I0"},
  {"cos", 1, 1, BK_MATH, D_REAL, "cosine"},
  {"sin", 1, 1, BK_MATH, D_REAL, "sine"},
  {"logistic", 1, 1, BK_MATH, D_UNIT, "1 / (1 + exp(-x))"},
  {"inv_logit", 1, 1, BK_MATH, D_UNIT, "1 / (1 + exp(-x))"},
  {"logit", 1, 1, BK_MATH, D_REAL, "log(x / (1 - x))"},
  {"log_inv_logit", 1, 1, BK_MATH, D_REAL, "log(logistic(x))"},
  {"log1m_inv_logit", 1, 1, BK_MATH, D_REAL, "log(1 - logistic(x))"},
  {"log1p_exp", 1, 1, BK_MATH, D_POS, "log(1 + exp(x))"},
  {"pow", 2, 2, BK_MATH2, D_REAL, "x^y"},
  {"lbeta", 2, 2, BK_MATH2, D_REAL, "log Beta function"},
  {"lchoose", 2, 2, BK_MATH2, D_REAL, "log binomial coefficient"},
  {"lmgamma", 2, 2, BK_LMGAMMA, D_REAL, "log multivariate Gamma function lmgamma(D, x)"},
  {"sum", 1, 1, BK_REDUCE, D_REAL, "sum of a vector, or of a comprehension"},
  {"prod", 1, 1, BK_REDUCE, D_REAL, "product"},
  {"log_sum_exp", 1, 2, BK_REDUCE, D_REAL, "log(sum(exp(v)))"},
  {"max", 1, 2, BK_REDUCE, D_REAL, "maximum"},
  {"min", 1, 2, BK_REDUCE, D_REAL, "minimum"},
  {"dot", 2, 2, BK_DOT, D_REAL, "dot product"},
  {"rep", 2, 2, BK_REP, D_NONE, "rep(x, n): the n-vector (x, ..., x)"},
  {"zeros", 1, 1, BK_ZEROS, D_REAL, "the zero n-vector"},
  {"ones", 1, 1, BK_ZEROS, D_POS, "the n-vector of ones"},
  {"identity", 1, 1, BK_IDENTITY, D_REAL, "the n x n identity matrix"},
  {"softmax", 1, 1, BK_SOFTMAX, D_UNIT, "exp(v) / sum(exp(v))"},
  {"transpose", 1, 1, BK_TRANSPOSE, D_NONE, "transpose (also written M')"},
  {"inverse", 1, 1, BK_INVERSE, D_REAL, "matrix inverse"},
  {"log_det", 1, 1, BK_MAT2SCALAR, D_REAL, "log determinant"},
  {"trace", 1, 1, BK_MAT2SCALAR, D_REAL, "trace"},
  {"onehot", 1, 1, BK_ONEHOT, D_BIN, "onehot(x) for x in cat(K): the K-vector with 1 at x"},
  {"pi", 0, 0, BK_PI, D_POS, "the constant pi"},
};

const Builtin *builtin_lookup(const char *name) {
  for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
    if (strcmp(builtins[i].name, name) == 0) return &builtins[i];
  return NULL;
}

const Builtin *builtin_table(int *n) {
  *n = (int)(sizeof builtins / sizeof builtins[0]);
  return builtins;
}

/* ------------------------------------------------------------------ */
/* Names of things                                                     */

const char *role_name(Role r) {
  switch (r) {
  case ROLE_LATENT: return "latent";
  case ROLE_OBSERVED: return "observed";
  case ROLE_PARTIAL: return "partly observed";
  case ROLE_DETERMINISTIC: return "deterministic";
  case ROLE_DERIVED: return "derived data";
  case ROLE_FIXED: return "fixed";
  default: return "random";
  }
}

const char *symkind_name(SymKind k) {
  switch (k) {
  case SYM_DATA: return "data";
  case SYM_PARAM: return "param";
  case SYM_VAR: return "random variable";
  case SYM_LOOP: return "loop index";
  default: return "name";
  }
}

static void dim_format(StrBuf *b, Dim d) {
  if (d.value >= 0) sb_printf(b, "%lld", d.value);
  else if (d.expr) ast_unparse(b, d.expr);
  else sb_puts(b, "?");
}

void type_format(StrBuf *b, const Type *t) {
  if (!t) {
    sb_puts(b, "?");
    return;
  }
  int outer = t->ndim - t->nstruct;
  if (t->dom == D_NONE) sb_puts(b, "?");
  else sb_puts(b, domain_name(t->dom));
  if (domain_has_size(t->dom)) {
    sb_putc(b, '(');
    dim_format(b, t->domsize);
    sb_putc(b, ')');
  }
  if (outer > 0) {
    sb_putc(b, '[');
    for (int i = 0; i < outer; i++) {
      if (i) sb_puts(b, ", ");
      dim_format(b, t->dims[i]);
    }
    sb_putc(b, ']');
  }
  if (t->row) sb_puts(b, "'");
}

static const char *tystr(S *s, const Type *t) {
  StrBuf b = {0};
  type_format(&b, t);
  const char *r = arena_strdup(s->A, b.s ? b.s : "?");
  sb_free(&b);
  return r;
}

/* A user-facing description: "a real scalar", "real[3]" */
static const char *tydesc(S *s, const Type *t) {
  if (!t) return "unknown";
  if (t->ndim == 0) return arena_printf(s->A, "a %s scalar", domain_name(t->dom));
  if (t->nstruct == 0 && t->ndim == 1)
    return arena_printf(s->A, "a vector %s", tystr(s, t));
  if (t->nstruct == 0 && t->ndim == 2)
    return arena_printf(s->A, "a matrix %s", tystr(s, t));
  return tystr(s, t);
}

Sym *model_find(const Model *m, const char *name) {
  for (int i = 0; i < m->syms.n; i++) {
    Sym *y = m->syms.v[i];
    if (y->name == name || strcmp(y->name, name) == 0) return y;
  }
  return NULL;
}

Dist *model_find_dist(const Model *m, const char *name) {
  for (int i = 0; i < m->dists.n; i++) {
    Dist *d = m->dists.v[i];
    if (strcmp(d->name, name) == 0) return d;
  }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Types                                                               */

static Type *ty_new(S *s, Domain dom) {
  Type *t = arena_alloc(s->A, sizeof *t);
  t->dom = dom;
  t->domsize.value = -1;
  return t;
}

static Type *ty_copy(S *s, const Type *t) {
  Type *c = arena_alloc(s->A, sizeof *c);
  *c = *t;
  return c;
}

static Dim dim_const(long long v) { return (Dim){v, NULL}; }

/* Is domain a within domain b? */
static bool dom_sub(Domain a, Domain b) {
  if (a == b || b == D_NONE || a == D_NONE) return true;
  switch (b) {
  case D_REAL: return a != D_SIMPLEX && a != D_SPD && a != D_VEC ? true : false;
  case D_INT: return a == D_NAT || a == D_BIN || a == D_SPIN || a == D_CAT;
  case D_NAT: return a == D_BIN || a == D_CAT;
  case D_POS: return a == D_UNIT || a == D_CAT;
  default: return false;
  }
}

static bool dom_is_int(Domain d) {
  return d == D_INT || d == D_NAT || d == D_BIN || d == D_SPIN || d == D_CAT;
}

static const char *dom_words(Domain d) {
  switch (d) {
  case D_REAL: return "a real number";
  case D_POS: return "positive";
  case D_UNIT: return "in (0, 1)";
  case D_INT: return "an integer";
  case D_NAT: return "a non-negative integer";
  case D_BIN: return "0 or 1";
  case D_SPIN: return "-1 or +1";
  case D_CAT: return "a category 1..K";
  case D_SIMPLEX: return "a simplex";
  case D_VEC: return "a real vector";
  case D_SPD: return "a symmetric positive definite matrix";
  default: return "?";
  }
}

static bool value_in_dom(double v, Domain d, long long K) {
  switch (d) {
  case D_REAL: return !isnan(v);
  case D_POS: return v > 0 && !isnan(v);
  case D_UNIT: return v > 0 && v < 1;
  case D_INT: return v == floor(v) && isfinite(v);
  case D_NAT: return v == floor(v) && v >= 0 && isfinite(v);
  case D_BIN: return v == 0 || v == 1;
  case D_SPIN: return v == -1 || v == 1;
  case D_CAT: return v == floor(v) && v >= 1 && (K < 0 || v <= (double)K);
  default: return true;
  }
}

/* Domain of a scalar element of t after all indices. */
static Domain elem_dom(const Type *t) {
  switch (t->dom) {
  case D_SIMPLEX: return D_UNIT;
  case D_VEC:
  case D_SPD: return D_REAL;
  default: return t->dom;
  }
}

static bool dims_equal(Dim a, Dim b, bool *unknown) {
  if (a.value >= 0 && b.value >= 0) return a.value == b.value;
  if (a.expr && b.expr) {
    StrBuf x = {0}, y = {0};
    ast_unparse(&x, a.expr);
    ast_unparse(&y, b.expr);
    bool eq = strcmp(x.s, y.s) == 0;
    sb_free(&x);
    sb_free(&y);
    if (eq) return true;
  }
  if (unknown) *unknown = true;
  return true; /* cannot tell: accept, checked again with data */
}

/* ------------------------------------------------------------------ */
/* Scopes                                                              */

static Sym *lookup(S *s, const char *name) {
  for (int i = s->locals.n - 1; i >= 0; i--) {
    Sym *y = s->locals.v[i];
    if (y->name == name) return y;
  }
  if (s->in_dist) return NULL;
  for (int i = 0; i < s->m->syms.n; i++) {
    Sym *y = s->m->syms.v[i];
    if (y->name == name) return y;
  }
  return NULL;
}

/* " ; did you mean 'theta'?" for the closest known name, or "". */
static const char *suggest(S *s, const char *name, int what) {
  const char *best = NULL;
  int bestd = 99;
  int lim = (int)strlen(name) <= 3 ? 1 : 2;
#define CONSIDER(cand)                                                        \
  do {                                                                        \
    int dd = edit_distance(name, (cand));                                     \
    if (dd <= lim && (dd < bestd || (dd == bestd && best && best[0] != name[0] &&  \
                                     (cand)[0] == name[0]))) {                     \
      bestd = dd;                                                             \
      best = (cand);                                                          \
    }                                                                         \
  } while (0)
  if (what == 0) {
    for (int i = 0; i < s->locals.n; i++)
      if (((Sym *)s->locals.v[i])->kind != SYM_LOOP || strlen(name) > 1)
        CONSIDER(((Sym *)s->locals.v[i])->name);
    if (!s->in_dist)
      for (int i = 0; i < s->m->syms.n; i++) CONSIDER(((Sym *)s->m->syms.v[i])->name);
  } else if (what == 1) {
    for (int i = 0; i < s->m->dists.n; i++) CONSIDER(((Dist *)s->m->dists.v[i])->name);
  } else {
    int n;
    const Builtin *b = builtin_table(&n);
    for (int i = 0; i < n; i++) CONSIDER(b[i].name);
  }
#undef CONSIDER
  if (!best) {
    /* case-insensitive exact match ("normal" for "Normal") */
    if (what == 1)
      for (int i = 0; i < s->m->dists.n; i++)
        if (strcasecmp(((Dist *)s->m->dists.v[i])->name, name) == 0)
          best = ((Dist *)s->m->dists.v[i])->name;
    if (!best && what == 1)
      for (int i = 0; i < s->m->dists.n; i++)
        if (strncasecmp(((Dist *)s->m->dists.v[i])->name, name, strlen(name)) == 0) {
          best = ((Dist *)s->m->dists.v[i])->name;
          break;
        }
    if (!best) return "";
  }
  return arena_printf(s->A, "; did you mean '%s'?", best);
}

static Sym *sym_new(S *s, SymKind kind, const char *name, Span span) {
  Sym *y = arena_alloc(s->A, sizeof *y);
  y->kind = kind;
  y->name = name;
  y->span = span;
  return y;
}

static void add_unique(S *s, PtrVec *v, void *p) {
  for (int i = 0; i < v->n; i++)
    if (v->v[i] == p) return;
  vec_push(s->A, v, p);
}

/* ------------------------------------------------------------------ */
/* Constant evaluation (sizes, defaults, loop bounds, constant indices) */

static bool eval(S *s, const Node *e, double *out);

static bool eval_call(S *s, const Node *e, double *out) {
  double a = 0, b = 0;
  if (e->list.n >= 1 && !eval(s, e->list.v[0], &a)) return false;
  if (e->list.n >= 2 && !eval(s, e->list.v[1], &b)) return false;
  const char *f = e->name;
  if (e->list.n == 0 && !strcmp(f, "pi")) *out = M_PI;
  else if (e->list.n == 1 && !strcmp(f, "exp")) *out = exp(a);
  else if (e->list.n == 1 && !strcmp(f, "log")) *out = log(a);
  else if (e->list.n == 1 && !strcmp(f, "sqrt")) *out = sqrt(a);
  else if (e->list.n == 1 && !strcmp(f, "abs")) *out = fabs(a);
  else if (e->list.n == 1 && !strcmp(f, "square")) *out = a * a;
  else if (e->list.n == 1 && !strcmp(f, "log1p")) *out = log1p(a);
  else if (e->list.n == 1 && !strcmp(f, "expm1")) *out = expm1(a);
  else if (e->list.n == 1 && !strcmp(f, "lgamma")) *out = lgamma(a);
  else if (e->list.n == 1 && (!strcmp(f, "logistic") || !strcmp(f, "inv_logit")))
    *out = 1 / (1 + exp(-a));
  else if (e->list.n == 1 && !strcmp(f, "logit")) *out = log(a / (1 - a));
  else if (e->list.n == 2 && !strcmp(f, "pow")) *out = pow(a, b);
  else if (e->list.n == 2 && !strcmp(f, "max")) *out = a > b ? a : b;
  else if (e->list.n == 2 && !strcmp(f, "min")) *out = a < b ? a : b;
  else return false;
  return true;
}

/* Value of a constant scalar expression: numbers, data with known values,
 * loop indices during enumeration, and arithmetic on them. */
static bool eval(S *s, const Node *e, double *out) {
  if (!e) return false;
  switch (e->kind) {
  case N_NUM: *out = e->num; return true;
  case N_NAME: {
    Sym *y = e->sym ? e->sym : lookup(s, e->name);
    if (y && y->has_value && (y->kind == SYM_DATA || y->kind == SYM_LOOP || y->kind == SYM_PARAM ||
                              y->kind == SYM_LOCAL)) {
      *out = y->value;
      return true;
    }
    return false;
  }
  case N_INDEX: {
    /* elements of data arrays, when the data file gives them */
    if (e->a->kind != N_NAME) return false;
    Sym *y = e->a->sym ? e->a->sym : lookup(s, e->a->name);
    if (!y || y->kind != SYM_DATA || !y->data) return false;
    const lvm_data_var *dv = y->data;
    if (e->list.n != dv->ndim) return false;
    size_t off = 0;
    for (int i = 0; i < e->list.n; i++) {
      double v;
      if (!eval(s, e->list.v[i], &v)) return false;
      if (v < 1 || v > (double)dv->dims[i] || v != floor(v)) return false;
      off = off * dv->dims[i] + (size_t)v - 1;
    }
    if (dv->missing && dv->missing[off]) return false;
    *out = dv->values[off];
    return true;
  }
  case N_UNARY: {
    double a;
    if (!eval(s, e->a, &a)) return false;
    if (e->op == '-') *out = -a;
    else *out = !a;
    return true;
  }
  case N_BINARY: {
    double a, b;
    if (!eval(s, e->a, &a) || !eval(s, e->b, &b)) return false;
    switch (e->op) {
    case '+': *out = a + b; break;
    case '-': *out = a - b; break;
    case '*': *out = a * b; break;
    case '/': *out = a / b; break;
    case '^': *out = pow(a, b); break;
    case '<': *out = a < b; break;
    case '>': *out = a > b; break;
    case OP_LE: *out = a <= b; break;
    case OP_GE: *out = a >= b; break;
    case OP_EQ: *out = a == b; break;
    case OP_NE: *out = a != b; break;
    case OP_AND: *out = a && b; break;
    case OP_OR: *out = a || b; break;
    default: return false;
    }
    return true;
  }
  case N_CALL: return eval_call(s, e, out);
  default: return false;
  }
}

/* A size: value when known, and the expression for display. */
static Dim size_of(S *s, const Node *e) {
  double v;
  Dim d = {-1, e};
  if (eval(s, e, &v) && v == floor(v) && fabs(v) < 9e15) d.value = (long long)v;
  if (e && e->kind == N_NUM) d.expr = NULL;
  return d;
}

/* ------------------------------------------------------------------ */
/* Expressions                                                         */

static Type *check_expr(S *s, Node *e);
static Sym *random_ref(const Node *e);

static Type *scalar(S *s, Domain d) { return ty_new(s, d); }

static Type *vector_of(S *s, Domain d, Dim n) {
  Type *t = ty_new(s, d);
  t->ndim = 1;
  t->dims[0] = n;
  return t;
}

static Domain arith_dom(int op, Domain a, Domain b) {
  bool ia = dom_is_int(a), ib = dom_is_int(b);
  bool pa = dom_sub(a, D_POS) && a != D_NONE, pb = dom_sub(b, D_POS) && b != D_NONE;
  switch (op) {
  case '+':
    if (ia && ib) return (dom_sub(a, D_NAT) && dom_sub(b, D_NAT)) ? D_NAT : D_INT;
    return (pa && pb) ? D_POS : D_REAL;
  case '-': return (ia && ib) ? D_INT : D_REAL;
  case '*':
    if (ia && ib) return (dom_sub(a, D_NAT) && dom_sub(b, D_NAT)) ? D_NAT : D_INT;
    if (a == D_UNIT && b == D_UNIT) return D_UNIT;
    return (pa && pb) ? D_POS : D_REAL;
  case '/': return (pa && pb) ? D_POS : D_REAL;
  case '^': return pa ? D_POS : D_REAL;
  default: return D_REAL;
  }
}

static bool is_scalar(const Type *t) { return t && t->ndim == 0; }
static bool is_vector(const Type *t) { return t && t->ndim == 1; }
static bool is_matrix(const Type *t) { return t && t->ndim == 2; }

static void note_parent(S *s, Sym *y) {
  if (!s->target || !y || y == s->target) return;
  if (y->kind != SYM_VAR && y->kind != SYM_DATA && y->kind != SYM_PARAM) return;
  add_unique(s, &s->target->parents, y);
  add_unique(s, &y->children, s->target);
}

static Type *check_index(S *s, Node *e) {
  Type *bt = check_expr(s, e->a);
  Sym *base = e->a->kind == N_NAME ? e->a->sym : NULL;
  const char *bname = base ? base->name : "this expression";
  for (int i = 0; i < e->list.n; i++) {
    Node *ix = e->list.v[i];
    Type *it = check_expr(s, ix);
    if (it && (!is_scalar(it) || !dom_is_int(it->dom)) && it->dom != D_NONE)
      diag_report(s->D, E_INDEX_NOT_INT, ix->span, tydesc(s, it));
  }
  if (!bt) return NULL;
  if (bt->ndim == 0) {
    diag_report(s->D, E_INDEX_SCALAR, e->span, bname);
    return NULL;
  }
  if (e->list.n > bt->ndim) {
    diag_report(s->D, E_INDEX_COUNT, e->span, bname, bt->ndim, bt->ndim == 1 ? "" : "s",
                e->list.n);
    return NULL;
  }
  /* constant indices in range */
  for (int i = 0; i < e->list.n; i++) {
    double v;
    Node *ix = e->list.v[i];
    if (bt->dims[i].value >= 0 && eval(s, ix, &v) && v == floor(v) &&
        (v < 1 || v > (double)bt->dims[i].value) && !s->in_dist)
      diag_report(s->D, E_INDEX_RANGE, ix->span, (long long)v, bname, bt->dims[i].value);
  }
  Type *r = ty_copy(s, bt);
  int k = e->list.n;
  int outer = bt->ndim - bt->nstruct;
  for (int i = 0; i + k < MAXDIM; i++) r->dims[i] = bt->dims[i + k];
  r->ndim = bt->ndim - k;
  r->row = false;
  if (k > outer) {
    /* indexing into the structure: simplex -> unit, vec/spd -> real */
    r->dom = elem_dom(bt);
    r->nstruct = 0;
    r->domsize = dim_const(-1);
  }
  return r;
}

static Type *check_call(S *s, Node *e) {
  const Builtin *b = builtin_lookup(e->name);
  Sym *shadow = lookup(s, e->name);
  if (!b) {
    if (model_find_dist(s->m, e->name))
      diag_report(s->D, E_DIST_AS_FUNCTION, e->name_span, e->name, e->name);
    else if (shadow)
      diag_report(s->D, E_NOT_A_FUNCTION, e->name_span, e->name, symkind_name(shadow->kind));
    else
      diag_report(s->D, E_UNKNOWN_FUNC, e->name_span, e->name, suggest(s, e->name, 2));
    for (int i = 0; i < e->list.n; i++) check_expr(s, e->list.v[i]);
    return NULL;
  }
  Type *at[4] = {0};
  for (int i = 0; i < e->list.n; i++) {
    Type *t = check_expr(s, e->list.v[i]);
    if (i < 4) at[i] = t;
  }
  int n = e->list.n;
  if (n < b->min_args || (b->max_args >= 0 && n > b->max_args)) {
    int want = n < b->min_args ? b->min_args : b->max_args;
    diag_report(s->D, E_ARG_COUNT, e->span, "function", e->name, want, want == 1 ? "" : "s", n,
                n == 1 ? "was" : "were");
    return NULL;
  }
  for (int i = 0; i < n && i < 4; i++)
    if (!at[i]) return NULL;
  switch (b->kind) {
  case BK_MATH: {
    Type *r = ty_copy(s, at[0]);
    r->dom = b->result;
    r->nstruct = 0;
    r->domsize = dim_const(-1);
    if (!strcmp(e->name, "abs") || !strcmp(e->name, "square")) r->dom = D_POS;
    return r;
  }
  case BK_MATH2:
  case BK_LMGAMMA:
    for (int i = 0; i < 2; i++)
      if (!is_scalar(at[i])) {
        diag_report(s->D, E_ARG_SHAPE, ((Node *)e->list.v[i])->span, i + 1, e->name,
                    "a scalar", tydesc(s, at[i]));
        return NULL;
      }
    return scalar(s, !strcmp(e->name, "pow") ? arith_dom('^', at[0]->dom, at[1]->dom) : D_REAL);
  case BK_REDUCE:
    if (n == 2) {
      if (!is_scalar(at[0]) || !is_scalar(at[1])) {
        diag_report(s->D, E_ARG_SHAPE, e->span, 1, e->name, "two scalars or one vector",
                    tydesc(s, is_scalar(at[0]) ? at[1] : at[0]));
        return NULL;
      }
      return scalar(s, arith_dom('+', at[0]->dom, at[1]->dom) == D_NAT ? D_NAT : D_REAL);
    }
    if (at[0]->ndim == 0) {
      diag_report(s->D, E_ARG_SHAPE, ((Node *)e->list.v[0])->span, 1, e->name,
                  "a vector or a comprehension", tydesc(s, at[0]));
      return NULL;
    }
    {
      Domain d = elem_dom(at[0]);
      if (!strcmp(e->name, "sum")) return scalar(s, dom_is_int(d) ? D_INT : dom_sub(d, D_POS) ? D_POS : D_REAL);
      if (!strcmp(e->name, "max") || !strcmp(e->name, "min")) return scalar(s, d);
      return scalar(s, D_REAL);
    }
  case BK_DOT:
    if (!is_vector(at[0]) || !is_vector(at[1])) {
      diag_report(s->D, E_ARG_SHAPE, e->span, is_vector(at[0]) ? 2 : 1, e->name, "a vector",
                  tydesc(s, is_vector(at[0]) ? at[1] : at[0]));
      return NULL;
    }
    {
      bool unk = false;
      if (!dims_equal(at[0]->dims[0], at[1]->dims[0], &unk))
        diag_report(s->D, E_SHAPE_MISMATCH, e->span, "dot product", tystr(s, at[0]),
                    tystr(s, at[1]));
    }
    return scalar(s, D_REAL);
  case BK_REP: {
    if (!is_scalar(at[1]) || !dom_is_int(at[1]->dom)) {
      diag_report(s->D, E_ARG_DOMAIN, ((Node *)e->list.v[1])->span, 2, e->name,
                  "an integer length", tydesc(s, at[1]));
      return NULL;
    }
    Dim n2 = size_of(s, e->list.v[1]);
    if (n2.value < -1 || (n2.value < 0 && n2.value != -1)) return NULL;
    Type *r = ty_copy(s, at[0]);
    if (r->ndim + 1 > MAXDIM) return NULL;
    for (int i = r->ndim; i > 0; i--) r->dims[i] = r->dims[i - 1];
    r->dims[0] = n2;
    r->ndim++;
    if (r->nstruct == 0 && at[0]->ndim == 0) {
      /* a plain vector */
    }
    return r;
  }
  case BK_ZEROS:
  case BK_IDENTITY: {
    if (!is_scalar(at[0]) || !dom_is_int(at[0]->dom)) {
      diag_report(s->D, E_ARG_DOMAIN, ((Node *)e->list.v[0])->span, 1, e->name,
                  "an integer size", tydesc(s, at[0]));
      return NULL;
    }
    Dim n1 = size_of(s, e->list.v[0]);
    Type *r = vector_of(s, b->result, n1);
    if (b->kind == BK_IDENTITY) {
      r->ndim = 2;
      r->dims[1] = n1;
    }
    return r;
  }
  case BK_SOFTMAX: {
    if (!is_vector(at[0])) {
      diag_report(s->D, E_ARG_SHAPE, e->span, 1, e->name, "a vector", tydesc(s, at[0]));
      return NULL;
    }
    Type *r = ty_copy(s, at[0]);
    r->dom = D_SIMPLEX;
    r->domsize = at[0]->dims[0];
    r->nstruct = 1;
    return r;
  }
  case BK_TRANSPOSE: {
    if (is_vector(at[0])) {
      Type *r = ty_copy(s, at[0]);
      r->row = !r->row;
      return r;
    }
    if (is_matrix(at[0])) {
      Type *r = ty_copy(s, at[0]);
      Dim t = r->dims[0];
      r->dims[0] = r->dims[1];
      r->dims[1] = t;
      return r;
    }
    diag_report(s->D, E_TRANSPOSE, e->span, tydesc(s, at[0]));
    return NULL;
  }
  case BK_INVERSE:
  case BK_MAT2SCALAR:
    if (!is_matrix(at[0])) {
      diag_report(s->D, E_ARG_SHAPE, e->span, 1, e->name, "a square matrix", tydesc(s, at[0]));
      return NULL;
    }
    return b->kind == BK_INVERSE ? ty_copy(s, at[0]) : scalar(s, D_REAL);
  case BK_ONEHOT: {
    if (!is_scalar(at[0]) || !dom_is_int(at[0]->dom)) {
      diag_report(s->D, E_ARG_DOMAIN, e->span, 1, e->name, "a category", tydesc(s, at[0]));
      return NULL;
    }
    return vector_of(s, D_BIN, at[0]->domsize);
  }
  case BK_PI: return scalar(s, D_POS);
  }
  return NULL;
}

static Type *check_binary(S *s, Node *e) {
  int op = e->op;
  bool logic = op == OP_AND || op == OP_OR;
  bool cmp = op == OP_EQ || op == OP_NE || op == '<' || op == '>' || op == OP_LE || op == OP_GE;
  if ((cmp || logic) && !s->in_cond) {
    diag_report(s->D, E_COMPARE_OUTSIDE_IF, e->span, op_text(op));
    check_expr(s, e->a);
    check_expr(s, e->b);
    return NULL;
  }
  Type *a = check_expr(s, e->a);
  Type *b = check_expr(s, e->b);
  if (!a || !b) return NULL;
  if (cmp || logic) {
    if (!is_scalar(a) || !is_scalar(b)) {
      diag_report(s->D, E_NOT_SCALAR, e->span, "a comparison's operands",
                  tydesc(s, is_scalar(a) ? b : a));
      return NULL;
    }
    return scalar(s, D_BIN);
  }
  if (is_scalar(a) && is_scalar(b)) return scalar(s, arith_dom(op, a->dom, b->dom));
  switch (op) {
  case '+':
  case '-': {
    if (a->ndim != b->ndim || a->row != b->row) {
      diag_report(s->D, E_SHAPE_MISMATCH, e->span,
                  op == '+' ? "cannot add" : "cannot subtract", tydesc(s, a), tydesc(s, b));
      return NULL;
    }
    for (int i = 0; i < a->ndim; i++) {
      bool unk = false;
      if (!dims_equal(a->dims[i], b->dims[i], &unk)) {
        diag_report(s->D, E_SHAPE_MISMATCH, e->span,
                    op == '+' ? "cannot add" : "cannot subtract", tydesc(s, a), tydesc(s, b));
        return NULL;
      }
    }
    Type *r = ty_copy(s, a);
    r->dom = arith_dom(op, elem_dom(a), elem_dom(b));
    r->nstruct = 0;
    r->domsize = dim_const(-1);
    return r;
  }
  case '*': {
    if (is_scalar(a) || is_scalar(b)) {
      const Type *v = is_scalar(a) ? b : a;
      const Type *k = is_scalar(a) ? a : b;
      Type *r = ty_copy(s, v);
      r->dom = arith_dom('*', elem_dom(v), k->dom);
      r->nstruct = 0;
      r->domsize = dim_const(-1);
      return r;
    }
    /* vector/matrix products; a plain vector on the left is a row */
    Dim ak = a->ndim == 1 ? a->dims[0] : a->dims[1];  /* a's inner size */
    Dim bk = b->dims[0];
    bool unk = false;
    if (a->ndim > 2 || b->ndim > 2 || (a->ndim == 1 && !a->row && b->ndim == 1 && b->row)) {
      if (a->ndim == 1 && b->ndim == 1) {
        /* column times row: the outer product */
        Type *r = ty_new(s, D_REAL);
        r->ndim = 2;
        r->dims[0] = a->dims[0];
        r->dims[1] = b->dims[0];
        return r;
      }
      diag_report(s->D, E_MATMUL, e->span, tydesc(s, a), tydesc(s, b));
      return NULL;
    }
    if (!dims_equal(ak, bk, &unk)) {
      diag_report(s->D, E_MATMUL, e->span, tydesc(s, a), tydesc(s, b));
      return NULL;
    }
    if (a->ndim == 1 && b->ndim == 1) return scalar(s, D_REAL);     /* dot */
    if (a->ndim == 1 && b->ndim == 2) {                             /* row * matrix */
      Type *r = vector_of(s, D_REAL, b->dims[1]);
      r->row = true;
      return r;
    }
    if (a->ndim == 2 && b->ndim == 1) return vector_of(s, D_REAL, a->dims[0]);
    Type *r = ty_new(s, D_REAL);
    r->ndim = 2;
    r->dims[0] = a->dims[0];
    r->dims[1] = b->dims[1];
    return r;
  }
  case '/':
    if (is_scalar(b)) {
      Type *r = ty_copy(s, a);
      r->dom = arith_dom('/', elem_dom(a), b->dom);
      r->nstruct = 0;
      r->domsize = dim_const(-1);
      return r;
    }
    /* fallthrough */
  default:
    diag_report(s->D, E_SHAPE_MISMATCH, e->span, arena_printf(s->A, "'%s'", op_text(op)),
                tydesc(s, a), tydesc(s, b));
    return NULL;
  }
}

static Sym *push_local(S *s, const char *name, Span span, Node *loop) {
  Sym *prev = lookup(s, name);
  if (prev && !s->in_dist)
    diag_report(s->D, E_SHADOW, span, name, symkind_name(prev->kind));
  Sym *y = sym_new(s, SYM_LOOP, name, span);
  y->type = scalar(s, D_INT);
  y->loop = loop;
  vec_push(s->A, &s->locals, y);
  return y;
}

/* The first random variable or param an (already checked) expression uses. */
static Sym *random_ref(const Node *e) {
  if (!e) return NULL;
  if ((e->kind == N_NAME) && e->sym && (e->sym->kind == SYM_VAR || e->sym->kind == SYM_PARAM))
    return e->sym;
  Sym *r = NULL;
  if (!r) r = random_ref(e->a);
  if (!r && e->kind != N_NAME) r = random_ref(e->b);
  if (!r) r = random_ref(e->c);
  if (!r) r = random_ref(e->d);
  for (int i = 0; !r && i < e->list.n; i++) r = random_ref(e->list.v[i]);
  return r;
}

static void require_fixed(S *s, Node *e, const char *what) {
  if (s->in_dist) return;
  Sym *r = random_ref(e);
  if (r)
    diag_report(s->D, E_DEPENDS_ON_RANDOM, e->span, what, r->name,
                r->kind == SYM_PARAM ? "param" : "random variable", what);
}

static Type *check_range_bound(S *s, Node *e) {
  Type *t = check_expr(s, e);
  require_fixed(s, e, "a loop bound");
  if (t && (!is_scalar(t) || !dom_is_int(t->dom))) {
    StrBuf b = {0};
    ast_unparse(&b, e);
    diag_report(s->D, E_RANGE_NOT_INT, e->span, arena_strdup(s->A, b.s), tydesc(s, t));
    sb_free(&b);
  }
  return t;
}

static Type *check_comprehension(S *s, Node *e) {
  static const char *const reducers[] = {"sum", "prod", "log_sum_exp", "max", "min"};
  bool ok = false;
  for (size_t i = 0; i < 5; i++) ok |= !strcmp(e->name, reducers[i]);
  if (!ok) diag_report(s->D, E_BAD_REDUCER, e->name_span, e->name);
  check_range_bound(s, e->b);
  check_range_bound(s, e->c);
  Sym *y = push_local(s, e->var, e->var_span, e);
  e->sym = y;
  if (e->d) {
    bool save = s->in_cond;
    s->in_cond = true;
    Type *ct = check_expr(s, e->d);
    s->in_cond = save;
    (void)ct;
  }
  Type *t = check_expr(s, e->a);
  s->locals.n--;
  if (!ok || !t) return NULL;
  if (!is_scalar(t)) {
    if (!strcmp(e->name, "sum")) return ty_copy(s, t);
    diag_report(s->D, E_NOT_SCALAR, e->a->span, "the body of a comprehension", tydesc(s, t));
    return NULL;
  }
  if (!strcmp(e->name, "sum")) return scalar(s, dom_is_int(t->dom) ? D_INT : dom_sub(t->dom, D_POS) ? D_POS : D_REAL);
  if (!strcmp(e->name, "prod")) return scalar(s, dom_sub(t->dom, D_POS) ? D_POS : D_REAL);
  if (!strcmp(e->name, "max") || !strcmp(e->name, "min")) return scalar(s, t->dom);
  return scalar(s, D_REAL);
}

static Type *check_expr(S *s, Node *e) {
  if (!e) return NULL;
  Type *t = NULL;
  switch (e->kind) {
  case N_NUM: t = scalar(s, e->is_int ? (e->num >= 0 ? D_NAT : D_INT) : (e->num > 0 ? D_POS : D_REAL));
    if (!e->is_int && e->num > 0 && e->num < 1) t->dom = D_UNIT;
    break;
  case N_NAME: {
    Sym *y = lookup(s, e->name);
    if (!y) {
      if (builtin_lookup(e->name))
        diag_report(s->D, E_FUNC_AS_VALUE, e->span, e->name, e->name);
      else if (model_find_dist(s->m, e->name))
        diag_report(s->D, E_NAME_IS_FUNCTION, e->span, e->name, "distribution");
      else if (s->stmt && s->stmt->kind == N_FACTOR) {
        diag_report(s->D, E_UNDEFINED, e->span, e->name, "");
        diag_note(s->D, e->span,
                  "a variable that appears only in 'factor' statements needs a type "
                  "declaration, as in '%s : spin[D];'",
                  e->name);
      } else {
        diag_report(s->D, E_UNDEFINED, e->span, e->name, suggest(s, e->name, 0));
      }
      return NULL;
    }
    e->sym = y;
    y->used = true;
    note_parent(s, y);
    if (s->stmt && s->stmt->kind == N_FACTOR && y->kind == SYM_VAR)
      add_unique(s, &y->factors, s->stmt);
    t = y->type;
    break;
  }
  case N_INDEX: t = check_index(s, e); break;
  case N_CALL: t = check_call(s, e); break;
  case N_COMPREH: t = check_comprehension(s, e); break;
  case N_UNARY: {
    Type *a = check_expr(s, e->a);
    if (!a) return NULL;
    if (e->op == '!') {
      if (!s->in_cond) {
        diag_report(s->D, E_COMPARE_OUTSIDE_IF, e->span, "!");
        return NULL;
      }
      return scalar(s, D_BIN);
    }
    t = ty_copy(s, a);
    Domain d = elem_dom(a);
    t->dom = dom_is_int(d) ? D_INT : D_REAL;
    t->nstruct = 0;
    t->domsize = dim_const(-1);
    break;
  }
  case N_BINARY: t = check_binary(s, e); break;
  case N_TRANSPOSE: {
    Type *a = check_expr(s, e->a);
    if (!a) return NULL;
    if (is_vector(a)) {
      t = ty_copy(s, a);
      t->row = !t->row;
    } else if (is_matrix(a)) {
      t = ty_copy(s, a);
      Dim d0 = t->dims[0];
      t->dims[0] = t->dims[1];
      t->dims[1] = d0;
    } else {
      diag_report(s->D, E_TRANSPOSE, e->span, tydesc(s, a));
      return NULL;
    }
    break;
  }
  default: ICE("check_expr: node kind %d", e->kind);
  }
  e->ty = t;
  return t;
}

/* ------------------------------------------------------------------ */
/* Types written in declarations                                       */

/* Resolve a written type.  In a dist/family signature, a bare name used as a
 * size (K in simplex(K)) declares a size local when `bind` is set. */
static Type *resolve_type(S *s, Node *t, bool bind, PtrVec *sizes) {
  if (!t) return NULL;
  Domain d = domain_lookup(t->name);
  if (d == D_NONE) {
    const char *hint = "";
    static const char *const known[] = {"real", "pos", "unit", "int", "nat", "bin",
                                        "spin", "cat", "simplex", "vec", "spd"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
      if (edit_distance(t->name, known[i]) <= 2) {
        hint = arena_printf(s->A, "; did you mean '%s'?", known[i]);
        break;
      }
    if (!*hint) hint = "; the types are real, pos, unit, int, nat, bin, spin, cat(K), simplex(K), vec(D), spd(D)";
    diag_report(s->D, E_UNKNOWN_DOMAIN, t->name_span, t->name, hint);
    return NULL;
  }
  t->domain = d;
  Type *ty = ty_new(s, d);
  if (domain_has_size(d) && !t->a) {
    diag_report(s->D, E_DOMAIN_NEEDS_SIZE, t->span, t->name, t->name);
    return NULL;
  }
  if (!domain_has_size(d) && t->a) {
    diag_report(s->D, E_DOMAIN_NO_SIZE, t->a->span, t->name);
    return NULL;
  }
  /* sizes: dims and domain size */
  int ndims = t->list.n;
  int nstruct = (d == D_SPD) ? 2 : (d == D_VEC || d == D_SIMPLEX) ? 1 : 0;
  if (ndims + nstruct > MAXDIM) {
    diag_report(s->D, E_SYNTAX, t->span, "too many dimensions");
    return NULL;
  }
  Node *szs[MAXDIM + 1];
  int nsz = 0;
  if (t->a) szs[nsz++] = t->a;
  for (int i = 0; i < ndims; i++) szs[nsz++] = t->list.v[i];
  for (int i = 0; i < nsz; i++) {
    Node *z = szs[i];
    if (bind && z->kind == N_NAME && !lookup(s, z->name)) {
      Sym *y = sym_new(s, SYM_LOCAL, z->name, z->span);
      y->type = scalar(s, D_NAT);
      vec_push(s->A, &s->locals, y);
      if (sizes) vec_push(s->A, sizes, y);
    }
    Type *zt = check_expr(s, z);
    if (zt && (!is_scalar(zt) || !dom_is_int(zt->dom))) {
      StrBuf b = {0};
      ast_unparse(&b, z);
      diag_report(s->D, E_SIZE_NOT_INT, z->span, arena_strdup(s->A, b.s));
      sb_free(&b);
      return NULL;
    }
    /* sizes must not depend on random variables */
    if (!s->in_dist) {
      bool bad = false;
      if (z->kind == N_NAME && z->sym && z->sym->kind != SYM_DATA) bad = true;
      if (bad) {
        StrBuf b = {0};
        ast_unparse(&b, z);
        diag_report(s->D, E_SIZE_NOT_CONST, z->span, arena_strdup(s->A, b.s));
        sb_free(&b);
        return NULL;
      }
    }
    double v;
    if (!s->in_dist && eval(s, z, &v) && v < 0) {
      StrBuf b = {0};
      ast_unparse(&b, z);
      bool lit = z->kind == N_NUM || (z->kind == N_UNARY && z->a->kind == N_NUM);
      diag_report(s->D, E_SIZE_NEGATIVE, z->span,
                  lit ? "this size" : arena_printf(s->A, "'%s'", b.s), (long long)v);
      sb_free(&b);
      return NULL;
    }
  }
  ty->ndim = ndims + nstruct;
  for (int i = 0; i < ndims; i++) ty->dims[i] = size_of(s, t->list.v[i]);
  if (t->a) {
    ty->domsize = size_of(s, t->a);
    for (int i = 0; i < nstruct; i++) ty->dims[ndims + i] = ty->domsize;
  }
  ty->nstruct = nstruct;
  return ty;
}

/* ------------------------------------------------------------------ */
/* Distributions and families                                          */

static void declare_dist(S *s, Node *n) {
  Dist *prev = model_find_dist(s->m, n->name);
  if (prev) {
    diag_report(s->D, E_DIST_REDECLARED, n->name_span, n->name);
    diag_note(s->D, prev->decl->name_span, "first declared here%s",
              prev->decl->from_stdlib ? ", in the standard library; choose another name" : "");
    return;
  }
  Dist *d = arena_alloc(s->A, sizeof *d);
  d->name = n->name;
  d->decl = n;
  s->in_dist = true;
  int save = s->locals.n;
  for (int i = 0; i < n->list.n; i++) {
    Node *p = n->list.v[i];
    Type *t = resolve_type(s, p->type, true, &d->sizes);
    for (int j = 0; j < d->params.n; j++)
      if (((Sym *)d->params.v[j])->name == p->name)
        diag_report(s->D, E_REDECLARED, p->name_span, p->name);
    Sym *y = sym_new(s, SYM_LOCAL, p->name, p->name_span);
    y->type = t;
    y->decl = p;
    vec_push(s->A, &d->params, y);
    vec_push(s->A, &s->locals, y);
  }
  Type *bt = check_expr(s, n->a);
  if (bt && !is_scalar(bt))
    diag_report(s->D, E_NOT_SCALAR, n->a->span, "a log density", tydesc(s, bt));
  s->locals.n = save;
  s->in_dist = false;
  vec_push(s->A, &s->m->dists, d);
}

static void declare_family(S *s, Node *n) {
  Family *f = arena_alloc(s->A, sizeof *f);
  f->name = n->name;
  f->decl = n;
  s->in_dist = true;
  int save = s->locals.n;
  Node *p = n->list.v[0];
  Type *t = resolve_type(s, p->type, true, NULL);
  Sym *y = sym_new(s, SYM_LOCAL, p->name, p->name_span);
  y->type = t;
  vec_push(s->A, &s->locals, y);
  f->var = y;
  bool have_stats = false, have_runtime = false;
  for (int i = 0; i < n->clauses.n; i++) {
    Node *c = n->clauses.v[i];
    if (!strcmp(c->name, "stats")) {
      have_stats = true;
      for (int j = 0; j < c->list.n; j++) {
        check_expr(s, c->list.v[j]);
        vec_push(s->A, &f->stats, c->list.v[j]);
      }
    } else if (!strcmp(c->name, "runtime")) {
      have_runtime = true;
      Node *r = c->list.n == 1 ? c->list.v[0] : NULL;
      if (!r || r->kind != N_NAME)
        diag_report(s->D, E_FAMILY_CLAUSE, c->span, "'runtime' takes one name, as in 'runtime gamma;'");
      else
        f->runtime = r->name;
    } else {
      diag_report(s->D, E_FAMILY_CLAUSE, c->name_span,
                  arena_printf(s->A, "unknown clause '%s' in family '%s'; the clauses are 'stats' and 'runtime'",
                               c->name, n->name));
    }
  }
  if (!have_stats || !have_runtime)
    diag_report(s->D, E_FAMILY_CLAUSE, n->name_span,
                arena_printf(s->A, "family '%s' needs both a 'stats' and a 'runtime' clause", n->name));
  s->locals.n = save;
  s->in_dist = false;
  vec_push(s->A, &s->m->families, f);
}

/* ------------------------------------------------------------------ */
/* Declarations                                                        */

static void declare(S *s, Node *n) {
  SymKind kind = n->kind == N_DATA ? SYM_DATA : n->kind == N_PARAM ? SYM_PARAM : SYM_VAR;
  Sym *prev = model_find(s->m, n->name);
  Sym *y;
  if (prev && prev->kind == SYM_VAR && !prev->decl) {
    /* a name some statement defines: the declaration applies to it (a
     * 'data' or 'param' one is then reported at the statement) */
    y = prev;
    y->kind = kind;
    y->span = n->name_span;
  } else if (prev) {
    diag_report(s->D, E_REDECLARED, n->name_span, n->name);
    diag_note(s->D, prev->decl ? prev->decl->name_span : prev->span, "'%s' was first declared here", n->name);
    return;
  } else {
    y = sym_new(s, kind, n->name, n->name_span);
    vec_push(s->A, &s->m->syms, y);
  }
  y->decl = n;
  y->type = resolve_type(s, n->type, false, NULL);
  n->sym = y;
  if (kind == SYM_VAR) return;
  y->role = ROLE_FIXED;
  /* value: data file, else default */
  const lvm_data_var *dv = s->data ? lvm_data_find(s->data, n->name) : NULL;
  if (dv) {
    y->data = dv;
    y->value_from_data = true;
    if (dv->ndim == 0 && !(dv->missing && dv->missing[0])) {
      y->has_value = true;
      y->value = dv->values[0];
    }
  }
  if (n->a) {
    Type *dt = check_expr(s, n->a);
    double v;
    if (random_ref(n->a)) {
      diag_report(s->D, E_DEFAULT_NOT_CONST, n->a->span, n->name);
      diag_note(s->D, random_ref(n->a)->span, "'%s' is a %s", random_ref(n->a)->name,
                symkind_name(random_ref(n->a)->kind));
    } else if (dt && is_scalar(dt)) {
      if (!eval(s, n->a, &v))
        diag_report(s->D, E_DEFAULT_NOT_CONST, n->a->span, n->name);
      else if (y->type && y->type->ndim == 0 && !value_in_dom(v, y->type->dom, y->type->domsize.value))
        diag_report(s->D, E_DEFAULT_DOMAIN, n->a->span, n->name,
                    arena_printf(s->A, "%g", v), tystr(s, y->type));
      else if (!dv) {
        y->has_value = true;
        y->value = v;
      }
    } else if (dt && y->type && dt->ndim != y->type->ndim) {
      diag_report(s->D, E_SHAPE_MISMATCH, n->a->span,
                  arena_printf(s->A, "the default of '%s'", n->name), tydesc(s, y->type),
                  tydesc(s, dt));
    }
  }
}

/* Names that statements define: pass over the tree, creating SYM_VARs. */
static void collect_targets(S *s, Node *st, PtrVec *loopvars) {
  if (!st) return;
  switch (st->kind) {
  case N_BLOCK:
    for (int i = 0; i < st->list.n; i++) collect_targets(s, st->list.v[i], loopvars);
    break;
  case N_FOR:
    vec_push(s->A, loopvars, (void *)st->var);
    collect_targets(s, st->a, loopvars);
    loopvars->n--;
    break;
  case N_TILDE:
  case N_REST:
  case N_ASSIGN: {
    Node *lhs = st->a;
    Node *nm = lhs->kind == N_INDEX ? lhs->a : lhs;
    for (int i = 0; i < loopvars->n; i++)
      if (loopvars->v[i] == nm->name) return; /* reported by check_lhs */
    Sym *y = model_find(s->m, nm->name);
    if (!y) {
      y = sym_new(s, SYM_VAR, nm->name, nm->span);
      vec_push(s->A, &s->m->syms, y);
    }
    if (y->kind == SYM_VAR) {
      if (!y->defkind) {
        y->defkind = st->kind;
        y->defspan = lhs->span;
      }
      if (st->kind == N_ASSIGN) y->deterministic = true;
      if (st->kind == N_REST) y->rest = true;
    }
    break;
  }
  default: break;
  }
}

/* ------------------------------------------------------------------ */
/* Statements                                                          */

/* Is e a valid left-hand index: constant, loop variable, loop var +- const? */
static bool lhs_index_ok(S *s, Node *e) {
  double v;
  if (e->kind == N_NAME) {
    Sym *y = lookup(s, e->name);
    /* a loop variable, or a scalar integer data value (a constant at run time) */
    return y && (y->kind == SYM_LOOP ||
                 (y->kind == SYM_DATA && y->type && y->type->ndim == 0 && dom_is_int(y->type->dom)));
  }
  if (e->kind == N_NUM) return e->is_int;
  if (e->kind == N_BINARY && (e->op == '+' || e->op == '-')) {
    Node *a = e->a, *b = e->b;
    bool aloop = a->kind == N_NAME && lookup(s, a->name) && lookup(s, a->name)->kind == SYM_LOOP;
    bool bloop = b->kind == N_NAME && lookup(s, b->name) && lookup(s, b->name)->kind == SYM_LOOP;
    bool adata = a->kind == N_NAME && lookup(s, a->name) && lookup(s, a->name)->kind == SYM_DATA &&
                 lhs_index_ok(s, a);
    if ((aloop || adata) && eval(s, b, &v)) return true;
    if (bloop && e->op == '+' && eval(s, a, &v)) return true;
    if (eval(s, e, &v)) return true;
  }
  return false;
}

static Type *check_dist_call(S *s, Node *st, Dist *d, Type **variate);

static void check_lhs(S *s, Node *st, Sym **out) {
  Node *lhs = st->a;
  Node *nm = lhs->kind == N_INDEX ? lhs->a : lhs;
  const char *what = st->kind == N_ASSIGN ? "=" : st->kind == N_REST ? "| rest ~" : "~";
  Sym *y = lookup(s, nm->name);
  *out = NULL;
  if (!y) {
    /* a builtin or distribution name on the left */
    diag_report(s->D, E_RESERVED_NAME, nm->span, nm->name,
                builtin_lookup(nm->name) ? "a function of the standard library"
                                         : "a distribution of the standard library");
    return;
  }
  nm->sym = y;
  if (y->kind == SYM_LOOP) {
    diag_report(s->D, E_FOR_VAR_ASSIGN, nm->span, nm->name);
    return;
  }
  if (y->kind == SYM_DATA || y->kind == SYM_PARAM) {
    diag_report(s->D, E_ASSIGN_TO_DATA, nm->span, nm->name,
                y->kind == SYM_DATA ? "declared 'data'" : "declared 'param'", what);
    diag_note(s->D, y->span, "declared here; a modelled variable needs no declaration");
    return;
  }
  if (y->defkind && st->kind != y->defkind) {
    static const char *const how[] = {[N_TILDE] = "~", [N_REST] = "| rest ~", [N_ASSIGN] = "="};
    if (st->kind == N_REST || y->defkind == N_REST)
      diag_report(s->D, E_REST_TARGET, lhs->span, nm->name);
    else
      diag_report(s->D, E_MIXED_DEF, lhs->span, nm->name, how[y->defkind], how[st->kind]);
    diag_note(s->D, y->defspan, "first defined here by '%s'", how[y->defkind]);
    return;
  }
  if (lhs->kind == N_INDEX) {
    for (int i = 0; i < lhs->list.n; i++) {
      Node *ix = lhs->list.v[i];
      check_expr(s, ix);
      if (!lhs_index_ok(s, ix)) {
        StrBuf b = {0};
        ast_unparse(&b, ix);
        diag_report(s->D, E_LHS_INDEX, ix->span, arena_strdup(s->A, b.s), what);
        sb_free(&b);
        return;
      }
    }
  }
  /* every enclosing loop must index the left-hand side */
  for (int i = 0; i < s->loops.n; i++) {
    Node *loop = s->loops.v[i];
    bool used = false;
    for (int k = 0; lhs->kind == N_INDEX && k < lhs->list.n; k++) {
      Node *ix = lhs->list.v[k];
      if ((ix->kind == N_NAME && ix->name == loop->var) ||
          (ix->kind == N_BINARY && ((ix->a->kind == N_NAME && ix->a->name == loop->var) ||
                                    (ix->b->kind == N_NAME && ix->b->name == loop->var))))
        used = true;
    }
    if (!used) {
      diag_report(s->D, E_LHS_NO_LOOP_INDEX, lhs->span, nm->name, loop->var, nm->name, loop->var);
      return;
    }
  }
  lhs->sym = y;
  *out = y;
}

static void record_def(S *s, Sym *y, Node *st) {
  DefSite *ds = arena_alloc(s->A, sizeof *ds);
  ds->stmt = st;
  ds->lhs = st->a;
  for (int i = 0; i < s->loops.n; i++) vec_push(s->A, &ds->loops, s->loops.v[i]);
  vec_push(s->A, &y->defs, ds);
}

static void check_stmt(S *s, Node *st) {
  if (!st) return;
  switch (st->kind) {
  case N_BLOCK:
    for (int i = 0; i < st->list.n; i++) check_stmt(s, st->list.v[i]);
    return;
  case N_FOR: {
    check_range_bound(s, st->b);
    check_range_bound(s, st->c);
    Sym *y = push_local(s, st->var, st->var_span, st);
    st->sym = y;
    if (st->d) {
      s->in_cond = true;
      check_expr(s, st->d);
      s->in_cond = false;
      require_fixed(s, st->d, "a loop filter");
    }
    vec_push(s->A, &s->loops, st);
    check_stmt(s, st->a);
    s->loops.n--;
    s->locals.n--;
    return;
  }
  case N_FACTOR: {
    st->loops = (PtrVec){0};
    for (int i = 0; i < s->loops.n; i++) vec_push(s->A, &st->loops, s->loops.v[i]);
    vec_push(s->A, &s->m->stmts, st);
    vec_push(s->A, &s->m->factors, st);
    s->stmt = st;
    Type *t = check_expr(s, st->a);
    if (t && !is_scalar(t)) diag_report(s->D, E_FACTOR_TYPE, st->a->span, tydesc(s, t));
    s->stmt = NULL;
    return;
  }
  case N_TILDE:
  case N_REST:
  case N_ASSIGN: {
    st->loops = (PtrVec){0};
    for (int i = 0; i < s->loops.n; i++) vec_push(s->A, &st->loops, s->loops.v[i]);
    vec_push(s->A, &s->m->stmts, st);
    Sym *y;
    s->stmt = st;
    check_lhs(s, st, &y);
    s->target = y;
    if (st->kind == N_ASSIGN) {
      Type *t = check_expr(s, st->b);
      st->ty = t;
    } else {
      Dist *d = model_find_dist(s->m, st->name);
      if (!d) {
        if (builtin_lookup(st->name))
          diag_report(s->D, E_FUNC_AS_DIST, st->name_span, st->name, suggest(s, st->name, 1));
        else
          diag_report(s->D, E_UNKNOWN_DIST, st->name_span, st->name, suggest(s, st->name, 1));
        for (int i = 0; i < st->list.n; i++) check_expr(s, st->list.v[i]);
      } else {
        Type *variate = NULL;
        check_dist_call(s, st, d, &variate);
        st->ty = variate;
        if (y && !y->dist) y->dist = d;
      }
    }
    if (y) record_def(s, y, st);
    s->target = NULL;
    s->stmt = NULL;
    return;
  }
  default: return;
  }
}

/* Bind sizes of a dist signature to the argument types; check shapes and
 * domains of the arguments; return the variate's type. */
typedef struct Binding {
  Sym *size;
  Dim dim;
  bool bound;
} Binding;

static Dim bind_dim(S *s, Binding *b, int nb, const Node *szexpr, Dim actual, bool *mismatch,
                    Dim *expected) {
  Dim want = {-1, szexpr};
  if (szexpr && szexpr->kind == N_NUM) want = dim_const((long long)szexpr->num);
  if (szexpr && szexpr->kind == N_NAME) {
    for (int i = 0; i < nb; i++)
      if (b[i].size->name == szexpr->name) {
        if (!b[i].bound) {
          b[i].bound = true;
          b[i].dim = actual;
        }
        want = b[i].dim;
      }
  }
  bool unk = false;
  if (!dims_equal(want, actual, &unk)) *mismatch = true;
  *expected = want;
  (void)s;
  return want;
}

static Type *check_dist_call(S *s, Node *st, Dist *d, Type **variate) {
  int np = d->params.n - 1;
  int na = st->list.n;
  Type *at[16] = {0};
  for (int i = 0; i < na; i++) {
    Type *t = check_expr(s, st->list.v[i]);
    if (i < 16) at[i] = t;
  }
  if (na != np) {
    diag_report(s->D, E_ARG_COUNT, st->name_span, "distribution", d->name, np, np == 1 ? "" : "s",
                na, na == 1 ? "was" : "were");
    StrBuf b = {0};
    for (int i = 1; i <= np; i++) {
      Sym *p = d->params.v[i];
      if (i > 1) sb_puts(&b, ", ");
      sb_printf(&b, "%s : ", p->name);
      type_format(&b, p->type);
    }
    diag_note(s->D, d->decl->name_span, "%s(%s) is declared here", d->name, b.s ? b.s : "");
    sb_free(&b);
    return NULL;
  }
  Binding bind[8] = {0};
  int nb = d->sizes.n < 8 ? d->sizes.n : 8;
  for (int i = 0; i < nb; i++) bind[i].size = d->sizes.v[i];
  for (int i = 0; i < na && i < 16; i++) {
    Sym *p = d->params.v[i + 1];
    Node *arg = st->list.v[i];
    Type *pt = p->type, *t = at[i];
    if (!pt || !t) continue;
    Node *ptn = p->decl->type;
    /* shape */
    if (t->ndim != pt->ndim) {
      diag_report(s->D, E_ARG_SHAPE, arg->span, i + 1, d->name,
                  arena_printf(s->A, "%s (parameter '%s')", tydesc(s, pt), p->name), tydesc(s, t));
      continue;
    }
    bool mismatch = false;
    Dim expected = {-1, NULL};
    int outer = pt->ndim - pt->nstruct;
    for (int k = 0; k < pt->ndim; k++) {
      const Node *sz = k < outer ? ptn->list.v[k] : ptn->a;
      bind_dim(s, bind, nb, sz, t->dims[k], &mismatch, &expected);
    }
    if (mismatch) {
      diag_report(s->D, E_ARG_SHAPE, arg->span, i + 1, d->name,
                  arena_printf(s->A, "%s (parameter '%s')", tystr(s, pt), p->name), tydesc(s, t));
      continue;
    }
    /* domain */
    Domain want = pt->dom;
    Domain have = t->dom;
    if (dom_is_int(want) && !dom_is_int(elem_dom(t)) && t->ndim == 0) {
      diag_report(s->D, E_ARG_DOMAIN, arg->span, i + 1, d->name,
                  arena_printf(s->A, "an integer (parameter '%s' is %s)", p->name, domain_name(want)),
                  tydesc(s, t));
      continue;
    }
    double v;
    if (t->ndim == 0 && eval(s, arg, &v) && !value_in_dom(v, want, -1)) {
      StrBuf b = {0};
      ast_unparse(&b, arg);
      diag_report(s->D, E_ARG_DOMAIN, arg->span, i + 1, d->name,
                  arena_printf(s->A, "%s (parameter '%s' is %s)", dom_words(want), p->name,
                               domain_name(want)),
                  arena_strdup(s->A, b.s));
      sb_free(&b);
      continue;
    }
    Node *base = arg->kind == N_INDEX ? arg->a : arg;
    if (t->ndim == 0 && (want == D_POS || want == D_UNIT) && base->kind == N_NAME && base->sym &&
        (base->sym->kind == SYM_VAR || base->sym->kind == SYM_DATA || base->sym->kind == SYM_PARAM) &&
        have != D_NONE && !dom_sub(have, want)) {
      StrBuf b = {0};
      ast_unparse(&b, arg);
      diag_report(s->D, E_ARG_MAY_BE_OUTSIDE, arg->span, i + 1, d->name, dom_words(want), p->name,
                  domain_name(want), arena_strdup(s->A, b.s), domain_name(have));
      sb_free(&b);
    }
  }
  /* the variate: support type with bound sizes */
  Sym *x = d->params.v[0];
  if (!x->type) return NULL;
  Type *vt = ty_copy(s, x->type);
  Node *xtn = x->decl->type;
  int outer = vt->ndim - vt->nstruct;
  for (int k = 0; k < vt->ndim; k++) {
    const Node *sz = k < outer ? xtn->list.v[k] : xtn->a;
    Dim dm = {-1, sz};
    if (sz && sz->kind == N_NUM) dm = dim_const((long long)sz->num);
    for (int i = 0; i < nb; i++)
      if (sz && sz->kind == N_NAME && bind[i].size->name == sz->name && bind[i].bound) dm = bind[i].dim;
    vt->dims[k] = dm;
  }
  if (xtn->a) {
    for (int i = 0; i < nb; i++)
      if (xtn->a->kind == N_NAME && bind[i].size->name == xtn->a->name && bind[i].bound)
        vt->domsize = bind[i].dim;
  }
  /* keep the size bindings for later phases (explain, lowering) */
  Dim *bound = arena_alloc(s->A, sizeof(Dim) * (size_t)(nb ? nb : 1));
  for (int i = 0; i < nb; i++) bound[i] = bind[i].bound ? bind[i].dim : (Dim){-1, NULL};
  st->aux = bound;
  *variate = vt;
  return vt;
}

/* ------------------------------------------------------------------ */
/* Shapes of random variables                                          */

/* Largest value an lhs index takes: loop upper bound (+ offset) or constant. */
static Dim index_upper(S *s, Node *ix) {
  double v;
  if (eval(s, ix, &v)) return dim_const((long long)v);
  Node *var = NULL;
  long long off = 0;
  if (ix->kind == N_NAME) var = ix;
  else if (ix->kind == N_BINARY && ix->a->kind == N_NAME && eval(s, ix->b, &v)) {
    var = ix->a;
    off = ix->op == '+' ? (long long)v : -(long long)v;
  } else if (ix->kind == N_BINARY && ix->b->kind == N_NAME && eval(s, ix->a, &v)) {
    var = ix->b;
    off = (long long)v;
  }
  if (!var || !var->sym || var->sym->kind != SYM_LOOP) return (Dim){-1, ix};
  Node *loop = var->sym->loop;
  Dim hi = size_of(s, loop->c);
  if (hi.value >= 0) hi.value += off;
  if (off != 0) {
    if (hi.value >= 0) hi.expr = NULL;
    else {
      Node *sum = ast_new(s->A, N_BINARY, loop->c->span);
      Node *k = ast_new(s->A, N_NUM, loop->c->span);
      k->num = (double)(off < 0 ? -off : off);
      k->is_int = true;
      sum->op = off < 0 ? '-' : '+';
      sum->a = loop->c;
      sum->b = k;
      hi.expr = sum;
    }
  }
  return hi;
}

static Dim dim_max(Dim a, Dim b) {
  if (a.value >= 0 && b.value >= 0) return a.value >= b.value ? a : b;
  if (a.value < 0 && a.expr) return a;
  if (b.value < 0 && b.expr) return b;
  return a.value >= 0 ? a : b;
}

static void infer_shape(S *s, Sym *y) {
  if (y->kind != SYM_VAR || y->defs.n == 0) return;
  DefSite *first = y->defs.v[0];
  Type *elem = first->stmt->ty;
  int nidx = first->lhs->kind == N_INDEX ? first->lhs->list.n : 0;
  Type *t = elem ? ty_copy(s, elem) : ty_new(s, D_NONE);
  if (elem && elem->row) t->row = false;
  if (elem && nidx + elem->ndim > MAXDIM) return;
  /* all definitions must agree on the number of indices and the element type */
  Dim dims[MAXDIM];
  for (int k = 0; k < nidx; k++) dims[k] = dim_const(0);
  for (int i = 0; i < y->defs.n; i++) {
    DefSite *ds = y->defs.v[i];
    int ni = ds->lhs->kind == N_INDEX ? ds->lhs->list.n : 0;
    if (ni != nidx) {
      diag_report(s->D, E_INDEX_COUNT, ds->lhs->span, y->name, nidx, nidx == 1 ? "" : "s", ni);
      diag_note(s->D, first->lhs->span, "as defined here");
      return;
    }
    Type *et = ds->stmt->ty;
    if (elem && et && (et->ndim != elem->ndim || (et->dom != elem->dom && !(dom_sub(et->dom, elem->dom) || dom_sub(elem->dom, et->dom))))) {
      diag_report(s->D, E_SHAPE_MISMATCH, ds->stmt->span,
                  arena_printf(s->A, "the definitions of '%s'", y->name), tydesc(s, elem),
                  tydesc(s, et));
      return;
    }
    for (int k = 0; k < ni; k++) {
      /* loops run 1..hi in the common case; the shape is the largest index */
      dims[k] = i == 0 && k < ni ? index_upper(s, ds->lhs->list.v[k])
                                 : dim_max(dims[k], index_upper(s, ds->lhs->list.v[k]));
    }
  }
  /* Shape: indices first, then the element's own dims. */
  Type *full = ty_copy(s, t);
  full->ndim = nidx + t->ndim;
  for (int k = 0; k < t->ndim; k++) full->dims[nidx + k] = t->dims[k];
  for (int k = 0; k < nidx; k++) full->dims[k] = dims[k];
  full->nstruct = t->nstruct;
  /* An annotation must agree. */
  if (y->decl && y->type) {
    Type *a = y->type;
    bool dom_ok = a->dom == full->dom || (t->dom == D_NONE) ||
                  (a->dom == D_VEC && full->dom == D_REAL && full->ndim == a->ndim) ||
                  (y->deterministic && dom_sub(full->dom, a->dom));
    if (!dom_ok) {
      const char *src = y->dist ? arena_printf(s->A, "%s", y->dist->name) : "its definition";
      diag_report(s->D, E_ANNOT_SUPPORT, y->decl->type->span, y->name, tystr(s, a), src,
                  domain_name(full->dom));
    } else if (a->ndim != full->ndim) {
      diag_report(s->D, E_ANNOT_SHAPE, y->decl->type->span, y->name, tystr(s, a), tystr(s, full));
    } else {
      for (int k = 0; k < a->ndim; k++) {
        bool unk = false;
        if (!dims_equal(a->dims[k], full->dims[k], &unk)) {
          diag_report(s->D, E_ANNOT_SHAPE, y->decl->type->span, y->name, tystr(s, a),
                      tystr(s, full));
          break;
        }
      }
    }
    return; /* keep the declared type */
  }
  y->type = full;
}

/* ------------------------------------------------------------------ */
/* Coverage: every element defined exactly once                         */

static void enum_defs(S *s, Sym *y, DefSite *ds, int depth, unsigned char *count,
                      long long total, Node **first_dup, long long *dup_off, bool *gave_up,
                      long long *budget) {
  if (*gave_up) return;
  if (depth == ds->loops.n) {
    Node *lhs = ds->lhs;
    long long off = 0;
    if (lhs->kind == N_INDEX) {
      for (int k = 0; k < lhs->list.n; k++) {
        double v;
        if (!eval(s, lhs->list.v[k], &v)) {
          *gave_up = true;
          return;
        }
        long long dk = y->type->dims[k].value;
        if (v < 1 || v > (double)dk) {
          StrBuf b = {0};
          sb_printf(&b, "%s[", y->name);
          for (int j = 0; j < lhs->list.n; j++) {
            double w = 0;
            eval(s, lhs->list.v[j], &w);
            sb_printf(&b, "%s%lld", j ? ", " : "", (long long)w);
          }
          sb_puts(&b, "]");
          diag_report(s->D, E_INDEX_RANGE, lhs->list.v[k] ? ((Node *)lhs->list.v[k])->span : lhs->span,
                      (long long)v, y->name, dk);
          diag_note(s->D, NO_SPAN, "while defining %s", b.s);
          sb_free(&b);
          *gave_up = true;
          return;
        }
        off = off * dk + (long long)v - 1;
      }
    }
    if (off < 0 || off >= total) {
      *gave_up = true;
      return;
    }
    if (count[off] < 2) count[off]++;
    if (count[off] == 2 && !*first_dup) {
      *first_dup = ds->stmt;
      *dup_off = off;
    }
    return;
  }
  Node *loop = ds->loops.v[depth];
  double lo, hi;
  if (!eval(s, loop->b, &lo) || !eval(s, loop->c, &hi)) {
    *gave_up = true;
    return;
  }
  Sym *iv = loop->sym;
  bool save_has = iv->has_value;
  double save_v = iv->value;
  for (double i = lo; i <= hi && !*gave_up; i++) {
    if (--*budget < 0) {
      *gave_up = true;
      break;
    }
    iv->has_value = true;
    iv->value = i;
    if (loop->d) {
      double c;
      if (!eval(s, loop->d, &c)) {
        *gave_up = true;
        break;
      }
      if (!c) continue;
    }
    enum_defs(s, y, ds, depth + 1, count, total, first_dup, dup_off, gave_up, budget);
  }
  iv->has_value = save_has;
  iv->value = save_v;
}

static const char *elem_name(S *s, Sym *y, long long off) {
  int nidx = y->type->ndim - (y->defs.n ? (((DefSite *)y->defs.v[0])->stmt->ty
                                               ? ((DefSite *)y->defs.v[0])->stmt->ty->ndim
                                               : 0)
                                         : 0);
  long long idx[MAXDIM];
  for (int k = nidx - 1; k >= 0; k--) {
    long long dk = y->type->dims[k].value;
    idx[k] = off % dk + 1;
    off /= dk;
  }
  StrBuf b = {0};
  sb_printf(&b, "%s[", y->name);
  for (int k = 0; k < nidx; k++) sb_printf(&b, "%s%lld", k ? ", " : "", idx[k]);
  sb_puts(&b, "]");
  const char *r = arena_strdup(s->A, b.s);
  sb_free(&b);
  return r;
}

/* Describe the covered set of a 1-D variable: "z[1] and z[3..10]". */
static const char *covered_runs(S *s, Sym *y, const unsigned char *count, long long n) {
  StrBuf b = {0};
  int runs = 0;
  for (long long i = 0; i < n;) {
    if (!count[i]) {
      i++;
      continue;
    }
    long long j = i;
    while (j + 1 < n && count[j + 1]) j++;
    if (runs++) sb_puts(&b, ", ");
    if (runs > 4) {
      sb_puts(&b, "...");
      break;
    }
    if (i == j) sb_printf(&b, "%s[%lld]", y->name, i + 1);
    else sb_printf(&b, "%s[%lld..%lld]", y->name, i + 1, j + 1);
    i = j + 1;
  }
  const char *r = runs ? arena_strdup(s->A, b.s) : "no element";
  sb_free(&b);
  return r;
}

/* Symbolic coverage for one-dimensional variables whose size is unknown
 * (no data file): every definition covers an interval [lo, hi] whose ends
 * are a constant or a size plus a constant ("T - 1"); sizes are assumed
 * larger than every constant.  Intervals are sorted and must tile 1..n. */
typedef struct Bound {
  const Sym *sym; /* NULL: a constant */
  long long c;
  const Node *expr;
} Bound;

static bool bound_of(S *s, const Node *e, long long add, Bound *b) {
  double v;
  if (eval(s, e, &v)) {
    *b = (Bound){NULL, (long long)v + add, NULL};
    return true;
  }
  if (e->kind == N_NAME && e->sym && e->sym->kind == SYM_DATA) {
    *b = (Bound){e->sym, add, e};
    return true;
  }
  if (e->kind == N_BINARY && (e->op == '+' || e->op == '-') && e->a->kind == N_NAME &&
      e->a->sym && e->a->sym->kind == SYM_DATA && eval(s, e->b, &v)) {
    *b = (Bound){e->a->sym, add + (e->op == '+' ? (long long)v : -(long long)v), e->a};
    return true;
  }
  return false;
}

/* -1 a < b, 0 equal, 1 a > b, 2 incomparable */
static int bound_cmp(Bound a, Bound b) {
  if (a.sym == b.sym) return a.c < b.c ? -1 : a.c > b.c;
  if (!a.sym) return -1;
  if (!b.sym) return 1;
  return 2;
}

static void bound_text(StrBuf *sb, Bound b) {
  if (!b.sym) sb_printf(sb, "%lld", b.c);
  else if (b.c == 0) sb_puts(sb, b.sym->name);
  else sb_printf(sb, "%s %s %lld", b.sym->name, b.c < 0 ? "-" : "+", b.c < 0 ? -b.c : b.c);
}

typedef struct Interval {
  Bound lo, hi;
  const DefSite *ds;
} Interval;

static void check_coverage_symbolic(S *s, Sym *y) {
  int n = y->defs.n;
  Interval *iv = calloc((size_t)n, sizeof *iv);
  if (!iv) return;
  for (int i = 0; i < n; i++) {
    DefSite *ds = y->defs.v[i];
    Node *ix = ds->lhs->list.v[0];
    long long off = 0;
    Node *var = NULL;
    double v;
    if (ix->kind == N_NAME && ix->sym && ix->sym->kind == SYM_LOOP) var = ix;
    else if (ix->kind == N_BINARY && (ix->op == '+' || ix->op == '-') && ix->a->kind == N_NAME &&
             ix->a->sym && ix->a->sym->kind == SYM_LOOP && eval(s, ix->b, &v)) {
      var = ix->a;
      off = ix->op == '+' ? (long long)v : -(long long)v;
    }
    bool ok;
    if (!var) {
      ok = bound_of(s, ix, 0, &iv[i].lo);
      iv[i].hi = iv[i].lo;
    } else {
      Node *loop = var->sym->loop;
      ok = !loop->d && bound_of(s, loop->b, off, &iv[i].lo) && bound_of(s, loop->c, off, &iv[i].hi);
      /* the loop must be the only one around this definition that is not an
       * outer plate of other indices: with one index, every other loop
       * repeats the definition (reported elsewhere) */
    }
    iv[i].ds = ds;
    if (!ok) {
      free(iv);
      return;
    }
  }
  /* insertion sort by lo; incomparable -> give up */
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0; j--) {
      int c = bound_cmp(iv[j - 1].lo, iv[j].lo);
      if (c == 2) {
        free(iv);
        return;
      }
      if (c <= 0) break;
      Interval t = iv[j - 1];
      iv[j - 1] = iv[j];
      iv[j] = t;
    }
  Bound one = {NULL, 1, NULL};
  Bound next = one;
  for (int i = 0; i < n; i++) {
    int c = bound_cmp(iv[i].lo, next);
    if (c == 2) break;
    if (c < 0) {
      /* starts at or before an element already covered */
      StrBuf b = {0};
      sb_printf(&b, "%s[", y->name);
      bound_text(&b, iv[i].lo.sym || iv[i].lo.c >= 1 ? iv[i].lo : one);
      sb_puts(&b, "]");
      diag_report(s->D, E_DEFINED_TWICE, iv[i].ds->lhs->span, arena_strdup(s->A, b.s));
      sb_free(&b);
      break;
    }
    if (c > 0) {
      StrBuf b = {0}, cov = {0};
      sb_printf(&b, "%s[", y->name);
      bound_text(&b, next);
      sb_puts(&b, "]");
      for (int k = 0; k < n; k++) {
        if (k) sb_puts(&cov, ", ");
        sb_printf(&cov, "%s[", y->name);
        bound_text(&cov, iv[k].lo);
        if (bound_cmp(iv[k].lo, iv[k].hi) != 0) {
          sb_puts(&cov, "..");
          bound_text(&cov, iv[k].hi);
        }
        sb_puts(&cov, "]");
      }
      diag_report(s->D, E_NEVER_DEFINED, ((DefSite *)y->defs.v[0])->lhs->span,
                  arena_strdup(s->A, b.s), arena_strdup(s->A, cov.s));
      sb_free(&b);
      sb_free(&cov);
      break;
    }
    next = iv[i].hi;
    next.c += 1;
  }
  free(iv);
}

static void check_coverage(S *s, Sym *y) {
  if (y->kind != SYM_VAR || y->defs.n == 0 || !y->type) return;
  DefSite *first = y->defs.v[0];
  int nidx = first->lhs->kind == N_INDEX ? first->lhs->list.n : 0;
  if (nidx == 0) {
    if (y->defs.n > 1) {
      DefSite *d2 = y->defs.v[1];
      diag_report(s->D, E_DEFINED_TWICE, d2->lhs->span, arena_printf(s->A, "'%s'", y->name));
      diag_note(s->D, first->lhs->span, "first defined here");
    }
    return;
  }
  long long total = 1;
  for (int k = 0; k < nidx; k++) {
    if (y->type->dims[k].value < 0) {
      if (nidx == 1) check_coverage_symbolic(s, y);
      return; /* otherwise checked exactly once the sizes are known */
    }
    total *= y->type->dims[k].value;
    if (total > 200000000LL) return;
  }
  unsigned char *count = calloc((size_t)total + 1, 1);
  if (!count) return;
  Node *dup_stmt = NULL;
  long long dup_off = -1;
  bool gave_up = false;
  long long budget = 400000000LL;
  for (int i = 0; i < y->defs.n && !gave_up; i++)
    enum_defs(s, y, y->defs.v[i], 0, count, total, &dup_stmt, &dup_off, &gave_up, &budget);
  if (!gave_up) {
    if (dup_stmt) {
      diag_report(s->D, E_DEFINED_TWICE, dup_stmt->a->span, elem_name(s, y, dup_off));
      if (y->defs.n > 1) diag_note(s->D, first->lhs->span, "also defined by this statement");
    } else {
      for (long long i = 0; i < total; i++)
        if (!count[i]) {
          const char *cov = nidx == 1 ? covered_runs(s, y, count, total)
                                      : arena_printf(s->A, "other elements of '%s'", y->name);
          diag_report(s->D, E_NEVER_DEFINED, first->lhs->span, elem_name(s, y, i), cov);
          break;
        }
    }
  }
  free(count);
}

/* ------------------------------------------------------------------ */
/* Cycles: a variable may depend on itself only through earlier elements */

/* Does expression e mention y at an element not provably earlier than the
 * left-hand side lhs?  Collects names of the variables it mentions. */
static bool index_is_lagged(const Node *use, const Node *lhs) {
  if (use->kind != N_INDEX || lhs->kind != N_INDEX) return false;
  int n = use->list.n < lhs->list.n ? use->list.n : lhs->list.n;
  for (int k = 0; k < n; k++) {
    const Node *u = use->list.v[k], *l = lhs->list.v[k];
    StrBuf a = {0}, b = {0};
    ast_unparse(&a, u);
    ast_unparse(&b, l);
    bool same = strcmp(a.s, b.s) == 0;
    sb_free(&a);
    sb_free(&b);
    if (same) continue;
    /* u = v - c with l = v, c > 0 */
    if (u->kind == N_BINARY && u->op == '-' && u->a->kind == N_NAME && l->kind == N_NAME &&
        u->a->name == l->name && u->b->kind == N_NUM && u->b->num > 0)
      return true;
    /* a constant index below the loop's start (z[1] used inside t >= 2) */
    if (u->kind == N_NUM && l->kind == N_NAME && l->sym && l->sym->kind == SYM_LOOP &&
        l->sym->loop->b->kind == N_NUM && u->num < l->sym->loop->b->num)
      return true;
    /* j != i filters (dependency networks) are not an ordering */
    return false;
  }
  return false;
}

typedef struct Edge {
  Sym *from, *to;
  bool lagged;
  Span span;
} Edge;

static void collect_edges(S *s, const Node *e, Sym *target, const Node *lhs, PtrVec *edges) {
  if (!e) return;
  switch (e->kind) {
  case N_NAME:
  case N_INDEX: {
    const Node *nm = e->kind == N_INDEX ? e->a : e;
    if (nm->kind == N_NAME && nm->sym && nm->sym->kind == SYM_VAR) {
      Edge *ed = arena_alloc(s->A, sizeof *ed);
      ed->from = nm->sym;
      ed->to = target;
      ed->lagged = nm->sym == target ? index_is_lagged(e, lhs) : e->kind == N_INDEX && index_is_lagged(e, lhs);
      ed->span = e->span;
      vec_push(s->A, edges, ed);
    }
    if (e->kind == N_INDEX) {
      if (e->a->kind != N_NAME) collect_edges(s, e->a, target, lhs, edges);
      for (int i = 0; i < e->list.n; i++) collect_edges(s, e->list.v[i], target, lhs, edges);
    }
    break;
  }
  case N_CALL:
    for (int i = 0; i < e->list.n; i++) collect_edges(s, e->list.v[i], target, lhs, edges);
    break;
  case N_COMPREH:
    collect_edges(s, e->a, target, lhs, edges);
    collect_edges(s, e->b, target, lhs, edges);
    collect_edges(s, e->c, target, lhs, edges);
    break;
  case N_UNARY:
  case N_TRANSPOSE: collect_edges(s, e->a, target, lhs, edges); break;
  case N_BINARY:
    collect_edges(s, e->a, target, lhs, edges);
    collect_edges(s, e->b, target, lhs, edges);
    break;
  default: break;
  }
}

static void check_cycles(S *s) {
  PtrVec edges = {0};
  for (int i = 0; i < s->m->syms.n; i++) {
    Sym *y = s->m->syms.v[i];
    if (y->kind != SYM_VAR || y->rest) continue; /* | rest conditionals may refer to each other */
    for (int j = 0; j < y->defs.n; j++) {
      DefSite *ds = y->defs.v[j];
      if (ds->stmt->kind == N_ASSIGN) collect_edges(s, ds->stmt->b, y, ds->lhs, &edges);
      else
        for (int k = 0; k < ds->stmt->list.n; k++)
          collect_edges(s, ds->stmt->list.v[k], y, ds->lhs, &edges);
      /* indices on the left that are random variables are not allowed anyway */
    }
  }
  /* self edges that are not lagged */
  for (int i = 0; i < edges.n; i++) {
    Edge *e = edges.v[i];
    if (e->from == e->to && !e->lagged && !e->to->rest) {
      diag_report(s->D, E_CYCLE, e->span, e->to->name,
                  "its definition uses the element it defines; a chain must refer to earlier "
                  "elements, as in z[t - 1]");
      return;
    }
  }
  /* cycles through other variables made only of non-lagged edges: DFS */
  int n = s->m->syms.n;
  if (n <= 0) return;
  int *state = calloc((size_t)n, sizeof(int));
  if (!state) return;
  int reported = 0;
  for (int start = 0; start < n && !reported; start++) {
    if (state[start]) continue;
    /* iterative DFS with explicit stack */
    int *stack = malloc(sizeof(int) * (size_t)(n + 1));
    int *edge_i = malloc(sizeof(int) * (size_t)(n + 1));
    if (!stack || !edge_i) {
      free(stack);
      free(edge_i);
      break;
    }
    int sp = 0;
    stack[sp] = start;
    edge_i[sp] = 0;
    state[start] = 1;
    while (sp >= 0 && !reported) {
      int u = stack[sp];
      Sym *su = s->m->syms.v[u];
      bool pushed = false;
      while (edge_i[sp] < edges.n) {
        Edge *e = edges.v[edge_i[sp]++];
        if (e->from != su || e->lagged || e->from == e->to) continue;
        int v = -1;
        for (int k = 0; k < n; k++)
          if (s->m->syms.v[k] == e->to) v = k;
        if (v < 0) continue;
        if (state[v] == 1) {
          /* found a cycle: v -> ... -> u -> v */
          StrBuf b = {0};
          sb_printf(&b, "%s", ((Sym *)s->m->syms.v[v])->name);
          int from = -1;
          for (int k = 0; k <= sp; k++)
            if (stack[k] == v) from = k;
          for (int k = from + 1; k <= sp; k++)
            sb_printf(&b, " -> %s", ((Sym *)s->m->syms.v[stack[k]])->name);
          sb_printf(&b, " -> %s", ((Sym *)s->m->syms.v[v])->name);
          Sym *sv = s->m->syms.v[v];
          diag_report(s->D, E_CYCLE, e->span, sv->name,
                      arena_printf(s->A, "%s (directed models must be acyclic)", b.s));
          sb_free(&b);
          reported = 1;
          break;
        }
        if (state[v] == 0) {
          state[v] = 1;
          sp++;
          stack[sp] = v;
          edge_i[sp] = 0;
          pushed = true;
          break;
        }
      }
      if (!pushed && !reported) {
        state[u] = 2;
        sp--;
      }
    }
    free(stack);
    free(edge_i);
  }
  free(state);
}

/* ------------------------------------------------------------------ */
/* Rules about roles                                                   */

static void check_rest_rule(S *s) {
  for (int i = 0; i < s->m->stmts.n; i++) {
    Node *st = s->m->stmts.v[i];
    if (st->kind == N_REST) continue;
    /* does a '~', '=' or factor statement mention a '| rest' variable? */
    PtrVec edges = {0};
    Sym dummy = {0};
    if (st->kind == N_FACTOR) collect_edges(s, st->a, &dummy, st->a, &edges);
    else if (st->kind == N_ASSIGN) collect_edges(s, st->b, &dummy, st->a, &edges);
    else
      for (int k = 0; k < st->list.n; k++) collect_edges(s, st->list.v[k], &dummy, st->a, &edges);
    for (int k = 0; k < edges.n; k++) {
      Edge *e = edges.v[k];
      if (e->from->rest) {
        diag_report(s->D, E_REST_MIXED, e->span, e->from->name);
        return;
      }
    }
  }
}

static void check_vars(S *s) {
  int nvars = 0;
  bool clean = s->D->nerrors == 0;
  for (int i = 0; i < s->m->syms.n; i++) {
    Sym *y = s->m->syms.v[i];
    if (y->kind == SYM_VAR && (y->defs.n || y->factors.n || y->decl)) nvars++;
    if (!clean) continue;
    if (y->kind == SYM_DATA && !y->used && !y->data)
      diag_report(s->D, E_DATA_UNUSED, y->span, y->name);
    if (y->kind != SYM_VAR) continue;
    if (y->defs.n == 0 && y->factors.n == 0 && y->decl)
      diag_report(s->D, E_ANNOT_UNUSED, y->span, y->name);
    if (y->defs.n == 0 && !y->decl && y->factors.n > 0)
      diag_report(s->D, E_FACTOR_NOT_ANNOTATED, y->span, y->name, y->name);
  }
  if (nvars == 0 && clean) diag_report(s->D, E_EMPTY_MODEL, s->m->name_span);
}

/* ------------------------------------------------------------------ */
/* Data                                                                */

static const char *dims_text(S *s, const size_t *dims, int nd) {
  StrBuf b = {0};
  sb_putc(&b, '[');
  for (int i = 0; i < nd; i++) sb_printf(&b, "%s%zu", i ? ", " : "", dims[i]);
  sb_putc(&b, ']');
  const char *r = arena_strdup(s->A, b.s);
  sb_free(&b);
  return r;
}

static const char *shape_text(S *s, const Type *t) {
  StrBuf b = {0};
  sb_putc(&b, '[');
  for (int i = 0; i < t->ndim; i++) {
    if (i) sb_puts(&b, ", ");
    dim_format(&b, t->dims[i]);
  }
  sb_putc(&b, ']');
  const char *r = arena_strdup(s->A, b.s);
  sb_free(&b);
  return r;
}

static const char *elem_text(S *s, const char *name, const lvm_data_var *dv, size_t off) {
  StrBuf b = {0};
  sb_puts(&b, name);
  if (dv->ndim > 0) {
    size_t idx[LVM_DATA_MAX_DIMS];
    size_t o = off;
    for (int k = dv->ndim - 1; k >= 0; k--) {
      idx[k] = o % dv->dims[k] + 1;
      o /= dv->dims[k];
    }
    sb_putc(&b, '[');
    for (int k = 0; k < dv->ndim; k++) sb_printf(&b, "%s%zu", k ? ", " : "", idx[k]);
    sb_putc(&b, ']');
  }
  const char *r = arena_strdup(s->A, b.s);
  sb_free(&b);
  return r;
}

/* Check one variable's data against its type; returns false if unusable. */
static bool check_data_var(S *s, Sym *y, const lvm_data_var *dv, bool allow_missing) {
  const Type *t = y->type;
  const char *src = dv->source ? dv->source : "data";
  if (!t) return false;
  if (dv->ndim != t->ndim) {
    diag_report_file(s->D, E_DATA, src, arena_printf(s->A, "'%s' should have shape %s but the file gives %s",
                             y->name, shape_text(s, t), dims_text(s, dv->dims, dv->ndim)));
    diag_note(s->D, y->decl ? y->decl->span : y->span, "'%s' is %s", y->name, tystr(s, t));
    return false;
  }
  for (int k = 0; k < t->ndim; k++)
    if (t->dims[k].value >= 0 && (size_t)t->dims[k].value != dv->dims[k]) {
      diag_report_file(s->D, E_DATA, src, arena_printf(s->A, "'%s' should have shape %s but the file gives %s",
                               y->name, shape_text(s, t), dims_text(s, dv->dims, dv->ndim)));
      diag_note(s->D, y->decl ? y->decl->span : y->span, "'%s' is %s", y->name, tystr(s, t));
      return false;
    }
  Domain ed = t->dom;
  long long K = t->domsize.value;
  int reported = 0;
  for (size_t i = 0; i < dv->size && reported < 3; i++) {
    if (dv->missing && dv->missing[i]) {
      if (!allow_missing) {
        diag_report_file(s->D, E_DATA, src, arena_printf(s->A, "%s is null, but '%s' is %s and must be given in full",
                                 elem_text(s, y->name, dv, i), y->name,
                                 y->kind == SYM_DATA ? "data" : "a parameter"));
        reported++;
      }
      continue;
    }
    double v = dv->values[i];
    Domain check = ed;
    if (ed == D_SIMPLEX) check = D_REAL;
    if (ed == D_VEC || ed == D_SPD) check = D_REAL;
    if (ed == D_SIMPLEX && (v < 0 || v > 1)) {
      diag_report_file(s->D, E_DATA, src, arena_printf(s->A, "%s is %.17g, but '%s' is %s (entries in [0, 1] summing to 1)",
                               elem_text(s, y->name, dv, i), v, y->name, tystr(s, t)));
      reported++;
      continue;
    }
    if (!value_in_dom(v, check, K)) {
      diag_report_file(s->D, E_DATA, src, arena_printf(s->A, "%s is %.17g, but '%s' is %s (%s)",
                               elem_text(s, y->name, dv, i), v, y->name, tystr(s, t),
                               ed == D_CAT && K >= 0
                                   ? arena_printf(s->A, "an integer from 1 to %lld", K)
                                   : dom_words(check)));
      reported++;
    }
  }
  if (ed == D_SIMPLEX && reported == 0 && t->ndim >= 1) {
    size_t K2 = dv->dims[dv->ndim - 1];
    for (size_t r = 0; K2 && r < dv->size / K2 && reported < 3; r++) {
      double sum = 0;
      bool miss = false;
      for (size_t k = 0; k < K2; k++) {
        if (dv->missing && dv->missing[r * K2 + k]) miss = true;
        sum += dv->values[r * K2 + k];
      }
      if (!miss && fabs(sum - 1) > 1e-8) {
        diag_report_file(s->D, E_DATA, src, arena_printf(s->A, "the entries of %s sum to %.17g, but '%s' is %s",
                                 t->ndim > 1 ? elem_text(s, y->name, dv, r * K2) : y->name, sum,
                                 y->name, tystr(s, t)));
        reported++;
      }
    }
  }
  if (reported == 0 && (ed == D_INT || ed == D_NAT || ed == D_BIN || ed == D_SPIN || ed == D_CAT) &&
      !dv->is_integer && dv->first_real != (size_t)-1) {
    diag_report_file(s->D, E_DATA, src, arena_printf(s->A, "%s is written as a real number, but '%s' is %s; write integers without a decimal point",
                             elem_text(s, y->name, dv, dv->first_real), y->name, tystr(s, t)));
    reported++;
  }
  return reported == 0;
}

/* Re-resolve the declared types now that data sizes are known. */
static void resolve_data(S *s) {
  const lvm_data *d = s->data;
  for (int i = 0; i < s->m->syms.n; i++) {
    Sym *y = s->m->syms.v[i];
    if (y->kind != SYM_DATA && y->kind != SYM_PARAM) continue;
    if (!y->decl || !y->type) continue;
    const lvm_data_var *dv = lvm_data_find(d, y->name);
    if (!dv) {
      if (y->kind == SYM_DATA && !y->decl->a)
        diag_report(s->D, E_DATA, y->decl->name_span,
                    arena_printf(s->A, "'%s' is declared 'data' but the data file does not give it "
                                       "(and it has no default)",
                                 y->name));
      continue;
    }
    check_data_var(s, y, dv, false);
  }
  for (int i = 0; i < s->m->syms.n; i++) {
    Sym *y = s->m->syms.v[i];
    if (y->kind != SYM_VAR) continue;
    const lvm_data_var *dv = lvm_data_find(d, y->name);
    if (y->deterministic) {
      bool all_data = true;
      for (int k = 0; k < y->parents.n; k++)
        if (((Sym *)y->parents.v[k])->kind == SYM_VAR) all_data = false;
      y->role = all_data ? ROLE_DERIVED : ROLE_DETERMINISTIC;
      if (dv)
        diag_report(s->D, E_DATA, y->span,
                    arena_printf(s->A, "'%s' is computed by '=' in the model and cannot be given in the data file", y->name));
      continue;
    }
    if (!dv) {
      y->role = ROLE_LATENT;
      continue;
    }
    y->data = dv;
    if (!check_data_var(s, y, dv, true)) continue;
    long long miss = 0;
    for (size_t k = 0; k < dv->size; k++) miss += dv->missing && dv->missing[k];
    y->n_missing = miss;
    y->n_observed = (long long)dv->size - miss;
    y->role = miss == 0 ? ROLE_OBSERVED : miss == (long long)dv->size ? ROLE_LATENT : ROLE_PARTIAL;
  }
  for (size_t i = 0; i < d->n_vars; i++) {
    const lvm_data_var *dv = &d->vars[i];
    if (!model_find(s->m, dv->name))
      diag_report_file(s->D, W_DATA, dv->source ? dv->source : "data",
                       arena_printf(s->A, "'%s' is not a name in the model; it is ignored", dv->name));
  }
}

/* ------------------------------------------------------------------ */

Model *sema_analyse(Arena *arena, Diags *diags, Program *prog, const lvm_data *data) {
  S s = {0};
  s.A = arena;
  s.D = diags;
  s.data = data;
  Model *m = arena_alloc(arena, sizeof *m);
  m->name_span = NO_SPAN;
  m->prog = prog;
  m->have_data = data != NULL;
  m->data = data;
  s.m = m;
  /* 1. distributions and families */
  for (int i = 0; i < prog->items.n; i++) {
    Node *n = prog->items.v[i];
    if (n->kind == N_DIST) declare_dist(&s, n);
  }
  for (int i = 0; i < prog->items.n; i++) {
    Node *n = prog->items.v[i];
    if (n->kind == N_FAMILY) declare_family(&s, n);
  }
  /* 2. model name, defined names, declarations */
  for (int i = 0; i < prog->items.n; i++) {
    Node *n = prog->items.v[i];
    if (n->kind >= N_TILDE && n->kind <= N_BLOCK) {
      PtrVec loopvars = {0};
      collect_targets(&s, n, &loopvars);
    }
  }
  for (int i = 0; i < prog->items.n; i++) {
    Node *n = prog->items.v[i];
    if (n->kind == N_MODEL) {
      if (m->name) diag_report(diags, E_MODEL_TWICE, n->span);
      else {
        m->name = n->name;
        m->name_span = n->name_span;
      }
    } else if (n->kind == N_DATA || n->kind == N_PARAM || n->kind == N_ANNOT) {
      declare(&s, n);
    }
  }
  /* 3-4. statements and shapes.  A use may come before the definition
   * that gives a variable its type, so a few silent passes infer the types
   * first; the last pass reports. */
  for (int pass = 0; pass < 4; pass++) {
    bool last = pass == 3;
    if (!last) diags->muted++;
    for (int i = 0; i < m->syms.n; i++) {
      Sym *y = m->syms.v[i];
      y->defs = y->parents = y->children = y->factors = (PtrVec){0};
    }
    m->stmts = m->factors = (PtrVec){0};
    for (int i = 0; i < prog->items.n; i++) {
      Node *n = prog->items.v[i];
      if (n->kind >= N_TILDE && n->kind <= N_BLOCK) check_stmt(&s, n);
    }
    for (int i = 0; i < m->syms.n; i++) infer_shape(&s, m->syms.v[i]);
    if (!last) diags->muted--;
  }
  if (diags->nerrors == 0) {
    /* 5. structure */
    for (int i = 0; i < m->syms.n; i++) check_coverage(&s, m->syms.v[i]);
    check_cycles(&s);
    check_rest_rule(&s);
  }
  check_vars(&s);
  /* 6. data */
  if (data && diags->nerrors == 0) resolve_data(&s);
  return m;
}
