/* lower.c — the inference plan lowered to the loop IR (see lower.h). */
#include "lower.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lower_int.h"
#include "sema.h"


void lw_fail(Lower *l, const char *what) {
  if (l->soft_fail) {
    if (!*l->soft_fail) *l->soft_fail = what;
    return;
  }
  if (l->ok) diag_report(&l->comp->diags, E_STDLIB_ONLY, l->span, what);
  l->ok = 0;
}

/* ------------------------------------------------------------------ */
/* Variable and size tables                                            */

int lw_var_index(Lower *l, const Sym *y) {
  for (int i = 0; i < l->nsyms; i++)
    if (l->syms[i] == y) return i;
  return -1;
}

static int ld_domain(Domain d) {
  switch (d) {
  case D_POS: return LD_POS;
  case D_UNIT: return LD_UNIT;
  case D_INT: return LD_INT;
  case D_NAT: return LD_NAT;
  case D_BIN: return LD_BIN;
  case D_SPIN: return LD_SPIN;
  case D_CAT: return LD_CAT;
  case D_SIMPLEX: return LD_SIMPLEX;
  case D_VEC: return LD_VEC;
  case D_SPD: return LD_SPD;
  default: return LD_REAL;
  }
}

static bool is_int_domain(Domain d) {
  return d == D_INT || d == D_NAT || d == D_BIN || d == D_SPIN || d == D_CAT;
}

int lw_add_size(Lower *l, const char *text, int var, long long add, long long value) {
  for (int i = 0; i < l->mod->sizes.n; i++) {
    IrSizeDesc *z = l->mod->sizes.v[i];
    if (z->var == var && z->add == add && (var >= 0 || z->value == value)) return i;
  }
  IrSizeDesc *z = arena_alloc(l->A, sizeof *z);
  z->text = text;
  z->var = var;
  z->add = add;
  z->value = value;
  vec_push(l->A, &l->mod->sizes, z);
  return l->mod->sizes.n - 1;
}

/* The key of a size node (lw_add_size's var, add, value): a constant, a
 * scalar integer data value, or one plus or minus a constant; false for
 * anything else. */
static bool size_key(Lower *l, const Node *e, int *var, long long *add, long long *value) {
  *var = -1;
  *add = 0;
  *value = 0;
  if (e->kind == N_NUM) {
    *value = (long long)e->num;
    return true;
  }
  const Node *nm = e;
  if (e->kind == N_BINARY && (e->op == '+' || e->op == '-') && e->b->kind == N_NUM) {
    nm = e->a;
    *add = e->op == '+' ? (long long)e->b->num : -(long long)e->b->num;
  }
  if (nm->kind == N_NAME && nm->sym && nm->sym->kind == SYM_DATA) {
    *var = lw_var_index(l, nm->sym);
    return *var >= 0;
  }
  return false;
}

/* A size from a Dim (size_key). */
static int size_of_node(Lower *l, const Node *e, const char *text) {
  int var;
  long long add, value;
  return size_key(l, e, &var, &add, &value) ? lw_add_size(l, text, var, add, value) : -1;
}

/* Is e the size of index zi (without adding a size to the module)? */
static bool node_is_size(Lower *l, const Node *e, int zi) {
  int var;
  long long add, value;
  if (!size_key(l, e, &var, &add, &value)) return false;
  const IrSizeDesc *z = l->mod->sizes.v[zi];
  return z->var == var && z->add == add && (var >= 0 || z->value == value);
}

int lw_try_size(Lower *l, const Node *e) {
  StrBuf b = {0};
  ast_unparse(&b, e);
  int z = size_of_node(l, e, arena_strdup(l->A, b.s));
  sb_free(&b);
  return z;
}

static int size_of_dim(Lower *l, Dim d) {
  const Node *e = d.expr;
  StrBuf b = {0};
  if (e) ast_unparse(&b, e);
  const char *text = e ? arena_strdup(l->A, b.s) : arena_printf(l->A, "%lld", d.value);
  sb_free(&b);
  if (!e) return lw_add_size(l, text, -1, 0, d.value);
  int z = size_of_node(l, e, text);
  if (z >= 0) return z;
  if (d.value >= 0) return lw_add_size(l, text, -1, 0, d.value);
  lw_fail(l, arena_printf(l->A, "the size '%s' is too complex for the code generator (use a data value, optionally plus or minus a constant)", text));
  return lw_add_size(l, text, -1, 0, 0);
}

static void build_tables(Lower *l) {
  Model *m = l->m;
  l->syms = arena_alloc(l->A, sizeof(Sym *) * (size_t)(m->syms.n + 1));
  for (int i = 0; i < m->syms.n; i++) {
    Sym *y = m->syms.v[i];
    if (y->kind == SYM_DATA || y->kind == SYM_PARAM || y->kind == SYM_VAR) l->syms[l->nsyms++] = y;
  }
  for (int i = 0; i < l->nsyms; i++) {
    Sym *y = l->syms[i];
    IrVarDesc *v = arena_alloc(l->A, sizeof *v);
    v->name = y->name;
    v->kind = y->kind == SYM_DATA ? VK_DATA : y->kind == SYM_PARAM ? VK_PARAM
              : y->deterministic ? VK_DETERMINISTIC : VK_RANDOM;
    const Type *t = y->type;
    if (!t) {
      lw_fail(l, arena_printf(l->A, "'%s' has no type", y->name));
      return;
    }
    v->domain = ld_domain(t->dom);
    v->is_int = is_int_domain(t->dom);
    v->ndim = t->ndim;
    v->domain_arg = -1;
    vec_push(l->A, &l->mod->vars, v);
    IrField *f = arena_alloc(l->A, sizeof *f);
    f->name = y->name;
    f->type = v->is_int ? IR_I64 : IR_F64;
    f->array = true;
    f->index = i;
    StrBuf b = {0};
    sb_printf(&b, "%s ", v->kind == VK_DATA ? "data" : v->kind == VK_PARAM ? "param"
                         : v->kind == VK_DETERMINISTIC ? "deterministic" : "random");
    type_format(&b, t);
    f->doc = arena_strdup(l->A, b.s);
    sb_free(&b);
    vec_push(l->A, &l->mod->fields, f);
  }
  /* defaults and sizes (after every variable has its index) */
  for (int i = 0; i < l->nsyms; i++) {
    Sym *y = l->syms[i];
    IrVarDesc *v = l->mod->vars.v[i];
    if (y->decl && y->decl->a && y->type && y->type->ndim == 0 && y->kind != SYM_VAR) {
      double val;
      /* the default as written (not a value from a data file) */
      const Node *d = y->decl->a;
      if (d->kind == N_NUM) val = d->num;
      else if (d->kind == N_UNARY && d->a->kind == N_NUM) val = -d->a->num;
      else if (y->has_value && !y->value_from_data) val = y->value;
      else {
        lw_fail(l, arena_printf(l->A, "the default of '%s' must be a number for the code generator", y->name));
        continue;
      }
      v->has_default = true;
      v->default_value = val;
    }
    for (int k = 0; k < y->type->ndim; k++) v->dim[k] = size_of_dim(l, y->type->dims[k]);
    if (domain_has_size(y->type->dom)) v->domain_arg = size_of_dim(l, y->type->domsize);
  }
  l->size_field = arena_alloc(l->A, sizeof(int) * (size_t)(l->mod->sizes.n + 64));
  for (int j = 0; j < l->mod->sizes.n; j++) {
    IrField *f = arena_alloc(l->A, sizeof *f);
    f->name = arena_printf(l->A, "n%d", j);
    f->type = IR_I64;
    f->size = true;
    f->index = j;
    f->doc = ((IrSizeDesc *)l->mod->sizes.v[j])->text;
    vec_push(l->A, &l->mod->fields, f);
    l->size_field[j] = l->mod->fields.n - 1;
  }
}


/* Emit `for e in 0 .. len(v) - 1: if (element e is free) { ... }`; returns
 * the local e and, in *body, the statement list inside the if. */
int lw_free_elements(Lower *l, Span span, int k, PtrVec **body) {
  int e = lw_new_local(l, "e", IR_I64);
  IrStmt *f = ir_stmt(l->A, IS_FOR, span);
  f->local = e;
  f->lo = ir_const_i(l->A, 0);
  f->hi = ir_bin(l->A, IR_SUB, lw_var_len(l, k), ir_const_i(l->A, 1));
  lw_emit(l, f);
  IrStmt *c = ir_stmt(l->A, IS_IF, span);
  c->cond = ir_free(l->A, k, ir_local(l->A, e, IR_I64));
  vec_push(l->A, &f->body, c);
  *body = &c->body;
  return e;
}

IrExpr *lw_size_expr(Lower *l, int size) {
  IrExpr *e = arena_alloc(l->A, sizeof *e);
  e->op = IR_FIELD;
  e->type = IR_I64;
  e->field = l->size_field[size];
  e->local = -1;
  return e;
}

/* Number of elements of variable k. */
IrExpr *lw_var_len(Lower *l, int k) {
  const IrVarDesc *v = l->mod->vars.v[k];
  IrExpr *n = ir_const_i(l->A, 1);
  for (int d = 0; d < v->ndim; d++) n = ir_bin(l->A, IR_MUL, n, lw_size_expr(l, v->dim[d]));
  return n;
}

/* ------------------------------------------------------------------ */
/* Names bound to locals (plate and sum indices)                       */

void lw_bind(Lower *l, const char *name, int local) {
  vec_push(l->A, &l->bind_name, (void *)name);
  vec_push(l->A, &l->bind_local, (void *)(intptr_t)local);
}

void lw_unbind(Lower *l, int n) {
  l->bind_name.n -= n;
  l->bind_local.n -= n;
}

static int bound(Lower *l, const char *name) {
  for (int i = l->bind_name.n - 1; i >= 0; i--)
    if (l->bind_name.v[i] == name) return (int)(intptr_t)l->bind_local.v[i];
  return -1;
}

int lw_bound(Lower *l, const char *name) { return bound(l, name); }

void lw_emit(Lower *l, IrStmt *s) { vec_push(l->A, l->out, s); }

int lw_new_local(Lower *l, const char *base, IrType t) {
  return ir_add_local(l->A, l->fn, arena_printf(l->A, "%s%d", base, l->fn->locals.n), t);
}

/* ------------------------------------------------------------------ */
/* Expressions                                                         */


/* Flat row-major offset of X[i1, ..., ik] (k may be less than ndim: the
 * offset of the first element of the sub-array). */
IrExpr *lw_flat_index(Lower *l, int k, const PtrVec *idx) {
  const IrVarDesc *v = l->mod->vars.v[k];
  IrExpr *off = ir_const_i(l->A, 0);
  for (int d = 0; d < v->ndim; d++) {
    IrExpr *i = d < idx->n ? ir_bin(l->A, IR_SUB, lw_lower_int(l, idx->v[d]), ir_const_i(l->A, 1))
                           : ir_const_i(l->A, 0);
    off = d == 0 ? i : ir_bin(l->A, IR_ADD, ir_bin(l->A, IR_MUL, off, lw_size_expr(l, v->dim[d])), i);
  }
  return off;
}

IrExpr *lw_load_var(Lower *l, int k, IrExpr *flat) {
  const IrVarDesc *v = l->mod->vars.v[k];
  return ir_load(l->A, k, flat, v->is_int ? IR_I64 : IR_F64);
}

