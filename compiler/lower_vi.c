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

typedef struct ViVar {
  const VarPlan *vp;
  Sym *v;
  int k;                /* variable index */
  bool discrete;
  bool simplex;
  int ns;               /* scalar families: statistics per element */
  IrExpr *K;            /* discrete and simplex: values / components */
  int domain;           /* LD_* */
  int eta_f, st_f;      /* fields of the hidden arrays */
  const char *family;   /* runtime family, or "discrete" */
} ViVar;

typedef struct Vi {
  Lower *l;
  ViVar *vars;
  int n;
  const char *why;      /* the first reason CAVI cannot be generated */
  /* point mode: element pe of pv held at a value (x for the coupled
   * normal update, the state's value with index pkv for a discrete one) */
  const ViVar *pv;
  int pe, px, pkv;
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
  int slot = lw_stat_slot(vv->vp->family, st);
  if (slot < 0) {
    vi_fail(vi, arena_printf(vi->l->A, "E[%s] of '%s' is not a statistic of its %s factor", stat_name(st),
                             vv->v->name, vv->vp->family->name));
    return cf(vi, 0);
  }
  return ir_load(vi->l->A, vv->st_f, bin(vi, IR_ADD, bin(vi, IR_MUL, flat, ci(vi, vv->ns)), ci(vi, slot)),
                 IR_F64);
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
  vi_fail(vi, arena_printf(l->A, "the expectation of '%s%s' under the factor of '%s' has no closed form here",
                           a->key, power != 1 ? arena_printf(l->A, "^%d", power) : "", dep->v->name));
  return cf(vi, 0);
}

/* E_q of a monomial's product of factors (skipping factor `skip`), with
 * the discrete references already replaced. */
