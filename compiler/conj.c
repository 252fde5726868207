/* conj.c — conjugacy analysis (see conj.h for the method). */
#include "conj.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "sema.h"

/* ------------------------------------------------------------------ */
/* Polynomials over atoms                                              */

#include "poly.h"


static Poly *poly_new(PolyCtx *c, int n) {
  Poly *p = arena_alloc(c->A, sizeof *p);
  p->m = n ? arena_alloc(c->A, sizeof(Mono *) * (size_t)n) : NULL;
  p->n = 0;
  return p;
}

static Mono *mono_new(PolyCtx *c, double coef, int nf, int nb) {
  Mono *m = arena_alloc(c->A, sizeof *m);
  m->coef = coef;
  m->f = nf ? arena_alloc(c->A, sizeof(Factor) * (size_t)nf) : NULL;
  m->b = nb ? arena_alloc(c->A, sizeof(Binder) * (size_t)nb) : NULL;
  return m;
}

static Poly *poly_const(PolyCtx *c, double v) {
  Poly *p = poly_new(c, 1);
  if (v != 0) p->m[p->n++] = mono_new(c, v, 0, 0);
  return p;
}

static Poly *poly_atom(PolyCtx *c, Atom *a, int power) {
  Poly *p = poly_new(c, 1);
  Mono *m = mono_new(c, 1, 1, 0);
  m->f[0] = (Factor){a, power};
  m->nf = 1;
  p->m[p->n++] = m;
  return p;
}

static Poly *poly_add(PolyCtx *c, const Poly *a, const Poly *b, double sb) {
  Poly *p = poly_new(c, a->n + b->n);
  for (int i = 0; i < a->n; i++) p->m[p->n++] = a->m[i];
  for (int i = 0; i < b->n; i++) {
    if (sb == 1) p->m[p->n++] = b->m[i];
    else {
      Mono *m = mono_new(c, b->m[i]->coef * sb, 0, 0);
      *m = *b->m[i];
      m->coef *= sb;
      p->m[p->n++] = m;
    }
  }
  return p;
}

static Mono *mono_mul(PolyCtx *c, const Mono *x, const Mono *y) {
  Mono *m = mono_new(c, x->coef * y->coef, x->nf + y->nf, x->nb + y->nb);
  for (int i = 0; i < x->nf; i++) m->f[m->nf++] = x->f[i];
  for (int i = 0; i < y->nf; i++) {
    int j;
    for (j = 0; j < m->nf; j++)
      if (!strcmp(m->f[j].atom->key, y->f[i].atom->key)) break;
    if (j < m->nf) m->f[j].power += y->f[i].power;
    else m->f[m->nf++] = y->f[i];
  }
  /* drop zero powers */
  int k = 0;
  for (int i = 0; i < m->nf; i++)
    if (m->f[i].power != 0) m->f[k++] = m->f[i];
  m->nf = k;
  for (int i = 0; i < x->nb; i++) m->b[m->nb++] = x->b[i];
  for (int i = 0; i < y->nb; i++) m->b[m->nb++] = y->b[i];
  return m;
}

/* ---- alpha-renaming of sum binders ---- */

typedef struct Subst Subst;
static Node *subst(Arena *a, const Node *e, const Subst *s);
static Atom *atom_ref(PolyCtx *c, const Node *ref);
static Atom *atom_func(PolyCtx *c, const char *fname, Poly **args, int nargs, Span span);
static Node *name_node(PolyCtx *c, const char *name);
static const char *fresh_var(PolyCtx *c);
static Poly *poly_rename(PolyCtx *c, const Poly *p, const char *from, const char *to);

struct Subst {
  const char **names;
  const Node **repl;
  int n;
};

static bool key_mentions(const char *key, const char *name) {
  size_t n = strlen(name);
  for (const char *p = strstr(key, name); p; p = strstr(p + 1, name)) {
    bool left = p == key || !(p[-1] == '_' || (p[-1] >= '0' && p[-1] <= '9') ||
                              ((p[-1] | 32) >= 'a' && (p[-1] | 32) <= 'z'));
    char r = p[n];
    bool right = !(r == '_' || (r >= '0' && r <= '9') || ((r | 32) >= 'a' && (r | 32) <= 'z'));
    if (left && right) return true;
  }
  return false;
}

static Atom *atom_rename(PolyCtx *c, Atom *a, const char *from, const char *to) {
  if (!key_mentions(a->key, from)) return a;
  if (a->kind == A_REF && a->var) {
    const char *names[1] = {from};
    const Node *repl[1] = {name_node(c, to)};
    Subst s = {names, repl, 1};
    Atom *r = atom_ref(c, subst(c->A, a->ref, &s));
    r->span = a->span;
    return r;
  }
  if (a->kind == A_REF) return a; /* opaque indexed expression: keep */
  Poly **args = arena_alloc(c->A, sizeof(Poly *) * (size_t)(a->nargs ? a->nargs : 1));
  for (int i = 0; i < a->nargs; i++) args[i] = poly_rename(c, a->args[i], from, to);
  Atom *r = atom_func(c, a->fname, args, a->nargs, a->span);
  r->deps = a->deps;
  return r;
}

static Mono *mono_rename(PolyCtx *c, const Mono *m, const char *from, const char *to) {
  Mono *r = mono_new(c, m->coef, m->nf, m->nb);
  const char *names[1] = {from};
  const Node *repl[1] = {name_node(c, to)};
  Subst s = {names, repl, 1};
  for (int i = 0; i < m->nf; i++) r->f[r->nf++] = (Factor){atom_rename(c, m->f[i].atom, from, to), m->f[i].power};
  for (int i = 0; i < m->nb; i++) {
    Binder b = m->b[i];
    if (b.var == from) b.var = to;
    b.lo = subst(c->A, b.lo, &s);
    b.hi = subst(c->A, b.hi, &s);
    b.cond = subst(c->A, b.cond, &s);
    r->b[r->nb++] = b;
  }
  return r;
}

static Poly *poly_rename(PolyCtx *c, const Poly *p, const char *from, const char *to) {
  Poly *r = poly_new(c, p->n);
  for (int i = 0; i < p->n; i++) r->m[r->n++] = mono_rename(c, p->m[i], from, to);
  return r;
}

/* Rename every binder of b whose name a also binds, so that a product of
 * two sums keeps its indices apart: (Σ_k u_k)(Σ_k v_k) = Σ_k Σ_k' u_k v_k'. */
static const Poly *apart(PolyCtx *c, const Poly *a, const Poly *b) {
  for (int i = 0; i < a->n; i++)
    for (int j = 0; j < a->m[i]->nb; j++) {
      const char *v = a->m[i]->b[j].var;
      bool clash = false;
      for (int k = 0; k < b->n && !clash; k++)
        for (int l = 0; l < b->m[k]->nb; l++)
          if (b->m[k]->b[l].var == v) clash = true;
      if (clash) b = poly_rename(c, b, v, fresh_var(c));
    }
  return b;
}

static Poly *poly_mul(PolyCtx *c, const Poly *a, const Poly *b) {
  b = apart(c, a, b);
  long long n = (long long)a->n * b->n;
  if (n > c->budget) {
    c->overflow = true;
    return poly_const(c, 0);
  }
  c->budget -= (int)n;
  Poly *p = poly_new(c, (int)n);
  for (int i = 0; i < a->n; i++)
    for (int j = 0; j < b->n; j++) p->m[p->n++] = mono_mul(c, a->m[i], b->m[j]);
  return p;
}

