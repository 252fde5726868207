/* lower_vi.c — coordinate-ascent variational inference (CAVI) kernels.
 *
 * The same terms and conjugacy plan as the Gibbs sweep, read under the
 * mean-field q: every latent element has a factor in the family of its
 * complete conditional, whose natural parameters are the expectation under
 * the other factors of the coefficients the Gibbs sweep evaluates at the
 * current values.  So the lowering is the Gibbs lowering with two changes:
 *
 *  - an atom of a continuous factor becomes its expected statistic (x,
 *    x^2, 1/x, log x, log(1 - x) read from the factor's `stats` array); two
 *    references to elements of the same variable in one product (W[d,k]
 *    W[d,k'] of an expanded square) give E[x^2] when they are the same
 *    element and E[x] E[x'] when not;
 *  - a monomial that refers to elements of discrete factors (mu[z[n]],
 *    log(A[z[t-1], z[t]])) is summed over their values, each reference
 *    replaced by the value and weighted by its probability.
 *
 * Kernels: vi_local (the discrete factors once, after the start), vi_sweep
 * (every factor in plan order) and vi_expect (E_q[log joint]); the runtime
 * adds the entropies (lvm/vi.h).  What CAVI cannot handle (a variable with
 * no conjugate conditional, an expectation with no closed form) does not
 * fail the build: the module records why (IrModule.vi_unsupported) and
 * `EXE vi` reports it. */
#include <stdint.h>
#include <string.h>

#include "lower_int.h"
#include "jam.h"

typedef struct ViVar {
  const VarPlan *vp;
  Sym *v;
  int k;                /* variable index */
  bool discrete;
  bool simplex;
  bool vector;          /* MvNormal: one factor per vector of the last dimension */
  bool matrix;          /* Wishart: one factor per matrix of the last two dimensions */
  int ns;               /* scalar families: statistics per element */
  IrExpr *K;            /* discrete and simplex: values / components; vector, matrix: D */
  int ksize;            /* discrete: size index of K */
  int domain;           /* LD_* */
  int eta_f, st_f;      /* fields of the hidden arrays */
  int rows_f, nrows_f;  /* discrete, one dimension: the row list of vi_refresh (fields), or -1 */
  const char *family;   /* runtime family, or "discrete" */
} ViVar;

typedef struct Vi {
  Lower *l;
  ViVar *vars;
  int n;
  PtrVec groups;        /* SGroup*: accumulated expected statistics */
  PtrVec uses;          /* SUse*: the monomials that read them */
  int consts_f;         /* field of __vi_consts (1: vi_refresh has accumulated the
                           constant groups), or -1 when there are none */
  const char *why;      /* the first reason CAVI cannot be generated */
  /* point mode: element pe of pv held at a value (x for the coupled
   * normal update, the state's value with index pkv for a discrete one) */
  const ViVar *pv;
  int pe, px, pkv;
  /* while a discrete factor's update is lowered: per group (vi->groups),
   * the scratch local of its coefficient table (coef_tables), or -1 */
  int *tab;
} Vi;

static void vi_fail(Vi *vi, const char *why) {
  if (!vi->why) vi->why = why;
}

static const ViVar *vi_of(const Vi *vi, const Sym *y) {
  for (int i = 0; i < vi->n; i++)
    if (vi->vars[i].v == y) return &vi->vars[i];
  return NULL;
}

static IrExpr *cf(Vi *vi, double x) { return ir_const_f(vi->l->A, x); }
static IrExpr *ci(Vi *vi, long long x) { return ir_const_i(vi->l->A, x); }
static IrExpr *bin(Vi *vi, IrOp op, IrExpr *a, IrExpr *b) { return ir_bin(vi->l->A, op, a, b); }
static IrExpr *loc(Vi *vi, int local, IrType t) { return ir_local(vi->l->A, local, t); }

static IrStmt *set_local(Vi *vi, int local, IrExpr *value) {
  IrStmt *s = ir_stmt(vi->l->A, IS_SET, vi->l->span);
  s->local = local;
  s->value = value;
  lw_emit(vi->l, s);
  return s;
}

/* E[x_a x_b] of elements a, b of one vector of an MvNormal factor. */
static IrExpr *outer_load(Vi *vi, const ViVar *vv, IrExpr *a, IrExpr *b) {
  IrExpr *D = vv->K;
  IrExpr *c = bin(vi, IR_IDIV, a, D);
  IrExpr *ia = bin(vi, IR_SUB, a, bin(vi, IR_MUL, c, D));
  IrExpr *ib = bin(vi, IR_SUB, b, bin(vi, IR_MUL, bin(vi, IR_IDIV, b, D), D));
  IrExpr *W = bin(vi, IR_MUL, D, bin(vi, IR_ADD, D, ci(vi, 1)));
  IrExpr *idx = bin(vi, IR_ADD, bin(vi, IR_ADD, bin(vi, IR_MUL, c, W), D), bin(vi, IR_ADD, bin(vi, IR_MUL, ia, D), ib));
  return ir_load(vi->l->A, vv->st_f, idx, IR_F64);
}

/* E[statistic st] of element `flat` of a continuous factor. */
static IrExpr *stat_load(Vi *vi, const ViVar *vv, IrExpr *flat, StatKind st) {
  if (vv->simplex) {
    if (st != ST_LOG) {
      vi_fail(vi, arena_printf(vi->l->A, "E[%s] of the simplex '%s' is not a statistic of its factor",
                               stat_name(st), vv->v->name));
      return cf(vi, 0);
    }
    return ir_load(vi->l->A, vv->st_f, flat, IR_F64);
  }
  if (vv->vector) {
    if (st == ST_X2) return outer_load(vi, vv, flat, flat);
    if (st != ST_X) {
      vi_fail(vi, arena_printf(vi->l->A, "E[%s] of the vector '%s' is not a statistic of its MvNormal factor",
                               stat_name(st), vv->v->name));
      return cf(vi, 0);
    }
    /* stats of vector c = flat / D: E[x] (D), then E[x x'] (D*D) */
    IrExpr *D = vv->K;
    IrExpr *W = bin(vi, IR_MUL, D, bin(vi, IR_ADD, D, ci(vi, 1)));
    return ir_load(vi->l->A, vv->st_f,
                   bin(vi, IR_ADD, bin(vi, IR_MUL, bin(vi, IR_IDIV, flat, D), W),
                       bin(vi, IR_SUB, flat, bin(vi, IR_MUL, bin(vi, IR_IDIV, flat, D), D))),
                   IR_F64);
  }
  if (vv->matrix) {
    /* stats of matrix c = flat / (D D): E[X] (D*D), then E[log det X] */
    if (st != ST_X && st != ST_LOGDET) {
      vi_fail(vi, arena_printf(vi->l->A, "E[%s] of the matrix '%s' is not a statistic of its Wishart factor",
                               stat_name(st), vv->v->name));
      return cf(vi, 0);
    }
    IrExpr *DD = bin(vi, IR_MUL, vv->K, vv->K);
    IrExpr *c = bin(vi, IR_IDIV, flat, DD);
    IrExpr *base = bin(vi, IR_MUL, c, bin(vi, IR_ADD, DD, ci(vi, 1)));
    IrExpr *within = st == ST_LOGDET ? DD : bin(vi, IR_SUB, flat, bin(vi, IR_MUL, c, DD));
    return ir_load(vi->l->A, vv->st_f, bin(vi, IR_ADD, base, within), IR_F64);
  }
  int slot = lw_stat_slot(vv->vp->family, st);
  if (slot < 0) {
    vi_fail(vi, arena_printf(vi->l->A, "E[%s] of '%s' is not a statistic of its %s factor", stat_name(st),
                             vv->v->name, vv->vp->family->name));
    return cf(vi, 0);
  }
  return ir_load(vi->l->A, vv->st_f, bin(vi, IR_ADD, bin(vi, IR_MUL, flat, ci(vi, vv->ns)), ci(vi, slot)),
                 IR_F64);
}

/* for (local = lo; local <= hi; local++): statements go inside */
static void open_for(Vi *vi, int local, IrExpr *lo, IrExpr *hi, Span sp) {
  IrStmt *f = ir_stmt(vi->l->A, IS_FOR, sp);
  f->local = local;
  f->lo = lo;
  f->hi = hi;
  lw_emit(vi->l, f);
  vi->l->out = &f->body;
}

/* E[x^power] of element `flat`; in point mode, x^power at the point. */
static IrExpr *moment(Vi *vi, const ViVar *vv, IrExpr *flat, int power) {
  StatKind st = power == 1 ? ST_X : power == 2 ? ST_X2 : power == -1 ? ST_INV : ST_COUNT;
  if (st == ST_COUNT) {
    vi_fail(vi, arena_printf(vi->l->A, "'%s' appears to the power %d", vv->v->name, power));
    return cf(vi, 0);
  }
  IrExpr *e = stat_load(vi, vv, flat, st);
  if (vi->pv != vv) return e;
  IrExpr *x = loc(vi, vi->px, IR_F64);
  IrExpr *xp = power == 1 ? x : power == 2 ? bin(vi, IR_MUL, x, x) : bin(vi, IR_DIV, cf(vi, 1), x);
  return ir_select(vi->l->A, bin(vi, IR_EQ, flat, loc(vi, vi->pe, IR_I64)), xp, e);
}

/* The atom hook: an atom that depends on a continuous factor becomes its
 * expectation; others are lowered as usual (discrete references are then
 * replaced by the values being summed over). */
