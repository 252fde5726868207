/* The LLVM backend on the IR constructs that no model lowers to today
 * (the model goldens in tests/golden/dumps/ *-llvm.cmd cover the rest):
 * NEG, LT, OR, NOT, SELECT (both forms), REM, an if with an else, a block, SETF,
 * RTCALL and a family draw into an integer variable; and those only
 * matrix models reach (ARRCALL, a family draw with a work buffer) or that
 * CAVI lowers to (a sized factor update, VIFACTOR), with a CAVI kernel and
 * factor table in the model record.  The module is built by hand, checked (ir_check), emitted
 * (llvm_emit_ir runs the LLVM verifier) and compared with the golden file
 * given as argv[1]; `--accept` rewrites it (scripts/accept-golden).
 *
 *   test_emit_llvm EXPECTED [--accept] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit_llvm.h"
#include "ir.h"

static IrStmt *set(Arena *a, int local, IrExpr *v) {
  IrStmt *s = ir_stmt(a, IS_SET, NO_SPAN);
  s->local = local;
  s->value = v;
  return s;
}

/* A statement of kind k on field[0] from scratch `local`, named fn, with
 * the integer constants args[0 .. n-1]. */
static IrStmt *elem_stmt(Arena *a, IrStmtKind k, const char *fn, int field, int local, int n, const long long *args) {
  IrStmt *s = ir_stmt(a, k, NO_SPAN);
  s->fn = fn;
  s->field = field;
  s->local = local;
  s->index = ir_const_i(a, 0);
  s->nargs = n;
  s->args = arena_alloc(a, (size_t)n * sizeof *s->args);
  for (int i = 0; i < n; i++) s->args[i] = ir_const_i(a, args[i]);
  return s;
}