static bool poly_is_const(const Poly *p, double *v) {
  double s = 0;
  for (int i = 0; i < p->n; i++) {
    if (p->m[i]->nf || p->m[i]->nb) return false;
    s += p->m[i]->coef;
  }
  *v = s;
  return true;
}

/* Canonical text of a polynomial (for atom keys). */
static void poly_key(StrBuf *b, const Poly *p) {
  if (p->n == 0) {
    sb_puts(b, "0");
    return;
  }
  for (int i = 0; i < p->n; i++) {
    const Mono *m = p->m[i];
    if (i) sb_puts(b, " + ");
    sb_printf(b, "%.17g", m->coef);
    for (int j = 0; j < m->nb; j++) {
      sb_printf(b, " sum[%s in ", m->b[j].var);
      ast_unparse(b, m->b[j].lo);
      sb_putc(b, ':');
      ast_unparse(b, m->b[j].hi);
      if (m->b[j].cond) {
        sb_puts(b, " if ");
        ast_unparse(b, m->b[j].cond);
      }
      sb_putc(b, ']');
    }
    for (int j = 0; j < m->nf; j++) {
      sb_printf(b, " * %s", m->f[j].atom->key);
      if (m->f[j].power != 1) sb_printf(b, "^%d", m->f[j].power);
    }
  }
}

static int factor_cmp(const void *a, const void *b) {
  const Factor *x = a, *y = b;
  int c = strcmp(x->atom->key, y->atom->key);
  return c ? c : x->power - y->power;
}

typedef struct Keyed {
  const char *key;
  Mono *m;
} Keyed;

static int keyed_cmp(const void *a, const void *b) {
  return strcmp(((const Keyed *)a)->key, ((const Keyed *)b)->key);
}

Poly *poly_merge(PolyCtx *c, const Poly *p) {
  if (p->n < 2) return (Poly *)p;
  Keyed *ks = arena_alloc(c->A, sizeof *ks * (size_t)p->n);
  for (int i = 0; i < p->n; i++) {
    Mono *m = mono_new(c, p->m[i]->coef, p->m[i]->nf, p->m[i]->nb);
    *m = *p->m[i];
    if (m->nf) {
      m->f = arena_alloc(c->A, sizeof(Factor) * (size_t)m->nf);
      memcpy(m->f, p->m[i]->f, sizeof(Factor) * (size_t)m->nf);
      qsort(m->f, (size_t)m->nf, sizeof(Factor), factor_cmp);
    }
    Mono key = *m;
    key.coef = 1;
    StrBuf b = {0};
    Poly one = {1, (Mono *[]){&key}};
    poly_key(&b, &one);
    ks[i].key = arena_strdup(c->A, b.s ? b.s : "");
    sb_free(&b);
    ks[i].m = m;
  }
  qsort(ks, (size_t)p->n, sizeof *ks, keyed_cmp);
  Poly *r = poly_new(c, p->n);
  for (int i = 0; i < p->n;) {
    int j = i;
    double coef = 0;
    while (j < p->n && !strcmp(ks[j].key, ks[i].key)) coef += ks[j++].m->coef;
    if (coef != 0) {
      ks[i].m->coef = coef;
      r->m[r->n++] = ks[i].m;
    }
    i = j;
  }
  return r;
}

/* Readable form of a polynomial for messages: sum(... for j in a:b). */
void poly_pretty(StrBuf *b, const Poly *p);

static void atom_pretty(StrBuf *b, const Atom *a, int power) {
  if (a->kind == A_REF) sb_puts(b, a->key);
  else if (a->kind == A_PAREN) {
    sb_putc(b, '(');
    poly_pretty(b, a->args[0]);
    sb_putc(b, ')');
  } else {
    sb_printf(b, "%s(", a->fname);
    for (int i = 0; i < a->nargs; i++) {
      if (i) sb_puts(b, ", ");
      poly_pretty(b, a->args[i]);
    }
    sb_putc(b, ')');
  }
  if (power != 1) sb_printf(b, "^%d", power);
}

static void mono_pretty(StrBuf *b, const Mono *m) {
  for (int j = 0; j < m->nb; j++) sb_puts(b, "sum(");
  if (m->nf == 0) sb_printf(b, "%.6g", m->coef);
  else if (m->coef == -1) sb_putc(b, '-');
  else if (m->coef != 1) sb_printf(b, "%.6g * ", m->coef);
  for (int i = 0; i < m->nf; i++) {
    if (i) sb_puts(b, " * ");
    atom_pretty(b, m->f[i].atom, m->f[i].power);
  }
  for (int j = m->nb - 1; j >= 0; j--) {
    sb_printf(b, " for %s in ", m->b[j].var);
    ast_unparse(b, m->b[j].lo);
    sb_putc(b, ':');
    ast_unparse(b, m->b[j].hi);
    if (m->b[j].cond) {
      sb_puts(b, " if ");
      ast_unparse(b, m->b[j].cond);
    }
    sb_putc(b, ')');
  }
}

void poly_pretty(StrBuf *b, const Poly *p) {
  if (p->n == 0) sb_puts(b, "0");
  for (int i = 0; i < p->n; i++) {
    if (i) sb_puts(b, " + ");
    mono_pretty(b, p->m[i]);
  }
}

static void add_dep(PolyCtx *c, PtrVec *deps, Sym *y) {
  for (int i = 0; i < deps->n; i++)
    if (deps->v[i] == y) return;
  vec_push(c->A, deps, y);
}

static void deps_of_node(PolyCtx *c, const Node *e, PtrVec *deps) {
  if (!e) return;
  if (e->kind == N_NAME && e->sym && e->sym->kind == SYM_VAR) add_dep(c, deps, e->sym);
  deps_of_node(c, e->a, deps);
  if (e->kind != N_NAME) {
    deps_of_node(c, e->b, deps);
    deps_of_node(c, e->c, deps);
    deps_of_node(c, e->d, deps);
  }
  for (int i = 0; i < e->list.n; i++) deps_of_node(c, e->list.v[i], deps);
}

static void deps_of_poly(PolyCtx *c, const Poly *p, PtrVec *deps) {
  for (int i = 0; i < p->n; i++)
    for (int j = 0; j < p->m[i]->nf; j++) {
      const Atom *a = p->m[i]->f[j].atom;
      for (int k = 0; k < a->deps.n; k++) add_dep(c, deps, a->deps.v[k]);
    }
}

static Atom *atom_ref(PolyCtx *c, const Node *ref) {
  Atom *a = arena_alloc(c->A, sizeof *a);
  a->kind = A_REF;
  a->ref = ref;
  const Node *base = ref->kind == N_INDEX ? ref->a : ref;
  a->var = base->sym;
  StrBuf b = {0};
  ast_unparse(&b, ref);
  a->key = arena_strdup(c->A, b.s);
  sb_free(&b);
  deps_of_node(c, ref, &a->deps);
  a->span = ref->span;
  return a;
}

