/* ir.c — builders, the --dump=ir printer and the invariant checker. */
#include "ir.h"

#include <string.h>

static const char *const op_names[] = {
#define X(name, arity) #name,
    IR_OPS(X)
#undef X
};
static const int op_arity[] = {
#define X(name, arity) arity,
    IR_OPS(X)
#undef X
};

const char *ir_op_name(IrOp op) { return op < IR_OP_COUNT ? op_names[op] : "?"; }

static IrExpr *mk(Arena *a, IrOp op, IrType t, int nargs) {
  IrExpr *e = arena_alloc(a, sizeof *e);
  e->op = op;
  e->type = t;
  e->nargs = nargs;
  e->args = nargs ? arena_alloc(a, sizeof(IrExpr *) * (size_t)nargs) : NULL;
  e->local = e->field = -1;
  return e;
}

IrExpr *ir_const_f(Arena *a, double v) {
  IrExpr *e = mk(a, IR_CONST_F, IR_F64, 0);
  e->f = v;
  return e;
}
IrExpr *ir_const_i(Arena *a, long long v) {
  IrExpr *e = mk(a, IR_CONST_I, IR_I64, 0);
  e->i = v;
  return e;
}
IrExpr *ir_local(Arena *a, int local, IrType t) {
  IrExpr *e = mk(a, IR_LOCAL, t, 0);
  e->local = local;
  return e;
}
IrExpr *ir_load(Arena *a, int field, IrExpr *index, IrType t) {
  IrExpr *e = mk(a, IR_LOAD, t, 1);
  e->field = field;
  e->args[0] = index;
  return e;
}
IrExpr *ir_scratch(Arena *a, int local, IrExpr *index) {
  IrExpr *e = mk(a, IR_SCRATCH, IR_F64, 1);
  e->local = local;
  e->args[0] = index;
  return e;
}
IrExpr *ir_to_f(Arena *a, IrExpr *x) {
  if (x->type == IR_F64) return x;
  if (x->op == IR_CONST_I) return ir_const_f(a, (double)x->i);
  IrExpr *e = mk(a, IR_I2F, IR_F64, 1);
  e->args[0] = x;
  return e;
}
IrExpr *ir_to_i(Arena *a, IrExpr *x) {
  if (x->type == IR_I64) return x;
  IrExpr *e = mk(a, IR_F2I, IR_I64, 1);
  e->args[0] = x;
  return e;
}
IrExpr *ir_un(Arena *a, IrOp op, IrExpr *x) {
  IrExpr *e = mk(a, op, op == IR_NOT ? IR_I64 : x->type, 1);
  e->args[0] = x;
  return e;
}
IrExpr *ir_bin(Arena *a, IrOp op, IrExpr *x, IrExpr *y) {
  bool cmp = op == IR_LT || op == IR_LE || op == IR_EQ || op == IR_NE || op == IR_AND || op == IR_OR;
  if (op != IR_AND && op != IR_OR && x->type != y->type) {
    x = ir_to_f(a, x);
    y = ir_to_f(a, y);
  }
  if (op == IR_IDIV || op == IR_REM) {
    x = ir_to_i(a, x);
    y = ir_to_i(a, y);
  } else if (op == IR_DIV) {
    x = ir_to_f(a, x);
    y = ir_to_f(a, y);
  }
  /* fold the common constant cases */
  if (x->op == IR_CONST_I && y->op == IR_CONST_I && !cmp && op != IR_DIV && op != IR_REM &&
      op != IR_IDIV) {
    long long v = op == IR_ADD ? x->i + y->i : op == IR_SUB ? x->i - y->i : x->i * y->i;
    return ir_const_i(a, v);
  }
  if (op == IR_MUL && x->op == IR_CONST_F && x->f == 1) return y;
  if (op == IR_MUL && y->op == IR_CONST_F && y->f == 1) return x;
  if (op == IR_ADD && x->op == IR_CONST_F && x->f == 0) return y;
  if ((op == IR_ADD || op == IR_SUB) && y->op == IR_CONST_I && y->i == 0) return x;
  IrExpr *e = mk(a, op, cmp ? IR_I64 : x->type, 2);
  e->args[0] = x;
  e->args[1] = y;
  return e;
}
IrExpr *ir_call(Arena *a, const char *fn, int nargs, IrExpr **args) {
  IrExpr *e = mk(a, IR_CALL, IR_F64, nargs);
  e->fn = fn;
  for (int i = 0; i < nargs; i++) e->args[i] = ir_to_f(a, args[i]);
  return e;
}
IrExpr *ir_select(Arena *a, IrExpr *c, IrExpr *x, IrExpr *y) {
  if (x->type != y->type) {
    x = ir_to_f(a, x);
    y = ir_to_f(a, y);
  }
  IrExpr *e = mk(a, IR_SELECT, x->type, 3);
  e->args[0] = c;
  e->args[1] = x;
  e->args[2] = y;
  return e;
}
IrExpr *ir_free(Arena *a, int field, IrExpr *index) {
  IrExpr *e = mk(a, IR_FREE, IR_I64, 1);
  e->field = field;
  e->args[0] = index;
  return e;
}
IrExpr *ir_arrcall(Arena *a, const char *fn, int field, IrExpr *offset, IrExpr *n) {
  IrExpr *e = mk(a, IR_ARRCALL, IR_F64, 2);
  e->fn = fn;
  e->field = field;
  e->args[0] = offset;
  e->args[1] = n;
  return e;
}
IrStmt *ir_stmt(Arena *a, IrStmtKind k, Span span) {
  IrStmt *s = arena_alloc(a, sizeof *s);
  s->kind = k;
  s->span = span;
  s->local = s->field = -1;
  return s;
}
int ir_add_local(Arena *a, IrFunc *f, const char *name, IrType t) {
  IrLocal *l = arena_alloc(a, sizeof *l);
  l->name = name;
  l->type = t;
  vec_push(a, &f->locals, l);
  return f->locals.n - 1;
}