static IrExpr *vi_atom(Lower *l, const Atom *a, int power) {
  Vi *vi = l->hook_ctx;
  if (a->kind == A_REF) {
    const ViVar *vv = vi_of(vi, a->var);
    if (!vv || vv->discrete) return NULL;
    return moment(vi, vv, lw_ref_flat(l, a, vv->k), power);
  }
  const ViVar *dep = NULL;
  int ndep = 0;
  for (int i = 0; i < a->deps.n; i++) {
    const ViVar *vv = vi_of(vi, a->deps.v[i]);
    if (vv && !vv->discrete) {
      dep = vv;
      ndep++;
    }
  }
  if (!ndep) return NULL;
  if (a->kind == A_FUNC && !strcmp(a->fname, "log") && a->nargs == 1 && ndep == 1 && power == 1 &&
      vi->pv != dep) {
    const Atom *r = poly_single_ref(a->args[0], dep->v);
    if (r) return stat_load(vi, dep, lw_ref_flat(l, r, dep->k), ST_LOG);
    if (poly_one_minus_ref(a->args[0], dep->v)) {
      const Mono *mm = a->args[0]->m[0]->nf ? a->args[0]->m[0] : a->args[0]->m[1];
      return stat_load(vi, dep, lw_ref_flat(l, mm->f[0].atom, dep->k), ST_LOG1M);
    }
  }
  if (a->kind == A_FUNC && !strcmp(a->fname, "log_det") && a->nargs == 1 && ndep == 1 && power == 1 &&
      dep->matrix) { /* log det X: E[log det X] of X's factor */
    const Atom *r = poly_single_ref(a->args[0], dep->v);
    if (r) return stat_load(vi, dep, lw_ref_flat(l, r, dep->k), ST_LOGDET);
  }
  vi_fail(vi, arena_printf(l->A, "the expectation of '%s%s' under the factor of '%s' has no closed form here",
                           a->key, power != 1 ? arena_printf(l->A, "^%d", power) : "", dep->v->name));
  return cf(vi, 0);
}

/* E_q of a monomial's product of factors (skipping the factors in the bit set `skip`), with
 * the discrete references already replaced. */
static IrExpr *mono_expect(Vi *vi, const Mono *m, unsigned skip) {
  Lower *l = vi->l;
  IrExpr *v = cf(vi, m->coef);
  bool used[64] = {0};
  if (m->nf > 32) {
    vi_fail(vi, "a product of more than 32 factors");
    return v;
  }
  for (int i = 0; i < m->nf; i++) {
    if ((skip >> i & 1u) || used[i]) continue;
    const Atom *a = m->f[i].atom;
    const ViVar *vv = a->kind == A_REF ? vi_of(vi, a->var) : NULL;
    if (vv && vv->discrete) vv = NULL;
    int j = -1, others = 0;
    for (int q = i + 1; vv && q < m->nf; q++) {
      if (skip >> q & 1u) continue;
      const Atom *b = m->f[q].atom;
      bool same = b->kind == A_REF ? b->var == vv->v : depends_on(b, vv->v);
      if (!same) continue;
      if (j < 0 && b->kind == A_REF) j = q;
      else others++;
    }
    if (j < 0 && !others) {
      v = bin(vi, IR_MUL, v, lw_lower_atom(l, a, m->f[i].power));
      continue;
    }
    if (others || m->f[i].power != 1 || m->f[j].power != 1) {
      vi_fail(vi, arena_printf(l->A, "a product of more than two references to '%s' (%s, ...)", vv->v->name, a->key));
      return v;
    }
    /* two references to elements of one variable: the same element or two
     * independent ones */
    used[j] = true;
    IrExpr *fi = lw_ref_flat(l, a, vv->k), *fj = lw_ref_flat(l, m->f[j].atom, vv->k);
    IrExpr *pair = vv->vector
                       ? ir_select(l->A, bin(vi, IR_EQ, bin(vi, IR_IDIV, fi, vv->K), bin(vi, IR_IDIV, fj, vv->K)),
                                   outer_load(vi, vv, fi, fj),
                                   bin(vi, IR_MUL, moment(vi, vv, fi, 1), moment(vi, vv, fj, 1)))
                       : ir_select(l->A, bin(vi, IR_EQ, fi, fj), moment(vi, vv, fi, 2),
                                   bin(vi, IR_MUL, moment(vi, vv, fi, 1), moment(vi, vv, fj, 1)));
    v = bin(vi, IR_MUL, v, pair);
  }
  return v;
}

/* v's value for value index kv: cat kv + 1, bin kv, spin 2 kv - 1 */
static IrExpr *value_of(Vi *vi, const ViVar *dv, IrExpr *kv) {
  if (dv->domain == LD_SPIN) return bin(vi, IR_SUB, bin(vi, IR_MUL, ci(vi, 2), kv), ci(vi, 1));
  if (dv->domain == LD_CAT) return bin(vi, IR_ADD, kv, ci(vi, 1));
  return kv;
}

/* for kv in 0 .. K - 1 over the values of dv (statements go inside), the
 * reference `key` replaced by the value; returns kv's local.  The caller
 * has checked that an override is free. */
static int value_loop(Vi *vi, const ViVar *dv, const char *key) {
  Lower *l = vi->l;
  int kv = lw_new_local(l, "kv", IR_I64);
  open_for(vi, kv, ci(vi, 0), bin(vi, IR_SUB, dv->K, ci(vi, 1)), l->span);
  l->ovr_key[l->novr] = key;
  l->ovr_val[l->novr] = value_of(vi, dv, loc(vi, kv, IR_I64));
  l->novr++;
  return kv;
}

typedef struct Sum {
  PtrVec *saved;
  int novr;
  int weight;           /* local holding the product of the probabilities, or -1 */
  bool branchless;      /* no guards: weighted() selects 0 where the weight is not > 0 */
  int nkv, kv[LW_MAX_OVERRIDES]; /* the value-index locals, outermost first */
} Sum;

/* Is a loop or sum index that e uses not bound here (an index of a sum
 * inside a function's argument)?  Returns its name, or NULL. */
static const char *unbound_index(Lower *l, const Node *e) {
  if (!e) return NULL;
  if (e->kind == N_NAME)
    return (!e->sym || e->sym->kind == SYM_LOOP || e->sym->kind == SYM_LOCAL) && lw_bound(l, e->name) < 0
               ? e->name
               : NULL;
  const char *u = NULL;
  if (e->kind != N_INDEX) {
    if (!u) u = unbound_index(l, e->b);
    if (!u) u = unbound_index(l, e->c);
    if (!u) u = unbound_index(l, e->d);
  }
  for (int i = 0; i < e->list.n && !u; i++) u = unbound_index(l, e->list.v[i]);
  return u;
}

/* Open loops over the values of the discrete references in m (each
 * reference replaced by its value, the probabilities multiplied into
 * sum->weight).  In discrete point mode the reference visit_group located
 * at the element keeps the state's value. */
static void open_sum_as(Vi *vi, const Mono *m, Sum *sum, bool branchless) {
  Lower *l = vi->l;
  sum->saved = l->out;
  sum->novr = l->novr;
  sum->weight = -1;
  sum->nkv = 0;
  sum->branchless = branchless;
  for (int d = 0; d < vi->n; d++) {
    const ViVar *dv = &vi->vars[d];
    if (!dv->discrete) continue;
    const Atom *refs[LW_MAX_OVERRIDES];
    int nr = 0;
    for (int i = 0; i < m->nf; i++) {
      int before = nr;
      lw_collect_vrefs(l, m->f[i].atom, dv->v, refs, &nr, LW_MAX_OVERRIDES);
      for (int r = before; r < nr; r++) {
        const char *u = refs[r]->ref->kind == N_INDEX ? unbound_index(l, refs[r]->ref) : NULL;
        if (!u) continue;
        vi_fail(vi, arena_printf(l->A, "the expectation of '%s' under the factors of '%s' has no closed form: "
                                       "it is a function of a sum over elements of '%s' ('%s', summed over '%s'), "
                                       "which mean field would have to enumerate jointly",
                                 m->f[i].atom->key, dv->v->name, dv->v->name, refs[r]->key, u));
        return;
      }
    }
    for (int r = 0; r < nr; r++) {
      if (vi->pv == dv && l->visit_key && !strcmp(refs[r]->key, l->visit_key)) {
        /* visit_group's guard: this reference is the element, which holds
         * the value of pkv; the value itself, not a load of the state */
        if (l->novr < LW_MAX_OVERRIDES) {
          l->ovr_key[l->novr] = refs[r]->key;
          l->ovr_val[l->novr] = value_of(vi, dv, loc(vi, vi->pkv, IR_I64));
          l->novr++;
        }
        continue;
      }
      if (l->novr >= LW_MAX_OVERRIDES) {
        vi_fail(vi, "a product refers to too many discrete elements");
        return;
      }
      IrExpr *flat = lw_ref_flat(l, refs[r], dv->k);
      int fl = lw_new_local(l, "ef", IR_I64);
      set_local(vi, fl, flat);
      int kv = value_loop(vi, dv, refs[r]->key);
      sum->kv[sum->nkv++] = kv;
      IrExpr *p = ir_load(l->A, dv->st_f, bin(vi, IR_ADD, bin(vi, IR_MUL, loc(vi, fl, IR_I64), dv->K),
                                              loc(vi, kv, IR_I64)), IR_F64);
      if (vi->pv == dv)
        p = ir_select(l->A, bin(vi, IR_EQ, loc(vi, fl, IR_I64), loc(vi, vi->pe, IR_I64)),
                      ir_select(l->A, bin(vi, IR_EQ, loc(vi, kv, IR_I64), loc(vi, vi->pkv, IR_I64)), cf(vi, 1), cf(vi, 0)),
                      p);
      int w = lw_new_local(l, "w", IR_F64);
      set_local(vi, w, sum->weight < 0 ? p : bin(vi, IR_MUL, loc(vi, sum->weight, IR_F64), p));
      sum->weight = w;
      /* values of probability 0 add nothing (and skip -inf log terms) */
      if (branchless) continue;
      IrStmt *g = ir_stmt(l->A, IS_IF, l->span);
      g->cond = bin(vi, IR_LT, cf(vi, 0), loc(vi, w, IR_F64));
      lw_emit(l, g);
      l->out = &g->body;
    }
  }
}