static Atom *atom_func(PolyCtx *c, const char *fname, Poly **args, int nargs, Span span) {
  Atom *a = arena_alloc(c->A, sizeof *a);
  a->kind = fname ? A_FUNC : A_PAREN;
  a->fname = fname;
  a->args = args;
  a->nargs = nargs;
  StrBuf b = {0};
  sb_printf(&b, "%s(", fname ? fname : "");
  for (int i = 0; i < nargs; i++) {
    if (i) sb_puts(&b, ", ");
    poly_key(&b, args[i]);
  }
  sb_putc(&b, ')');
  a->key = arena_strdup(c->A, b.s);
  sb_free(&b);
  for (int i = 0; i < nargs; i++) deps_of_poly(c, args[i], &a->deps);
  a->span = span;
  return a;
}

/* ------------------------------------------------------------------ */
/* Substitution (dist bodies, deterministic nodes)                      */

static Node *subst(Arena *a, const Node *e, const Subst *s) {
  if (!e) return NULL;
  if (e->kind == N_NAME) {
    for (int i = 0; i < s->n; i++)
      if (s->names[i] == e->name && s->repl[i]) return (Node *)s->repl[i];
    return (Node *)e;
  }
  Node *c = arena_alloc(a, sizeof *c);
  *c = *e;
  if (e->kind == N_COMPREH)
    for (int i = 0; i < s->n; i++)
      if (s->names[i] == e->var && s->repl[i] && s->repl[i]->kind == N_NAME) c->var = s->repl[i]->name;
  c->a = subst(a, e->a, s);
  c->b = subst(a, e->b, s);
  c->c = subst(a, e->c, s);
  c->d = subst(a, e->d, s);
  c->list = (PtrVec){0};
  for (int i = 0; i < e->list.n; i++) vec_push(a, &c->list, subst(a, e->list.v[i], s));
  return c;
}

static Node *num_node(Arena *a, double v, bool is_int) {
  Node *n = ast_new(a, N_NUM, NO_SPAN);
  n->num = v;
  n->is_int = is_int;
  return n;
}

/* The comprehension indices of a dist body, so that substitution can
 * rename them apart from the statement's own loop indices. */
static void comprehension_vars(const Node *e, PtrVec *out, Arena *a) {
  if (!e) return;
  if (e->kind == N_COMPREH) {
    bool seen = false;
    for (int i = 0; i < out->n; i++) seen |= out->v[i] == e->var;
    if (!seen) vec_push(a, out, (void *)e->var);
  }
  comprehension_vars(e->a, out, a);
  if (e->kind != N_NAME) {
    comprehension_vars(e->b, out, a);
    comprehension_vars(e->c, out, a);
    comprehension_vars(e->d, out, a);
  }
  for (int i = 0; i < e->list.n; i++) comprehension_vars(e->list.v[i], out, a);
}

Node *instantiate_term(Arena *a, const Node *stmt, const Dist *d) {
  PtrVec all = {0}, cvars = {0};
  comprehension_vars(d->decl->a, &all, a);
  for (int i = 0; i < all.n; i++) {
    bool clash = ast_mentions_name(stmt->a, all.v[i]);
    for (int k = 0; k < stmt->list.n && !clash; k++) clash = ast_mentions_name(stmt->list.v[k], all.v[i]);
    if (clash) vec_push(a, &cvars, all.v[i]);
  }
  int n = d->params.n + d->sizes.n + cvars.n;
  Subst s = {arena_alloc(a, sizeof(char *) * (size_t)(n + 1)),
             arena_alloc(a, sizeof(Node *) * (size_t)(n + 1)), 0};
  /* hygiene: `sum(... for k in 1:K)` in the body must not capture the k of
   * `for k in 1:K phi[k] ~ Dirichlet(...)`; the fresh names are readable
   * in explain ("k'1") and cannot be written by users */
  static int counter; /* only makes names distinct; the compiler is single-threaded */
  for (int i = 0; i < cvars.n; i++) {
    const char *old = cvars.v[i];
    const char *fresh = arena_printf(a, "%s'%d", old, ++counter);
    Node *nm = ast_new(a, N_NAME, NO_SPAN);
    nm->name = intern(a, fresh, strlen(fresh));
    s.names[s.n] = old;
    s.repl[s.n++] = nm;
  }
  s.names[s.n] = ((Sym *)d->params.v[0])->name;
  s.repl[s.n++] = stmt->a;
  for (int i = 1; i < d->params.n && i - 1 < stmt->list.n; i++) {
    s.names[s.n] = ((Sym *)d->params.v[i])->name;
    s.repl[s.n++] = stmt->list.v[i - 1];
  }
  const Dim *bound = stmt->aux;
  for (int i = 0; i < d->sizes.n && bound; i++) {
    s.names[s.n] = ((Sym *)d->sizes.v[i])->name;
    s.repl[s.n++] = bound[i].expr ? bound[i].expr
                    : bound[i].value >= 0 ? num_node(a, (double)bound[i].value, true) : NULL;
  }
  return subst(a, d->decl->a, &s);
}

/* ------------------------------------------------------------------ */
/* Expression -> polynomial                                            */

Poly *to_poly(PolyCtx *c, const Node *e);
static Poly **arena_memdup_polys(PolyCtx *c, Poly **p, int n);

static Node *index_node(PolyCtx *c, const Node *base, const PtrVec *idx, int from) {
  /* flatten: A[i][j] -> A[i, j] */
  Node *n = ast_new(c->A, N_INDEX, base->span);
  if (base->kind == N_INDEX) {
    n->a = base->a;
    for (int i = 0; i < base->list.n; i++) vec_push(c->A, &n->list, base->list.v[i]);
  } else {
    n->a = (Node *)base;
  }
  for (int i = from; i < idx->n; i++) vec_push(c->A, &n->list, idx->v[i]);
  n->sym = n->a->sym;
  n->ty = NULL;
  return n;
}

/* Deterministic node: inline its definition at this reference. */
static Poly *inline_det(PolyCtx *c, const Node *ref, Sym *y) {
  if (c->depth > 32 || y->defs.n != 1) return NULL;
  const DefSite *ds = y->defs.v[0];
  const Node *lhs = ds->lhs;
  int nidx = lhs->kind == N_INDEX ? lhs->list.n : 0;
  int nref = ref->kind == N_INDEX ? ref->list.n : 0;
  if (nref != nidx) return NULL; /* partial indexing of a deterministic array */
  Subst s = {arena_alloc(c->A, sizeof(char *) * (size_t)(nidx + 1)),
             arena_alloc(c->A, sizeof(Node *) * (size_t)(nidx + 1)), 0};
  for (int k = 0; k < nidx; k++) {
    const Node *ix = lhs->list.v[k];
    if (ix->kind != N_NAME || !ix->sym || ix->sym->kind != SYM_LOOP) return NULL;
    s.names[s.n] = ix->name;
    s.repl[s.n++] = ref->list.v[k];
  }
  Node *body = subst(c->A, ds->stmt->b, &s);
  c->depth++;
  Poly *p = to_poly(c, body);
  c->depth--;
  return p;
}

/* The type of an expression; left-hand sides carry none, so derive it from
 * the variable's type for names and indexed names. */
