/* jam.c — unroll-and-jam of a loop of the IR (see jam.h). */
#include "jam.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_ARRAYS = 64 };

/* An array of the IR: a state field (scratch false) or a scratch local. */
typedef struct Arr {
  int index;
  bool scratch;
} Arr;

typedef struct Jam {
  Arena *A;
  IrFunc *fn;
  int J;
  int nloc;             /* locals before the rewrite */
  int *copy;            /* per local: -1 (shared), else the first of its J copies */
  unsigned char *def;   /* per local: assigned so far in the iteration */
  Arr stored[MAX_ARRAYS], loaded[MAX_ARRAYS];
  int nstored, nloaded;
  bool ok;
} Jam;

static void note(Jam *j, Arr *set, int *n, int index, bool scratch) {
  for (int i = 0; i < *n; i++)
    if (set[i].index == index && set[i].scratch == scratch) return;
  if (*n == MAX_ARRAYS) {
    j->ok = false;
    return;
  }
  set[(*n)++] = (Arr){index, scratch};
}

/* The per-iteration locals: the loop variable and every local the body
 * assigns (the inner loops' variables are shared: their bounds are the
 * same in every iteration). */
static void mark_assigned(Jam *j, const PtrVec *body) {
  for (int i = 0; i < body->n; i++) {
    const IrStmt *s = body->v[i];
    if (s->kind == IS_SET && s->local >= 0 && s->local < j->nloc) j->copy[s->local] = 0;
    mark_assigned(j, &s->body);
    mark_assigned(j, &s->els);
  }
}

static bool per_iter(const Jam *j, int local) { return local >= 0 && local < j->nloc && j->copy[local] >= 0; }

/* Check the reads of expression x; *variant: it reads a per-iteration local. */
static void reads(Jam *j, const IrExpr *x, bool *variant) {
  if (!x || !j->ok) return;
  switch (x->op) {
  case IR_LOCAL:
    if (per_iter(j, x->local)) {
      *variant = true;
      if (!j->def[x->local]) j->ok = false; /* read before it is assigned: carried */
    }
    break;
  case IR_FIELD:
  case IR_LOAD:
  case IR_ARRCALL:
    note(j, j->loaded, &j->nloaded, x->field, false);
    break;
  case IR_SCRATCH:
    note(j, j->loaded, &j->nloaded, x->local, true);
    break;
  case IR_KCALL:
    j->ok = false;
    break;
  default:
    break;
  }
  for (int i = 0; i < x->nargs; i++) reads(j, x->args[i], variant);
}

static void check_list(Jam *j, const PtrVec *body);

/* Check a nested statement list: what it assigns counts as assigned after
 * it only if it was before (a loop may run no times, an if one branch). */
static void check_nested(Jam *j, const PtrVec *body) {
  unsigned char *saved = malloc((size_t)j->nloc);
  if (!saved) {
    j->ok = false;
    return;
  }
  memcpy(saved, j->def, (size_t)j->nloc);
  check_list(j, body);
  memcpy(j->def, saved, (size_t)j->nloc);
  free(saved);
}

static void check_list(Jam *j, const PtrVec *body) {
  for (int i = 0; i < body->n && j->ok; i++) {
    const IrStmt *s = body->v[i];
    bool variant = false;
    switch (s->kind) {
    case IS_SET:
      reads(j, s->value, &variant);
      if (s->local >= 0 && s->local < j->nloc) j->def[s->local] = 1;
      break;
    case IS_STORE:
      reads(j, s->index, &variant);
      reads(j, s->value, &variant);
      note(j, j->stored, &j->nstored, s->local >= 0 ? s->local : s->field, s->local >= 0);
      break;
    case IS_FOR:
      reads(j, s->lo, &variant);
      reads(j, s->hi, &variant);
      if (variant || per_iter(j, s->local)) j->ok = false;
      check_nested(j, &s->body);
      break;
    case IS_IF:
      reads(j, s->cond, &variant);
      if (variant) j->ok = false;
      check_nested(j, &s->body);
      check_nested(j, &s->els);
      break;
    case IS_BLOCK:
      check_list(j, &s->body);
      break;
    default:
      j->ok = false;
      break;
    }
  }
}

/* x with every per-iteration local replaced by its copy u */
static IrExpr *subst(Jam *j, const IrExpr *x, int u) {
  if (!x) return NULL;
  IrExpr *y = arena_alloc(j->A, sizeof *y);
  *y = *x;
  if (x->op == IR_LOCAL && per_iter(j, x->local)) y->local = j->copy[x->local] + u;
  if (x->nargs) {
    y->args = arena_alloc(j->A, sizeof(IrExpr *) * (size_t)x->nargs);
    for (int i = 0; i < x->nargs; i++) y->args[i] = subst(j, x->args[i], u);
  }
  return y;
}

static IrStmt *like(Jam *j, const IrStmt *s) {
  IrStmt *t = ir_stmt(j->A, s->kind, s->span);
  t->local = s->local;
  t->field = s->field;
  t->field2 = s->field2;
  return t;
}