/* Open loops over the values of the discrete references in m, a branch
 * per value skipping those of probability 0. */
static void open_sum(Vi *vi, const Mono *m, Sum *sum) { open_sum_as(vi, m, sum, false); }

static void close_sum(Vi *vi, Sum *sum) {
  vi->l->novr = sum->novr;
  vi->l->out = sum->saved;
}

static IrExpr *weighted(Vi *vi, const Sum *sum, IrExpr *x) {
  if (sum->weight < 0) return x;
  if (sum->branchless && x) { /* x in a local first: the select's arms then load nothing */
    int xl = lw_new_local(vi->l, "sx", IR_F64);
    set_local(vi, xl, x);
    x = loc(vi, xl, IR_F64);
  }
  IrExpr *w = loc(vi, sum->weight, IR_F64), *wx = x ? bin(vi, IR_MUL, w, x) : w;
  return sum->branchless ? ir_select(vi->l->A, bin(vi, IR_LT, cf(vi, 0), w), wx, cf(vi, 0)) : wx;
}

/* ---- Accumulated expected statistics ---------------------------------
 *
 * A monomial c * prod C * prod D of a term, where the C factors depend on
 * continuous factors and the D factors do not (data, constants, the values
 * of discrete references), has the expectation
 *   sum over the plates and the discrete values of  w * prod D * E[prod C],
 * and E[prod C] depends only on some of the loop indices (`kept`: those its
 * references use outside discrete references) and on the discrete values.
 * So S[kept, values] = sum over the other indices of w * prod D is
 * accumulated in a hidden array whenever the discrete factors change (once
 * per sweep), and the updates of the global factors and the ELBO read S
 * instead of passing over the data again.  One array per group (a term,
 * its kept loops, its discrete references); its last index is the slot of
 * the D product.  Data-only groups (no discrete references) are computed
 * once, by vi_refresh. */

enum { SG_MAX_KEEP = 6, SG_MAX_LOOPS = 16 };

typedef struct SGroup {
  const Term *t;
  Binder keep[SG_MAX_KEEP];
  int ksize[SG_MAX_KEEP]; /* size index of each kept loop's upper bound */
  int nkeep, nd;
  const Atom *dref[LW_MAX_OVERRIDES];
  const ViVar *dvar[LW_MAX_OVERRIDES];
  PtrVec slot_key;        /* const char* */
  PtrVec slot_mono;       /* const Mono*: the first monomial of the slot */
  PtrVec slot_cmask;      /* (uintptr_t): its C factors */
  const char *key;
  int field;
} SGroup;

typedef struct SUse {
  const Mono *m;
  SGroup *g;
  int slot;
  unsigned cmask;         /* the factors that depend on continuous factors */
} SUse;

static const SUse *find_use(const Vi *vi, const Mono *m) {
  for (int i = 0; i < vi->uses.n; i++) {
    const SUse *u = vi->uses.v[i];
    if (u->m == m) return u;
  }
  return NULL;
}

static bool vi_hoisted(Lower *l, const Mono *m) {
  Vi *vi = l->hook_ctx;
  return !vi->pv && find_use(vi, m);
}

/* Mark in used[] the loops among loops[0..n) whose names e uses outside
 * references to discrete factors (those become values). */
static void node_loops(const Vi *vi, const Node *e, const Binder *loops, int n, bool *used) {
  if (!e) return;
  const Node *base = e->kind == N_INDEX ? e->a : e;
  if ((e->kind == N_INDEX || e->kind == N_NAME) && base && base->kind == N_NAME && base->sym) {
    const ViVar *vv = vi_of(vi, base->sym);
    if (vv && vv->discrete) return;
  }
  if (e->kind == N_NAME) {
    for (int i = 0; i < n; i++)
      if (loops[i].var == e->name) used[i] = true;
    return;
  }
  node_loops(vi, e->a, loops, n, used);
  node_loops(vi, e->b, loops, n, used);
  node_loops(vi, e->c, loops, n, used);
  node_loops(vi, e->d, loops, n, used);
  for (int i = 0; i < e->list.n; i++) node_loops(vi, e->list.v[i], loops, n, used);
}

static void atom_loops(const Vi *vi, const Atom *a, const Binder *loops, int n, bool *used) {
  if (a->kind == A_REF) {
    node_loops(vi, a->ref, loops, n, used);
    return;
  }
  for (int i = 0; i < a->nargs; i++)
    for (int j = 0; j < a->args[i]->n; j++) {
      const Mono *m = a->args[i]->m[j];
      for (int b = 0; b < m->nb; b++) {
        node_loops(vi, m->b[b].lo, loops, n, used);
        node_loops(vi, m->b[b].hi, loops, n, used);
        node_loops(vi, m->b[b].cond, loops, n, used);
      }
      for (int f = 0; f < m->nf; f++) atom_loops(vi, m->f[f].atom, loops, n, used);
    }
}

static bool continuous_atom(const Vi *vi, const Atom *a) {
  if (a->kind == A_REF) {
    const ViVar *vv = vi_of(vi, a->var);
    return vv && !vv->discrete;
  }
  for (int i = 0; i < a->deps.n; i++) {
    const ViVar *vv = vi_of(vi, a->deps.v[i]);
    if (vv && !vv->discrete) return true;
  }
  return false;
}

static void binder_key(StrBuf *b, const Binder *x) {
  sb_printf(b, "%s=", x->var);
  ast_unparse(b, x->lo);
  sb_printf(b, ":");
  ast_unparse(b, x->hi);
  if (x->cond) {
    sb_printf(b, "?");
    ast_unparse(b, x->cond);
  }
  sb_printf(b, ";");
}

/* Monomial m of term t: its group and slot, or false when it is not worth
 * or not possible to accumulate (no loop is summed out, a kept loop that is
 * not a plain 1:size range, ...). */
static bool plan_use(Vi *vi, const Term *t, int ti, const Mono *m) {
  Lower *l = vi->l;
  const Node *st = t->stmt;
  int nl = st->loops.n + m->nb;
  if (m->nf > 32 || nl == 0 || nl > SG_MAX_LOOPS) return false;
  Binder loops[SG_MAX_LOOPS];
  lw_loops(st, m, loops, SG_MAX_LOOPS);
  unsigned cmask = 0;
  bool used[SG_MAX_LOOPS] = {0};
  for (int f = 0; f < m->nf; f++)
    if (continuous_atom(vi, m->f[f].atom)) {
      cmask |= 1u << f;
      atom_loops(vi, m->f[f].atom, loops, nl, used);
    }
  SGroup g = {0};
  bool summed = false;
  for (int i = 0; i < nl; i++) {
    if (!used[i]) {
      summed = true;
      continue;
    }
    if (g.nkeep == SG_MAX_KEEP) return false;
    const Binder *b = &loops[i];
    if (b->lo->kind != N_NUM || b->lo->num < 1 || b->lo->num != (double)(long long)b->lo->num) return false;
    if (b->cond) {
      bool cu[SG_MAX_LOOPS] = {0};
      node_loops(vi, b->cond, loops, nl, cu);
      for (int j = 0; j < nl; j++)
        if (cu[j] && !used[j]) return false;
    }
    int z = lw_try_size(l, b->hi);
    if (z < 0) return false;
    g.ksize[g.nkeep] = z;
    g.keep[g.nkeep++] = *b;
  }
  if (!summed) return false;
  for (int d = 0; d < vi->n; d++) { /* open_sum's order */
    const ViVar *dv = &vi->vars[d];
    if (!dv->discrete) continue;
    const Atom *refs[LW_MAX_OVERRIDES];
    int nr = 0;
    for (int f = 0; f < m->nf; f++) lw_collect_vrefs(l, m->f[f].atom, dv->v, refs, &nr, LW_MAX_OVERRIDES);
    for (int r = 0; r < nr; r++) {
      if (g.nd == LW_MAX_OVERRIDES) return false;
      g.dref[g.nd] = refs[r];
      g.dvar[g.nd++] = dv;
    }
  }
  if (g.nkeep + g.nd + 1 > 8) return false;
  StrBuf gk = {0}, sk = {0};
  sb_printf(&gk, "%d|", ti);
  for (int i = 0; i < g.nkeep; i++) binder_key(&gk, &g.keep[i]);
  for (int i = 0; i < g.nd; i++) sb_printf(&gk, "|%s", g.dref[i]->key);
  for (int f = 0; f < m->nf; f++)
    if (!(cmask >> f & 1u)) sb_printf(&sk, "%s^%d*", m->f[f].atom->key, m->f[f].power);
  sb_printf(&sk, "|");
  for (int i = 0; i < m->nb; i++)
    if (!used[st->loops.n + i]) binder_key(&sk, &m->b[i]);
  SGroup *grp = NULL;
  for (int i = 0; i < vi->groups.n && !grp; i++)
    if (!strcmp(((SGroup *)vi->groups.v[i])->key, gk.s)) grp = vi->groups.v[i];
  if (!grp) {
    grp = arena_alloc(l->A, sizeof *grp);
    *grp = g;
    grp->t = t;
    grp->key = arena_strdup(l->A, gk.s);
    vec_push(l->A, &vi->groups, grp);
  }
  int slot = -1;
  for (int i = 0; i < grp->slot_key.n && slot < 0; i++)
    if (!strcmp(grp->slot_key.v[i], sk.s)) slot = i;
  if (slot < 0) {
    slot = grp->slot_key.n;
    vec_push(l->A, &grp->slot_key, arena_strdup(l->A, sk.s));
    vec_push(l->A, &grp->slot_mono, (void *)m);
    vec_push(l->A, &grp->slot_cmask, (void *)(uintptr_t)cmask);
  }
  sb_free(&gk);
  sb_free(&sk);
  SUse *u = arena_alloc(l->A, sizeof *u);
  *u = (SUse){m, grp, slot, cmask};
  vec_push(l->A, &vi->uses, u);
  return true;
}