const Type *expr_type(PolyCtx *c, const Node *e) {
  if (e->ty) return e->ty;
  const Node *base = e->kind == N_INDEX ? e->a : e;
  if ((e->kind != N_NAME && e->kind != N_INDEX) || base->kind != N_NAME || !base->sym ||
      !base->sym->type)
    return NULL;
  const Type *t = base->sym->type;
  int k = e->kind == N_INDEX ? e->list.n : 0;
  if (k > t->ndim) return NULL;
  Type *r = arena_alloc(c->A, sizeof *r);
  *r = *t;
  for (int i = 0; i + k < t->ndim; i++) r->dims[i] = t->dims[i + k];
  r->ndim = t->ndim - k;
  return r;
}

/* e[idx...] pushed inside e where e is not a plain variable. */
static Poly *index_into(PolyCtx *c, const Node *e, const PtrVec *idx, int from);

static Poly *ref_poly(PolyCtx *c, Node *ref) {
  const Node *base = ref->kind == N_INDEX ? ref->a : ref;
  Sym *y = base->sym;
  if (y && y->kind == SYM_VAR && y->deterministic) {
    Poly *p = inline_det(c, ref, y);
    if (p) return p;
  }
  return poly_atom(c, atom_ref(c, ref), 1);
}

/* Σ_{var in lo:hi} body: the binder goes first (outermost) on every monomial. */
static Poly *fresh_sum(PolyCtx *c, const char *var, const Node *lo, const Node *hi, Poly *body) {
  Poly *p = poly_new(c, body->n);
  for (int i = 0; i < body->n; i++) {
    const Mono *src = body->m[i];
    Mono *m = mono_new(c, src->coef, 0, src->nb + 1);
    m->f = src->f;
    m->nf = src->nf;
    m->b[0] = (Binder){var, lo, hi, NULL};
    for (int j = 0; j < src->nb; j++) m->b[1 + j] = src->b[j];
    m->nb = src->nb + 1;
    p->m[p->n++] = m;
  }
  return p;
}

/* A fresh index name for sums the rewriting introduces (dot products,
 * matrix-vector products); '_' cannot start a user's loop variable clash
 * because user names are checked against these only by pointer. */
static const char *fresh_var(PolyCtx *c) {
  char buf[32];
  snprintf(buf, sizeof buf, "_j%d", ++c->fresh);
  return intern(c->A, buf, strlen(buf));
}

static Node *name_node(PolyCtx *c, const char *name) {
  Node *n = ast_new(c->A, N_NAME, NO_SPAN);
  n->name = intern(c->A, name, strlen(name));
  return n;
}

static Poly *index_into(PolyCtx *c, const Node *e, const PtrVec *idx, int from) {
  if (from >= idx->n) return to_poly(c, e);
  switch (e->kind) {
  case N_NAME:
  case N_INDEX:
    if (e->kind == N_NAME || e->a->kind == N_NAME) return ref_poly(c, index_node(c, e, idx, from));
    break;
  case N_CALL:
    if (!strcmp(e->name, "rep") && e->list.n == 2) return index_into(c, e->list.v[0], idx, from + 1);
    if ((!strcmp(e->name, "zeros") || !strcmp(e->name, "ones")) && e->list.n == 1)
      return poly_const(c, !strcmp(e->name, "ones"));
    if (!strcmp(e->name, "identity") && from + 1 < idx->n) {
      /* an indicator of two indices: a coefficient (no random variables) */
      Poly *args[2] = {to_poly(c, idx->v[from]), to_poly(c, idx->v[from + 1])};
      return poly_atom(c, atom_func(c, "eq", arena_memdup_polys(c, args, 2), 2, e->span), 1);
    }
    if (!strcmp(e->name, "inverse") && e->list.n == 1 && ((Node *)e->list.v[0])->kind == N_CALL &&
        !strcmp(((Node *)e->list.v[0])->name, "identity"))
      return index_into(c, e->list.v[0], idx, from); /* I^-1 = I */
    if (!strcmp(e->name, "transpose") && e->list.n == 1 && from + 1 < idx->n) {
      PtrVec sw = {0};
      for (int i = 0; i < from; i++) vec_push(c->A, &sw, idx->v[i]);
      vec_push(c->A, &sw, idx->v[from + 1]);
      vec_push(c->A, &sw, idx->v[from]);
      for (int i = from + 2; i < idx->n; i++) vec_push(c->A, &sw, idx->v[i]);
      return index_into(c, e->list.v[0], &sw, from);
    }
    break;
  case N_TRANSPOSE:
    if (from + 1 < idx->n) {
      PtrVec sw = {0};
      for (int i = 0; i < from; i++) vec_push(c->A, &sw, idx->v[i]);
      vec_push(c->A, &sw, idx->v[from + 1]);
      vec_push(c->A, &sw, idx->v[from]);
      for (int i = from + 2; i < idx->n; i++) vec_push(c->A, &sw, idx->v[i]);
      return index_into(c, e->a, &sw, from);
    }
    return index_into(c, e->a, idx, from);
  case N_UNARY:
    if (e->op == '-') return poly_add(c, poly_const(c, 0), index_into(c, e->a, idx, from), -1);
    break;
  case N_BINARY:
    if (e->op == '+' || e->op == '-')
      return poly_add(c, index_into(c, e->a, idx, from), index_into(c, e->b, idx, from),
                      e->op == '+' ? 1 : -1);
    if (e->op == '*' || e->op == '/') {
      const Type *ta = expr_type(c, e->a), *tb = expr_type(c, e->b);
      bool sa = ta && ta->ndim == 0, sb = tb && tb->ndim == 0;
      if (sa && e->op == '*') return poly_mul(c, to_poly(c, e->a), index_into(c, e->b, idx, from));
      if (sb) {
        Poly *r = index_into(c, e->a, idx, from);
        if (e->op == '*') return poly_mul(c, r, to_poly(c, e->b));
        Poly *inv = poly_atom(c, atom_func(c, NULL, arena_memdup_polys(c, (Poly *[]){to_poly(c, e->b)}, 1), 1, e->span), -1);
        double v;
        if (poly_is_const(to_poly(c, e->b), &v) && v != 0) inv = poly_const(c, 1 / v);
        return poly_mul(c, r, inv);
      }
      if (e->op == '*' && ta && tb && ta->ndim == 2 && tb->ndim >= 1) {
        /* (A B)[i, ...] = Σ_j A[i, j] B[j, ...] */
        const char *j = fresh_var(c);
        Node *jn = name_node(c, j);
        PtrVec ia = {0}, ib = {0};
        vec_push(c->A, &ia, idx->v[from]);
        vec_push(c->A, &ia, jn);
        vec_push(c->A, &ib, jn);
        for (int i = from + 1; i < idx->n; i++) vec_push(c->A, &ib, idx->v[i]);
        Poly *body = poly_mul(c, index_into(c, e->a, &ia, 0), index_into(c, e->b, &ib, 0));
        Node *one = num_node(c->A, 1, true);
        const Node *hi = ta->dims[1].expr ? ta->dims[1].expr
                                          : num_node(c->A, (double)ta->dims[1].value, true);
        return fresh_sum(c, j, one, hi, body);
      }
    }
    break;
  default: break;
  }
  /* opaque: an indexed expression we cannot push into */
  Node *n = ast_new(c->A, N_INDEX, e->span);
  n->a = (Node *)e;
  for (int i = from; i < idx->n; i++) vec_push(c->A, &n->list, idx->v[i]);
  Atom *a = atom_ref(c, n);
  a->var = NULL;
  return poly_atom(c, a, 1);
}