bool ir_expr_equal(const IrExpr *a, const IrExpr *b) {
  if (a == b) return true;
  if (!a || !b || a->op != b->op || a->type != b->type || a->nargs != b->nargs || a->local != b->local ||
      a->field != b->field || a->i != b->i || memcmp(&a->f, &b->f, sizeof a->f) != 0)
    return false;
  if ((a->fn || b->fn) && (!a->fn || !b->fn || strcmp(a->fn, b->fn) != 0)) return false;
  for (int i = 0; i < a->nargs; i++)
    if (!ir_expr_equal(a->args[i], b->args[i])) return false;
  return true;
}

const IrFunc *ir_find_func(const IrModule *m, const char *name) {
  for (int i = 0; i < m->funcs.n; i++)
    if (!strcmp(((const IrFunc *)m->funcs.v[i])->name, name)) return m->funcs.v[i];
  return NULL;
}

/* ---- dump ---- */

static void dump_expr(FILE *f, const IrModule *m, const IrFunc *fn, const IrExpr *e) {
  switch (e->op) {
  case IR_CONST_F: fprintf(f, "%.17g", e->f); return;
  case IR_CONST_I: fprintf(f, "%lldi", e->i); return;
  case IR_LOCAL: fprintf(f, "%%%s", ((IrLocal *)fn->locals.v[e->local])->name); return;
  case IR_FIELD: fprintf(f, "@%s", ((IrField *)m->fields.v[e->field])->name); return;
  case IR_LOAD:
    fprintf(f, "@%s[", ((IrField *)m->fields.v[e->field])->name);
    dump_expr(f, m, fn, e->args[0]);
    fputc(']', f);
    return;
  case IR_SCRATCH:
    fprintf(f, "%%%s[", ((IrLocal *)fn->locals.v[e->local])->name);
    dump_expr(f, m, fn, e->args[0]);
    fputc(']', f);
    return;
  case IR_ARRCALL:
    fprintf(f, "(ARRCALL %s @%s ", e->fn, ((IrField *)m->fields.v[e->field])->name);
    dump_expr(f, m, fn, e->args[0]);
    fputc(' ', f);
    dump_expr(f, m, fn, e->args[1]);
    fputc(')', f);
    return;
  case IR_FREE:
    fprintf(f, "(FREE @%s ", ((IrField *)m->fields.v[e->field])->name);
    dump_expr(f, m, fn, e->args[0]);
    fputc(')', f);
    return;
  default: break;
  }
  fprintf(f, "(%s", e->op == IR_CALL || e->op == IR_KCALL ? e->fn : ir_op_name(e->op));
  for (int i = 0; i < e->nargs; i++) {
    fputc(' ', f);
    dump_expr(f, m, fn, e->args[i]);
  }
  fputc(')', f);
}