static int add_hidden_dims(Lower *l, const char *name, const int *dims, int nd, const char *doc, int *field);

static void plan_stats(Vi *vi, const PtrVec *terms) {
  Lower *l = vi->l;
  for (int ti = 0; ti < terms->n; ti++) {
    const Term *t = terms->v[ti];
    if (t->too_large) continue;
    for (int mi = 0; mi < t->poly->n; mi++) plan_use(vi, t, ti, t->poly->m[mi]);
  }
  for (int i = 0; i < vi->groups.n; i++) {
    SGroup *g = vi->groups.v[i];
    int dims[8], nd = 0;
    dims[nd++] = lw_add_size(l, arena_printf(l->A, "%d", g->slot_key.n), -1, 0, g->slot_key.n);
    for (int k = 0; k < g->nkeep; k++) dims[nd++] = g->ksize[k];
    for (int k = 0; k < g->nd; k++) dims[nd++] = g->dvar[k]->ksize;
    add_hidden_dims(l, arena_printf(l->A, "__vi_ss%d", i), dims, nd,
                    arena_printf(l->A, "CAVI: accumulated expected statistics of the term at line %d",
                                 g->t->stmt->span.line),
                    &g->field);
  }
  bool consts = false;
  for (int i = 0; i < vi->groups.n; i++) consts |= ((const SGroup *)vi->groups.v[i])->nd == 0;
  vi->consts_f = -1;
  if (consts) {
    int one = lw_add_size(l, "1", -1, 0, 1);
    add_hidden_dims(l, "__vi_consts", &one, 1,
                    "CAVI: 1 when vi_refresh has accumulated the groups with no discrete reference "
                    "(constant: data and parameters only)",
                    &vi->consts_f);
  }
}

/* The flat index of S[slot, kept loops (bound), values kv[]]: slot-major,
 * so that the accumulation's innermost loop, over the values of a
 * discrete reference, adds to consecutive elements. */
static IrExpr *group_index(Vi *vi, const SGroup *g, const int *kv, int slot) {
  Lower *l = vi->l;
  IrExpr *ix = ci(vi, slot);
  for (int i = 0; i < g->nkeep; i++) {
    IrExpr *x = bin(vi, IR_SUB, loc(vi, lw_bound(l, g->keep[i].var), IR_I64), ci(vi, 1));
    ix = bin(vi, IR_ADD, bin(vi, IR_MUL, ix, lw_size_expr(l, g->ksize[i])), x);
  }
  for (int i = 0; i < g->nd; i++) {
    IrExpr *x = loc(vi, kv[i], IR_I64);
    ix = bin(vi, IR_ADD, bin(vi, IR_MUL, ix, g->dvar[i]->K), x);
  }
  return ix;
}

/* Open a loop over discrete factor dv's row list while it is set (its
 * nrows > 0), else over rows 1..all; l->out becomes its body.  Returns the
 * 1-based row as an expression. */
static IrExpr *open_listed_rows(Vi *vi, const ViVar *dv, IrExpr *all, Span sp) {
  Lower *l = vi->l;
  int c = lw_new_local(l, "nr", IR_I64), ri = lw_new_local(l, "ri", IR_I64);
  set_local(vi, c, ir_to_i(l->A, ir_load(l->A, dv->nrows_f, ci(vi, 0), IR_F64)));
  IrExpr *listed = bin(vi, IR_LT, ci(vi, 0), loc(vi, c, IR_I64));
  open_for(vi, ri, ci(vi, 1), ir_select(l->A, listed, loc(vi, c, IR_I64), all), sp);
  IrExpr *row = ir_to_i(l->A, ir_load(l->A, dv->rows_f, bin(vi, IR_SUB, loc(vi, ri, IR_I64), ci(vi, 1)), IR_F64));
  return ir_select(l->A, listed, row, loc(vi, ri, IR_I64));
}

/* The plates of group g's term.  listed (vi_refresh): when the group's
 * one discrete reference is z[n] for a plate n = 1:size of a
 * one-dimensional z, that plate runs over the row list the runtime may set
 * (__vi_nrows_z = c > 0: the rows __vi_rows_z[0 .. c), 1-based and
 * ascending, while every other row of z weighs nothing, as in the
 * seeding's evaluations), else over 1:size; the same additions in the same
 * order either way, as the rows left out add nothing. */
static int open_group_plates(Vi *vi, const SGroup *g, bool listed, PtrVec **saved) {
  Lower *l = vi->l;
  const Node *st = g->t->stmt;
  const Node *ix = NULL;
  const ViVar *dv = g->nd == 1 ? g->dvar[0] : NULL;
  if (listed && dv && dv->rows_f >= 0 && g->dref[0]->ref && g->dref[0]->ref->kind == N_INDEX &&
      g->dref[0]->ref->list.n == 1 && ((const Node *)g->dref[0]->ref->list.v[0])->kind == N_NAME)
    ix = g->dref[0]->ref->list.v[0];
  int pl = -1;
  for (int i = 0; ix && i < st->loops.n; i++) {
    const Node *loop = st->loops.v[i];
    if (loop->var == ix->name && loop->b->kind == N_NUM && loop->b->num == 1) pl = i;
  }
  if (pl < 0) return lw_open_plates(l, st, saved);
  *saved = l->out;
  for (int i = 0; i < st->loops.n; i++) {
    const Node *loop = st->loops.v[i];
    if (i != pl) {
      lw_open_plate(l, st, loop);
      continue;
    }
    int n = lw_new_local(l, loop->var, IR_I64);
    set_local(vi, n, open_listed_rows(vi, dv, lw_lower_int(l, loop->c), st->span));
    lw_bind(l, loop->var, n);
    lw_plate_filter(l, st, loop);
  }
  return st->loops.n;
}

/* The product of m's factors outside cmask (its D factors: data,
 * constants, discrete values), or NULL when there are none. */
static IrExpr *d_product(Vi *vi, const Mono *m, unsigned cmask) {
  IrExpr *d = NULL;
  for (int f = 0; f < m->nf; f++)
    if (!(cmask >> f & 1u)) {
      IrExpr *x = lw_lower_atom(vi->l, m->f[f].atom, m->f[f].power);
      d = d ? bin(vi, IR_MUL, d, x) : x;
    }
  return d;
}

/* S[index] += value, S group g's statistics */
static void add_stat(Vi *vi, const SGroup *g, IrExpr *index, IrExpr *value, Span sp) {
  IrStmt *acc = ir_stmt(vi->l->A, IS_ACC, sp);
  acc->local = -1;
  acc->field = g->field;
  acc->index = index;
  acc->value = value;
  lw_emit(vi->l, acc);
}

/* The accumulation of group g at one instance of its term's plates (all
 * bound): per slot, S[slot, kept, values] += w * (D product). */
static void group_body(Vi *vi, const SGroup *g, Span sp) {
  Lower *l = vi->l;
  /* the slots without binders of their own share one sum over the values
   * (their discrete references are the group's) */
  bool shared_done = false;
  for (int j = 0; j < g->slot_key.n; j++) {
    const Mono *m = g->slot_mono.v[j];
    if (m->nb == 0 && shared_done) continue;
    PtrVec *s2;
    int nb2 = lw_open_binders(l, m->b, m->nb, &s2);
    /* no branches: in a mixture many rows' probabilities of a value are
     * exactly 0 (underflow), so a guard mispredicts; a select adds the
     * same +0 (the sums are never -0) */
    Sum sum;
    open_sum_as(vi, m, &sum, true);
    if (sum.nkv != g->nd) vi_fail(vi, "internal: the discrete references of an accumulated statistic");
    for (int q = j; q < g->slot_key.n; q++) {
      const Mono *mq = g->slot_mono.v[q];
      if (q != j && (m->nb || mq->nb)) continue;
      IrExpr *d = d_product(vi, mq, (unsigned)(uintptr_t)g->slot_cmask.v[q]);
      add_stat(vi, g, group_index(vi, g, sum.kv, q), d || sum.weight >= 0 ? weighted(vi, &sum, d) : cf(vi, 1), sp);
    }
    if (m->nb == 0) shared_done = true;
    close_sum(vi, &sum);
    lw_close_scope(l, nb2, s2);
  }
}

enum { JAM = 4 };
/* the values of a discrete factor whose log-weights update_discrete computes side by side */
enum { JAM_VALUES = 4 };

/* The plate of group g's term that the sweep's accumulation may run JAM
 * rows at a time (group_jammed), or -1: g has one discrete reference and
 * no slot has binders of its own, the plate is the only one of the term
 * that is not kept, it has no filter, and no other plate's bounds or
 * filter mention it.  Then every address of S (a slot, the kept plates, a
 * value) is added to once per row of the plate, in row order, both ways. */