static Poly **arena_memdup_polys(PolyCtx *c, Poly **p, int n) {
  Poly **r = arena_alloc(c->A, sizeof(Poly *) * (size_t)n);
  memcpy(r, p, sizeof(Poly *) * (size_t)n);
  return r;
}

static Poly *func_poly(PolyCtx *c, const char *fname, const Node *e) {
  Poly **args = arena_alloc(c->A, sizeof(Poly *) * (size_t)(e->list.n ? e->list.n : 1));
  for (int i = 0; i < e->list.n; i++) args[i] = to_poly(c, e->list.v[i]);
  /* fold constants */
  bool all_const = true;
  double v[4] = {0};
  for (int i = 0; i < e->list.n && i < 4; i++) all_const &= poly_is_const(args[i], &v[i]);
  if (all_const && e->list.n <= 2) {
    if (!strcmp(fname, "lgamma") && e->list.n == 1) return poly_const(c, lgamma(v[0]));
    if (!strcmp(fname, "pi")) return poly_const(c, M_PI);
    if (!strcmp(fname, "exp") && e->list.n == 1) return poly_const(c, exp(v[0]));
    if (!strcmp(fname, "sqrt") && e->list.n == 1) return poly_const(c, sqrt(v[0]));
  }
  return poly_atom(c, atom_func(c, fname, args, e->list.n, e->span), 1);
}

/* log of a polynomial: split products (log(c·Π f^p) = log c + Σ p log f) */
static Poly *log_poly(PolyCtx *c, Poly *arg, Span span) {
  double v;
  if (poly_is_const(arg, &v)) return poly_const(c, log(v));
  if (arg->n == 1 && arg->m[0]->nb == 0) {
    const Mono *m = arg->m[0];
    Poly *r = poly_const(c, m->coef == 1 ? 0 : log(fabs(m->coef)));
    for (int i = 0; i < m->nf; i++) {
      Poly **one = arena_alloc(c->A, sizeof(Poly *));
      one[0] = poly_atom(c, m->f[i].atom, 1);
      Poly *l = poly_atom(c, atom_func(c, "log", one, 1, span), 1);
      r = poly_add(c, r, l, m->f[i].power);
    }
    return r;
  }
  Poly **one = arena_alloc(c->A, sizeof(Poly *));
  one[0] = arg;
  return poly_atom(c, atom_func(c, "log", one, 1, span), 1);
}

static Poly *pow_poly(PolyCtx *c, Poly *base, double ex, Span span) {
  double v;
  if (poly_is_const(base, &v)) return poly_const(c, pow(v, ex));
  if (ex == floor(ex) && ex >= 0 && ex <= 4) {
    Poly *r = poly_const(c, 1);
    for (int i = 0; i < (int)ex; i++) r = poly_mul(c, r, base);
    return r;
  }
  if (ex == floor(ex) && fabs(ex) <= 64 && base->n == 1 && base->m[0]->nb == 0) {
    const Mono *m = base->m[0];
    Mono *r = mono_new(c, pow(m->coef, ex), m->nf, 0);
    for (int i = 0; i < m->nf; i++) r->f[r->nf++] = (Factor){m->f[i].atom, m->f[i].power * (int)ex};
    Poly *p = poly_new(c, 1);
    p->m[p->n++] = r;
    return p;
  }
  if (ex == floor(ex) && fabs(ex) <= 64) {
    Poly **one = arena_alloc(c->A, sizeof(Poly *));
    one[0] = base;
    return poly_atom(c, atom_func(c, NULL, one, 1, span), (int)ex);
  }
  Poly **args = arena_alloc(c->A, sizeof(Poly *) * 2);
  args[0] = base;
  args[1] = poly_const(c, ex);
  return poly_atom(c, atom_func(c, "pow", args, 2, span), 1);
}

Poly *to_poly(PolyCtx *c, const Node *e) {
  if (!e || c->overflow) return poly_const(c, 0);
  switch (e->kind) {
  case N_NUM: return poly_const(c, e->num);
  case N_NAME:
    if (!c->no_fold && e->sym && (e->sym->kind == SYM_DATA || e->sym->kind == SYM_PARAM) &&
        e->sym->has_value &&
        e->sym->type && e->sym->type->ndim == 0)
      return poly_const(c, e->sym->value);
    return ref_poly(c, (Node *)e);
  case N_INDEX: {
    if (e->a->kind == N_NAME || e->a->kind == N_INDEX) {
      /* flatten nested indexing of a variable */
      const Node *b = e->a;
      if (b->kind == N_NAME || (b->kind == N_INDEX && b->a->kind == N_NAME))
        return ref_poly(c, index_node(c, b, &e->list, 0));
    }
    return index_into(c, e->a, &e->list, 0);
  }
  case N_UNARY:
    if (e->op == '-') return poly_add(c, poly_const(c, 0), to_poly(c, e->a), -1);
    break;
  case N_BINARY: {
    switch (e->op) {
    case '+': return poly_add(c, to_poly(c, e->a), to_poly(c, e->b), 1);
    case '-': return poly_add(c, to_poly(c, e->a), to_poly(c, e->b), -1);
    case '*': {
      const Type *ta = expr_type(c, e->a), *tb = expr_type(c, e->b);
      if (ta && tb && ta->ndim == 1 && tb->ndim == 1) {
        /* a vector times a vector in a scalar context: the dot product */
        const char *j = fresh_var(c);
        PtrVec ix = {0};
        vec_push(c->A, &ix, name_node(c, j));
        Poly *body = poly_mul(c, index_into(c, e->a, &ix, 0), index_into(c, e->b, &ix, 0));
        const Node *hi = ta->dims[0].expr ? ta->dims[0].expr
                                          : num_node(c->A, (double)ta->dims[0].value, true);
        return fresh_sum(c, j, num_node(c->A, 1, true), hi, body);
      }
      return poly_mul(c, to_poly(c, e->a), to_poly(c, e->b));
    }
    case '/': return poly_mul(c, to_poly(c, e->a), pow_poly(c, to_poly(c, e->b), -1, e->span));
    case '^': {
      Poly *ex = to_poly(c, e->b);
      double v;
      if (poly_is_const(ex, &v)) return pow_poly(c, to_poly(c, e->a), v, e->span);
      Poly **args = arena_alloc(c->A, sizeof(Poly *) * 2);
      args[0] = to_poly(c, e->a);
      args[1] = ex;
      return poly_atom(c, atom_func(c, "pow", args, 2, e->span), 1);
    }
    default: break;
    }
    break;
  }
  case N_CALL: {
    const char *f = e->name;
    if (!strcmp(f, "log") && e->list.n == 1) return log_poly(c, to_poly(c, e->list.v[0]), e->span);
    if (!strcmp(f, "log1m") && e->list.n == 1)
      return log_poly(c, poly_add(c, poly_const(c, 1), to_poly(c, e->list.v[0]), -1), e->span);
    if (!strcmp(f, "square") && e->list.n == 1) return pow_poly(c, to_poly(c, e->list.v[0]), 2, e->span);
    if (!strcmp(f, "pow") && e->list.n == 2) {
      double v;
      Poly *ex = to_poly(c, e->list.v[1]);
      if (poly_is_const(ex, &v)) return pow_poly(c, to_poly(c, e->list.v[0]), v, e->span);
    }
    if (!strcmp(f, "pi") && e->list.n == 0) return poly_const(c, M_PI);
    if (!strcmp(f, "trace") && e->list.n == 1 && expr_type(c, e->list.v[0]) &&
        expr_type(c, e->list.v[0])->ndim == 2) {
      /* tr(M) = Σ_i M[i, i], pushed into products: tr(A B) = Σ_i Σ_j A[i, j] B[j, i] */
      const Node *mat = e->list.v[0];
      const char *i = fresh_var(c);
      PtrVec ix = {0};
      vec_push(c->A, &ix, name_node(c, i));
      vec_push(c->A, &ix, name_node(c, i));
      const Dim d0 = expr_type(c, mat)->dims[0];
      const Node *hi = d0.expr ? d0.expr : num_node(c->A, (double)d0.value, true);
      return fresh_sum(c, i, num_node(c->A, 1, true), hi, index_into(c, mat, &ix, 0));
    }
    if ((!strcmp(f, "sum") || !strcmp(f, "dot")) && e->list.n >= 1) {
      const Node *v = e->list.v[0];
      const Type *t = expr_type(c, v);
      if (t && t->ndim == 1) {
        const char *j = fresh_var(c);
        PtrVec ix = {0};
        vec_push(c->A, &ix, name_node(c, j));
        Poly *body = index_into(c, v, &ix, 0);
        if (!strcmp(f, "dot")) body = poly_mul(c, body, index_into(c, e->list.v[1], &ix, 0));
        const Node *hi = t->dims[0].expr ? t->dims[0].expr
                                         : num_node(c->A, (double)t->dims[0].value, true);
        return fresh_sum(c, j, num_node(c->A, 1, true), hi, body);
      }
    }
    return func_poly(c, f, e);
  }
  case N_COMPREH:
    if (!strcmp(e->name, "sum")) {
      Poly *body = to_poly(c, e->a);
      Poly *p = fresh_sum(c, e->var, e->b, e->c, body);
      if (e->d)
        for (int i = 0; i < p->n; i++) p->m[i]->b[0].cond = e->d;
      return p;
    }
    {
      /* other reducers: an opaque function of the body */
      Poly **one = arena_alloc(c->A, sizeof(Poly *));
      one[0] = fresh_sum(c, e->var, e->b, e->c, to_poly(c, e->a));
      return poly_atom(c, atom_func(c, e->name, one, 1, e->span), 1);
    }
  case N_TRANSPOSE: return to_poly(c, e->a);
  default: break;
  }
  Poly **none = NULL;
  return poly_atom(c, atom_func(c, "?", none, 0, e->span), 1);
}