static IrModule *constructs(Arena *a) {
  IrModule *m = arena_alloc(a, sizeof *m);
  m->model = "constructs";
  m->source = "constructs.lvm";
  IrVarDesc *nv = arena_alloc(a, sizeof *nv);
  nv->name = "n";
  nv->kind = 0;
  nv->domain = 3;
  nv->is_int = true;
  nv->domain_arg = -1;
  vec_push(a, &m->vars, nv);
  IrSizeDesc *z = arena_alloc(a, sizeof *z);
  z->text = "n";
  z->var = 0;
  vec_push(a, &m->sizes, z);
  IrField *fn0 = arena_alloc(a, sizeof *fn0);
  fn0->name = "n0";
  fn0->type = IR_I64;
  fn0->size = true;
  fn0->index = 0;
  vec_push(a, &m->fields, fn0);
  IrField *fv = arena_alloc(a, sizeof *fv);
  fv->name = "n";
  fv->type = IR_I64;
  fv->array = true;
  fv->index = 0;
  vec_push(a, &m->fields, fv);
  /* x : f64[4] (a 2 x 2 matrix), and its CAVI arrays eta and stats */
  const char *fnames[3] = {"x", "x_eta", "x_stats"};
  for (int k = 0; k < 3; k++) {
    IrVarDesc *xv = arena_alloc(a, sizeof *xv);
    xv->name = fnames[k];
    xv->kind = k ? 4 : 2;
    xv->ndim = 1;
    xv->domain_arg = -1;
    vec_push(a, &m->vars, xv);
    IrField *fx = arena_alloc(a, sizeof *fx);
    fx->name = fnames[k];
    fx->type = IR_F64;
    fx->array = true;
    fx->index = k + 1;
    vec_push(a, &m->fields, fx);
  }
  IrViFactor *vf = arena_alloc(a, sizeof *vf);
  vf->var = 1;
  vf->family = "dirichlet";
  vf->eta = 2;
  vf->stats = 3;
  vf->size = 0;
  vec_push(a, &m->vi_factors, vf);

  /* f64 log_joint: every expression construct */
  IrFunc *f = arena_alloc(a, sizeof *f);
  f->name = "log_joint";
  f->ret = IR_F64;
  int x = ir_add_local(a, f, "x", IR_F64);
  int i = ir_add_local(a, f, "i", IR_I64);
  vec_push(a, &f->body, set(a, x, ir_un(a, IR_NEG, ir_const_f(a, 1.5))));
  vec_push(a, &f->body, set(a, i, ir_un(a, IR_NEG, ir_const_i(a, 3))));
  IrStmt *blk = ir_stmt(a, IS_BLOCK, NO_SPAN);
  IrStmt *cond = ir_stmt(a, IS_IF, NO_SPAN);
  cond->cond = ir_bin(a, IR_OR, ir_bin(a, IR_LT, ir_local(a, x, IR_F64), ir_const_f(a, 0)),
                      ir_un(a, IR_NOT, ir_bin(a, IR_LT, ir_local(a, i, IR_I64), ir_const_i(a, 2))));
  vec_push(a, &cond->body,
           set(a, x, ir_select(a, ir_bin(a, IR_EQ, ir_local(a, i, IR_I64), ir_const_i(a, 1)),
                               ir_bin(a, IR_MUL, ir_local(a, x, IR_F64), ir_const_f(a, 2)),
                               ir_bin(a, IR_DIV, ir_local(a, x, IR_F64), ir_const_f(a, 3)))));
  /* an arm with an integer division: evaluated only when chosen (a
   * branch); the arms above can be evaluated either way (an LLVM select) */
  vec_push(a, &cond->body,
           set(a, i, ir_select(a, ir_bin(a, IR_LT, ir_local(a, x, IR_F64), ir_const_f(a, 0)),
                               ir_bin(a, IR_IDIV, ir_const_i(a, 7), ir_local(a, i, IR_I64)),
                               ir_local(a, i, IR_I64))));
  vec_push(a, &cond->els, set(a, i, ir_bin(a, IR_REM, ir_local(a, i, IR_I64), ir_const_i(a, 2))));
  vec_push(a, &blk->body, cond);
  vec_push(a, &f->body, blk);
  IrStmt *sf = ir_stmt(a, IS_SETF, NO_SPAN);
  sf->field = 0;
  IrExpr *n0 = arena_alloc(a, sizeof *n0);
  n0->op = IR_FIELD;
  n0->type = IR_I64;
  n0->field = 0;
  sf->value = ir_bin(a, IR_ADD, n0, ir_local(a, i, IR_I64));
  vec_push(a, &f->body, sf);
  /* x += log det of the 2 x 2 matrix @x[0 ..] */
  vec_push(a, &f->body, set(a, x, ir_bin(a, IR_ADD, ir_local(a, x, IR_F64),
                                         ir_arrcall(a, "lvm_gen_log_det", 2, ir_const_i(a, 0),
                                                    ir_const_i(a, 2)))));
  IrStmt *ret = ir_stmt(a, IS_RETURN, NO_SPAN);
  ret->value = ir_local(a, x, IR_F64);
  vec_push(a, &f->body, ret);
  vec_push(a, &m->funcs, f);

  /* status init: a status-returning runtime call */
  IrFunc *g = arena_alloc(a, sizeof *g);
  g->name = "init";
  g->ret = IR_I64;
  /* n[0] <- family bernoulli(eta[0 ..]): drawn into an int, then stored */
  int eta = ir_add_local(a, g, "eta", IR_F64);
  ((IrLocal *)g->locals.v[eta])->scratch_n = ir_const_i(a, 2);
  vec_push(a, &g->body, elem_stmt(a, IS_FAMILY, "bernoulli", 1, eta, 1, (long long[]){0}));
  /* x[0 ..] <- family wishart(eta[0 ..], D = 2) with the work buffer work[1] */
  int work = ir_add_local(a, g, "work", IR_F64);
  ((IrLocal *)g->locals.v[work])->scratch_n = ir_const_i(a, 16);
  IrStmt *wf = elem_stmt(a, IS_FAMILY, "wishart", 2, eta, 2, (long long[]){0, 2});
  wf->value = ir_scratch(a, work, ir_const_i(a, 1));
  vec_push(a, &g->body, wf);
  IrStmt *rc = ir_stmt(a, IS_RTCALL, (Span){-1, 7, 3, 7, 9});
  rc->fn = "lvm_test_status";
  rc->nargs = 2;
  rc->args = arena_alloc(a, 2 * sizeof *rc->args);
  rc->args[0] = ir_const_i(a, 1);
  rc->args[1] = ir_const_f(a, 0.25);
  vec_push(a, &g->body, rc);
  IrStmt *r0 = ir_stmt(a, IS_RETURN, NO_SPAN);
  r0->value = ir_const_i(a, 0);
  vec_push(a, &g->body, r0);
  vec_push(a, &m->funcs, g);

  /* status vi_sweep: a sized factor update (x_eta[0 .. 1] from eta[0 .. 1],
   * then x_stats = E[T] of a Dirichlet with K = 2) */
  IrFunc *v = arena_alloc(a, sizeof *v);
  v->name = "vi_sweep";
  v->ret = IR_I64;
  int veta = ir_add_local(a, v, "eta", IR_F64);
  ((IrLocal *)v->locals.v[veta])->scratch_n = ir_const_i(a, 2);
  IrStmt *vs = elem_stmt(a, IS_VIFACTOR, "dirichlet", 3, veta, 3, (long long[]){0, 2, 2});
  vs->span = (Span){-1, 4, 1, 4, 20};
  vs->field2 = 4;
  vec_push(a, &v->body, vs);
  IrStmt *r1 = ir_stmt(a, IS_RETURN, NO_SPAN);
  r1->value = ir_const_i(a, 0);
  vec_push(a, &v->body, r1);
  vec_push(a, &m->funcs, v);
  return m;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: test_emit_llvm EXPECTED [--accept]\n");
    return 2;
  }
  Arena a;
  arena_init(&a);
  Diags d;
  diags_init(&d, &a);
  IrModule *m = constructs(&a);
  if (ir_check(m, stderr) != 0) return 1;
  char *got = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&got, &len);
  LlvmOptions o = {false, true};
  if (!f || llvm_emit_ir(f, m, &d, &o) != 0) return 1;
  fclose(f);
  int rc = 0;
  if (argc > 2 && !strcmp(argv[2], "--accept")) {
    FILE *e = fopen(argv[1], "w");
    if (!e || fputs(got, e) < 0 || fclose(e) != 0) rc = 1;
  } else {
    FILE *e = fopen(argv[1], "r");
    char *want = calloc(1, len + 2);
    size_t n = e && want ? fread(want, 1, len + 1, e) : 0;
    if (e) fclose(e);
    if (n != len || memcmp(want, got, len) != 0) {
      fprintf(stderr, "FAIL: the emitted LLVM IR differs from %s; it is:\n%s", argv[1], got);
      rc = 1;
    } else {
      printf("emit_llvm constructs: as expected\n");
    }
    free(want);
  }
  free(got);
  arena_free(&a);
  return rc;
}