IrExpr *lw_lower_ref(Lower *l, const Node *ref) {
  const Node *base = ref->kind == N_INDEX ? ref->a : ref;
  if (l->override_key || l->novr) {
    StrBuf kb = {0};
    ast_unparse(&kb, ref);
    IrExpr *hit = l->override_key && !strcmp(kb.s, l->override_key) ? l->override_val : NULL;
    for (int i = l->novr - 1; i >= 0 && !hit; i--)
      if (!strcmp(kb.s, l->ovr_key[i])) hit = l->ovr_val[i];
    sb_free(&kb);
    if (hit) return hit;
  }
  if (base->kind != N_NAME) {
    lw_fail(l, "an indexed expression the code generator cannot lower yet");
    return ir_const_f(l->A, 0);
  }
  int loc = bound(l, base->name);
  if (loc >= 0 && ref->kind == N_NAME) return ir_local(l->A, loc, IR_I64);
  Sym *y = base->sym;
  int k = y ? lw_var_index(l, y) : -1;
  if (k < 0 && loc < 0 && (y = model_find(l->m, base->name)) != NULL)
    k = lw_var_index(l, y); /* a size name of a dist signature, bound to the model's data value */
  if (k < 0) {
    lw_fail(l, arena_printf(l->A, "'%s' cannot be evaluated here", base->name));
    return ir_const_f(l->A, 0);
  }
  static const PtrVec none = {0};
  return lw_load_var(l, k, lw_flat_index(l, k, ref->kind == N_INDEX ? &ref->list : &none));
}

IrExpr *lw_lower_int(Lower *l, const Node *e) {
  switch (e->kind) {
  case N_NUM: return ir_const_i(l->A, (long long)e->num);
  case N_NAME:
  case N_INDEX: return ir_to_i(l->A, lw_lower_ref(l, e));
  case N_UNARY:
    if (e->op == '-') return ir_bin(l->A, IR_SUB, ir_const_i(l->A, 0), lw_lower_int(l, e->a));
    break;
  case N_BINARY: {
    IrOp op = e->op == '+' ? IR_ADD : e->op == '-' ? IR_SUB : e->op == '*' ? IR_MUL : IR_OP_COUNT;
    if (op != IR_OP_COUNT) return ir_bin(l->A, op, lw_lower_int(l, e->a), lw_lower_int(l, e->b));
    break;
  }
  default: break;
  }
  lw_fail(l, "an index expression the code generator cannot lower yet");
  return ir_const_i(l->A, 1);
}

static IrExpr *lower_cond(Lower *l, const Node *e) {
  if (e->kind == N_BINARY) {
    switch (e->op) {
    case '<': return ir_bin(l->A, IR_LT, lw_lower_int(l, e->a), lw_lower_int(l, e->b));
    case '>': return ir_bin(l->A, IR_LT, lw_lower_int(l, e->b), lw_lower_int(l, e->a));
    case OP_LE: return ir_bin(l->A, IR_LE, lw_lower_int(l, e->a), lw_lower_int(l, e->b));
    case OP_GE: return ir_bin(l->A, IR_LE, lw_lower_int(l, e->b), lw_lower_int(l, e->a));
    case OP_EQ: return ir_bin(l->A, IR_EQ, lw_lower_int(l, e->a), lw_lower_int(l, e->b));
    case OP_NE: return ir_bin(l->A, IR_NE, lw_lower_int(l, e->a), lw_lower_int(l, e->b));
    case OP_AND: return ir_bin(l->A, IR_AND, lower_cond(l, e->a), lower_cond(l, e->b));
    case OP_OR: return ir_bin(l->A, IR_OR, lower_cond(l, e->a), lower_cond(l, e->b));
    default: break;
    }
  }
  if (e->kind == N_UNARY && e->op == '!') return ir_un(l->A, IR_NOT, lower_cond(l, e->a));
  return ir_bin(l->A, IR_NE, lw_lower_int(l, e), ir_const_i(l->A, 0));
}