/* ------------------------------------------------------------------ */
/* Classification                                                      */

const char *stat_name(StatKind k) {
  static const char *const n[ST_COUNT] = {"x", "x^2", "1/x", "log x", "log(1 - x)",
                                          "x x'", "log det X", "one-hot"};
  return k < ST_COUNT ? n[k] : "?";
}

const char *update_name(UpdateKind k) {
  switch (k) {
  case UPD_CONJUGATE: return "conjugate";
  case UPD_ENUMERATE: return "enumerate";
  case UPD_SLICE: return "slice";
  case UPD_UNSUPPORTED: return "unsupported";
  default: return "none";
  }
}

bool depends_on(const Atom *a, const Sym *v) {
  for (int i = 0; i < a->deps.n; i++)
    if (a->deps.v[i] == v) return true;
  return false;
}

static bool node_mentions_sym(const Node *e, const Sym *v) {
  if (!e) return false;
  if (e->kind == N_NAME) return e->sym == v;
  if (node_mentions_sym(e->a, v) || node_mentions_sym(e->b, v) || node_mentions_sym(e->c, v) ||
      node_mentions_sym(e->d, v))
    return true;
  for (int i = 0; i < e->list.n; i++)
    if (node_mentions_sym(e->list.v[i], v)) return true;
  return false;
}

bool index_depends_on(const Atom *a, const Sym *v) {
  if (a->kind != A_REF || a->ref->kind != N_INDEX) return false;
  for (int i = 0; i < a->ref->list.n; i++)
    if (node_mentions_sym(a->ref->list.v[i], v)) return true;
  return false;
}

/* Is the atom a plain reference to v (not through its own index)? */
bool is_ref_to(const Atom *a, const Sym *v) {
  return a->kind == A_REF && a->var == v && !index_depends_on(a, v);
}

/* p is exactly `1 · ref(v)` ? */
const Atom *poly_single_ref(const Poly *p, const Sym *v) {
  if (p->n != 1 || p->m[0]->nb || p->m[0]->nf != 1 || p->m[0]->coef != 1 ||
      p->m[0]->f[0].power != 1)
    return NULL;
  return is_ref_to(p->m[0]->f[0].atom, v) ? p->m[0]->f[0].atom : NULL;
}

/* p is exactly `1 - ref(v)` ? */
bool poly_one_minus_ref(const Poly *p, const Sym *v) {
  if (p->n != 2) return false;
  const Mono *a = p->m[0], *b = p->m[1];
  if (a->nf) {
    const Mono *t = a;
    a = b;
    b = t;
  }
  return !a->nf && !a->nb && a->coef == 1 && !b->nb && b->nf == 1 && b->coef == -1 &&
         b->f[0].power == 1 && is_ref_to(b->f[0].atom, v);
}

typedef struct Found {
  const Node *stmt;  /* the statement whose term breaks conjugacy */
  unsigned stats;
  bool coupled;
  const char *reason;
  Span span;
  int nterms;
} Found;

static bool structured(const Sym *v) { return v->type && v->type->nstruct > 0; }

static bool discrete_finite(const Sym *v) {
  Domain d = v->type ? v->type->dom : D_NONE;
  return d == D_BIN || d == D_SPIN || d == D_CAT;
}