/* The J iterations of a statement list, statement by statement. */
static void jam_list(Jam *j, const PtrVec *body, PtrVec *out) {
  for (int i = 0; i < body->n; i++) {
    const IrStmt *s = body->v[i];
    switch (s->kind) {
    case IS_SET:
    case IS_STORE:
      for (int u = 0; u < j->J; u++) {
        IrStmt *t = like(j, s);
        if (s->kind == IS_SET && per_iter(j, s->local)) t->local = j->copy[s->local] + u;
        t->index = subst(j, s->index, u);
        t->value = subst(j, s->value, u);
        vec_push(j->A, out, t);
      }
      break;
    case IS_FOR:
    case IS_IF:
    case IS_BLOCK: {
      IrStmt *t = like(j, s);
      t->lo = subst(j, s->lo, 0);
      t->hi = subst(j, s->hi, 0);
      t->cond = subst(j, s->cond, 0);
      jam_list(j, &s->body, &t->body);
      jam_list(j, &s->els, &t->els);
      vec_push(j->A, out, t);
      break;
    }
    default: /* excluded by check_list */
      break;
    }
  }
}

static IrExpr *ci(Jam *j, long long v) { return ir_const_i(j->A, v); }
static IrExpr *li(Jam *j, int local) { return ir_local(j->A, local, IR_I64); }

static IrStmt *set_i(Jam *j, int local, IrExpr *v, Span sp) {
  IrStmt *s = ir_stmt(j->A, IS_SET, sp);
  s->local = local;
  s->value = v;
  return s;
}

bool ir_jam(Arena *A, IrFunc *fn, IrStmt *loop, int J) {
  if (!loop || loop->kind != IS_FOR || J < 2 || loop->local < 0) return false;
  Jam j = {.A = A, .fn = fn, .J = J, .nloc = fn->locals.n, .ok = true};
  j.copy = malloc(sizeof(int) * (size_t)j.nloc);
  j.def = calloc((size_t)j.nloc, 1);
  if (!j.copy || !j.def) {
    free(j.copy);
    free(j.def);
    return false;
  }
  for (int i = 0; i < j.nloc; i++) j.copy[i] = -1;
  j.copy[loop->local] = 0;
  mark_assigned(&j, &loop->body);
  j.def[loop->local] = 1;
  check_list(&j, &loop->body);
  for (int a = 0; a < j.nstored && j.ok; a++)
    for (int b = 0; b < j.nloaded && j.ok; b++)
      if (j.stored[a].index == j.loaded[b].index && j.stored[a].scratch == j.loaded[b].scratch) j.ok = false;
  if (!j.ok) {
    free(j.copy);
    free(j.def);
    return false;
  }
  for (int i = 0; i < j.nloc; i++) {
    if (j.copy[i] < 0) continue;
    const IrLocal *lc = fn->locals.v[i];
    j.copy[i] = fn->locals.n;
    for (int u = 0; u < J; u++) ir_add_local(A, fn, arena_printf(A, "%s_%d", lc->name, u), lc->type);
  }
  /* lo, hi and the number of blocks, once; then the blocks; then the rest */
  Span sp = loop->span;
  int lo = ir_add_local(A, fn, arena_printf(A, "jlo%d", fn->locals.n), IR_I64),
      hi = ir_add_local(A, fn, arena_printf(A, "jhi%d", fn->locals.n), IR_I64),
      nq = ir_add_local(A, fn, arena_printf(A, "jn%d", fn->locals.n), IR_I64),
      q = ir_add_local(A, fn, arena_printf(A, "jq%d", fn->locals.n), IR_I64);
  PtrVec pre = {0};
  vec_push(A, &pre, set_i(&j, lo, loop->lo, sp));
  vec_push(A, &pre, set_i(&j, hi, loop->hi, sp));
  /* (hi - lo + 1) / J; when hi < lo it is <= 0 and lo + J nq > hi: neither loop runs */
  vec_push(A, &pre, set_i(&j, nq, ir_bin(A, IR_IDIV, ir_bin(A, IR_ADD, ir_bin(A, IR_SUB, li(&j, hi), li(&j, lo)), ci(&j, 1)), ci(&j, J)), sp));
  IrStmt *blocks = ir_stmt(A, IS_FOR, sp);
  blocks->local = q;
  blocks->lo = ci(&j, 0);
  blocks->hi = ir_bin(A, IR_SUB, li(&j, nq), ci(&j, 1));
  for (int u = 0; u < J; u++)
    vec_push(A, &blocks->body,
             set_i(&j, j.copy[loop->local] + u,
                   ir_bin(A, IR_ADD, li(&j, lo), ir_bin(A, IR_ADD, ir_bin(A, IR_MUL, li(&j, q), ci(&j, J)), ci(&j, u))), sp));
  jam_list(&j, &loop->body, &blocks->body);
  vec_push(A, &pre, blocks);
  IrStmt *rest = ir_stmt(A, IS_FOR, sp);
  rest->local = loop->local;
  rest->lo = ir_bin(A, IR_ADD, li(&j, lo), ir_bin(A, IR_MUL, li(&j, nq), ci(&j, J)));
  rest->hi = li(&j, hi);
  rest->body = loop->body;
  vec_push(A, &pre, rest);
  /* the loop statement becomes the block of the four */
  loop->kind = IS_BLOCK;
  loop->local = -1;
  loop->lo = loop->hi = NULL;
  loop->body = pre;
  free(j.copy);
  free(j.def);
  return true;
}