static const char *c_function(const char *f) {
  static const char *const map[][2] = {
      {"exp", "exp"}, {"log", "log"}, {"log1p", "log1p"}, {"expm1", "expm1"},
      {"sqrt", "sqrt"}, {"abs", "fabs"}, {"cos", "cos"}, {"sin", "sin"}, {"pow", "pow"},
      {"lgamma", "lvm_lgamma"}, {"digamma", "lvm_digamma"}, {"lbeta", "lvm_lbeta"},
      {"lchoose", "lvm_lchoose"}, {"lfactorial", "lvm_lfactorial"},
      {"log_bessel_i0", "lvm_log_bessel_i0"}, {"logistic", "lvm_inv_logit"},
      {"inv_logit", "lvm_inv_logit"}, {"logit", "lvm_logit"},
      {"log_inv_logit", "lvm_log_inv_logit"}, {"log1m_inv_logit", "lvm_log1m_inv_logit"},
      {"log1p_exp", "lvm_log1pexp"}, {"lmgamma", "lvm_lmgamma_d"},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (!strcmp(map[i][0], f)) return map[i][1];
  return NULL;
}

/* log det of a matrix-valued polynomial argument: the identity (0), a
 * positive multiple c I(D) of it (D log c), a stored matrix (a state
 * variable, whole or one matrix of an array of them), or the inverse of
 * one. */
static IrExpr *lower_log_det(Lower *l, const Poly *p) {
  if (p->n == 1 && p->m[0]->nb == 0 && p->m[0]->nf == 1 && p->m[0]->coef > 0 && p->m[0]->coef != 1 &&
      p->m[0]->f[0].power == 1) {
    const Atom *a = p->m[0]->f[0].atom;
    if (a->kind == A_FUNC && !strcmp(a->fname, "identity") && a->nargs == 1)
      return ir_bin(l->A, IR_MUL, ir_const_f(l->A, log(p->m[0]->coef)), lw_lower_poly(l, a->args[0]));
  }
  if (p->n == 1 && p->m[0]->nb == 0 && p->m[0]->nf == 1 && p->m[0]->coef == 1 &&
      p->m[0]->f[0].power == 1) {
    const Atom *a = p->m[0]->f[0].atom;
    if (a->kind == A_FUNC && !strcmp(a->fname, "identity")) return ir_const_f(l->A, 0);
    if (a->kind == A_FUNC && !strcmp(a->fname, "inverse") && a->nargs == 1)
      return ir_un(l->A, IR_NEG, lower_log_det(l, a->args[0]));
    if (a->kind == A_REF && a->var) {
      int k = lw_var_index(l, a->var);
      const IrVarDesc *v = k >= 0 ? l->mod->vars.v[k] : NULL;
      if (v && !v->is_int && v->ndim >= 2) {
        static const PtrVec none = {0};
        const PtrVec *idx = a->ref->kind == N_INDEX ? &a->ref->list : &none;
        if (idx->n == v->ndim - 2)
          return ir_arrcall(l->A, "lvm_gen_log_det", k, lw_flat_index(l, k, idx),
                            lw_size_expr(l, v->dim[v->ndim - 1]));
      }
    }
  }
  lw_fail(l, "log_det of this matrix expression is not supported by the code generator yet");
  return ir_const_f(l->A, 0);
}

/* IR for one factor atom^power. */
IrExpr *lw_lower_atom(Lower *l, const Atom *a, int power) {
  IrExpr *x;
  if (l->atom_hook && (x = l->atom_hook(l, a, power))) return x;
  int memo = -1;
  if (a->kind != A_REF && l->memo_kv >= 0 && !l->override_key && l->memo_ref)
    for (int i = 0; i < l->memo_key.n; i++)
      if (!strcmp(l->memo_key.v[i], a->key) && !strcmp(l->memo_ref_of.v[i], l->memo_ref))
        memo = (int)(intptr_t)l->memo_tab.v[i];
  if (memo >= 0) x = ir_scratch(l->A, memo, ir_local(l->A, l->memo_kv, IR_I64));
  else if (a->kind == A_REF) x = ir_to_f(l->A, lw_lower_ref(l, a->ref));
  else if (a->kind == A_PAREN) x = lw_lower_poly(l, a->args[0]);
  else if (!strcmp(a->fname, "eq") && a->nargs == 2) {
    x = ir_select(l->A, ir_bin(l->A, IR_EQ, lw_lower_poly(l, a->args[0]), lw_lower_poly(l, a->args[1])),
                  ir_const_f(l->A, 1), ir_const_f(l->A, 0));
  } else if ((!strcmp(a->fname, "log_sum_exp") || !strcmp(a->fname, "max") ||
              !strcmp(a->fname, "min") || !strcmp(a->fname, "prod")) && a->nargs == 1) {
    lw_fail(l, arena_printf(l->A, "'%s' over a comprehension is not supported by the code generator yet", a->fname));
    x = ir_const_f(l->A, 0);
  } else if (!strcmp(a->fname, "log_det") && a->nargs == 1) {
    x = lower_log_det(l, a->args[0]);
  } else {
    const char *fn = c_function(a->fname);
    if (!fn) {
      lw_fail(l, arena_printf(l->A, "the function '%s' is not supported by the code generator yet", a->fname));
      return ir_const_f(l->A, 0);
    }
    IrExpr *args[4];
    for (int i = 0; i < a->nargs && i < 4; i++) args[i] = lw_lower_poly(l, a->args[i]);
    x = ir_call(l->A, fn, a->nargs, args);
  }
  if (power == 1) return x;
  if (power == 2) {
    int t = lw_new_local(l, "t", IR_F64);
    IrStmt *s = ir_stmt(l->A, IS_SET, l->span);
    s->local = t;
    s->value = x;
    lw_emit(l, s);
    return ir_bin(l->A, IR_MUL, ir_local(l->A, t, IR_F64), ir_local(l->A, t, IR_F64));
  }
  if (power == -1) return ir_bin(l->A, IR_DIV, ir_const_f(l->A, 1), x);
  IrExpr *args[2] = {x, ir_const_f(l->A, power)};
  return ir_call(l->A, "pow", 2, args);
}

/* The product of a monomial's factors, skipping those in the bit set `skip`. */
IrExpr *lw_mono_value_mask(Lower *l, const Mono *m, unsigned skip) {
  IrExpr *v = ir_const_f(l->A, m->coef);
  for (int i = 0; i < m->nf; i++)
    if (i >= 32 || !(skip & (1u << i)))
      v = ir_bin(l->A, IR_MUL, v, lw_lower_atom(l, m->f[i].atom, m->f[i].power));
  return v;
}

/* The product of a monomial's factors, skipping factor `skip` (or -1). */
IrExpr *lw_mono_value(Lower *l, const Mono *m, int skip) {
  return lw_mono_value_mask(l, m, skip >= 0 && skip < 32 ? 1u << skip : 0);
}

/* Open loops for the binders of m (innermost last); returns the number of
 * names bound.  Statements go inside the innermost loop (l->out moves). */
int lw_open_binders(Lower *l, const Binder *b, int nb, PtrVec **saved) {
  *saved = l->out;
  for (int i = 0; i < nb; i++) {
    int loc = lw_new_local(l, b[i].var[0] == '_' ? "j" : b[i].var, IR_I64);
    IrStmt *f = ir_stmt(l->A, IS_FOR, l->span);
    f->local = loc;
    f->lo = lw_lower_int(l, b[i].lo);
    f->hi = lw_lower_int(l, b[i].hi);
    lw_emit(l, f);
    lw_bind(l, b[i].var, loc);
    l->out = &f->body;
    if (b[i].cond) {
      IrStmt *c = ir_stmt(l->A, IS_IF, l->span);
      c->cond = lower_cond(l, b[i].cond);
      lw_emit(l, c);
      l->out = &c->body;
    }
  }
  return nb;
}

IrExpr *lw_lower_poly(Lower *l, const Poly *p) {
  IrExpr *sum = NULL;
  int acc = -1;
  for (int i = 0; i < p->n; i++) {
    const Mono *m = p->m[i];
    if (m->nb == 0) {
      IrExpr *v = lw_mono_value(l, m, -1);
      sum = sum ? ir_bin(l->A, IR_ADD, sum, v) : v;
      continue;
    }
    if (acc < 0) {
      acc = lw_new_local(l, "s", IR_F64);
      IrStmt *z = ir_stmt(l->A, IS_SET, l->span);
      z->local = acc;
      z->value = ir_const_f(l->A, 0);
      lw_emit(l, z);
    }
    PtrVec *saved;
    int nb = lw_open_binders(l, m->b, m->nb, &saved);
    IrStmt *s = ir_stmt(l->A, IS_SET, l->span);
    s->local = acc;
    s->value = ir_bin(l->A, IR_ADD, ir_local(l->A, acc, IR_F64), lw_mono_value(l, m, -1));
    lw_emit(l, s);
    lw_unbind(l, nb);
    l->out = saved;
  }
  if (acc >= 0) sum = sum ? ir_bin(l->A, IR_ADD, sum, ir_local(l->A, acc, IR_F64))
                          : ir_local(l->A, acc, IR_F64);
  return sum ? sum : ir_const_f(l->A, 0);
}

static Poly *poly_of(Lower *l, const Node *e) {
  l->pc.budget = POLY_MAX_MONOS;
  l->pc.overflow = false;
  Poly *p = to_poly(&l->pc, e);
  if (l->pc.overflow) lw_fail(l, "a term is too large to expand");
  return poly_merge(&l->pc, p);
}

/* ------------------------------------------------------------------ */
/* Plates                                                              */

void lw_plate_filter(Lower *l, const Node *st, const Node *loop) {
  if (!loop->d) return;
  IrStmt *c = ir_stmt(l->A, IS_IF, st->span);
  c->cond = lower_cond(l, loop->d);
  lw_emit(l, c);
  l->out = &c->body;
}

/* for (loc = lo; loc <= hi; loc++), loc bound to name; statements go inside */
static void open_for(Lower *l, Span sp, const char *name, int loc, const Node *lo, const Node *hi) {
  IrStmt *f = ir_stmt(l->A, IS_FOR, sp);
  f->local = loc;
  f->lo = lw_lower_int(l, lo);
  f->hi = lw_lower_int(l, hi);
  lw_emit(l, f);
  lw_bind(l, name, loc);
  l->out = &f->body;
}

void lw_open_plate(Lower *l, const Node *st, const Node *loop) {
  open_for(l, st->span, loop->var, lw_new_local(l, loop->var, IR_I64), loop->b, loop->c);
  lw_plate_filter(l, st, loop);
}

/* Open the statement's plate loops and filters; returns names bound. */
int lw_open_plates(Lower *l, const Node *st, PtrVec **saved) {
  *saved = l->out;
  for (int i = 0; i < st->loops.n; i++) lw_open_plate(l, st, st->loops.v[i]);
  return st->loops.n;
}

void lw_close_scope(Lower *l, int nbound, PtrVec *saved) {
  lw_unbind(l, nbound);
  l->out = saved;
}

IrFunc *lw_new_func(Lower *l, const char *name, IrType ret) {
  IrFunc *f = arena_alloc(l->A, sizeof *f);
  f->name = name;
  f->ret = ret;
  vec_push(l->A, &l->mod->funcs, f);
  l->fn = f;
  l->out = &f->body;
  l->bind_name.n = l->bind_local.n = 0;
  return f;
}

/* ------------------------------------------------------------------ */
/* Terms of the log joint                                              */

PtrVec lw_collect_terms(Lower *l) {
  PtrVec terms = {0};
  poly_terms(&l->pc, &terms);
  for (int i = 0; i < terms.n; i++) {
    Term *t = terms.v[i];
    l->span = t->stmt->span;
    if (t->too_large) lw_fail(l, "a term is too large to expand");
    t->poly = poly_merge(&l->pc, t->poly);
  }
  return terms;
}

static void lower_log_joint(Lower *l, const PtrVec *terms) {
  lw_new_func(l, "log_joint", IR_F64);
  int acc = lw_new_local(l, "lp", IR_F64);
  IrStmt *z = ir_stmt(l->A, IS_SET, NO_SPAN);
  z->local = acc;
  z->value = ir_const_f(l->A, 0);
  lw_emit(l, z);
  for (int i = 0; i < terms->n; i++) {
    const Term *t = terms->v[i];
    l->span = t->stmt->span;
    PtrVec *saved;
    int nb = lw_open_plates(l, t->stmt, &saved);
    IrStmt *s = ir_stmt(l->A, IS_SET, t->stmt->span);
    s->local = acc;
    s->value = ir_bin(l->A, IR_ADD, ir_local(l->A, acc, IR_F64), lw_lower_poly(l, t->poly));
    lw_emit(l, s);
    lw_close_scope(l, nb, saved);
  }
  IrStmt *r = ir_stmt(l->A, IS_RETURN, NO_SPAN);
  r->value = ir_local(l->A, acc, IR_F64);
  lw_emit(l, r);
}

/* ------------------------------------------------------------------ */
/* Prior draws (init, simulate)                                        */

typedef struct Sampler {
  const char *dist;
  const char *fn;     /* runtime draw function */
  int kind;           /* 0 scalar, 1 categorical (probabilities), 2 categorical (logits),
                         3 dirichlet, 4 spin (logit) */
} Sampler;

static const Sampler samplers[] = {
    {"Normal", "lvm_normal_draw", 0}, {"NormalPrec", "lvm_normal_prec_draw", 0},
    {"LogNormal", "lvm_lognormal_draw", 0}, {"Gamma", "lvm_gamma_draw", 0},
    {"InvGamma", "lvm_inv_gamma_draw", 0}, {"Exponential", "lvm_exponential_draw", 0},
    {"Beta", "lvm_beta_draw", 0}, {"VonMises", "lvm_von_mises_draw", 0},
    {"Uniform", "lvm_uniform_draw", 0}, {"Bernoulli", "lvm_bernoulli_draw", 0},
    {"BernoulliLogit", "lvm_bernoulli_logit_draw", 0}, {"Binomial", "lvm_binomial_draw", 0},
    {"BinomialLogit", "lvm_binomial_logit_draw", 0}, {"Poisson", "lvm_poisson_draw", 0},
    {"PoissonLog", "lvm_poisson_log_draw", 0}, {"Categorical", "lvm_categorical_logit_draw", 1},
    {"CategoricalLogit", "lvm_categorical_logit_draw", 2}, {"Dirichlet", "lvm_dirichlet_draw", 3},
    {"Spin", "lvm_bernoulli_logit_draw", 4},
};

static const Sampler *find_sampler(const char *dist) {
  for (size_t i = 0; i < sizeof samplers / sizeof samplers[0]; i++)
    if (!strcmp(samplers[i].dist, dist)) return &samplers[i];
  return NULL;
}

/* An AST node `base[k]` with k a name bound to a local. */
static Node *index_by_name(Lower *l, Node *base, const char *k) {
  Node *n = ast_new(l->A, N_INDEX, base->span);
  n->a = base;
  Node *kn = ast_new(l->A, N_NAME, base->span);
  kn->name = k;
  vec_push(l->A, &n->list, kn);
  n->ty = NULL;
  return n;
}

/* Fill scratch local `buf` (size K) with f(arg[k]) for k in 1..K:
 * mode 0: the value, 1: its log. */
static void fill_vector(Lower *l, int buf, Node *arg, IrExpr *K, int mode) {
  const char *kname = intern(l->A, "_k", 2);
  int k = lw_new_local(l, "k", IR_I64);
  IrStmt *f = ir_stmt(l->A, IS_FOR, l->span);
  f->local = k;
  f->lo = ir_const_i(l->A, 1);
  f->hi = K;
  lw_emit(l, f);
  PtrVec *saved = l->out;
  l->out = &f->body;
  lw_bind(l, kname, k);
  IrExpr *v = lw_lower_poly(l, poly_of(l, index_by_name(l, arg, kname)));
  if (mode == 1) v = ir_call(l->A, "log", 1, &v);
  IrStmt *s = ir_stmt(l->A, IS_STORE, l->span);
  s->local = buf;
  s->index = ir_bin(l->A, IR_SUB, ir_local(l->A, k, IR_I64), ir_const_i(l->A, 1));
  s->value = v;
  lw_emit(l, s);
  lw_unbind(l, 1);
  l->out = saved;
}

int lw_scratch(Lower *l, const char *name, IrExpr *n) {
  int loc = lw_new_local(l, name, IR_F64);
  ((IrLocal *)l->fn->locals.v[loc])->scratch_n = n;
  return loc;
}

static bool lower_family_draw(Lower *l, Node *st, int k, IrExpr *E);

/* Emit the draw of the element(s) the statement defines, at the current
 * plate values.  `always`: simulate (draw even observed elements). */
static void lower_draw(Lower *l, Node *st, bool always) {
  Sym *y = st->a->sym;
  int k = lw_var_index(l, y);
  const Sampler *smp = find_sampler(st->name);
  static const PtrVec none = {0};
  const PtrVec *lidx = st->a->kind == N_INDEX ? &((Node *)st->a)->list : &none;
  IrExpr *flat = lw_flat_index(l, k, lidx);
  int e = lw_new_local(l, "e", IR_I64);
  IrStmt *se = ir_stmt(l->A, IS_SET, st->span);
  se->local = e;
  se->value = flat;
  lw_emit(l, se);
  PtrVec *saved = l->out;
  if (!always) {
    IrStmt *c = ir_stmt(l->A, IS_IF, st->span);
    c->cond = ir_free(l->A, k, ir_local(l->A, e, IR_I64));
    lw_emit(l, c);
    l->out = &c->body;
  }
  IrExpr *E = ir_local(l->A, e, IR_I64);
  if (!smp) {
    if (!lower_family_draw(l, st, k, E))
      lw_fail(l, arena_printf(l->A, "cannot draw from '%s' yet (no sampler in the runtime, and its density is not an exponential family in '%s')", st->name, y->name));
    l->out = saved;
    return;
  }
  switch (smp->kind) {
  case 0:
  case 4: {
    IrStmt *d = ir_stmt(l->A, IS_DRAW, st->span);
    d->field = k;
    d->index = E;
    d->fn = smp->fn;
    d->nargs = st->list.n;
    d->args = arena_alloc(l->A, sizeof(IrExpr *) * (size_t)(d->nargs + 1));
    for (int i = 0; i < st->list.n; i++) {
      Node *a = st->list.v[i];
      IrExpr *v = lw_lower_poly(l, poly_of(l, a));
      if (smp->kind == 4) v = ir_bin(l->A, IR_MUL, ir_const_f(l->A, 2), v);
      d->args[i] = v;
    }
    if (!strcmp(st->name, "Binomial") || !strcmp(st->name, "BinomialLogit"))
      d->args[0] = ir_to_i(l->A, d->args[0]);
    lw_emit(l, d);
    if (smp->kind == 4) { /* spin: 2 b - 1 */
      IrStmt *fx = ir_stmt(l->A, IS_STORE, st->span);
      fx->field = k;
      fx->index = E;
      fx->value = ir_bin(l->A, IR_SUB, ir_bin(l->A, IR_MUL, ir_const_i(l->A, 2), lw_load_var(l, k, E)),
                         ir_const_i(l->A, 1));
      lw_emit(l, fx);
    }
    break;
  }
  case 1:
  case 2: {
    const IrVarDesc *v = l->mod->vars.v[k];
    IrExpr *K = lw_size_expr(l, v->domain_arg);
    int buf = lw_scratch(l, "w", K);
    fill_vector(l, buf, st->list.v[0], K, smp->kind == 1);
    IrStmt *d = ir_stmt(l->A, IS_CATDRAW, st->span);
    d->field = k;
    d->index = E;
    d->local = buf;
    d->nargs = 2;
    d->args = arena_alloc(l->A, sizeof(IrExpr *) * 2);
    d->args[0] = K;
    d->args[1] = ir_const_i(l->A, 1); /* categories are 1-based */
    lw_emit(l, d);
    break;
  }
  case 3: {
    const IrVarDesc *v = l->mod->vars.v[k];
    IrExpr *K = lw_size_expr(l, v->domain_arg);
    int buf = lw_scratch(l, "a", K);
    fill_vector(l, buf, st->list.v[0], K, 0);
    IrStmt *d = ir_stmt(l->A, IS_DRAWVEC, st->span);
    d->field = k;
    d->index = E;
    d->local = buf;
    d->fn = smp->fn;
    d->nargs = 1;
    d->args = arena_alloc(l->A, sizeof(IrExpr *));
    d->args[0] = K;
    lw_emit(l, d);
    break;
  }
  }
  l->out = saved;
}

static void lower_assign(Lower *l, Node *st) {
  Sym *y = st->a->sym;
  int k = lw_var_index(l, y);
  if (y->type && y->type->ndim > (st->a->kind == N_INDEX ? ((Node *)st->a)->list.n : 0)) {
    lw_fail(l, "vector-valued deterministic nodes are not supported by the code generator yet");
    return;
  }
  static const PtrVec none = {0};
  IrStmt *s = ir_stmt(l->A, IS_STORE, st->span);
  s->field = k;
  s->index = lw_flat_index(l, k, st->a->kind == N_INDEX ? &((Node *)st->a)->list : &none);
  IrExpr *v = lw_lower_poly(l, poly_of(l, st->b));
  s->value = ((IrVarDesc *)l->mod->vars.v[k])->is_int ? ir_to_i(l->A, v) : v;
  lw_emit(l, s);
}

/* Statements in an order where every variable's parents come first. */
PtrVec lw_statement_order(Lower *l) {
  PtrVec order = {0};
  int n = l->m->stmts.n;
  char *done = arena_alloc(l->A, (size_t)n + 1);
  int left = 0;
  for (int i = 0; i < n; i++) {
    Node *st = l->m->stmts.v[i];
    if (st->kind == N_FACTOR) done[i] = 1;
    else left++;
  }
  while (left > 0) {
    int progress = 0;
    for (int i = 0; i < n; i++) {
      if (done[i]) continue;
      Node *st = l->m->stmts.v[i];
      Sym *y = st->a->sym;
      bool ready = true;
      for (int p = 0; p < y->parents.n && ready; p++) {
        Sym *par = y->parents.v[p];
        if (par->kind != SYM_VAR || par == y || par->rest) continue;
        for (int j = 0; j < n && ready; j++) {
          Node *o = l->m->stmts.v[j];
          if (!done[j] && o->kind != N_FACTOR && o->a->sym == par) ready = false;
        }
      }
      if (y->rest) ready = true;
      if (!ready) continue;
      done[i] = 1;
      left--;
      progress = 1;
      vec_push(l->A, &order, st);
    }
    if (!progress) { /* cross-variable lags: keep source order for the rest */
      for (int i = 0; i < n; i++)
        if (!done[i]) {
          done[i] = 1;
          vec_push(l->A, &order, l->m->stmts.v[i]);
        }
      break;
    }
  }
  return order;
}

void lw_lower_deterministic(Lower *l, const PtrVec *order) {
  for (int i = 0; i < order->n; i++) {
    Node *st = order->v[i];
    if (st->kind != N_ASSIGN) continue;
    l->span = st->span;
    PtrVec *saved;
    int nb = lw_open_plates(l, st, &saved);
    lower_assign(l, st);
    lw_close_scope(l, nb, saved);
  }
}

/* Random variables that appear only in factors: a uniform start. */
static void lower_factor_only_init(Lower *l) {
  for (int i = 0; i < l->nsyms; i++) {
    Sym *y = l->syms[i];
    if (y->kind != SYM_VAR || y->defs.n || !y->factors.n) continue;
    int k = i;
    const IrVarDesc *v = l->mod->vars.v[k];
    PtrVec *cbody;
    int e = lw_free_elements(l, y->span, k, &cbody);
    IrStmt *d = ir_stmt(l->A, IS_DRAW, y->span);
    d->field = k;
    d->index = ir_local(l->A, e, IR_I64);
    if (v->domain == LD_SPIN || v->domain == LD_BIN) {
      d->fn = "lvm_bernoulli_draw";
      d->nargs = 1;
      d->args = arena_alloc(l->A, sizeof(IrExpr *));
      d->args[0] = ir_const_f(l->A, 0.5);
      vec_push(l->A, cbody, d);
      if (v->domain == LD_SPIN) {
        IrStmt *fx = ir_stmt(l->A, IS_STORE, y->span);
        fx->field = k;
        fx->index = ir_local(l->A, e, IR_I64);
        fx->value = ir_bin(l->A, IR_SUB,
                           ir_bin(l->A, IR_MUL, ir_const_i(l->A, 2), lw_load_var(l, k, ir_local(l->A, e, IR_I64))),
                           ir_const_i(l->A, 1));
        vec_push(l->A, cbody, fx);
      }
    } else {
      lw_fail(l, arena_printf(l->A, "cannot initialise '%s' (a factor-only variable that is not bin or spin)", y->name));
    }
  }
}

static void lower_prior(Lower *l, const char *name, bool always, const PtrVec *order) {
  lw_new_func(l, name, IR_I64);
  if (!always) lower_factor_only_init(l);
  for (int i = 0; i < order->n; i++) {
    Node *st = order->v[i];
    if (st->kind == N_ASSIGN) continue;
    l->span = st->span;
    PtrVec *saved;
    int nb = lw_open_plates(l, st, &saved);
    lower_draw(l, st, always);
    lw_close_scope(l, nb, saved);
  }
  lw_lower_deterministic(l, order);
  IrStmt *r = ir_stmt(l->A, IS_RETURN, NO_SPAN);
  r->value = ir_const_i(l->A, 0);
  lw_emit(l, r);
}

/* ------------------------------------------------------------------ */
/* The Gibbs sweep                                                     */


/* The references to v in a monomial and their statistics; false if the
 * monomial does not mention v. */
int lw_mono_vrefs(const Mono *m, const Sym *v, VRef *out, int max) {
  int n = 0;
  for (int i = 0; i < m->nf && n < max; i++) {
    const Atom *a = m->f[i].atom;
    int p = m->f[i].power;
    if (is_ref_to(a, v)) {
      out[n++] = (VRef){i, a, p == 1 ? ST_X : p == 2 ? ST_X2 : p == -1 ? ST_INV : ST_COUNT};
      continue;
    }
    if (a->kind == A_FUNC && !strcmp(a->fname, "log") && a->nargs == 1) {
      const Atom *r = poly_single_ref(a->args[0], v);
      if (r) {
        out[n++] = (VRef){i, r, ST_LOG};
        continue;
      }
      if (poly_one_minus_ref(a->args[0], v)) {
        const Mono *mm = a->args[0]->m[0]->nf ? a->args[0]->m[0] : a->args[0]->m[1];
        out[n++] = (VRef){i, mm->f[0].atom, ST_LOG1M};
        continue;
      }
    }
    if (a->kind == A_FUNC && !strcmp(a->fname, "log_det") && a->nargs == 1 && p == 1) {
      const Atom *r = poly_single_ref(a->args[0], v);
      if (r) {
        out[n++] = (VRef){i, r, ST_LOGDET};
        continue;
      }
    }
    if (depends_on(a, v)) out[n++] = (VRef){i, NULL, ST_COUNT}; /* other use (discrete) */
  }
  return n;
}

/* The statistic of slot i of a family's declaration. */
static int stat_slot_kind(const Family *f, int i) {
  Family one = *f;
  one.stats.v = &f->stats.v[i];
  one.stats.n = 1;
  unsigned b = family_stats(&one);
  for (int k = 0; k < ST_COUNT; k++)
    if (b == (1u << k)) return k;
  return ST_COUNT;
}

int lw_stat_slot(const Family *f, StatKind k) {
  for (int i = 0; i < f->stats.n; i++)
    if (stat_slot_kind(f, i) == (int)k) return i;
  return -1;
}

bool lw_mentions(const Poly *p, const Sym *v) {
  for (int i = 0; i < p->n; i++)
    for (int j = 0; j < p->m[i]->nf; j++)
      if (depends_on(p->m[i]->f[j].atom, v) || is_ref_to(p->m[i]->f[j].atom, v)) return true;
  return false;
}

bool lw_term_counts(const Term *t, const Sym *v) {
  if (v->rest) return t->stmt->kind == N_REST && ((Node *)t->stmt->a)->sym == v;
  return true;
}

IrExpr *lw_ref_flat(Lower *l, const Atom *a, int k) {
  static const PtrVec none = {0};
  return lw_flat_index(l, k, a->ref->kind == N_INDEX ? &a->ref->list : &none);
}

/* Gibbs: eta[slot of the element] += the monomial's coefficient at the
 * current values. */
void lw_eta_layout(Lower *l, const Family *fam, int k, const Sym *v, EtaLayout *L) {
  const IrVarDesc *vd = l->mod->vars.v[k];
  memset(L, 0, sizeof *L);
  L->fam = fam;
  L->k = k;
  L->ns = fam->stats.n < 8 ? fam->stats.n : 8;
  int ns = v->type ? v->type->nstruct : 0;
  L->kind = v->type && v->type->dom == D_SIMPLEX ? 1 : ns == 1 ? 2 : ns >= 2 ? 3 : 0;
  if (L->kind == 0) {
    L->VS = ir_const_i(l->A, 1);
    L->ES = ir_const_i(l->A, L->ns);
  } else {
    L->D = L->kind == 1 ? lw_size_expr(l, vd->domain_arg) : lw_size_expr(l, vd->dim[vd->ndim - 1]);
    L->VS = L->kind == 3 ? ir_bin(l->A, IR_MUL, L->D, L->D) : L->D;
  }
  IrExpr *off = ir_const_i(l->A, 0);
  for (int i = 0; i < L->ns; i++) {
    L->stat[i] = (StatKind)stat_slot_kind(fam, i);
    L->off[i] = off;
    IrExpr *blk = L->kind == 0 || L->stat[i] == ST_LOGDET ? ir_const_i(l->A, 1)
                  : L->stat[i] == ST_OUTER ? ir_bin(l->A, IR_MUL, L->D, L->D) : L->VS;
    off = i == 0 && L->kind != 0 ? blk : ir_bin(l->A, IR_ADD, off, blk);
  }
  if (L->kind != 0) L->ES = off;
  L->work = fam->runtime && (!strcmp(fam->runtime, "mvnormal") || !strcmp(fam->runtime, "wishart"));
}

static int layout_slot(const EtaLayout *L, StatKind k) {
  if (L->kind >= 2 && k == ST_X2) k = ST_OUTER; /* x[i]^2: a diagonal entry of x x' */
  for (int i = 0; i < L->ns; i++)
    if (L->stat[i] == k) return i;
  return -1;
}

IrExpr *lw_eta_index(Lower *l, const EtaTarget *t) {
  Arena *A = l->A;
  const EtaLayout *L = t->L;
  IrExpr *ebase = t->ebase, *vbase = t->vbase;
  IrExpr *f1 = lw_ref_flat(l, t->refs[0].atom, L->k);
  if (L->kind == 0) /* scalars: element = flat index */
    return ir_bin(A, IR_ADD, ir_bin(A, IR_MUL, ebase ? ebase : f1, L->ES), ir_const_i(A, t->slot));
  if (L->kind == 1 && !ebase) return f1; /* simplex: eta has the shape of the variable */
  if (!ebase) {
    int el = lw_new_local(l, "el", IR_I64);
    IrStmt *s = ir_stmt(A, IS_SET, l->span);
    s->local = el;
    s->value = ir_bin(A, IR_IDIV, f1, L->VS);
    lw_emit(l, s);
    ebase = ir_bin(A, IR_MUL, ir_local(A, el, IR_I64), L->ES);
    vbase = ir_bin(A, IR_MUL, ir_local(A, el, IR_I64), L->VS);
  }
  IrExpr *idx = ir_bin(A, IR_ADD, ebase, L->off[t->slot]);
  StatKind st = L->stat[t->slot];
  if (st == ST_LOGDET) return idx;
  IrExpr *c1 = ir_bin(A, IR_SUB, f1, vbase);
  if (st != ST_OUTER) return ir_bin(A, IR_ADD, idx, c1);
  IrExpr *c2 = t->nr > 1 ? ir_bin(A, IR_SUB, lw_ref_flat(l, t->refs[1].atom, L->k), vbase) : c1;
  return ir_bin(A, IR_ADD, idx, ir_bin(A, IR_ADD, ir_bin(A, IR_MUL, c1, L->D), c2));
}

/* Scatter into `eta` the monomials of p that mention v (p is lowered in
 * the current scope).  False after reporting a monomial that does not fit
 * the layout. */
static bool scatter_poly(Lower *l, const EtaLayout *L, const Sym *v, const Poly *p, int eta,
                         IrExpr *ebase, IrExpr *vbase, ScatterFn accfn, int part) {
  for (int mi = 0; mi < p->n; mi++) {
    const Mono *m = p->m[mi];
    VRef refs[8];
    int nr = lw_mono_vrefs(m, v, refs, 8);
    if (nr == 0) continue;
    if (part && (l->hoisted && l->hoisted(l, m)) != (part == 1)) continue;
    StatKind st = refs[0].stat;
    bool ok = refs[0].atom && st != ST_COUNT;
    if (nr == 2 && L->kind == 2 && refs[0].stat == ST_X && refs[1].stat == ST_X && refs[1].atom)
      st = ST_OUTER;
    else if (nr != 1)
      ok = false;
    int slot = ok ? layout_slot(L, st) : -1;
    if (!ok || slot < 0) {
      lw_fail(l, ok ? arena_printf(l->A, "family '%s' has no slot for the statistic %s", L->fam->name,
                                   stat_name(st))
                    : arena_printf(l->A, "internal: unexpected use of '%s' in a conjugate term", v->name));
      return false;
    }
    unsigned skip = 1u << refs[0].factor;
    if (st == ST_OUTER && nr == 2) skip |= 1u << refs[1].factor;
    EtaTarget t = {L, refs, nr, slot, ebase, vbase};
    accfn(l, m, skip, eta, &t);
  }
  return true;
}

static void gibbs_acc(Lower *l, const Mono *m, unsigned skip, int eta, const EtaTarget *t) {
  PtrVec *saved;
  int nb = lw_open_binders(l, m->b, m->nb, &saved);
  IrStmt *acc = ir_stmt(l->A, IS_ACC, l->span);
  acc->local = eta;
  acc->index = lw_eta_index(l, t);
  acc->value = lw_mono_value_mask(l, m, skip);
  lw_emit(l, acc);
  lw_close_scope(l, nb, saved);
}

void lw_zero_array(Lower *l, int buf, int field, IrExpr *n, Span span) {
  int z = lw_new_local(l, "i", IR_I64);
  IrStmt *zf = ir_stmt(l->A, IS_FOR, span);
  zf->local = z;
  zf->lo = ir_const_i(l->A, 0);
  zf->hi = ir_bin(l->A, IR_SUB, n, ir_const_i(l->A, 1));
  IrStmt *zs = ir_stmt(l->A, IS_STORE, span);
  zs->local = buf;
  zs->field = field;
  zs->index = ir_local(l->A, z, IR_I64);
  zs->value = ir_const_f(l->A, 0);
  vec_push(l->A, &zf->body, zs);
  lw_emit(l, zf);
}

int lw_scatter_eta(Lower *l, const VarPlan *vp, const PtrVec *terms, ScatterFn accfn, EtaLayout *L) {
  Sym *v = vp->var;
  int k = lw_var_index(l, v);
  lw_eta_layout(l, vp->family, k, v, L);
  IrExpr *len = lw_var_len(l, k);
  IrExpr *count = L->kind == 0 ? len : ir_bin(l->A, IR_IDIV, len, L->VS);
  IrExpr *etalen = L->kind == 1 ? len : ir_bin(l->A, IR_MUL, count, L->ES);
  int eta = lw_scratch(l, "eta", etalen);
  lw_zero_array(l, eta, -1, etalen, v->span);
  for (int t = 0; t < terms->n; t++) {
    const Term *term = terms->v[t];
    if (!lw_term_counts(term, v) || !lw_mentions(term->poly, v)) continue;
    l->span = term->stmt->span;
    /* the monomials whose sums over the plates the hook has hoisted (CAVI:
     * accumulated statistics) outside the plate loops; then one pass over
     * the term's plates for all the others (those with sum binders get
     * their own loops inside) */
    bool inside = false;
    for (int mi = 0; mi < term->poly->n && !inside; mi++) {
      VRef tmp[8];
      inside = !(l->hoisted && l->hoisted(l, term->poly->m[mi])) && lw_mono_vrefs(term->poly->m[mi], v, tmp, 8);
    }
    bool ok = !l->hoisted || scatter_poly(l, L, v, term->poly, eta, NULL, NULL, accfn, 1);
    if (ok && inside) {
      PtrVec *saved;
      int nb = lw_open_plates(l, term->stmt, &saved);
      ok = scatter_poly(l, L, v, term->poly, eta, NULL, NULL, accfn, 2);
      lw_close_scope(l, nb, saved);
    }
    if (!ok) break;
  }
  return eta;
}

/* The family draw of the element at state offset `first` from the natural
 * parameters at eta offset `eoff`. */
static IrStmt *family_draw(Lower *l, const EtaLayout *L, int eta, IrExpr *eoff, IrExpr *first,
                           Span span) {
  IrStmt *d = ir_stmt(l->A, IS_FAMILY, span);
  d->field = L->k;
  d->index = first;
  d->local = eta;
  d->fn = L->fam->runtime;
  d->nargs = L->D ? 2 : 1;
  d->args = arena_alloc(l->A, sizeof(IrExpr *) * 2);
  d->args[0] = eoff;
  if (L->D) d->args[1] = L->D;
  if (L->work) {
    IrExpr *wn = ir_bin(l->A, IR_ADD, ir_bin(l->A, IR_MUL, ir_const_i(l->A, 2),
                                             ir_bin(l->A, IR_MUL, L->D, L->D)), L->D);
    d->value = ir_scratch(l->A, lw_scratch(l, "work", wn), ir_const_i(l->A, 0));
  }
  return d;
}

PtrVec *lw_free_element_loop(Lower *l, const EtaLayout *L, Span span, IrExpr **eoff, IrExpr **first) {
  IrExpr *len = lw_var_len(l, L->k);
  IrExpr *count = L->kind == 0 ? len : ir_bin(l->A, IR_IDIV, len, L->VS);
  l->span = span;
  int e = lw_new_local(l, "e", IR_I64);
  IrStmt *f = ir_stmt(l->A, IS_FOR, span);
  f->local = e;
  f->lo = ir_const_i(l->A, 0);
  f->hi = ir_bin(l->A, IR_SUB, ir_to_i(l->A, count), ir_const_i(l->A, 1));
  lw_emit(l, f);
  IrExpr *E = ir_local(l->A, e, IR_I64);
  *first = L->kind == 0 ? E : ir_bin(l->A, IR_MUL, E, L->VS);
  *eoff = L->kind == 1 ? *first : ir_bin(l->A, IR_MUL, E, L->ES);
  IrStmt *c = ir_stmt(l->A, IS_IF, span);
  c->cond = ir_free(l->A, L->k, *first);
  vec_push(l->A, &f->body, c);
  return &c->body;
}

/* Conjugate families: scatter the natural parameters of every element in
 * one pass over the terms, then draw each free element. */
static void lower_conjugate_scatter(Lower *l, const VarPlan *vp, const PtrVec *terms) {
  EtaLayout L;
  int eta = lw_scatter_eta(l, vp, terms, gibbs_acc, &L);
  IrExpr *eoff, *first;
  PtrVec *body = lw_free_element_loop(l, &L, vp->var->span, &eoff, &first);
  vec_push(l->A, body, family_draw(l, &L, eta, eoff, first, vp->var->span));
}

/* A draw from a distribution without a runtime sampler, through the family
 * its own log density has in the drawn variable (MvNormal, Wishart, ...):
 * the statement's term alone gives the natural parameters.  `E`: the state
 * offset of the element the statement defines (plates bound). */
static bool lower_family_draw(Lower *l, Node *st, int k, IrExpr *E) {
  Sym *y = st->a->sym;
  Dist *dist = model_find_dist(l->m, st->name);
  if (!dist || !y->type) return false;
  Poly *p = poly_of(l, instantiate_term(l->A, st, dist));
  Family *fam = term_family(&l->pc, p, y);
  if (!fam || !fam->runtime) return false;
  EtaLayout L;
  lw_eta_layout(l, fam, k, y, &L);
  int eta = lw_scratch(l, "eta", L.ES);
  lw_zero_array(l, eta, -1, L.ES, st->span);
  if (!scatter_poly(l, &L, y, p, eta, ir_const_i(l->A, 0), E, gibbs_acc, 0)) return true;
  lw_emit(l, family_draw(l, &L, eta, ir_const_i(l->A, 0), E, st->span));
  return true;
}

int lw_loops(const Node *st, const Mono *m, Binder *out, int max) {
  int n = st->loops.n + m->nb;
  if (n > max) return -1;
  for (int j = 0; j < st->loops.n; j++) {
    const Node *lp = st->loops.v[j];
    out[j] = (Binder){lp->var, lp->b, lp->c, lp->d};
  }
  for (int j = 0; j < m->nb; j++) out[st->loops.n + j] = m->b[j];
  return n;
}

/* Emit, for element `E` of v (the local e), the sum over the term instances
 * that touch it of f(instance), calling `body` at each with the monomial and
 * the reference positions equal to E.  Instances are found by inverting the
 * index where each index of the reference is a loop variable (a plate, or a
 * sum binder of the monomial, e.g. the k of sum(W[d,k] * s[n,k] for k ...);
 * plus or minus a constant); otherwise all instances are scanned with a
 * guard. */

static bool invert_index(Lower *l, const Node *st, const Mono *m, const Atom *ref, int k, int e, int *nbound,
                         bool *via_binder) {
  /* For each index position d of the reference: a loop variable (a plate
   * of st, then a sum binder of m; possibly ± constant) determines that
   * loop variable from the element's d-th index. */
  const IrVarDesc *vd = l->mod->vars.v[k];
  if (ref->ref->kind != N_INDEX || ref->ref->list.n != vd->ndim) return false;
  Binder loops[16];
  int nloops = lw_loops(st, m, loops, 16);
  if (nloops < 0) return false;
  int assigned[16] = {0};
  long long off_of[16] = {0};
  int dpos[16] = {0};
  for (int d = 0; d < ref->ref->list.n; d++) {
    const Node *ix = ref->ref->list.v[d];
    const Node *var = NULL;
    long long off = 0;
    if (ix->kind == N_NAME) var = ix;
    else if (ix->kind == N_BINARY && (ix->op == '+' || ix->op == '-') && ix->a->kind == N_NAME &&
             ix->b->kind == N_NUM) {
      var = ix->a;
      off = ix->op == '+' ? (long long)ix->b->num : -(long long)ix->b->num;
    }
    if (!var) return false;
    int li = -1;
    for (int j = 0; j < nloops; j++)
      if (loops[j].var == var->name) li = j;
    if (li < 0 || assigned[li]) return false;
    assigned[li] = 1;
    off_of[li] = off;
    dpos[li] = d;
  }
  /* loop variables of later loops may not appear in earlier loops' bounds
   * when they are fixed; emit: fixed ones as SETs (with range and filter
   * guards), free ones as FOR loops, in plate order */
  *nbound = 0;
  *via_binder = false;
  for (int j = st->loops.n; j < nloops; j++) *via_binder |= assigned[j] != 0;
  for (int j = 0; j < nloops; j++) {
    const Binder *loop = &loops[j];
    int loc = lw_new_local(l, loop->var[0] == '_' ? "j" : loop->var, IR_I64);
    if (assigned[j]) {
      /* index d of element e: (e / stride_d) % dim_d + 1 (just e + 1 for a vector) */
      IrExpr *idx;
      if (vd->ndim == 1) {
        idx = ir_bin(l->A, IR_ADD, ir_local(l->A, e, IR_I64), ir_const_i(l->A, 1 - off_of[j]));
      } else {
        IrExpr *stride = ir_const_i(l->A, 1);
        for (int q = dpos[j] + 1; q < vd->ndim; q++) stride = ir_bin(l->A, IR_MUL, stride, lw_size_expr(l, vd->dim[q]));
        IrExpr *q = ir_bin(l->A, IR_IDIV, ir_local(l->A, e, IR_I64), stride);
        idx = dpos[j] == 0 ? q : ir_bin(l->A, IR_REM, q, lw_size_expr(l, vd->dim[dpos[j]]));
        idx = ir_bin(l->A, IR_ADD, idx, ir_const_i(l->A, 1 - off_of[j]));
      }
      IrStmt *s = ir_stmt(l->A, IS_SET, st->span);
      s->local = loc;
      s->value = idx;
      lw_emit(l, s);
      lw_bind(l, loop->var, loc);
      (*nbound)++;
      /* no guard when the plate is 1:dim_d of the variable itself, unshifted
       * and unfiltered (for n in 1:N { ... z[n] ... }, z of size N): then
       * every element's index is in the plate */
      if (j < st->loops.n && off_of[j] == 0 && !loop->cond && loop->lo->kind == N_NUM && loop->lo->num == 1 &&
          node_is_size(l, loop->hi, vd->dim[dpos[j]]))
        continue;
      IrStmt *g = ir_stmt(l->A, IS_IF, st->span);
      IrExpr *in = ir_bin(l->A, IR_AND, ir_bin(l->A, IR_LE, lw_lower_int(l, loop->lo), ir_local(l->A, loc, IR_I64)),
                          ir_bin(l->A, IR_LE, ir_local(l->A, loc, IR_I64), lw_lower_int(l, loop->hi)));
      if (loop->cond) in = ir_bin(l->A, IR_AND, in, lower_cond(l, loop->cond));
      g->cond = in;
      lw_emit(l, g);
      l->out = &g->body;
    } else {
      open_for(l, st->span, loop->var, loc, loop->lo, loop->hi);
      (*nbound)++;
      if (loop->cond) {
        IrStmt *g = ir_stmt(l->A, IS_IF, st->span);
        g->cond = lower_cond(l, loop->cond);
        lw_emit(l, g);
        l->out = &g->body;
      }
    }
  }
  return true;
}

void lw_add_vref(Lower *l, const Node *ref, const Sym *v, const Atom **out, int *n, int max) {
  StrBuf kb = {0};
  ast_unparse(&kb, ref);
  for (int q = 0; q < *n; q++)
    if (!strcmp(out[q]->key, kb.s)) {
      sb_free(&kb);
      return;
    }
  if (*n >= max) {
    sb_free(&kb);
    lw_fail(l, arena_printf(l->A, "a term refers to too many elements of '%s'", v->name));
    return;
  }
  Atom *ra = arena_alloc(l->A, sizeof *ra);
  ra->kind = A_REF;
  ra->ref = ref;
  ra->var = (Sym *)v;
  ra->key = arena_strdup(l->A, kb.s);
  sb_free(&kb);
  out[(*n)++] = ra;
}

/* References to v inside an AST node (indices included). */
void lw_node_vrefs(Lower *l, const Node *e, const Sym *v, const Atom **out, int *n, int max) {
  if (!e) return;
  if ((e->kind == N_NAME && e->sym == v) ||
      (e->kind == N_INDEX && e->a->kind == N_NAME && e->a->sym == v)) {
    lw_add_vref(l, e, v, out, n, max);
    if (e->kind == N_NAME) return;
    /* z[t] found: look inside its indices only, not at the base name */
    for (int i = 0; i < e->list.n; i++) lw_node_vrefs(l, e->list.v[i], v, out, n, max);
    return;
  }
  if (e->kind != N_NAME) {
    lw_node_vrefs(l, e->a, v, out, n, max);
    lw_node_vrefs(l, e->b, v, out, n, max);
    lw_node_vrefs(l, e->c, v, out, n, max);
    lw_node_vrefs(l, e->d, v, out, n, max);
  }
  for (int i = 0; i < e->list.n; i++) lw_node_vrefs(l, e->list.v[i], v, out, n, max);
}

/* References to v inside an atom, recursively through function arguments. */
void lw_collect_vrefs(Lower *l, const Atom *a, const Sym *v, const Atom **out, int *n, int max) {
  if (a->kind == A_REF) {
    if (a->ref) lw_node_vrefs(l, a->ref, v, out, n, max);
    return;
  }
  for (int i = 0; i < a->nargs; i++) {
    const Poly *p = a->args[i];
    for (int j = 0; j < p->n; j++)
      for (int k = 0; k < p->m[j]->nf; k++) lw_collect_vrefs(l, p->m[j]->f[k].atom, v, out, n, max);
  }
}

/* Are all names in the reference's indices plate variables of st, sum
 * binders of m, or data? */
static bool ref_names_in_scope(const Node *e, const Node *st, const Mono *m) {
  if (!e) return true;
  if (e->kind == N_NAME) {
    if (e->sym && e->sym->kind != SYM_LOOP && e->sym->kind != SYM_LOCAL) return true;
    for (int i = 0; i < st->loops.n; i++)
      if (((Node *)st->loops.v[i])->var == e->name) return true;
    for (int i = 0; i < m->nb; i++)
      if (m->b[i].var == e->name) return true;
    return false;
  }
  if (!ref_names_in_scope(e->a, st, m)) return false;
  for (int i = 0; i < e->list.n; i++)
    if (!ref_names_in_scope(e->list.v[i], st, m)) return false;
  if (e->kind != N_INDEX)
    return ref_names_in_scope(e->b, st, m) && ref_names_in_scope(e->c, st, m) &&
           ref_names_in_scope(e->d, st, m);
  return true;
}

/* For every term instance touching element e of v: call fn.  Monomials of
 * a term that refer to the same elements of v are visited together (one
 * index inversion and one guard for all of them); each (group, reference
 * position r) is visited at the instances where reference r is element e
 * and no earlier position is. */
static void visit_group(Lower *l, const Term *term, const Mono **ms, int nm, const Atom **vatoms,
                        int nv, int k, int e, TouchFn fn, void *ctx) {
  for (int r = 0; r < nv; r++) {
    PtrVec *saved = l->out;
    int nb = 0;
    bool via_binder = false;
    /* binders are shared by the group (groups of binder-free monomials,
     * or a single monomial); the inversion opens them with the plates */
    bool inv = invert_index(l, term->stmt, ms[0], vatoms[r], k, e, &nb, &via_binder);
    if (!inv) {
      l->out = saved;
      lw_unbind(l, nb);
      nb = lw_open_plates(l, term->stmt, &saved);
    }
    PtrVec *saved2;
    int nb2 = inv ? 0 : lw_open_binders(l, ms[0]->b, ms[0]->nb, &saved2);
    if (inv) saved2 = l->out;
    /* reference r is element e: true by construction after the inversion
     * (each index is the plate variable set from e's index, offset
     * included), so only the earlier positions' "is not e" remain */
    IrExpr *g = inv ? NULL : ir_bin(l->A, IR_EQ, lw_ref_flat(l, vatoms[r], k), ir_local(l->A, e, IR_I64));
    for (int q = 0; q < r; q++) {
      IrExpr *ne = ir_bin(l->A, IR_NE, lw_ref_flat(l, vatoms[q], k), ir_local(l->A, e, IR_I64));
      g = g ? ir_bin(l->A, IR_AND, g, ne) : ne;
    }
    PtrVec *saved3 = l->out;
    if (g) {
      IrStmt *gs = ir_stmt(l->A, IS_IF, term->stmt->span);
      gs->cond = g;
      lw_emit(l, gs);
      l->out = &gs->body;
    }
    const char *save_ref = l->memo_ref;
    l->memo_ref = inv && !via_binder && nv == 1 ? vatoms[0]->key : NULL;
    l->visit_key = vatoms[r]->key;
    for (int i = 0; i < nm; i++) fn(l, ms[i], ctx);
    l->visit_key = NULL;
    l->memo_ref = save_ref;
    l->out = saved3;
    lw_close_scope(l, nb2, saved2);
    lw_unbind(l, nb);
    l->out = saved;
  }
}

static const char *vref_signature(Lower *l, const Atom **vatoms, int nv) {
  StrBuf b = {0};
  for (int i = 0; i < nv; i++) sb_printf(&b, "%s|", vatoms[i]->key);
  const char *r = arena_strdup(l->A, b.s ? b.s : "");
  sb_free(&b);
  return r;
}

bool lw_elements_independent(Lower *l, const Sym *v, const PtrVec *terms) {
  static const Mono no_binders = {0};
  if (v->rest) return false;
  for (int t = 0; t < terms->n; t++) {
    const Term *term = terms->v[t];
    if (!lw_mentions(term->poly, v)) continue;
    const char *key = NULL;
    for (int mi = 0; mi < term->poly->n; mi++) {
      const Mono *m = term->poly->m[mi];
      const Atom *vatoms[8];
      int nv = 0;
      for (int i = 0; i < m->nf; i++) lw_collect_vrefs(l, m->f[i].atom, v, vatoms, &nv, 8);
      if (nv > 8) return false;
      for (int r = 0; r < nv; r++) {
        const Node *ref = vatoms[r]->ref;
        /* one element per instance: indexed by the statement's plates and
         * data only (no sum binder, no name bound inside a function) */
        if (!ref || ref->kind != N_INDEX || !ref_names_in_scope(ref, term->stmt, &no_binders)) return false;
        if (!key) key = vatoms[r]->key;
        else if (strcmp(key, vatoms[r]->key)) return false;
      }
    }
  }
  return true;
}

void lw_for_touching(Lower *l, const Sym *v, int k, int e, const PtrVec *terms, TouchFn fn,
                         void *ctx) {
  for (int t = 0; t < terms->n; t++) {
    const Term *term = terms->v[t];
    if (!lw_term_counts(term, v) || !lw_mentions(term->poly, v)) continue;
    l->span = term->stmt->span;
    int n = term->poly->n;
    const Mono **gm = arena_alloc(l->A, sizeof(Mono *) * (size_t)(n + 1));
    const char **sig = arena_alloc(l->A, sizeof(char *) * (size_t)(n + 1));
    char *done = arena_alloc(l->A, (size_t)n + 1);
    for (int mi = 0; mi < n; mi++) {
      if (done[mi]) continue;
      const Mono *m = term->poly->m[mi];
      /* every reference to an element of v, anywhere in the monomial; a
       * '| rest' conditional is a density of its left-hand side only */
      const Atom *vatoms[8];
      int nv = 0;
      if (v->rest) lw_add_vref(l, term->stmt->a, v, vatoms, &nv, 8);
      else
        for (int i = 0; i < m->nf; i++) lw_collect_vrefs(l, m->f[i].atom, v, vatoms, &nv, 8);
      if (nv == 0) continue; /* does not mention v */
      /* a reference whose index uses a name bound inside a function's
       * argument (log1p_exp(sum(... x[j] ...))) cannot be located per
       * instance: then visit each instance once, for every element (a
       * constant shift of the element's log density is harmless) */
      bool inner = false;
      for (int r = 0; r < nv && !inner; r++) inner = !ref_names_in_scope(vatoms[r]->ref, term->stmt, m);
      if (inner) {
        PtrVec *saved;
        int nb = lw_open_plates(l, term->stmt, &saved);
        PtrVec *saved2;
        int nb2 = lw_open_binders(l, m->b, m->nb, &saved2);
        fn(l, m, ctx);
        lw_close_scope(l, nb2, saved2);
        lw_close_scope(l, nb, saved);
        continue;
      }
      /* the group: later binder-free monomials with the same references */
      int ng = 0;
      gm[ng++] = m;
      if (m->nb == 0) {
        const char *s0 = vref_signature(l, vatoms, nv);
        for (int mj = mi + 1; mj < n; mj++) {
          const Mono *o = term->poly->m[mj];
          if (done[mj] || o->nb) continue;
          const Atom *oa[8];
          int on = 0;
          if (v->rest) lw_add_vref(l, term->stmt->a, v, oa, &on, 8);
          else
            for (int i = 0; i < o->nf; i++) lw_collect_vrefs(l, o->f[i].atom, v, oa, &on, 8);
          if (on == 0) continue;
          if (!sig[mj]) sig[mj] = vref_signature(l, oa, on);
          if (!strcmp(sig[mj], s0)) {
            gm[ng++] = o;
            done[mj] = 1;
          }
        }
      }
      visit_group(l, term, gm, ng, vatoms, nv, k, e, fn, ctx);
    }
  }
}

/* Free of the plate and binder names of (st, m) outside the subtree whose
 * text is rkey? */
static bool node_invariant(const Node *e, const char *rkey, const Node *st, const Mono *m) {
  if (!e) return true;
  if (e->kind == N_INDEX || e->kind == N_NAME) {
    StrBuf kb = {0};
    ast_unparse(&kb, e);
    bool hit = !strcmp(kb.s, rkey);
    sb_free(&kb);
    if (hit) return true;
  }
  if (e->kind == N_NAME) {
    for (int i = 0; i < st->loops.n; i++)
      if (((Node *)st->loops.v[i])->var == e->name) return false;
    for (int i = 0; i < m->nb; i++)
      if (m->b[i].var == e->name) return false;
    return true;
  }
  if (!node_invariant(e->a, rkey, st, m) || !node_invariant(e->b, rkey, st, m) ||
      !node_invariant(e->c, rkey, st, m) || !node_invariant(e->d, rkey, st, m))
    return false;
  for (int i = 0; i < e->list.n; i++)
    if (!node_invariant(e->list.v[i], rkey, st, m)) return false;
  return true;
}

static bool atom_invariant(const Atom *a, const char *rkey, const Node *st, const Mono *m) {
  if (a->kind == A_REF) return a->ref ? node_invariant(a->ref, rkey, st, m) : false;
  for (int i = 0; i < a->nargs; i++) {
    const Poly *p = a->args[i];
    for (int j = 0; j < p->n; j++)
      for (int q = 0; q < p->m[j]->nf; q++)
        if (!atom_invariant(p->m[j]->f[q].atom, rkey, st, m)) return false;
  }
  return true;
}

/* Before enumerating v: for every function atom (log(pi[z[n]])) whose value
 * depends on its instance only through the one element of v it refers to,
 * a table of its value for each of v's K values.  value(kv) maps the index
 * to v's value. */
static void precompute_tables(Lower *l, const Sym *v, const PtrVec *terms, IrExpr *K,
                              IrExpr *(*value)(Lower *, int kv, void *), void *vctx) {
  l->memo_key.n = l->memo_tab.n = l->memo_ref_of.n = 0;
  for (int t = 0; t < terms->n; t++) {
    const Term *term = terms->v[t];
    if (!lw_term_counts(term, v) || !lw_mentions(term->poly, v)) continue;
    for (int mi = 0; mi < term->poly->n; mi++) {
      const Mono *m = term->poly->m[mi];
      if (m->nb) continue;
      const Atom *vatoms[8];
      int nv = 0;
      if (v->rest) lw_add_vref(l, term->stmt->a, v, vatoms, &nv, 8);
      else
        for (int i = 0; i < m->nf; i++) lw_collect_vrefs(l, m->f[i].atom, v, vatoms, &nv, 8);
      if (nv != 1) continue;
      const char *rkey = vatoms[0]->key;
      for (int i = 0; i < m->nf; i++) {
        const Atom *a = m->f[i].atom;
        if (a->kind == A_REF || !depends_on(a, v) || !atom_invariant(a, rkey, term->stmt, m)) continue;
        bool have = false;
        for (int q = 0; q < l->memo_key.n && !have; q++)
          have = !strcmp(l->memo_key.v[q], a->key) && !strcmp(l->memo_ref_of.v[q], rkey);
        if (have) continue;
        int tab = lw_scratch(l, "tab", K);
        int kv = lw_new_local(l, "kv", IR_I64);
        IrStmt *f = ir_stmt(l->A, IS_FOR, term->stmt->span);
        f->local = kv;
        f->lo = ir_const_i(l->A, 0);
        f->hi = ir_bin(l->A, IR_SUB, K, ir_const_i(l->A, 1));
        lw_emit(l, f);
        PtrVec *saved = l->out;
        l->out = &f->body;
        l->override_key = rkey;
        l->override_val = value(l, kv, vctx);
        IrStmt *st = ir_stmt(l->A, IS_STORE, term->stmt->span);
        st->local = tab;
        st->index = ir_local(l->A, kv, IR_I64);
        st->value = lw_lower_atom(l, a, 1);
        lw_emit(l, st);
        l->override_key = NULL;
        l->out = saved;
        vec_push(l->A, &l->memo_key, (void *)a->key);
        vec_push(l->A, &l->memo_tab, (void *)(intptr_t)tab);
        vec_push(l->A, &l->memo_ref_of, (void *)rkey);
      }
    }
  }
}


static void acc_logdens(Lower *l, const Mono *m, void *vctx) {
  AccCtx *c = vctx;
  IrStmt *s = ir_stmt(l->A, IS_SET, l->span);
  s->local = c->acc;
  s->value = ir_bin(l->A, IR_ADD, ir_local(l->A, c->acc, IR_F64), lw_mono_value(l, m, -1));
  lw_emit(l, s);
}

typedef struct ValueMap {
  int domain;
  long long offset;
} ValueMap;

/* v's value for value index kv: cat kv + 1, bin kv, spin 2 kv - 1 */
static IrExpr *enum_value(Lower *l, int kv, void *vctx) {
  const ValueMap *vm = vctx;
  IrExpr *x = ir_local(l->A, kv, IR_I64);
  if (vm->domain == LD_SPIN)
    return ir_bin(l->A, IR_SUB, ir_bin(l->A, IR_MUL, ir_const_i(l->A, 2), x), ir_const_i(l->A, 1));
  return vm->offset ? ir_bin(l->A, IR_ADD, x, ir_const_i(l->A, vm->offset)) : x;
}

/* Enumerate a finite discrete element: log weight of each value. */
static void lower_enumerate(Lower *l, const VarPlan *vp, const PtrVec *terms) {
  Sym *v = vp->var;
  int k = lw_var_index(l, v);
  const IrVarDesc *vd = l->mod->vars.v[k];
  IrExpr *K;
  long long offset;
  if (vd->domain == LD_CAT) {
    K = lw_size_expr(l, vd->domain_arg);
    offset = 1;
  } else {
    K = ir_const_i(l->A, 2);
    offset = vd->domain == LD_SPIN ? -1 : 0;
  }
  int w = lw_scratch(l, "w", K);
  ValueMap vm = {vd->domain, offset};
  precompute_tables(l, v, terms, K, enum_value, &vm);
  PtrVec *cbody;
  int e = lw_free_elements(l, v->span, k, &cbody);
  PtrVec *saved = l->out;
  l->out = cbody;
  int kv = lw_new_local(l, "kv", IR_I64);
  IrStmt *kf = ir_stmt(l->A, IS_FOR, v->span);
  kf->local = kv;
  kf->lo = ir_const_i(l->A, 0);
  kf->hi = ir_bin(l->A, IR_SUB, K, ir_const_i(l->A, 1));
  lw_emit(l, kf);
  PtrVec *saved2 = l->out;
  l->out = &kf->body;
  /* set the element to the value */
  IrStmt *set = ir_stmt(l->A, IS_STORE, v->span);
  set->field = k;
  set->index = ir_local(l->A, e, IR_I64);
  IrExpr *val = ir_local(l->A, kv, IR_I64);
  if (vd->domain == LD_SPIN) val = ir_bin(l->A, IR_SUB, ir_bin(l->A, IR_MUL, ir_const_i(l->A, 2), val), ir_const_i(l->A, 1));
  else if (offset) val = ir_bin(l->A, IR_ADD, val, ir_const_i(l->A, offset));
  set->value = val;
  lw_emit(l, set);
  AccCtx ctx = {lw_new_local(l, "lw", IR_F64), 0, 0, NULL};
  IrStmt *z = ir_stmt(l->A, IS_SET, v->span);
  z->local = ctx.acc;
  z->value = ir_const_f(l->A, 0);
  lw_emit(l, z);
  l->memo_kv = kv;
  lw_for_touching(l, v, k, e, terms, acc_logdens, &ctx);
  l->memo_kv = -1;
  IrStmt *st = ir_stmt(l->A, IS_STORE, v->span);
  st->local = w;
  st->index = ir_local(l->A, kv, IR_I64);
  st->value = ir_local(l->A, ctx.acc, IR_F64);
  lw_emit(l, st);
  l->out = saved2;
  IrStmt *d = ir_stmt(l->A, IS_CATDRAW, v->span);
  d->field = k;
  d->index = ir_local(l->A, e, IR_I64);
  d->local = w;
  d->nargs = 2;
  d->args = arena_alloc(l->A, sizeof(IrExpr *) * 2);
  d->args[0] = K;
  d->args[1] = ir_const_i(l->A, offset);
  lw_emit(l, d);
  if (vd->domain == LD_SPIN) { /* the draw gives -1 or 0 for kv = 0, 1: map to -1, +1 */
    IrStmt *fx = ir_stmt(l->A, IS_STORE, v->span);
    fx->field = k;
    fx->index = ir_local(l->A, e, IR_I64);
    fx->value = ir_bin(l->A, IR_SUB, ir_bin(l->A, IR_MUL, ir_const_i(l->A, 2),
                                            ir_bin(l->A, IR_ADD, lw_load_var(l, k, ir_local(l->A, e, IR_I64)), ir_const_i(l->A, 1))),
                       ir_const_i(l->A, 1));
    lw_emit(l, fx);
  }
  l->out = saved;
}

/* A generated function logp_<v>(e, x): the log density of the terms that
 * touch element e of v, with v[e] set to x (left so on return). */
IrFunc *lw_touch_func(Lower *l, const char *name, Sym *v, const PtrVec *terms, TouchFn fn,
                      AccCtx *ctx) {
  int k = lw_var_index(l, v);
  IrFunc *sweep = l->fn;
  PtrVec *sweep_out = l->out;
  PtrVec bn = l->bind_name, bl = l->bind_local;
  /* the log density function */
  IrFunc *lf = arena_alloc(l->A, sizeof *lf);
  lf->name = name;
  lf->ret = IR_F64;
  vec_push(l->A, &l->mod->funcs, lf);
  l->fn = lf;
  l->out = &lf->body;
  l->bind_name = (PtrVec){0};
  l->bind_local = (PtrVec){0};
  int pe = ir_add_local(l->A, lf, "e", IR_I64);
  int px = ir_add_local(l->A, lf, "x", IR_F64);
  lf->nparams = 2;
  IrStmt *set = ir_stmt(l->A, IS_STORE, v->span);
  set->field = k;
  set->index = ir_local(l->A, pe, IR_I64);
  set->value = ir_local(l->A, px, IR_F64);
  lw_emit(l, set);
  ctx->acc = lw_new_local(l, "lp", IR_F64);
  ctx->e = pe;
  ctx->x = px;
  IrStmt *z = ir_stmt(l->A, IS_SET, v->span);
  z->local = ctx->acc;
  z->value = ir_const_f(l->A, 0);
  lw_emit(l, z);
  lw_for_touching(l, v, k, pe, terms, fn, ctx);
  IrStmt *r = ir_stmt(l->A, IS_RETURN, v->span);
  r->value = ir_local(l->A, ctx->acc, IR_F64);
  lw_emit(l, r);
  /* back to the sweep */
  l->fn = sweep;
  l->out = sweep_out;
  l->bind_name = bn;
  l->bind_local = bl;
  return lf;
}

/* Slice: a log-density function of one element, and the draw. */
static void lower_slice(Lower *l, const VarPlan *vp, const PtrVec *terms, int aux) {
  Sym *v = vp->var;
  int k = lw_var_index(l, v);
  AccCtx ctx = {0};
  IrFunc *lf = lw_touch_func(l, arena_printf(l->A, "logp_%s", v->name), v, terms, acc_logdens, &ctx);
  PtrVec *cbody;
  int e = lw_free_elements(l, v->span, k, &cbody);
  IrStmt *d = ir_stmt(l->A, IS_SLICE, v->span);
  d->field = k;
  d->index = ir_local(l->A, e, IR_I64);
  d->fn = lf->name;
  /* slice domain kind: lvm_slice_kind REAL=0, POS=1, UNIT=2 */
  Domain dom = v->type->dom;
  d->local = dom == D_POS ? 1 : dom == D_UNIT ? 2 : 0;
  d->nargs = 1;
  d->args = arena_alloc(l->A, sizeof(IrExpr *));
  d->args[0] = ir_const_i(l->A, aux);
  vec_push(l->A, cbody, d);
}

/* Hidden per-element state for slice sampling: 4 doubles per element. */
static int add_aux(Lower *l, const Sym *v) {
  int k = lw_var_index(l, v);
  const IrVarDesc *vd = l->mod->vars.v[k];
  IrVarDesc *a = arena_alloc(l->A, sizeof *a);
  a->name = arena_printf(l->A, "__slice_%s", v->name);
  a->kind = VK_AUX;
  a->domain = LD_REAL;
  a->ndim = vd->ndim + 1;
  for (int d = 0; d < vd->ndim; d++) a->dim[d] = vd->dim[d];
  a->dim[vd->ndim] = lw_add_size(l, "4", -1, 0, 4);
  a->domain_arg = -1;
  vec_push(l->A, &l->mod->vars, a);
  /* not an IR field: only the backend's slice call touches it, by index */
  return l->mod->vars.n - 1;
}

/* A variable the sweep cannot update: fine as long as the data give it in
 * full; otherwise the executable stops with this message. */
/* A normal-family variable whose elements are coupled (chains, loadings):
 * element by element, the log density of the terms touching it is
 * quadratic in x = v[e], so its values at -1, 0 and 1 give the natural
 * parameters exactly: eta1 = (f(1) - f(-1)) / 2, eta2 = (f(1) + f(-1)) / 2 - f(0). */
static void lower_coupled_normal(Lower *l, const VarPlan *vp, const PtrVec *terms) {
  Sym *v = vp->var;
  int k = lw_var_index(l, v);
  AccCtx ctx = {0};
  IrFunc *lf = lw_touch_func(l, arena_printf(l->A, "logp_%s", v->name), v, terms, acc_logdens, &ctx);
  int eta = lw_scratch(l, "eta", ir_const_i(l->A, 2));
  PtrVec *cbody;
  int e = lw_free_elements(l, v->span, k, &cbody);
  PtrVec *saved = l->out;
  l->out = cbody;
  lw_quadratic_eta(l, lf, e, eta, v->span);
  IrStmt *d = ir_stmt(l->A, IS_FAMILY, v->span);
  d->field = k;
  d->index = ir_local(l->A, e, IR_I64);
  d->local = eta;
  d->fn = "normal";
  d->nargs = 1;
  d->args = arena_alloc(l->A, sizeof(IrExpr *));
  d->args[0] = ir_const_i(l->A, 0);
  lw_emit(l, d);
  l->out = saved;
}

void lw_quadratic_eta(Lower *l, const IrFunc *lf, int e, int eta, Span span) {
  int fx[3];
  static const double at[3] = {-1.0, 0.0, 1.0};
  for (int i = 0; i < 3; i++) {
    fx[i] = lw_new_local(l, "f", IR_F64);
    IrExpr *call = ir_call(l->A, lf->name, 0, NULL);
    call->op = IR_KCALL;
    call->nargs = 2;
    call->args = arena_alloc(l->A, sizeof(IrExpr *) * 2);
    call->args[0] = ir_local(l->A, e, IR_I64);
    call->args[1] = ir_const_f(l->A, at[i]);
    IrStmt *s = ir_stmt(l->A, IS_SET, span);
    s->local = fx[i];
    s->value = call;
    lw_emit(l, s);
  }
  IrExpr *fm = ir_local(l->A, fx[0], IR_F64), *f0 = ir_local(l->A, fx[1], IR_F64),
         *f1 = ir_local(l->A, fx[2], IR_F64);
  IrStmt *s1 = ir_stmt(l->A, IS_STORE, span);
  s1->local = eta;
  s1->index = ir_const_i(l->A, 0);
  s1->value = ir_bin(l->A, IR_MUL, ir_const_f(l->A, 0.5), ir_bin(l->A, IR_SUB, f1, fm));
  lw_emit(l, s1);
  IrStmt *s2 = ir_stmt(l->A, IS_STORE, span);
  s2->local = eta;
  s2->index = ir_const_i(l->A, 1);
  s2->value = ir_bin(l->A, IR_SUB, ir_bin(l->A, IR_MUL, ir_const_f(l->A, 0.5), ir_bin(l->A, IR_ADD, f1, fm)), f0);
  lw_emit(l, s2);
}

static void lower_unsupported(Lower *l, const Sym *v, const char *why) {
  int k = lw_var_index(l, v);
  PtrVec *cbody;
  lw_free_elements(l, v->span, k, &cbody);
  IrStmt *x = ir_stmt(l->A, IS_FAIL, v->span);
  x->fn = arena_printf(l->A, "'%s' is not given in full by the data, and lvmc cannot sample it yet: %s",
                       v->name, why);
  vec_push(l->A, cbody, x);
}

static void lower_sweep(Lower *l, const PtrVec *terms, const PtrVec *order) {
  lw_new_func(l, "sweep", IR_I64);
  for (int i = 0; i < l->plan->vars.n; i++) {
    const VarPlan *vp = l->plan->vars.v[i];
    l->span = vp->var->span;
    switch (vp->kind) {
    case UPD_CONJUGATE: {
      const char *rt = vp->family->runtime;
      bool scalar_family = rt && (!strcmp(rt, "normal") || !strcmp(rt, "gamma") ||
                                  !strcmp(rt, "invgamma") || !strcmp(rt, "beta"));
      bool dirichlet = rt && (!strcmp(rt, "dirichlet") || !strcmp(rt, "mvnormal") || !strcmp(rt, "wishart"));
      if (vp->coupled && rt && !strcmp(rt, "normal") && vp->var->type->nstruct == 0) {
        lower_coupled_normal(l, vp, terms);
      } else if (vp->coupled) {
        lower_unsupported(l, vp->var, "conjugate updates of coupled elements are not generated yet (only the normal family is)");
      } else if (scalar_family || dirichlet) {
        lower_conjugate_scatter(l, vp, terms);
      } else {
        lower_unsupported(l, vp->var, arena_printf(l->A, "the %s family is not generated yet", vp->family->name));
      }
      break;
    }
    case UPD_ENUMERATE: lower_enumerate(l, vp, terms); break;
    case UPD_SLICE: {
      if (vp->var->type->nstruct > 0 && vp->var->type->dom != D_VEC) {
        lower_unsupported(l, vp->var, "slice updates of simplex or matrix elements are not generated yet");
        break;
      }
      lower_slice(l, vp, terms, l->aux_of[lw_var_index(l, vp->var)]);
      break;
    }
    default:
      lower_unsupported(l, vp->var, vp->reason ? vp->reason : "no update exists");
      break;
    }
  }
  lw_lower_deterministic(l, order);
  IrStmt *r = ir_stmt(l->A, IS_RETURN, NO_SPAN);
  r->value = ir_const_i(l->A, 0);
  lw_emit(l, r);
}

IrModule *lower_model(Compilation *c, Plan *plan) {
  Lower l = {0};
  l.A = &c->arena;
  l.comp = c;
  l.m = c->model;
  l.plan = plan;
  l.ok = 1;
  l.pc = (PolyCtx){&c->arena, c->model, POLY_MAX_MONOS, false, 0, 1000, true};
  l.memo_kv = -1;
  l.mod = arena_alloc(l.A, sizeof *l.mod);
  l.mod->model = c->model->name ? c->model->name : "model";
  Source *src = diags_source(&c->diags, c->user_src);
  l.mod->source = src ? src->name : "?";
  build_tables(&l);
  if (!l.ok) return NULL;
  /* hidden slice state */
  l.aux_of = arena_alloc(l.A, sizeof(int) * (size_t)(l.nsyms + 1));
  for (int i = 0; i < l.nsyms; i++) l.aux_of[i] = -1;
  for (int i = 0; i < plan->vars.n; i++) {
    VarPlan *vp = plan->vars.v[i];
    if (vp->kind == UPD_SLICE) l.aux_of[lw_var_index(&l, vp->var)] = add_aux(&l, vp->var);
  }
  PtrVec terms = lw_collect_terms(&l);
  PtrVec order = lw_statement_order(&l);
  lower_log_joint(&l, &terms);
  lower_prior(&l, "init", false, &order);
  lower_prior(&l, "simulate", true, &order);
  lower_sweep(&l, &terms, &order);
  if (l.ok) lower_vi(&l, &terms, &order);
  if (!l.ok) return NULL;
  return l.mod;
}