static void classify_mono(PolyCtx *c, const Mono *m, const Sym *v, Found *f, Span stmt_span) {
  int nref = 0, total_power = 0;
  const Atom *refs[8];
  int powers[8];
  bool mentions = false;
  for (int i = 0; i < m->nf; i++) {
    const Atom *a = m->f[i].atom;
    if (!depends_on(a, v) && !(a->kind == A_REF && a->var == v)) continue;
    mentions = true;
    int p = m->f[i].power;
    if (discrete_finite(v)) continue; /* any function of a finite discrete value enumerates */
    if (is_ref_to(a, v)) {
      if (nref < 8) {
        refs[nref] = a;
        powers[nref] = p;
      }
      nref++;
      total_power += p;
      continue;
    }
    if (a->kind == A_FUNC && !strcmp(a->fname, "log") && a->nargs == 1 && p == 1) {
      if (poly_single_ref(a->args[0], v)) {
        f->stats |= 1u << ST_LOG;
        continue;
      }
      if (poly_one_minus_ref(a->args[0], v)) {
        f->stats |= 1u << ST_LOG1M;
        continue;
      }
    }
    if (a->kind == A_FUNC && !strcmp(a->fname, "log_det") && a->nargs == 1 && p == 1 &&
        poly_single_ref(a->args[0], v)) {
      f->stats |= 1u << ST_LOGDET;
      continue;
    }
    if (a->kind == A_REF && a->var != v && index_depends_on(a, v)) {
      f->reason = arena_printf(c->A, "'%s' is indexed by the continuous variable '%s'", a->key, v->name);
      f->span = stmt_span;
      return;
    }
    if (!f->reason) {
      StrBuf b = {0};
      atom_pretty(&b, a, p);
      f->reason = arena_printf(c->A, "%s", b.s);
      sb_free(&b);
      f->span = stmt_span;
    }
    return;
  }
  if (!mentions) return;
  f->nterms++;
  if (discrete_finite(v)) {
    f->stats |= 1u << ST_ONEHOT;
    return;
  }
  if (nref == 0) return;
  if (structured(v)) {
    /* elements of one vector/matrix-valued variable */
    if (v->type->dom == D_SPD) {
      if (total_power == 1) f->stats |= 1u << ST_X;
      else goto bad;
    } else if (total_power == 1) f->stats |= 1u << ST_X;
    else if (total_power == 2) f->stats |= 1u << ST_OUTER;
    else goto bad;
    return;
  }
  if (nref > 1) f->coupled = true;
  for (int i = 0; i < nref && i < 8; i++) {
    int p = powers[i];
    if (p == 1) f->stats |= 1u << ST_X;
    else if (p == 2) f->stats |= 1u << ST_X2;
    else if (p == -1) f->stats |= 1u << ST_INV;
    else goto bad;
  }
  if (nref > 1) {
    /* the references may name the same element: then the powers add */
    if (total_power == 2) f->stats |= 1u << ST_X2;
    else if (total_power != 0) goto bad;
  }
  return;
bad:
  if (!f->reason) {
    StrBuf b = {0};
    for (int i = 0; i < nref && i < 8; i++) {
      if (i) sb_puts(&b, " * ");
      sb_puts(&b, refs[i]->key);
      if (powers[i] != 1) sb_printf(&b, "^%d", powers[i]);
    }
    f->reason = arena_strdup(c->A, b.s);
    sb_free(&b);
    f->span = stmt_span;
  }
}

/* The statistics a family declares, from its `stats` expressions. */
unsigned family_stats(const Family *fam) {
  unsigned s = 0;
  const char *x = fam->var->name;
  for (int i = 0; i < fam->stats.n; i++) {
    const Node *e = fam->stats.v[i];
    if (e->kind == N_NAME && e->name == x) s |= 1u << ST_X;
    else if (e->kind == N_BINARY && e->op == '^' && e->a->kind == N_NAME && e->a->name == x &&
             e->b->kind == N_NUM && e->b->num == 2)
      s |= 1u << ST_X2;
    else if (e->kind == N_BINARY && e->op == '^' && e->a->kind == N_NAME && e->a->name == x &&
             e->b->kind == N_UNARY && e->b->a->kind == N_NUM && e->b->a->num == 1)
      s |= 1u << ST_INV;
    else if (e->kind == N_BINARY && e->op == '/' && e->a->kind == N_NUM && e->a->num == 1 &&
             e->b->kind == N_NAME && e->b->name == x)
      s |= 1u << ST_INV;
    else if (e->kind == N_BINARY && e->op == '*' &&
             ((e->a->kind == N_NAME && e->b->kind == N_TRANSPOSE) ||
              (e->a->kind == N_TRANSPOSE && e->b->kind == N_NAME)))
      s |= 1u << ST_OUTER;
    else if (e->kind == N_CALL && e->list.n == 1) {
      const Node *a = e->list.v[0];
      if (!strcmp(e->name, "log") && a->kind == N_NAME && a->name == x) s |= 1u << ST_LOG;
      else if (!strcmp(e->name, "log") && a->kind == N_BINARY && a->op == '-' &&
               a->a->kind == N_NUM && a->a->num == 1 && a->b->kind == N_NAME && a->b->name == x)
        s |= 1u << ST_LOG1M;
      else if (!strcmp(e->name, "log1m") && a->kind == N_NAME && a->name == x) s |= 1u << ST_LOG1M;
      else if (!strcmp(e->name, "log_det")) s |= 1u << ST_LOGDET;
      else if (!strcmp(e->name, "onehot")) s |= 1u << ST_ONEHOT;
    }
  }
  return s;
}

static int popcount(unsigned x) {
  int n = 0;
  for (; x; x &= x - 1) n++;
  return n;
}

static Family *match_family(const Model *m, const Sym *v, unsigned stats) {
  Family *best = NULL;
  int best_n = 99;
  Domain d = v->type->dom;
  for (int i = 0; i < m->families.n; i++) {
    Family *f = m->families.v[i];
    if (!f->var || !f->var->type) continue;
    Domain fd = f->var->type->dom;
    bool dom_ok = fd == d || (fd == D_VEC && d == D_REAL && v->type->ndim >= 1 && structured(v));
    if (!dom_ok) continue;
    unsigned fs = family_stats(f);
    if ((stats & ~fs) != 0) continue;
    int n = popcount(fs);
    if (n < best_n) {
      best = f;
      best_n = n;
    }
  }
  return best;
}

Family *term_family(PolyCtx *c, const Poly *p, const Sym *v) {
  Found f = {0};
  for (int k = 0; k < p->n && !f.reason; k++) classify_mono(c, p->m[k], v, &f, NO_SPAN);
  if (f.reason || f.coupled || !v->type) return NULL;
  return match_family(c->m, v, f.stats);
}

/* ------------------------------------------------------------------ */
/* Terms of the log joint                                              */


void poly_terms(PolyCtx *c, PtrVec *terms) {
  Model *m = c->m;
  for (int i = 0; i < m->stmts.n; i++) {
    Node *st = m->stmts.v[i];
    Node *body = NULL;
    if (st->kind == N_FACTOR) body = st->a;
    else if (st->kind == N_TILDE || st->kind == N_REST) {
      Dist *d = model_find_dist(m, st->name);
      if (d) body = instantiate_term(c->A, st, d);
    }
    if (!body) continue;
    c->budget = POLY_MAX_MONOS;
    c->overflow = false;
    Poly *p = to_poly(c, body);
    Term *t = arena_alloc(c->A, sizeof *t);
    t->stmt = st;
    t->too_large = c->overflow;
    if (c->overflow) {
      /* too large to expand: one opaque atom mentioning everything */
      PtrVec deps = {0};
      deps_of_node(c, body, &deps);
      Poly **none = NULL;
      Atom *a = atom_func(c, "<term too large to expand>", none, 0, st->span);
      a->deps = deps;
      p = poly_atom(c, a, 1);
    }
    t->poly = p;
    vec_push(c->A, terms, t);
  }
}

static bool is_latent(const Sym *y) {
  if (y->kind != SYM_VAR || y->deterministic) return false;
  if (y->role == ROLE_OBSERVED) return false;
  return y->defs.n > 0 || y->factors.n > 0;
}