static void dump_body(FILE *f, const IrModule *m, const IrFunc *fn, const PtrVec *body, int depth);

static void dump_stmt(FILE *f, const IrModule *m, const IrFunc *fn, const IrStmt *s, int depth) {
  for (int i = 0; i < depth; i++) fputs("  ", f);
  const char *fld = s->field >= 0 ? ((IrField *)m->fields.v[s->field])->name : "?";
  const char *loc = s->local >= 0 && s->kind != IS_SLICE && s->kind != IS_VIROWS
                        ? ((IrLocal *)fn->locals.v[s->local])->name
                        : "?";
  switch (s->kind) {
  case IS_BLOCK:
    fputs("{\n", f);
    dump_body(f, m, fn, &s->body, depth + 1);
    for (int i = 0; i < depth; i++) fputs("  ", f);
    fputs("}\n", f);
    return;
  case IS_FOR:
    fprintf(f, "for %%%s = ", loc);
    dump_expr(f, m, fn, s->lo);
    fputs(" .. ", f);
    dump_expr(f, m, fn, s->hi);
    fputs(" {\n", f);
    dump_body(f, m, fn, &s->body, depth + 1);
    for (int i = 0; i < depth; i++) fputs("  ", f);
    fputs("}\n", f);
    return;
  case IS_IF:
    fputs("if ", f);
    dump_expr(f, m, fn, s->cond);
    fputs(" {\n", f);
    dump_body(f, m, fn, &s->body, depth + 1);
    if (s->els.n) {
      for (int i = 0; i < depth; i++) fputs("  ", f);
      fputs("} else {\n", f);
      dump_body(f, m, fn, &s->els, depth + 1);
    }
    for (int i = 0; i < depth; i++) fputs("  ", f);
    fputs("}\n", f);
    return;
  case IS_SET: fprintf(f, "%%%s = ", loc); break;
  case IS_STORE:
  case IS_ACC:
    if (s->local >= 0) fprintf(f, "%%%s[", loc);
    else fprintf(f, "@%s[", fld);
    dump_expr(f, m, fn, s->index);
    fprintf(f, "] %s ", s->kind == IS_ACC ? "+=" : "=");
    break;
  case IS_SETF: fprintf(f, "@%s = ", fld); break;
  case IS_RETURN: fputs("return ", f); break;
  case IS_RTCALL: fprintf(f, "call %s", s->fn); break;
  case IS_FAIL: fprintf(f, "fail \"%s\"\n", s->fn); return;
  case IS_VIFACTOR:
    fprintf(f, "@%s[", fld);
    dump_expr(f, m, fn, s->index);
    fprintf(f, "], @%s <- factor %s %%%s", ((IrField *)m->fields.v[s->field2])->name, s->fn, loc);
    for (int i = 0; i < s->nargs; i++) {
      fputc(' ', f);
      dump_expr(f, m, fn, s->args[i]);
    }
    fputc('\n', f);
    return;
  case IS_VIROWS:
    fprintf(f, "@%s, @%s <- factor rows categorical of %s K ", fld, ((IrField *)m->fields.v[s->field2])->name,
            ((IrVarDesc *)m->vars.v[s->local])->name);
    dump_expr(f, m, fn, s->args[0]);
    fputc('\n', f);
    return;
  case IS_DRAW:
  case IS_DRAWVEC:
  case IS_FAMILY:
  case IS_CATDRAW:
  case IS_SLICE:
    fprintf(f, "@%s[", fld);
    dump_expr(f, m, fn, s->index);
    fprintf(f, "] <- %s %s", s->kind == IS_DRAW ? "draw" : s->kind == IS_DRAWVEC ? "drawvec"
                           : s->kind == IS_FAMILY ? "family" : s->kind == IS_CATDRAW ? "categorical"
                                                                                     : "slice",
            s->fn ? s->fn : "");
    if (s->local >= 0 && s->kind != IS_SLICE) fprintf(f, " %%%s", loc);
    for (int i = 0; i < s->nargs; i++) {
      fputc(' ', f);
      dump_expr(f, m, fn, s->args[i]);
    }
    if (s->kind == IS_FAMILY && s->value) {
      fputs(" work ", f);
      dump_expr(f, m, fn, s->value);
    }
    fputc('\n', f);
    return;
  }
  if (s->value) dump_expr(f, m, fn, s->value);
  for (int i = 0; s->kind == IS_RTCALL && i < s->nargs; i++) {
    fputc(' ', f);
    dump_expr(f, m, fn, s->args[i]);
  }
  fputc('\n', f);
}

