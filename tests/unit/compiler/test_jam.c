/* ir_jam (compiler/jam.c): the jammed loop computes what the loop did, to
 * the bit, for every trip count; and the loops it must leave alone (a
 * value carried from one iteration to the next, an array both stored and
 * read, an inner bound or a condition that depends on the iteration, a
 * statement it does not know) are left as they were.
 *
 * A small interpreter of the IR runs a loop before and after the rewrite
 * on the same arrays and compares the arrays' bytes and every local. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"
#include "jam.h"

enum { NF = 3, NA = 128, NL = 256 }; /* shape 3 reads field 1 up to 12 * 7 + 13 */

typedef struct Machine {
  double f[NF][NA]; /* the state's arrays (f64), field k */
  double lf[NL];    /* f64 locals */
  long long li[NL]; /* i64 locals */
} Machine;

static const IrFunc *cur;
static int failures;

static bool is_i(int local) { return ((const IrLocal *)cur->locals.v[local])->type == IR_I64; }

static long long ev_i(Machine *m, const IrExpr *x);
static double ev_f(Machine *m, const IrExpr *x) {
  if (x->type == IR_I64) return (double)ev_i(m, x);
  switch (x->op) {
  case IR_CONST_F: return x->f;
  case IR_LOCAL: return m->lf[x->local];
  case IR_LOAD: return m->f[x->field][ev_i(m, x->args[0])];
  case IR_ADD: return ev_f(m, x->args[0]) + ev_f(m, x->args[1]);
  case IR_SUB: return ev_f(m, x->args[0]) - ev_f(m, x->args[1]);
  case IR_MUL: return ev_f(m, x->args[0]) * ev_f(m, x->args[1]);
  case IR_DIV: return ev_f(m, x->args[0]) / ev_f(m, x->args[1]);
  case IR_I2F: return (double)ev_i(m, x->args[0]);
  case IR_CALL: return exp(ev_f(m, x->args[0]));
  default: fprintf(stderr, "interpreter: f64 op %s\n", ir_op_name(x->op)); exit(2);
  }
}
static long long ev_i(Machine *m, const IrExpr *x) {
  switch (x->op) {
  case IR_CONST_I: return x->i;
  case IR_LOCAL: return m->li[x->local];
  case IR_ADD: return ev_i(m, x->args[0]) + ev_i(m, x->args[1]);
  case IR_SUB: return ev_i(m, x->args[0]) - ev_i(m, x->args[1]);
  case IR_MUL: return ev_i(m, x->args[0]) * ev_i(m, x->args[1]);
  case IR_IDIV: return ev_i(m, x->args[0]) / ev_i(m, x->args[1]);
  case IR_LT: return x->args[0]->type == IR_F64 ? ev_f(m, x->args[0]) < ev_f(m, x->args[1])
                                                 : ev_i(m, x->args[0]) < ev_i(m, x->args[1]);
  default: fprintf(stderr, "interpreter: i64 op %s\n", ir_op_name(x->op)); exit(2);
  }
}

static void run(Machine *m, const PtrVec *body) {
  for (int i = 0; i < body->n; i++) {
    const IrStmt *s = body->v[i];
    switch (s->kind) {
    case IS_SET:
      if (is_i(s->local)) m->li[s->local] = ev_i(m, s->value);
      else m->lf[s->local] = ev_f(m, s->value);
      break;
    case IS_STORE: m->f[s->field][ev_i(m, s->index)] = ev_f(m, s->value); break;
    case IS_ACC: m->f[s->field][ev_i(m, s->index)] += ev_f(m, s->value); break;
    case IS_BLOCK: run(m, &s->body); break;
    case IS_IF: run(m, ev_i(m, s->cond) ? &s->body : &s->els); break;
    case IS_FOR: {
      long long hi = ev_i(m, s->hi);
      for (m->li[s->local] = ev_i(m, s->lo); m->li[s->local] <= hi; m->li[s->local]++) run(m, &s->body);
      break;
    }
    default: fprintf(stderr, "interpreter: statement %d\n", (int)s->kind); exit(2);
    }
  }
}

/* ---- building loops ---- */

static Arena A;
static IrFunc *F;

static int local(const char *name, IrType t) { return ir_add_local(&A, F, name, t); }
static IrExpr *L(int local) { return ir_local(&A, local, ((const IrLocal *)F->locals.v[local])->type); }
static IrExpr *I(long long v) { return ir_const_i(&A, v); }
static IrExpr *C(double v) { return ir_const_f(&A, v); }
static IrExpr *B(IrOp op, IrExpr *x, IrExpr *y) { return ir_bin(&A, op, x, y); }
static IrExpr *ld(int field, IrExpr *i) { return ir_load(&A, field, i, IR_F64); }
static IrStmt *S(int local, IrExpr *v) {
  IrStmt *s = ir_stmt(&A, IS_SET, NO_SPAN);
  s->local = local;
  s->value = v;
  return s;
}
static IrStmt *st(IrStmtKind k, int field, IrExpr *i, IrExpr *v) {
  IrStmt *s = ir_stmt(&A, k, NO_SPAN);
  s->field = field;
  s->index = i;
  s->value = v;
  return s;
}
static IrStmt *loop(int local, IrExpr *lo, IrExpr *hi) {
  IrStmt *s = ir_stmt(&A, IS_FOR, NO_SPAN);
  s->local = local;
  s->lo = lo;
  s->hi = hi;
  return s;
}
static void add(IrStmt *parent, IrStmt *s) { vec_push(&A, &parent->body, s); }