Plan *conj_analyse(Compilation *comp) {
  PolyCtx c = {&comp->arena, comp->model, POLY_MAX_MONOS, false, 0, 0, false};
  Plan *plan = arena_alloc(c.A, sizeof *plan);
  PtrVec terms = {0};
  poly_terms(&c, &terms);
  for (int i = 0; i < c.m->syms.n; i++) {
    Sym *v = c.m->syms.v[i];
    if (!is_latent(v) || !v->type) continue;
    VarPlan *vp = arena_alloc(c.A, sizeof *vp);
    vp->var = v;
    Found f = {0};
    for (int t = 0; t < terms.n && !f.reason; t++) {
      const Term *term = terms.v[t];
      if (v->rest && term->stmt->kind != N_REST) continue;
      if (v->rest && term->stmt->a && ((Node *)term->stmt->a)->sym != v) continue;
      for (int k = 0; k < term->poly->n && !f.reason; k++)
        classify_mono(&c, term->poly->m[k], v, &f, term->stmt->span);
      if (f.reason && !f.stmt) f.stmt = term->stmt;
    }
    vp->stats = f.stats;
    vp->coupled = f.coupled;
    vp->nterms = f.nterms;
    Domain d = v->type->dom;
    if (discrete_finite(v)) {
      vp->kind = UPD_ENUMERATE;
    } else if (d == D_INT || d == D_NAT) {
      vp->kind = UPD_UNSUPPORTED;
      vp->reason = "an unbounded discrete variable has no sampler yet";
    } else if (f.reason) {
      vp->reason = f.reason;
      if (f.stmt) {
        StrBuf b = {0};
        if (f.stmt->kind == N_FACTOR) {
          sb_puts(&b, "factor ");
          ast_unparse(&b, f.stmt->a);
        } else {
          ast_unparse(&b, f.stmt->a);
          sb_printf(&b, " ~ %s(", f.stmt->name);
          for (int k = 0; k < f.stmt->list.n; k++) {
            if (k) sb_puts(&b, ", ");
            ast_unparse(&b, f.stmt->list.v[k]);
          }
          sb_putc(&b, ')');
        }
        vp->reason = arena_printf(c.A, "%s in the log density of %s", f.reason, b.s);
        sb_free(&b);
      }
      vp->reason_span = f.span;
      vp->kind = (d == D_SIMPLEX || d == D_SPD) ? UPD_UNSUPPORTED : UPD_SLICE;
    } else {
      vp->family = match_family(c.m, v, f.stats);
      if (vp->family) vp->kind = UPD_CONJUGATE;
      else {
        StrBuf b = {0};
        for (int k = 0; k < ST_COUNT; k++)
          if (f.stats & (1u << k)) sb_printf(&b, "%s%s", b.n ? ", " : "", stat_name(k));
        vp->reason = arena_printf(c.A, "no family on %s has the statistics {%s}", domain_name(d),
                                  b.s ? b.s : "");
        sb_free(&b);
        vp->kind = (d == D_SIMPLEX || d == D_SPD) ? UPD_UNSUPPORTED : UPD_SLICE;
      }
    }
    vec_push(c.A, &plan->vars, vp);
  }
  return plan;
}

const char *plan_vi_factor(Arena *A, const VarPlan *vp, const char **why) {
  *why = NULL;
  const char *rt = vp->kind == UPD_CONJUGATE ? vp->family->runtime : NULL;
  bool scalar = rt && (!strcmp(rt, "normal") || !strcmp(rt, "gamma") || !strcmp(rt, "invgamma") ||
                       !strcmp(rt, "beta"));
  bool vector = rt && !strcmp(rt, "mvnormal") && vp->var->type->nstruct == 1;
  bool matrix = rt && !strcmp(rt, "wishart") && vp->var->type->nstruct == 2;
  if (vp->kind == UPD_ENUMERATE) return "discrete";
  if (vp->kind == UPD_CONJUGATE) {
    if (vp->coupled && !(rt && !strcmp(rt, "normal") && vp->var->type->nstruct == 0))
      *why = arena_printf(A, "its elements are coupled and CAVI for coupled %s elements is not generated yet",
                          vp->family->name);
    else if (!scalar && !vector && !matrix && !(rt && !strcmp(rt, "dirichlet")))
      *why = arena_printf(A, "CAVI for the %s family is not generated yet", vp->family->name);
    return *why ? NULL : rt;
  }
  *why = arena_printf(A, "its complete conditional is not conjugate (%s)",
                      vp->reason ? vp->reason : "no family matches");
  return NULL;
}

void plan_print(FILE *out, Compilation *comp, const Plan *p) {
  fputs("\ninference plan (Gibbs sweep, in this order)\n", out);
  if (p->vars.n == 0) {
    fputs("  nothing to sample: every variable is observed or fixed\n", out);
    return;
  }
  int w = 4;
  for (int i = 0; i < p->vars.n; i++) {
    const VarPlan *vp = p->vars.v[i];
    int n = (int)strlen(vp->var->name);
    if (n > w) w = n;
  }
  for (int i = 0; i < p->vars.n; i++) {
    const VarPlan *vp = p->vars.v[i];
    StrBuf b = {0};
    switch (vp->kind) {
    case UPD_CONJUGATE:
      sb_printf(&b, "conjugate   %s", vp->family->name);
      if (vp->coupled) sb_puts(&b, " (elements coupled: updated one at a time)");
      break;
    case UPD_ENUMERATE: {
      const Type *t = vp->var->type;
      if (t->dom == D_CAT && t->domsize.value >= 0)
        sb_printf(&b, "enumerate   %lld values", t->domsize.value);
      else if (t->dom == D_CAT) sb_puts(&b, "enumerate   categorical");
      else sb_printf(&b, "enumerate   2 values (%s)", domain_name(t->dom));
      break;
    }
    case UPD_SLICE: sb_puts(&b, "slice       "); break;
    case UPD_UNSUPPORTED: sb_puts(&b, "unsupported "); break;
    default: break;
    }
    fprintf(out, "  %-*s  %s\n", w, vp->var->name, b.s ? b.s : "");
    if (vp->reason) {
      StrBuf loc = {0};
      if (vp->reason_span.src >= 0 && vp->reason_span.line > 0) span_format(&comp->diags, vp->reason_span, &loc);
      fprintf(out, "  %-*s    not conjugate: %s%s%s\n", w, "", vp->reason, loc.s ? " at " : "",
              loc.s ? loc.s : "");
      sb_free(&loc);
    }
    sb_free(&b);
  }
  /* the mean-field family of each variable (`EXE vi`) */
  fputs("\nvariational family (CAVI mean field, one factor per element, in this order)\n", out);
  for (int i = 0; i < p->vars.n; i++) {
    const VarPlan *vp = p->vars.v[i];
    const char *why;
    const char *f = plan_vi_factor(&comp->arena, vp, &why);
    const Type *t = vp->var->type;
    if (f && !strcmp(f, "discrete")) {
      if (t->dom == D_CAT && t->domsize.value >= 0)
        fprintf(out, "  %-*s  Categorical   %lld probabilities\n", w, vp->var->name, t->domsize.value);
      else
        fprintf(out, "  %-*s  %s\n", w, vp->var->name,
                t->dom == D_CAT ? "Categorical" : t->dom == D_SPIN ? "Spin          P(+1)" : "Bernoulli     P(1)");
    } else if (f) {
      fprintf(out, "  %-*s  %-12s  natural parameters from the expected statistics of its neighbours%s\n", w,
              vp->var->name, vp->family->name, !strcmp(f, "mvnormal") ? " (one factor per vector)"
                : !strcmp(f, "wishart")                      ? " (one factor per matrix)"
                                                             : "");
    } else {
      fprintf(out, "  %-*s  none          %s: vi is not available for this model\n", w, vp->var->name, why);
    }
  }
}