static void dump_body(FILE *f, const IrModule *m, const IrFunc *fn, const PtrVec *body, int depth) {
  for (int i = 0; i < body->n; i++) dump_stmt(f, m, fn, body->v[i], depth);
}

void ir_dump(FILE *f, const IrModule *m) {
  fprintf(f, "module %s\n", m->model);
  for (int i = 0; i < m->fields.n; i++) {
    const IrField *fl = m->fields.v[i];
    fprintf(f, "field @%s : %s%s   # %s\n", fl->name, fl->type == IR_I64 ? "i64" : "f64",
            fl->array ? "[]" : "", fl->doc ? fl->doc : "");
  }
  for (int i = 0; i < m->funcs.n; i++) {
    const IrFunc *fn = m->funcs.v[i];
    fprintf(f, "\nfunc %s(", fn->name);
    for (int k = 0; k < fn->nparams; k++) {
      const IrLocal *l = fn->locals.v[k];
      fprintf(f, "%s%%%s : %s", k ? ", " : "", l->name, l->type == IR_I64 ? "i64" : "f64");
    }
    fprintf(f, ") -> %s\n", fn->ret == IR_F64 ? "f64" : fn->ret == IR_I64 ? "status" : "void");
    for (int k = fn->nparams; k < fn->locals.n; k++) {
      const IrLocal *l = fn->locals.v[k];
      if (l->scratch_n) {
        fprintf(f, "  scratch %%%s : f64[", l->name);
        dump_expr(f, m, fn, l->scratch_n);
        fputs("]\n", f);
      }
    }
    dump_body(f, m, fn, &fn->body, 1);
  }
}

/* ---- check ---- */

static int check_expr(FILE *out, const IrModule *m, const IrFunc *fn, const IrExpr *e) {
  int bad = 0;
  if (e->op >= IR_OP_COUNT) {
    fprintf(out, "ir: bad opcode in %s\n", fn->name);
    return 1;
  }
  if (op_arity[e->op] >= 0 && e->nargs != op_arity[e->op]) {
    fprintf(out, "ir: %s takes %d operands, has %d (in %s)\n", ir_op_name(e->op), op_arity[e->op],
            e->nargs, fn->name);
    bad++;
  }
  for (int i = 0; i < e->nargs; i++) bad += check_expr(out, m, fn, e->args[i]);
  switch (e->op) {
  case IR_LOCAL:
  case IR_SCRATCH:
    if (e->local < 0 || e->local >= fn->locals.n) {
      fprintf(out, "ir: undefined local in %s\n", fn->name);
      bad++;
    }
    break;
  case IR_LOAD:
  case IR_FIELD:
    if (e->field < 0 || e->field >= m->fields.n) {
      fprintf(out, "ir: undefined field in %s\n", fn->name);
      bad++;
    } else if (((IrField *)m->fields.v[e->field])->type != e->type) {
      fprintf(out, "ir: load of @%s has the wrong type in %s\n",
              ((IrField *)m->fields.v[e->field])->name, fn->name);
      bad++;
    }
    if (e->op == IR_LOAD && e->args[0]->type != IR_I64) {
      fprintf(out, "ir: index of @%s is not i64 in %s\n", ((IrField *)m->fields.v[e->field])->name,
              fn->name);
      bad++;
    }
    break;
  case IR_ADD:
  case IR_SUB:
  case IR_MUL:
  case IR_DIV:
  case IR_LT:
  case IR_LE:
  case IR_EQ:
  case IR_NE:
    if (e->args[0]->type != e->args[1]->type) {
      fprintf(out, "ir: %s of mixed types in %s\n", ir_op_name(e->op), fn->name);
      bad++;
    }
    break;
  case IR_ARRCALL:
    if (e->field < 0 || e->field >= m->fields.n || ((IrField *)m->fields.v[e->field])->type != IR_F64 ||
        !((IrField *)m->fields.v[e->field])->array) {
      fprintf(out, "ir: ARRCALL %s needs an f64 array field in %s\n", e->fn, fn->name);
      bad++;
    }
    if (e->args[0]->type != IR_I64 || e->args[1]->type != IR_I64) {
      fprintf(out, "ir: ARRCALL %s takes i64 offset and size in %s\n", e->fn, fn->name);
      bad++;
    }
    break;
  case IR_CALL:
    for (int i = 0; i < e->nargs; i++)
      if (e->args[i]->type != IR_F64) {
        fprintf(out, "ir: argument %d of %s is not f64 in %s\n", i + 1, e->fn, fn->name);
        bad++;
      }
    break;
  default: break;
  }
  return bad;
}