static int jam_plate(const Vi *vi, const SGroup *g) {
  const Node *st = g->t->stmt;
  if (vi->pv || g->nd != 1) return -1;
  for (int j = 0; j < g->slot_key.n; j++)
    if (((const Mono *)g->slot_mono.v[j])->nb) return -1;
  int pl = -1;
  for (int i = 0; i < st->loops.n; i++) {
    const Node *loop = st->loops.v[i];
    bool kept = false;
    for (int k = 0; k < g->nkeep && !kept; k++) kept = g->keep[k].var == loop->var;
    if (kept) continue;
    if (pl >= 0) return -1;
    pl = i;
  }
  if (pl < 0 || ((const Node *)st->loops.v[pl])->d) return -1;
  const char *n = ((const Node *)st->loops.v[pl])->var;
  for (int i = 0; i < st->loops.n; i++) {
    const Node *loop = st->loops.v[i];
    if (i != pl && (ast_mentions_name(loop->b, n) || ast_mentions_name(loop->c, n) || ast_mentions_name(loop->d, n))) return -1;
  }
  return pl;
}

/* The accumulations of groups gs[0 .. ng) with plate pl (jam_plate; pl 0
 * when ng > 1, the groups' plates with the same bounds: fusable) unrolled
 * and jammed: the rows JAM at a time, and per block of rows each group in
 * turn, the plates inside its plate opened once for the JAM rows, and per
 * value and slot the JAM rows' additions one after another (so that the
 * backend keeps S's element in a register across them); then the
 * remaining rows one at a time, each group in turn.  The additions to
 * each element of S are those of the plain loops in the same order (each
 * group adds to its own S): the same bits, in one pass over the rows for
 * all the groups instead of one each. */
static void group_jammed(Vi *vi, const SGroup *const *gs, int ng, int pl, Span sp) {
  Lower *l = vi->l;
  const Node *st0 = gs[0]->t->stmt, *J0 = st0->loops.v[pl];
  PtrVec *outer = l->out;
  for (int i = 0; i < pl; i++) lw_open_plate(l, st0, st0->loops.v[i]);
  int lo = lw_new_local(l, "lo", IR_I64), hi = lw_new_local(l, "hi", IR_I64), nq = lw_new_local(l, "nq", IR_I64);
  set_local(vi, lo, lw_lower_int(l, J0->b));
  set_local(vi, hi, lw_lower_int(l, J0->c));
  /* rows / JAM (when hi < lo, lo + JAM nq > hi: neither loop runs) */
  set_local(vi, nq, bin(vi, IR_IDIV, bin(vi, IR_ADD, bin(vi, IR_SUB, loc(vi, hi, IR_I64), loc(vi, lo, IR_I64)), ci(vi, 1)),
                        ci(vi, JAM)));
  PtrVec *around = l->out;
  int qv = lw_new_local(l, "jq", IR_I64);
  open_for(vi, qv, ci(vi, 0), bin(vi, IR_SUB, loc(vi, nq, IR_I64), ci(vi, 1)), sp);
  PtrVec *block = l->out;
  int row[JAM];
  for (int u = 0; u < JAM; u++) {
    row[u] = lw_new_local(l, J0->var, IR_I64);
    set_local(vi, row[u], bin(vi, IR_ADD, loc(vi, lo, IR_I64),
                              bin(vi, IR_ADD, bin(vi, IR_MUL, loc(vi, qv, IR_I64), ci(vi, JAM)), ci(vi, u))));
  }
  for (int gi = 0; gi < ng; gi++) {
    const SGroup *g = gs[gi];
    const Node *st = g->t->stmt, *J = st->loops.v[pl];
    l->out = block;
    lw_bind(l, J->var, row[0]);
    for (int i = pl + 1; i < st->loops.n; i++) lw_open_plate(l, st, st->loops.v[i]);
    int inner = st->loops.n - pl - 1;
    /* the discrete element of each row, then the sum over its values with
     * row 0's weight (open_sum_as) and the other rows' */
    const ViVar *dv = g->dvar[0];
    int ef[JAM];
    for (int u = 1; u < JAM; u++) {
      lw_bind(l, J->var, row[u]);
      ef[u] = lw_new_local(l, "ef", IR_I64);
      set_local(vi, ef[u], lw_ref_flat(l, g->dref[0], dv->k));
      lw_unbind(l, 1);
    }
    const Mono *m0 = g->slot_mono.v[0];
    Sum sum[JAM];
    open_sum_as(vi, m0, &sum[0], true);
    bool ok = sum[0].nkv == 1;
    if (!ok) vi_fail(vi, "internal: the discrete references of an accumulated statistic");
    for (int u = 1; ok && u < JAM; u++) {
      sum[u] = sum[0];
      sum[u].weight = lw_new_local(l, "w", IR_F64);
      set_local(vi, sum[u].weight,
                ir_load(l->A, dv->st_f, bin(vi, IR_ADD, bin(vi, IR_MUL, loc(vi, ef[u], IR_I64), dv->K),
                                            loc(vi, sum[0].kv[0], IR_I64)), IR_F64));
    }
    for (int q = 0; ok && q < g->slot_key.n; q++) {
      const Mono *mq = g->slot_mono.v[q];
      IrExpr *ix = group_index(vi, g, sum[0].kv, q);
      for (int u = 0; u < JAM; u++) {
        lw_bind(l, J->var, row[u]);
        add_stat(vi, g, ix, weighted(vi, &sum[u], d_product(vi, mq, (unsigned)(uintptr_t)g->slot_cmask.v[q])), sp);
        lw_unbind(l, 1);
      }
    }
    close_sum(vi, &sum[0]);
    lw_unbind(l, inner + 1);
  }
  l->out = around;
  /* the remaining rows */
  int rn = lw_new_local(l, J0->var, IR_I64);
  open_for(vi, rn, bin(vi, IR_ADD, loc(vi, lo, IR_I64), bin(vi, IR_MUL, loc(vi, nq, IR_I64), ci(vi, JAM))),
           loc(vi, hi, IR_I64), sp);
  PtrVec *rest = l->out;
  for (int gi = 0; gi < ng; gi++) {
    const SGroup *g = gs[gi];
    const Node *st = g->t->stmt;
    l->out = rest;
    lw_bind(l, ((const Node *)st->loops.v[pl])->var, rn);
    for (int i = pl + 1; i < st->loops.n; i++) lw_open_plate(l, st, st->loops.v[i]);
    group_body(vi, g, sp);
    lw_unbind(l, st->loops.n - pl);
  }
  lw_unbind(l, pl);
  l->out = outer;
}

/* The zeroing of group g's statistics. */
static void zero_group(Vi *vi, const SGroup *g) {
  Lower *l = vi->l;
  IrExpr *len = ci(vi, g->slot_key.n);
  for (int i = 0; i < g->nkeep; i++) len = bin(vi, IR_MUL, len, lw_size_expr(l, g->ksize[i]));
  for (int i = 0; i < g->nd; i++) len = bin(vi, IR_MUL, len, g->dvar[i]->K);
  lw_zero_array(l, -1, g->field, len, g->t->stmt->span);
}

/* Zero groups gs[0 .. ng), then their jammed pass (group_jammed). */
static void emit_jammed(Vi *vi, const SGroup *const *gs, int ng, int pl) {
  Span sp = gs[0]->t->stmt->span;
  vi->l->span = sp;
  for (int i = 0; i < ng; i++) zero_group(vi, gs[i]);
  group_jammed(vi, gs, ng, pl, sp);
}

/* Emit the accumulation of group g: zero it, then one pass over its
 * term's plates (listed: open_group_plates; the sweep's: group_jammed
 * where jam_plate allows). */
static void emit_group(Vi *vi, const SGroup *g, bool listed) {
  Lower *l = vi->l;
  Span sp = g->t->stmt->span;
  int pl = listed ? -1 : jam_plate(vi, g);
  if (pl >= 0) {
    emit_jammed(vi, &g, 1, pl);
    return;
  }
  l->span = sp;
  zero_group(vi, g);
  PtrVec *saved;
  int nb = open_group_plates(vi, g, listed, &saved);
  group_body(vi, g, sp);
  lw_close_scope(l, nb, saved);
}

/* Groups a and b (jam_plate 0 both) whose jammed passes can be one: their
 * plates have the same bounds (the same IR). */
static bool fusable(Vi *vi, const SGroup *a, const SGroup *b) {
  const Node *ja = a->t->stmt->loops.v[0], *jb = b->t->stmt->loops.v[0];
  Lower *l = vi->l;
  return ir_expr_equal(lw_lower_int(l, ja->b), lw_lower_int(l, jb->b)) &&
         ir_expr_equal(lw_lower_int(l, ja->c), lw_lower_int(l, jb->c));
}

/* The groups that depend on discrete factor dv (all groups, the row lists
 * honoured: dv NULL, vi_refresh).  A group with no discrete reference sums
 * data and parameters only (the continuous factors' statistics are read
 * where it is used), so it is constant for the state's life: vi_refresh
 * accumulates those once, while __vi_consts is 0, and sets it to 1; the
 * seeding calls vi_refresh a dozen times per restart, and a count like
 * sum_n sum_d 1 would cost a pass over the data each time. */