static IrExpr *mono_expect(Vi *vi, const Mono *m, int skip) {
  Lower *l = vi->l;
  IrExpr *v = cf(vi, m->coef);
  bool used[64] = {0};
  if (m->nf > 64) {
    vi_fail(vi, "a product of more than 64 factors");
    return v;
  }
  for (int i = 0; i < m->nf; i++) {
    if (i == skip || used[i]) continue;
    const Atom *a = m->f[i].atom;
    const ViVar *vv = a->kind == A_REF ? vi_of(vi, a->var) : NULL;
    if (vv && vv->discrete) vv = NULL;
    int j = -1, others = 0;
    for (int q = i + 1; vv && q < m->nf; q++) {
      if (q == skip) continue;
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
    IrExpr *pair = ir_select(l->A, bin(vi, IR_EQ, fi, fj), moment(vi, vv, fi, 2),
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

typedef struct Sum {
  PtrVec *saved;
  int novr;
  int weight;           /* local holding the product of the probabilities, or -1 */
} Sum;

/* Open loops over the values of the discrete references in m (each
 * reference replaced by its value, the probabilities multiplied into
 * sum->weight).  In discrete point mode the reference visit_group located
 * at the element keeps the state's value. */
static void open_sum(Vi *vi, const Mono *m, Sum *sum) {
  Lower *l = vi->l;
  sum->saved = l->out;
  sum->novr = l->novr;
  sum->weight = -1;
  for (int d = 0; d < vi->n; d++) {
    const ViVar *dv = &vi->vars[d];
    if (!dv->discrete) continue;
    const Atom *refs[LW_MAX_OVERRIDES];
    int nr = 0;
    for (int i = 0; i < m->nf; i++) lw_collect_vrefs(l, m->f[i].atom, dv->v, refs, &nr, LW_MAX_OVERRIDES);
    for (int r = 0; r < nr; r++) {
      if (vi->pv == dv && l->visit_key && !strcmp(refs[r]->key, l->visit_key)) continue;
      if (l->novr >= LW_MAX_OVERRIDES) {
        vi_fail(vi, "a product refers to too many discrete elements");
        return;
      }
      IrExpr *flat = lw_ref_flat(l, refs[r], dv->k);
      int fl = lw_new_local(l, "ef", IR_I64);
      set_local(vi, fl, flat);
      int kv = lw_new_local(l, "kv", IR_I64);
      IrStmt *f = ir_stmt(l->A, IS_FOR, l->span);
      f->local = kv;
      f->lo = ci(vi, 0);
      f->hi = bin(vi, IR_SUB, dv->K, ci(vi, 1));
      lw_emit(l, f);
      l->out = &f->body;
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
      IrStmt *g = ir_stmt(l->A, IS_IF, l->span);
      g->cond = bin(vi, IR_LT, cf(vi, 0), loc(vi, w, IR_F64));
      lw_emit(l, g);
      l->out = &g->body;
      l->ovr_key[l->novr] = refs[r]->key;
      l->ovr_val[l->novr] = value_of(vi, dv, loc(vi, kv, IR_I64));
      l->novr++;
    }
  }
}

static void close_sum(Vi *vi, Sum *sum) {
  vi->l->novr = sum->novr;
  vi->l->out = sum->saved;
}

static IrExpr *weighted(Vi *vi, const Sum *sum, IrExpr *x) {
  return sum->weight < 0 ? x : bin(vi, IR_MUL, loc(vi, sum->weight, IR_F64), x);
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
  Sum sum;
  open_sum(vi, m, &sum);
  set_local(vi, c->acc, bin(vi, IR_ADD, loc(vi, c->acc, IR_F64), weighted(vi, &sum, mono_expect(vi, m, -1))));
  close_sum(vi, &sum);
}

/* Scatter: eta[slot of the element] += E_q[coefficient] */
static void acc_scatter(Lower *l, const Mono *m, unsigned skip, int eta, const EtaTarget *t) {
  Vi *vi = l->hook_ctx;
  if (t->L->kind >= 2 || (skip & (skip - 1))) {
    lw_fail(l, "CAVI of vector- and matrix-valued factors (MvNormal, Wishart) is not generated yet");
    return;
  }
  PtrVec *saved;
  int nb = lw_open_binders(l, m->b, m->nb, &saved);
  Sum sum;
  open_sum(vi, m, &sum);
  IrStmt *acc = ir_stmt(l->A, IS_ACC, l->span);
  acc->local = eta;
  acc->index = lw_eta_index(l, t);
  acc->value = weighted(vi, &sum, mono_expect(vi, m, t->refs[0].factor));
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
  s->fn = vv->discrete ? "categorical" : vv->family;
  bool sized = vv->discrete || vv->simplex;
  s->nargs = sized ? 3 : 2;
  s->args = arena_alloc(l->A, sizeof(IrExpr *) * 3);
  s->args[0] = off;
  s->args[1] = n;
  if (sized) s->args[2] = vv->K;
  lw_emit(l, s);
}

static void update_discrete(Vi *vi, const ViVar *dv, const PtrVec *terms) {
  Lower *l = vi->l;
  int w = lw_scratch(l, "w", dv->K);
  PtrVec *cbody;
  int e = lw_free_elements(l, dv->v->span, dv->k, &cbody);
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
  IrStmt *st = ir_stmt(l->A, IS_STORE, dv->v->span);
  st->local = w;
  st->index = loc(vi, kv, IR_I64);
  st->value = loc(vi, ctx.acc, IR_F64);
  lw_emit(l, st);
  l->out = cbody;
  factor_update(vi, dv, bin(vi, IR_MUL, loc(vi, e, IR_I64), dv->K), w, ci(vi, 0), dv->K);
  l->out = saved;
}

static void update_scatter(Vi *vi, const ViVar *vv, const PtrVec *terms) {
  Lower *l = vi->l;
  EtaLayout L;
  int eta = lw_scatter_eta(l, vv->vp, terms, acc_scatter, &L);
  IrExpr *off, *first;
  PtrVec *saved = l->out;
  l->out = lw_free_element_loop(l, &L, vv->v->span, &off, &first);
  factor_update(vi, vv, off, eta, off, vv->simplex ? vv->K : ci(vi, vv->ns));
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

static void update(Vi *vi, const ViVar *vv, const PtrVec *terms) {
  vi->l->span = vv->v->span;
  if (vv->discrete) update_discrete(vi, vv, terms);
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
    PtrVec *saved;
    int nb = lw_open_plates(l, t->stmt, &saved);
    for (int mi = 0; mi < t->poly->n; mi++) {
      const Mono *m = t->poly->m[mi];
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

static void lower_kernel(Vi *vi, const char *name, bool discrete_only, const PtrVec *terms) {
  lw_new_func(vi->l, name, IR_I64);
  for (int i = 0; i < vi->n; i++)
    if (!discrete_only || vi->vars[i].discrete) update(vi, &vi->vars[i], terms);
  IrStmt *r = ir_stmt(vi->l->A, IS_RETURN, NO_SPAN);
  r->value = ci(vi, 0);
  lw_emit(vi->l, r);
}

/* A hidden f64 array of v's shape times `last` (a size index, or -1). */
static int add_hidden(Lower *l, const char *prefix, int k, int last, int *field) {
  const IrVarDesc *vd = l->mod->vars.v[k];
  IrVarDesc *a = arena_alloc(l->A, sizeof *a);
  a->name = arena_printf(l->A, "__vi_%s_%s", prefix, vd->name);
  a->kind = VK_AUX;
  a->domain = LD_REAL;
  a->ndim = vd->ndim;
  for (int d = 0; d < vd->ndim; d++) a->dim[d] = vd->dim[d];
  if (last >= 0) a->dim[a->ndim++] = last;
  a->domain_arg = -1;
  vec_push(l->A, &l->mod->vars, a);
  IrField *f = arena_alloc(l->A, sizeof *f);
  f->name = arena_printf(l->A, "vi_%s_%s", prefix, vd->name);
  f->type = IR_F64;
  f->array = true;
  f->index = l->mod->vars.n - 1;
  f->doc = arena_printf(l->A, "CAVI factor of %s: %s", vd->name,
                        !strcmp(prefix, "eta") ? "natural parameters" : "expected statistics");
  vec_push(l->A, &l->mod->fields, f);
  *field = l->mod->fields.n - 1;
  return l->mod->vars.n - 1;
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
    vv->family = rt;
    int last = -1;
    if (vv->discrete) {
      bool cat = vd->domain == LD_CAT;
      vv->K = cat ? lw_size_expr(l, vd->domain_arg) : ci(vi, 2);
      last = cat ? vd->domain_arg : lw_add_size(l, "2", -1, 0, 2);
    } else if (simplex) {
      vv->K = lw_size_expr(l, vd->domain_arg);
    } else {
      vv->ns = vp->family->stats.n;
      last = lw_add_size(l, arena_printf(l->A, "%d", vv->ns), -1, 0, vv->ns);
    }
    IrViFactor *f = arena_alloc(l->A, sizeof *f);
    f->var = vv->k;
    f->family = vv->family;
    f->eta = add_hidden(l, "eta", vv->k, last, &vv->eta_f);
    f->stats = add_hidden(l, "stats", vv->k, last, &vv->st_f);
    f->size = vv->discrete && vd->domain != LD_CAT ? last : (vv->discrete || simplex) ? vd->domain_arg : -1;
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
    lower_kernel(&vi, "vi_local", true, terms);
    lower_kernel(&vi, "vi_sweep", false, terms);
    lower_expect(&vi, terms);
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