/* hi is local `nloc` (set by the caller); the loop is k = 1 .. hi.  Shapes:
 * 0  a per-k chain over an inner loop, an if on data, exp, stores (jams)
 * 1  like 0, plus a value carried from k to k + 1 (must not jam)
 * 2  like 0, plus a read of the array it stores into (must not jam)
 * 3  an inner loop whose bound depends on k (must not jam)
 * 4  an accumulation statement (must not jam)
 * 5  an if whose condition depends on k (must not jam)
 * 6  several stores to one address (the last one wins, as before: jams) */
static IrStmt *shape(int which, int nloc) {
  int k = local("k", IR_I64), d = local("d", IR_I64), acc = local("acc", IR_F64), t = local("t", IR_F64),
      carry = local("carry", IR_F64);
  IrStmt *lp = loop(k, I(1), L(nloc));
  if (which == 1) add(lp, S(carry, B(IR_ADD, L(carry), C(0.5))));
  add(lp, S(acc, ld(0, L(k))));
  IrStmt *in = loop(d, I(0), which == 3 ? B(IR_SUB, L(k), I(1)) : I(2));
  add(lp, in);
  add(in, S(t, B(IR_MUL, ld(1, B(IR_ADD, B(IR_MUL, L(d), I(7)), L(k))), C(1.0 / 3.0))));
  add(in, S(acc, B(IR_ADD, L(acc), B(IR_MUL, L(t), L(t)))));
  if (which == 1) add(in, S(acc, B(IR_ADD, L(acc), L(carry))));
  IrStmt *c = ir_stmt(&A, IS_IF, NO_SPAN);
  c->cond = which == 5 ? B(IR_LT, L(k), I(3)) : B(IR_LT, ld(1, I(0)), C(0.5));
  add(c, S(acc, B(IR_DIV, L(acc), C(7.0))));
  vec_push(&A, &c->els, S(acc, B(IR_SUB, L(acc), C(1e-3))));
  add(lp, c);
  IrExpr *e = ir_call(&A, "exp", 1, (IrExpr *[]){B(IR_MUL, L(acc), C(-0.25))});
  add(lp, st(IS_STORE, 2, L(k), e));
  if (which == 2) add(lp, S(t, ld(2, B(IR_SUB, L(k), I(1)))));
  if (which == 4) add(lp, st(IS_ACC, 2, I(0), L(acc)));
  if (which == 6) add(lp, st(IS_STORE, 2, I(0), B(IR_ADD, L(acc), B(IR_MUL, ir_to_f(&A, L(k)), C(1e-9)))));
  return lp;
}

static void fill(Machine *m) {
  memset(m, 0, sizeof *m);
  for (int k = 0; k < NF; k++)
    for (int i = 0; i < NA; i++) m->f[k][i] = sin(1.0 + 3.1 * k + 0.77 * i) * (k + 1.5);
}

static void check(int which, bool should_jam) {
  for (int J = 2; J <= 5; J++) {
    for (long long n = -1; n <= 13; n++) {
      arena_free(&A);
      arena_init(&A);
      F = arena_alloc(&A, sizeof *F);
      F->name = "t";
      int nloc = local("n", IR_I64);
      IrStmt *lp = shape(which, nloc);
      cur = F;
      Machine *a = malloc(sizeof *a), *b = malloc(sizeof *b);
      fill(a);
      a->li[nloc] = n;
      a->lf[5] = 0.25; /* carry */
      run(a, &(PtrVec){.v = (void **)&lp, .n = 1});
      bool jammed = ir_jam(&A, F, lp, J);
      if (jammed != should_jam) {
        fprintf(stderr, "FAIL shape %d J %d n %lld: jammed %d, expected %d\n", which, J, n, jammed, should_jam);
        failures++;
      }
      fill(b);
      b->li[nloc] = n;
      b->lf[5] = 0.25;
      run(b, &(PtrVec){.v = (void **)&lp, .n = 1});
      /* the arrays, and the locals that existed before (the loop's own
       * variable ends one past hi in both: the remainder loop is the original) */
      bool same = !memcmp(a->f, b->f, sizeof a->f);
      for (int i = 0; i < 6; i++) same = same && a->li[i] == b->li[i] && !memcmp(&a->lf[i], &b->lf[i], sizeof(double));
      if (!same && !(jammed && n >= J)) { /* locals differ only where blocks ran */
        fprintf(stderr, "FAIL shape %d J %d n %lld: results differ\n", which, J, n);
        failures++;
      } else if (memcmp(a->f, b->f, sizeof a->f)) {
        fprintf(stderr, "FAIL shape %d J %d n %lld: arrays differ\n", which, J, n);
        failures++;
      }
      free(a);
      free(b);
    }
  }
}

int main(void) {
  arena_init(&A);
  check(0, true);
  check(1, false);
  check(2, false);
  check(3, false);
  check(4, false);
  check(5, false);
  check(6, true);
  arena_free(&A);
  if (failures) fprintf(stderr, "%d failures\n", failures);
  else printf("ir_jam: 7 shapes, J = 2..5, trip counts -1..13: ok\n");
  return failures != 0;
}