static void emit_groups(Vi *vi, const ViVar *dv) {
  enum { MAX_FUSED = 16 };
  const SGroup *run[MAX_FUSED];
  int nrun = 0;
  for (int i = 0; i <= vi->groups.n; i++) {
    const SGroup *g = i < vi->groups.n ? vi->groups.v[i] : NULL;
    bool dep = g && !dv && g->nd > 0;
    for (int k = 0; g && k < g->nd && !dep; k++) dep = g->dvar[k] == dv;
    if (g && !dep) continue;
    /* the sweep's groups whose jammed passes run over the same rows go in
     * one pass (group_jammed): a run of them is emitted when the next
     * group cannot join it */
    bool joins = g && dv && jam_plate(vi, g) == 0 && nrun < MAX_FUSED && (nrun == 0 || fusable(vi, run[0], g));
    if (!joins && nrun > 0) {
      emit_jammed(vi, run, nrun, 0);
      nrun = 0;
    }
    if (joins) run[nrun++] = g;
    else if (g) emit_group(vi, g, !dv);
  }
  if (dv || vi->consts_f < 0) return;
  Lower *l = vi->l;
  IrStmt *c = ir_stmt(l->A, IS_IF, NO_SPAN);
  c->cond = bin(vi, IR_EQ, ir_load(l->A, vi->consts_f, ci(vi, 0), IR_F64), cf(vi, 0));
  lw_emit(l, c);
  PtrVec *saved = l->out;
  l->out = &c->body;
  IrStmt *set = ir_stmt(l->A, IS_STORE, NO_SPAN);
  set->local = -1;
  set->field = vi->consts_f;
  set->index = ci(vi, 0);
  set->value = cf(vi, 1);
  lw_emit(l, set);
  for (int i = 0; i < vi->groups.n; i++)
    if (((const SGroup *)vi->groups.v[i])->nd == 0) emit_group(vi, vi->groups.v[i], true);
  l->out = saved;
}

/* Reading S for a monomial: loops over the kept indices and the discrete
 * values (references replaced by them), and inside, when S is not zero,
 * the statements that use S (o->s). */
typedef struct SRead {
  PtrVec *saved;
  int nb, novr;
  IrExpr *s;
} SRead;

static void open_read(Vi *vi, const SUse *u, SRead *o) {
  Lower *l = vi->l;
  const SGroup *g = u->g;
  o->novr = l->novr;
  o->s = cf(vi, 0); /* after a failure (then the module has no CAVI) */
  o->nb = lw_open_binders(l, g->keep, g->nkeep, &o->saved);
  int kv[LW_MAX_OVERRIDES];
  for (int i = 0; i < g->nd; i++) {
    if (l->novr >= LW_MAX_OVERRIDES) {
      vi_fail(vi, "a product refers to too many discrete elements");
      return;
    }
    kv[i] = value_loop(vi, g->dvar[i], g->dref[i]->key);
  }
  int sl = lw_new_local(l, "ss", IR_F64);
  set_local(vi, sl, ir_load(l->A, g->field, group_index(vi, g, kv, u->slot), IR_F64));
  IrStmt *c = ir_stmt(l->A, IS_IF, l->span);
  c->cond = bin(vi, IR_NE, loc(vi, sl, IR_F64), cf(vi, 0));
  lw_emit(l, c);
  l->out = &c->body;
  o->s = loc(vi, sl, IR_F64);
}

static void close_read(Vi *vi, SRead *o) {
  vi->l->novr = o->novr;
  lw_close_scope(vi->l, o->nb, o->saved);
}

/* The factors of m outside the bit set `keep`. */
static unsigned others(const Mono *m, unsigned keep) {
  return ~keep & (m->nf >= 32 ? ~0u : (1u << m->nf) - 1u);
}

static int group_number(const Vi *vi, const SGroup *g) {
  for (int i = 0; i < vi->groups.n; i++)
    if (vi->groups.v[i] == g) return i;
  return -1;
}

/* Is group g's discrete reference indexed by plates of its term alone
 * (z[n], z[n, j]), so that an element's update visits it at its plates? */
static bool tabled_ref(const SGroup *g) {
  const Node *r = g->dref[0]->ref, *st = g->t->stmt;
  if (!r || r->kind != N_INDEX || r->list.n == 0) return false;
  for (int i = 0; i < r->list.n; i++) {
    const Node *ix = r->list.v[i];
    bool plate = false;
    for (int j = 0; j < st->loops.n && !plate; j++)
      plate = ix->kind == N_NAME && ((const Node *)st->loops.v[j])->var == ix->name;
    if (!plate) return false;
  }
  return true;
}

/* From coefficient table `tab` (coef_tables): use u's entry at the bound
 * kept loops and value pkv, times m's D product. */
static IrExpr *table_term(Vi *vi, const SUse *u, int tab, const Mono *m) {
  Lower *l = vi->l;
  for (int i = 0; i < u->g->nkeep; i++)
    if (lw_bound(l, u->g->keep[i].var) < 0) {
      vi_fail(vi, "internal: a kept loop of a CAVI coefficient table is not bound");
      return cf(vi, 0);
    }
  IrExpr *x = ir_scratch(l->A, tab, group_index(vi, u->g, &vi->pkv, u->slot));
  IrExpr *d = d_product(vi, m, u->cmask);
  return d ? bin(vi, IR_MUL, x, d) : x;
}

/* acc += E_q[m] (a TouchFn, and the body of vi_expect) */
static void acc_expect(Lower *l, const Mono *m, void *vctx) {
  AccCtx *c = vctx;
  Vi *vi = l->hook_ctx;
  if (c->user) { /* point mode of a coupled normal (lw_touch_func) */
    vi->pv = c->user;
    vi->pe = c->e;
    vi->px = c->x;
  }
  const SUse *u = vi->tab && !c->user ? find_use(vi, m) : NULL;
  int tab = u ? vi->tab[group_number(vi, u->g)] : -1;
  if (tab >= 0 && u->g->slot_mono.v[u->slot] != m) return; /* the slot's first monomial adds the slot's entry */
  Sum sum;
  open_sum(vi, m, &sum);
  IrExpr *x = tab >= 0 ? table_term(vi, u, tab, m) : mono_expect(vi, m, 0);
  set_local(vi, c->acc, bin(vi, IR_ADD, loc(vi, c->acc, IR_F64), weighted(vi, &sum, x)));
  close_sum(vi, &sum);
}

/* Coefficient tables of discrete factor dv's update (before its element
 * loop, in l->out).  A group of accumulated statistics whose one discrete
 * reference is an element of dv indexed by its term's plates (a mixture's
 * z[n] in x[n, d] ~ NormalPrec(mu[z[n], d], tau[z[n], d])) is, per
 * element, sum over its slots and kept loops of
 *   E[C](kept, value) * D(element, kept),
 * the E[C] factors being the same for every element.  So
 *   T[slot, kept, value] = sum over the slot's monomials of c E[prod C]
 * is computed once per update (slots x kept x values entries, the layout
 * of the group's statistics), and the element loop adds T times the slot's
 * D product (acc_expect): for the mixture three products a value and
 * dimension (1, x, x^2) instead of four monomials' expectations.  It
 * changes the order of the additions, so the bits; every backend the same.
 * Sets vi->tab (NULL when no group qualifies). */
static void coef_tables(Vi *vi, const ViVar *dv, const PtrVec *terms) {
  Lower *l = vi->l;
  vi->tab = NULL;
  int *tab = arena_alloc(l->A, sizeof(int) * (size_t)(vi->groups.n + 1)), any = 0;
  for (int gi = 0; gi < vi->groups.n; gi++) {
    const SGroup *g = vi->groups.v[gi];
    tab[gi] = -1;
    if (g->nd != 1 || g->dvar[0] != dv || !tabled_ref(g)) continue;
    bool in = false;
    for (int t = 0; t < terms->n && !in; t++) in = terms->v[t] == g->t;
    in = in && lw_term_counts(g->t, dv->v);
    if (!in || l->novr >= LW_MAX_OVERRIDES) continue;
    Span sp = g->t->stmt->span;
    l->span = sp;
    IrExpr *len = ci(vi, g->slot_key.n);
    for (int i = 0; i < g->nkeep; i++) len = bin(vi, IR_MUL, len, lw_size_expr(l, g->ksize[i]));
    len = bin(vi, IR_MUL, len, dv->K);
    tab[gi] = lw_scratch(l, "ct", len);
    any = 1;
    lw_zero_array(l, tab[gi], -1, len, sp);
    for (int i = 0; i < vi->uses.n; i++) {
      const SUse *u = vi->uses.v[i];
      if (u->g != g) continue;
      PtrVec *saved;
      int nb = lw_open_binders(l, g->keep, g->nkeep, &saved);
      int novr = l->novr;
      int kv = value_loop(vi, dv, g->dref[0]->key);
      IrStmt *acc = ir_stmt(l->A, IS_ACC, sp);
      acc->local = tab[gi];
      acc->index = group_index(vi, g, &kv, u->slot);
      acc->value = mono_expect(vi, u->m, others(u->m, u->cmask));
      lw_emit(l, acc);
      l->novr = novr;
      lw_close_scope(l, nb, saved);
    }
  }
  if (any) vi->tab = tab;
}

/* Scatter: eta[slot of the element] += E_q[coefficient] */
static void acc_scatter(Lower *l, const Mono *m, unsigned skip, int eta, const EtaTarget *t) {
  Vi *vi = l->hook_ctx;
  if (t->L->kind != 2 && (skip & (skip - 1))) { /* only a vector's x x' takes two factors */
    lw_fail(l, "internal: a CAVI coefficient of two factors of a non-vector variable");
    return;
  }
  const SUse *u = vi->pv ? NULL : find_use(vi, m);
  if (u) { /* outside the plate loops: from the accumulated statistics */
    SRead o;
    open_read(vi, u, &o);
    IrStmt *acc = ir_stmt(l->A, IS_ACC, l->span);
    acc->local = eta;
    acc->index = lw_eta_index(l, t);
    acc->value = bin(vi, IR_MUL, o.s, mono_expect(vi, m, skip | others(m, u->cmask)));
    lw_emit(l, acc);
    close_read(vi, &o);
    return;
  }
  PtrVec *saved;
  int nb = lw_open_binders(l, m->b, m->nb, &saved);
  Sum sum;
  open_sum(vi, m, &sum);
  IrStmt *acc = ir_stmt(l->A, IS_ACC, l->span);
  acc->local = eta;
  acc->index = lw_eta_index(l, t);
  acc->value = weighted(vi, &sum, mono_expect(vi, m, skip));
  lw_emit(l, acc);
  close_sum(vi, &sum);
  lw_close_scope(l, nb, saved);
}