static int check_body(FILE *out, const IrModule *m, const IrFunc *fn, const PtrVec *body);

static int check_stmt(FILE *out, const IrModule *m, const IrFunc *fn, const IrStmt *s) {
  int bad = 0;
  IrExpr *es[] = {s->lo, s->hi, s->cond, s->index, s->value};
  for (size_t i = 0; i < sizeof es / sizeof es[0]; i++)
    if (es[i]) bad += check_expr(out, m, fn, es[i]);
  for (int i = 0; i < s->nargs; i++) bad += check_expr(out, m, fn, s->args[i]);
  if (s->index && s->index->type != IR_I64) {
    fprintf(out, "ir: store index is not i64 in %s\n", fn->name);
    bad++;
  }
  if (s->kind == IS_FOR && (s->lo->type != IR_I64 || s->hi->type != IR_I64 || s->local < 0)) {
    fprintf(out, "ir: loop bounds must be i64 in %s\n", fn->name);
    bad++;
  }
  if ((s->kind == IS_STORE || s->kind == IS_ACC) && s->local < 0 && s->field >= 0 && s->value &&
      ((IrField *)m->fields.v[s->field])->type != s->value->type) {
    fprintf(out, "ir: store to @%s of the wrong type in %s\n",
            ((IrField *)m->fields.v[s->field])->name, fn->name);
    bad++;
  }
  if (s->kind == IS_FAMILY && s->value && s->value->op != IR_SCRATCH) {
    fprintf(out, "ir: the work buffer of a family draw must be a scratch element in %s\n", fn->name);
    bad++;
  }
  if (s->kind == IS_VIFACTOR &&
      (s->local < 0 || s->field < 0 || s->field >= m->fields.n || s->field2 < 0 ||
       s->field2 >= m->fields.n || s->nargs < 2 || ((IrField *)m->fields.v[s->field])->type != IR_F64 ||
       ((IrField *)m->fields.v[s->field2])->type != IR_F64)) {
    fprintf(out, "ir: malformed factor update in %s\n", fn->name);
    bad++;
  }
  if (s->kind == IS_VIROWS &&
      (s->local < 0 || s->local >= m->vars.n || s->field < 0 || s->field >= m->fields.n || s->field2 < 0 ||
       s->field2 >= m->fields.n || s->nargs != 1 || s->args[0]->type != IR_I64 ||
       ((IrField *)m->fields.v[s->field])->type != IR_F64 || ((IrField *)m->fields.v[s->field2])->type != IR_F64)) {
    fprintf(out, "ir: malformed factor rows update in %s\n", fn->name);
    bad++;
  }
  bad += check_body(out, m, fn, &s->body);
  bad += check_body(out, m, fn, &s->els);
  return bad;
}

static int check_body(FILE *out, const IrModule *m, const IrFunc *fn, const PtrVec *body) {
  int bad = 0;
  for (int i = 0; i < body->n; i++) bad += check_stmt(out, m, fn, body->v[i]);
  return bad;
}

int ir_check(const IrModule *m, FILE *out) {
  int bad = 0;
  for (int i = 0; i < m->funcs.n; i++) {
    const IrFunc *fn = m->funcs.v[i];
    bad += check_body(out, m, fn, &fn->body);
  }
  return bad;
}