/* The factor update of one element: the natural parameters in scratch
 * `eta` at `off` become the factor's, and its expected statistics. */
static void factor_update(Vi *vi, const ViVar *vv, IrExpr *index, int eta, IrExpr *off, IrExpr *n) {
  Lower *l = vi->l;
  IrStmt *s = ir_stmt(l->A, IS_VIFACTOR, vv->v->span);
  s->field = vv->eta_f;
  s->field2 = vv->st_f;
  s->index = index;
  s->local = eta;
  s->fn = vv->discrete ? "categorical" : vv->vector ? "mvnormal_vi" : vv->matrix ? "wishart_vi" : vv->family;
  bool sized = vv->discrete || vv->simplex || vv->vector || vv->matrix;
  s->nargs = sized ? 3 : 2;
  s->args = arena_alloc(l->A, sizeof(IrExpr *) * 3);
  s->args[0] = off;
  s->args[1] = n;
  if (sized) s->args[2] = vv->K;
  lw_emit(l, s);
}

/* The loop over discrete factor dv's free elements, or, in vi_seed when dv
 * has a row list (rows_f), over the listed rows while the list is set
 * (nrows > 0: the seeding's sample, runtime/src/vi/vi.c), so that each of
 * the seeding's evaluations visits its few thousand rows, not every
 * element of the variable to find them free.  Returns the element's local. */
static int seed_elements(Vi *vi, const ViVar *dv, PtrVec **body) {
  Lower *l = vi->l;
  if (dv->rows_f < 0) return lw_free_elements(l, dv->v->span, dv->k, body);
  int e = lw_new_local(l, "e", IR_I64);
  PtrVec *saved = l->out;
  set_local(vi, e, bin(vi, IR_SUB, open_listed_rows(vi, dv, lw_var_len(l, dv->k), dv->v->span), ci(vi, 1)));
  IrStmt *cond = ir_stmt(l->A, IS_IF, dv->v->span);
  cond->cond = ir_free(l->A, dv->k, loc(vi, e, IR_I64));
  lw_emit(l, cond);
  l->out = saved;
  *body = &cond->body;
  return e;
}

/* eta_only (vi_seed): the natural parameters go straight into the factor's
 * eta, and its statistics are left as they are.  When no term couples two
 * elements of the variable (a mixture's z[n]; not a chain's z[t-1], z[t]),
 * no element's update reads another's factor: the natural parameters of
 * all of them go straight into eta, and one runtime call turns every row
 * into probabilities (exps of many rows at once, lvm_exp_n); otherwise each
 * element is updated in turn. */
static void update_discrete(Vi *vi, const ViVar *dv, const PtrVec *terms, bool eta_only) {
  Lower *l = vi->l;
  bool rows = !eta_only && lw_elements_independent(l, dv->v, terms);
  bool direct = eta_only || rows;
  int w = direct ? -1 : lw_scratch(l, "w", dv->K);
  coef_tables(vi, dv, terms);
  l->span = dv->v->span;
  PtrVec *cbody;
  int e = eta_only ? seed_elements(vi, dv, &cbody) : lw_free_elements(l, dv->v->span, dv->k, &cbody);
  PtrVec *saved = l->out;
  l->out = cbody;
  int kv = lw_new_local(l, "kv", IR_I64);
  IrStmt *kf = ir_stmt(l->A, IS_FOR, dv->v->span);
  kf->local = kv;
  kf->lo = ci(vi, 0);
  kf->hi = bin(vi, IR_SUB, dv->K, ci(vi, 1));
  lw_emit(l, kf);
  l->out = &kf->body;
  IrStmt *set = ir_stmt(l->A, IS_STORE, dv->v->span);
  set->field = dv->k;
  set->index = loc(vi, e, IR_I64);
  set->value = value_of(vi, dv, loc(vi, kv, IR_I64));
  lw_emit(l, set);
  AccCtx ctx = {lw_new_local(l, "lw", IR_F64), 0, 0, NULL};
  set_local(vi, ctx.acc, cf(vi, 0));
  vi->pv = dv;
  vi->pe = e;
  vi->pkv = kv;
  lw_for_touching(l, dv->v, dv->k, e, terms, acc_expect, &ctx);
  vi->pv = NULL;
  vi->tab = NULL;
  IrStmt *st = ir_stmt(l->A, IS_STORE, dv->v->span);
  if (direct) {
    st->local = -1;
    st->field = dv->eta_f;
    st->index = bin(vi, IR_ADD, bin(vi, IR_MUL, loc(vi, e, IR_I64), dv->K), loc(vi, kv, IR_I64));
  } else {
    st->local = w;
    st->index = loc(vi, kv, IR_I64);
  }
  st->value = loc(vi, ctx.acc, IR_F64);
  lw_emit(l, st);
  /* the values' log-weights JAM_VALUES at a time (jam.h): independent
   * chains side by side, the same bits */
  ir_jam(l->A, l->fn, kf, JAM_VALUES);
  l->out = cbody;
  if (!direct) factor_update(vi, dv, bin(vi, IR_MUL, loc(vi, e, IR_I64), dv->K), w, ci(vi, 0), dv->K);
  l->out = saved;
  if (rows) {
    IrStmt *r = ir_stmt(l->A, IS_VIROWS, dv->v->span);
    r->local = dv->k;
    r->field = dv->eta_f;
    r->field2 = dv->st_f;
    r->nargs = 1;
    r->args = arena_alloc(l->A, sizeof(IrExpr *));
    r->args[0] = dv->K;
    lw_emit(l, r);
  }
}

static void update_scatter(Vi *vi, const ViVar *vv, const PtrVec *terms) {
  Lower *l = vi->l;
  EtaLayout L;
  int eta = lw_scatter_eta(l, vv->vp, terms, acc_scatter, &L);
  IrExpr *off, *first;
  PtrVec *saved = l->out;
  l->out = lw_free_element_loop(l, &L, vv->v->span, &off, &first);
  factor_update(vi, vv, off, eta, off, vv->simplex || vv->vector || vv->matrix ? L.ES : ci(vi, vv->ns));
  l->out = saved;
}

/* Coupled normal elements: the expected log density of the terms touching
 * element e is quadratic in x = v[e] (other elements at their expected
 * statistics), so three evaluations give the factor's natural parameters. */
static void update_coupled(Vi *vi, const ViVar *vv, const PtrVec *terms) {
  Lower *l = vi->l;
  AccCtx ctx = {0, 0, 0, (void *)vv};
  IrFunc *lf = lw_touch_func(l, arena_printf(l->A, "vi_elogp_%s", vv->v->name), vv->v, terms, acc_expect, &ctx);
  vi->pv = NULL;
  int eta = lw_scratch(l, "eta", ci(vi, 2));
  PtrVec *cbody;
  int e = lw_free_elements(l, vv->v->span, vv->k, &cbody);
  PtrVec *saved = l->out;
  l->out = cbody;
  lw_quadratic_eta(l, lf, e, eta, vv->v->span);
  factor_update(vi, vv, bin(vi, IR_MUL, loc(vi, e, IR_I64), ci(vi, 2)), eta, ci(vi, 0), ci(vi, 2));
  l->out = saved;
}

static void update(Vi *vi, const ViVar *vv, const PtrVec *terms, bool eta_only) {
  vi->l->span = vv->v->span;
  if (vv->discrete) update_discrete(vi, vv, terms, eta_only);
  else if (vv->vp->coupled) update_coupled(vi, vv, terms);
  else update_scatter(vi, vv, terms);
}

static void lower_expect(Vi *vi, const PtrVec *terms) {
  Lower *l = vi->l;
  lw_new_func(l, "vi_expect", IR_F64);
  AccCtx ctx = {lw_new_local(l, "lp", IR_F64), 0, 0, NULL};
  set_local(vi, ctx.acc, cf(vi, 0));
  for (int i = 0; i < terms->n; i++) {
    const Term *t = terms->v[i];
    l->span = t->stmt->span;
    /* the monomials with accumulated statistics, then one pass over the
     * plates for the others */
    bool inside = false;
    for (int mi = 0; mi < t->poly->n; mi++) {
      const Mono *m = t->poly->m[mi];
      const SUse *u = find_use(vi, m);
      if (!u) {
        inside = true;
        continue;
      }
      SRead o;
      open_read(vi, u, &o);
      set_local(vi, ctx.acc, bin(vi, IR_ADD, loc(vi, ctx.acc, IR_F64),
                                 bin(vi, IR_MUL, o.s, mono_expect(vi, m, others(m, u->cmask)))));
      close_read(vi, &o);
    }
    if (!inside) continue;
    PtrVec *saved;
    int nb = lw_open_plates(l, t->stmt, &saved);
    for (int mi = 0; mi < t->poly->n; mi++) {
      const Mono *m = t->poly->m[mi];
      if (find_use(vi, m)) continue;
      PtrVec *saved2;
      int nb2 = lw_open_binders(l, m->b, m->nb, &saved2);
      acc_expect(l, m, &ctx);
      lw_close_scope(l, nb2, saved2);
    }
    lw_close_scope(l, nb, saved);
  }
  IrStmt *r = ir_stmt(l->A, IS_RETURN, NO_SPAN);
  r->value = loc(vi, ctx.acc, IR_F64);
  lw_emit(l, r);
}

typedef enum { K_LOCAL, K_SWEEP, K_REFRESH, K_SEED } KernelKind;

/* vi_local: the discrete factors; vi_sweep: every factor; vi_refresh: every
 * group of accumulated statistics; vi_seed: the continuous factors, then
 * the discrete factors' natural parameters only (their statistics and the
 * groups stay as the runtime set them: the seeded start's evaluations).
 * In vi_local and vi_sweep, after a discrete factor's update, the groups
 * that depend on it are accumulated again. */
static void lower_kernel(Vi *vi, const char *name, KernelKind kind, const PtrVec *terms) {
  lw_new_func(vi->l, name, IR_I64);
  if (kind == K_REFRESH) {
    emit_groups(vi, NULL);
  } else if (kind == K_SEED) {
    for (int i = 0; i < vi->n; i++)
      if (!vi->vars[i].discrete) update(vi, &vi->vars[i], terms, false);
    for (int i = 0; i < vi->n; i++)
      if (vi->vars[i].discrete) update(vi, &vi->vars[i], terms, true);
  } else {
    for (int i = 0; i < vi->n; i++) {
      const ViVar *vv = &vi->vars[i];
      if (kind == K_LOCAL && !vv->discrete) continue;
      update(vi, vv, terms, false);
      if (vv->discrete) emit_groups(vi, vv);
    }
  }
  IrStmt *r = ir_stmt(vi->l->A, IS_RETURN, NO_SPAN);
  r->value = ci(vi, 0);
  lw_emit(vi->l, r);
}

/* A hidden f64 array of the given dimensions (size indices). */
static int add_hidden_dims(Lower *l, const char *name, const int *dims, int nd, const char *doc, int *field) {
  IrVarDesc *a = arena_alloc(l->A, sizeof *a);
  a->name = name;
  a->kind = VK_AUX;
  a->domain = LD_REAL;
  a->ndim = nd;
  for (int d = 0; d < nd; d++) a->dim[d] = dims[d];
  a->domain_arg = -1;
  vec_push(l->A, &l->mod->vars, a);
  IrField *f = arena_alloc(l->A, sizeof *f);
  f->name = name + 2; /* without the leading "__" */
  f->type = IR_F64;
  f->array = true;
  f->index = l->mod->vars.n - 1;
  f->doc = doc;
  vec_push(l->A, &l->mod->fields, f);
  *field = l->mod->fields.n - 1;
  return l->mod->vars.n - 1;
}

/* A hidden f64 array of v's shape times `last` (a size index, or -1), or
 * (replace) of v's shape with `last` for its last dimension. */
static int add_hidden(Lower *l, const char *prefix, int k, int last, bool replace, int *field) {
  const IrVarDesc *vd = l->mod->vars.v[k];
  int dims[8], nd = 0;
  for (int d = 0; d < vd->ndim; d++) dims[nd++] = vd->dim[d];
  if (replace) nd--;
  if (last >= 0) dims[nd++] = last;
  return add_hidden_dims(l, arena_printf(l->A, "__vi_%s_%s", prefix, vd->name), dims, nd,
                         arena_printf(l->A, "CAVI factor of %s: %s", vd->name,
                                      !strcmp(prefix, "eta") ? "natural parameters" : "expected statistics"),
                         field);
}

/* Which latent variables CAVI covers, and why not the others. */
static bool plan_factors(Vi *vi) {
  Lower *l = vi->l;
  StrBuf why = {0};
  vi->vars = arena_alloc(l->A, sizeof(ViVar) * (size_t)(l->plan->vars.n + 1));
  for (int i = 0; i < l->plan->vars.n; i++) {
    const VarPlan *vp = l->plan->vars.v[i];
    const char *no;
    const char *rt = plan_vi_factor(l->A, vp, &no);
    bool simplex = rt && !strcmp(rt, "dirichlet");
    bool vector = rt && !strcmp(rt, "mvnormal");
    bool matrix = rt && !strcmp(rt, "wishart");
    if (no && vp->reason_span.src >= 0 && vp->reason_span.line > 0 && vp->reason) {
      StrBuf b = {0};
      sb_printf(&b, "%s at ", no);
      span_format(&l->comp->diags, vp->reason_span, &b);
      no = arena_strdup(l->A, b.s);
      sb_free(&b);
    }
    if (no) {
      sb_printf(&why, "%s'%s': %s", why.s ? "; " : "", vp->var->name, no);
      continue;
    }
    ViVar *vv = &vi->vars[vi->n++];
    vv->vp = vp;
    vv->v = vp->var;
    vv->k = lw_var_index(l, vp->var);
    const IrVarDesc *vd = l->mod->vars.v[vv->k];
    vv->domain = vd->domain;
    vv->discrete = !strcmp(rt, "discrete");
    vv->simplex = simplex;
    vv->vector = vector;
    vv->matrix = matrix;
    vv->family = rt;
    int last = -1;
    int dsize = vector || matrix ? vd->dim[vd->ndim - 1] : -1;
    if (vv->discrete) {
      bool cat = vd->domain == LD_CAT;
      vv->K = cat ? lw_size_expr(l, vd->domain_arg) : ci(vi, 2);
      last = cat ? vd->domain_arg : lw_add_size(l, "2", -1, 0, 2);
      vv->ksize = last;
    } else if (simplex) {
      vv->K = lw_size_expr(l, vd->domain_arg);
    } else if (vector || matrix) {
      /* vector: D + D*D = D (D + 1) doubles, the shape of v times D + 1;
       * matrix: D*D + 1 doubles at a stride of D*D + 1, in an array of
       * the shape of v with D + 1 for its last D (D (D + 1) per matrix) */
      vv->K = lw_size_expr(l, dsize);
      const IrSizeDesc *z = l->mod->sizes.v[dsize];
      last = lw_add_size(l, arena_printf(l->A, "%s + 1", z->text), z->var, z->add + 1, z->var >= 0 ? 0 : z->value + 1);
    } else {
      vv->ns = vp->family->stats.n;
      last = lw_add_size(l, arena_printf(l->A, "%d", vv->ns), -1, 0, vv->ns);
    }
    IrViFactor *f = arena_alloc(l->A, sizeof *f);
    f->var = vv->k;
    f->family = vv->family;
    f->eta = add_hidden(l, "eta", vv->k, last, matrix, &vv->eta_f);
    f->stats = add_hidden(l, "stats", vv->k, last, matrix, &vv->st_f);
    vv->rows_f = vv->nrows_f = -1;
    if (vv->discrete && vd->ndim == 1) { /* the seeding's row list (open_group_plates, seed_elements) */
      int one = lw_add_size(l, "1", -1, 0, 1);
      add_hidden_dims(l, arena_printf(l->A, "__vi_rows_%s", vd->name), vd->dim, 1,
                      arena_printf(l->A, "CAVI: the rows of %s vi_refresh and vi_seed visit (1-based, ascending)", vd->name),
                      &vv->rows_f);
      add_hidden_dims(l, arena_printf(l->A, "__vi_nrows_%s", vd->name), &one, 1,
                      arena_printf(l->A, "CAVI: how many rows of %s vi_refresh and vi_seed visit (0: all)", vd->name),
                      &vv->nrows_f);
    }
    f->size = vv->discrete && vd->domain != LD_CAT ? last
              : (vv->discrete || simplex)   ? vd->domain_arg
              : vector || matrix            ? dsize
                                            : -1;
    vec_push(l->A, &l->mod->vi_factors, f);
  }
  if (why.s) {
    l->mod->vi_unsupported = arena_printf(l->A, "CAVI needs every latent variable to have a conjugate or "
                                                "discrete complete conditional: %s", why.s);
    sb_free(&why);
    return false;
  }
  return true;
}

void lower_vi(Lower *l, const PtrVec *terms, const PtrVec *order) {
  (void)order;
  Vi vi = {0};
  vi.l = l;
  int nvars = l->mod->vars.n, nfields = l->mod->fields.n, nfuncs = l->mod->funcs.n;
  if (plan_factors(&vi)) {
    const char *soft = NULL;
    l->soft_fail = &soft;
    l->atom_hook = vi_atom;
    l->hook_ctx = &vi;
    plan_stats(&vi, terms);
    l->hoisted = vi_hoisted;
    lower_kernel(&vi, "vi_local", K_LOCAL, terms);
    lower_kernel(&vi, "vi_sweep", K_SWEEP, terms);
    lower_expect(&vi, terms);
    lower_kernel(&vi, "vi_refresh", K_REFRESH, terms);
    bool discrete = false;
    for (int i = 0; i < vi.n; i++) discrete |= vi.vars[i].discrete;
    if (discrete) lower_kernel(&vi, "vi_seed", K_SEED, terms);
    l->hoisted = NULL;
    l->atom_hook = NULL;
    l->hook_ctx = NULL;
    l->soft_fail = NULL;
    l->novr = 0;
    if (!vi.why && soft) vi.why = soft;
    if (vi.why) l->mod->vi_unsupported = arena_printf(l->A, "CAVI is not available for this model: %s", vi.why);
  }
  if (l->mod->vi_unsupported) { /* no kernels, no hidden arrays */
    l->mod->vars.n = nvars;
    l->mod->fields.n = nfields;
    l->mod->funcs.n = nfuncs;
    l->mod->vi_factors.n = 0;
  }
}
