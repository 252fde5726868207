/* emit_c.c — phase 6: the loop IR printed as C.
 *
 * The output is one self-contained C file: the variable table (data), the
 * kernels as static functions over the runtime's generic state (lvm/vars.h),
 * and the lvm_gen_model record (lvm/gen.h) with main().  Floating-point expressions are
 * printed fully parenthesised in IR order, and the file is compiled with
 * -ffp-contract=off, so that the LLVM backend (same IR, same order, no
 * contraction) gives identical draws. */
#include "emit_c.h"

#include <string.h>

typedef struct E {
  FILE *f;
  const IrModule *m;
  const IrFunc *fn;
  int depth;
  Diags *diags;
  int fn_index;
} E;

static void indent(E *e) {
  for (int i = 0; i < e->depth; i++) fputs("  ", e->f);
}

static const char *c_type(IrType t) { return t == IR_I64 ? "int64_t" : "double"; }

static void field_ref(E *e, int field) {
  const IrField *fl = e->m->fields.v[field];
  if (fl->size) fprintf(e->f, "st->n[%d]", fl->index);
  else fprintf(e->f, "((%s *)st->v[%d])", c_type(fl->type), fl->index);
}

static void expr(E *e, const IrExpr *x) {
  FILE *f = e->f;
  switch (x->op) {
  case IR_CONST_F:
    if (x->f == (double)(long long)x->f && x->f > -1e15 && x->f < 1e15) fprintf(f, "%.1f", x->f);
    else fprintf(f, "%.17g", x->f);
    return;
  case IR_CONST_I: fprintf(f, "INT64_C(%lld)", x->i); return;
  case IR_LOCAL: fprintf(f, "l%d", x->local); return;
  case IR_FIELD: field_ref(e, x->field); return;
  case IR_LOAD:
    field_ref(e, x->field);
    fputc('[', f);
    expr(e, x->args[0]);
    fputc(']', f);
    return;
  case IR_SCRATCH:
    fprintf(f, "l%d[", x->local);
    expr(e, x->args[0]);
    fputc(']', f);
    return;
  case IR_FREE:
    fprintf(f, "lvm_vars_free_elem(st, %d, (size_t)(", ((IrField *)e->m->fields.v[x->field])->index);
    expr(e, x->args[0]);
    fputs("))", f);
    return;
  case IR_NEG: fputs("(-", f); expr(e, x->args[0]); fputc(')', f); return;
  case IR_NOT: fputs("(int64_t)(!", f); expr(e, x->args[0]); fputc(')', f); return;
  case IR_I2F: fputs("((double)", f); expr(e, x->args[0]); fputc(')', f); return;
  case IR_F2I: fputs("((int64_t)", f); expr(e, x->args[0]); fputc(')', f); return;
  case IR_KCALL:
    fprintf(f, "%s(st", x->fn);
    for (int i = 0; i < x->nargs; i++) {
      fputs(", ", f);
      expr(e, x->args[i]);
    }
    fputc(')', f);
    return;
  case IR_CALL:
    fprintf(f, "%s(", x->fn);
    for (int i = 0; i < x->nargs; i++) {
      if (i) fputs(", ", f);
      expr(e, x->args[i]);
    }
    fputc(')', f);
    return;
  case IR_ARRCALL:
    fprintf(f, "%s(&", x->fn);
    field_ref(e, x->field);
    fputc('[', f);
    expr(e, x->args[0]);
    fputs("], ", f);
    expr(e, x->args[1]);
    fputc(')', f);
    return;
  case IR_SELECT:
    fputc('(', f);
    expr(e, x->args[0]);
    fputs(" ? ", f);
    expr(e, x->args[1]);
    fputs(" : ", f);
    expr(e, x->args[2]);
    fputc(')', f);
    return;
  default: break;
  }
  static const char *ops[IR_OP_COUNT] = {[IR_ADD] = "+", [IR_SUB] = "-", [IR_MUL] = "*",
                                         [IR_DIV] = "/", [IR_REM] = "%", [IR_IDIV] = "/", [IR_LT] = "<",
                                         [IR_LE] = "<=", [IR_EQ] = "==", [IR_NE] = "!=",
                                         [IR_AND] = "&&", [IR_OR] = "||"};
  bool cmp = x->op == IR_LT || x->op == IR_LE || x->op == IR_EQ || x->op == IR_NE ||
             x->op == IR_AND || x->op == IR_OR;
  if (cmp) fputs("(int64_t)", f);
  fputc('(', f);
  expr(e, x->args[0]);
  fprintf(f, " %s ", ops[x->op] ? ops[x->op] : "?");
  expr(e, x->args[1]);
  fputc(')', f);
}

static void where(E *e, Span s) {
  StrBuf b = {0};
  span_format(e->diags, s, &b);
  fputc('"', e->f);
  for (const char *p = b.s ? b.s : "?"; *p; p++) {
    if (*p == '"' || *p == '\\') fputc('\\', e->f);
    fputc(*p, e->f);
  }
  fputc('"', e->f);
  sb_free(&b);
}

static void body(E *e, const PtrVec *b);
static void c_string(FILE *f, const char *s);

/* &field[index] */
static void elem_addr(E *e, int field, const IrExpr *index) {
  fputc('&', e->f);
  field_ref(e, field);
  fputc('[', e->f);
  expr(e, index);
  fputc(']', e->f);
}

static void fail_check(E *e, Span s, const char *what) {
  indent(e);
  fputs("if (status != LVM_OK) return gen_fail(st, ", e->f);
  where(e, s);
  fprintf(e->f, ", \"%s\", status);\n", what);
}

/* The statements one level deeper, then the closing brace. */
static void nested(E *e, const PtrVec *b) {
  e->depth++;
  body(e, b);
  e->depth--;
  indent(e);
  fputs("}\n", e->f);
}

static const IrExpr zero_index = {.op = IR_CONST_I, .type = IR_I64};

static void stmt(E *e, const IrStmt *s) {
  FILE *f = e->f;
  switch (s->kind) {
  case IS_BLOCK:
    indent(e);
    fputs("{\n", f);
    nested(e, &s->body);
    return;
  case IS_FOR:
    indent(e);
    fprintf(f, "for (l%d = ", s->local);
    expr(e, s->lo);
    fprintf(f, "; l%d <= ", s->local);
    expr(e, s->hi);
    fprintf(f, "; l%d++) {\n", s->local);
    nested(e, &s->body);
    return;
  case IS_IF:
    indent(e);
    fputs("if (", f);
    expr(e, s->cond);
    fputs(") {\n", f);
    if (s->els.n) {
      e->depth++;
      body(e, &s->body);
      e->depth--;
      indent(e);
      fputs("} else {\n", f);
      nested(e, &s->els);
    } else {
      nested(e, &s->body);
    }
    return;
  case IS_SET:
    indent(e);
    fprintf(f, "l%d = ", s->local);
    expr(e, s->value);
    fputs(";\n", f);
    return;
  case IS_STORE:
  case IS_ACC:
    indent(e);
    if (s->local >= 0) fprintf(f, "l%d[", s->local);
    else {
      field_ref(e, s->field);
      fputc('[', f);
    }
    expr(e, s->index);
    fprintf(f, "] %s ", s->kind == IS_ACC ? "+=" : "=");
    expr(e, s->value);
    fputs(";\n", f);
    return;
  case IS_SETF:
    indent(e);
    field_ref(e, s->field);
    fputs(" = ", f);
    expr(e, s->value);
    fputs(";\n", f);
    return;
  case IS_RETURN:
    indent(e);
    fputs("return ", f);
    if (e->fn->ret == IR_I64) fputs("(int)", f);
    expr(e, s->value);
    fputs(";\n", f);
    return;
  case IS_RTCALL:
    indent(e);
    fprintf(f, "status = %s(", s->fn);
    for (int i = 0; i < s->nargs; i++) {
      if (i) fputs(", ", f);
      expr(e, s->args[i]);
    }
    fputs(");\n", f);
    fail_check(e, s->span, s->fn);
    return;
  case IS_DRAW:
    indent(e);
    field_ref(e, s->field);
    fputc('[', f);
    expr(e, s->index);
    fprintf(f, "] = %s(r", s->fn);
    for (int i = 0; i < s->nargs; i++) {
      fputs(", ", f);
      expr(e, s->args[i]);
    }
    fputs(");\n", f);
    return;
  case IS_DRAWVEC:
    indent(e);
    fprintf(f, "%s(r, (size_t)(", s->fn);
    expr(e, s->args[0]);
    fprintf(f, "), l%d, &", s->local);
    field_ref(e, s->field);
    fputc('[', f);
    expr(e, s->index);
    fputs("]);\n", f);
    return;
  case IS_CATDRAW:
    indent(e);
    field_ref(e, s->field);
    fputc('[', f);
    expr(e, s->index);
    fputs("] = ", f);
    expr(e, s->args[1]);
    fputs(" + lvm_categorical_logit_draw(r, (size_t)(", f);
    expr(e, s->args[0]);
    fprintf(f, "), l%d);\n", s->local);
    return;
  case IS_FAMILY: {
    bool sized = s->nargs > 1;
    const IrField *fl = e->m->fields.v[s->field];
    indent(e);
    if (fl->type == IR_F64) {
      fprintf(f, "status = lvm_family_%s_draw(r, ", s->fn);
      if (sized) {
        fputs("(size_t)(", f);
        expr(e, s->args[1]);
        fputs("), ", f);
      }
      fprintf(f, "&l%d[", s->local);
      expr(e, s->args[0]);
      fputs("], &", f);
      field_ref(e, s->field);
      fputc('[', f);
      expr(e, s->index);
      fputc(']', f);
      if (s->value) {
        fputs(", &", f);
        expr(e, s->value);
      }
      fputs(");\n", f);
    } else {
      fputs("{ int gv = 0; ", f);
      fprintf(f, "status = lvm_family_%s_draw(r, &l%d[", s->fn, s->local);
      expr(e, s->args[0]);
      fputs("], &gv); ", f);
      field_ref(e, s->field);
      fputc('[', f);
      expr(e, s->index);
      fputs("] = gv; }\n", f);
    }
    fail_check(e, s->span, "the complete conditional is improper or invalid");
    return;
  }
  case IS_VIFACTOR: {
    indent(e);
    fputs("memcpy(", f);
    elem_addr(e, s->field, s->index);
    fprintf(f, ", &l%d[", s->local);
    expr(e, s->args[0]);
    fputs("], (size_t)(", f);
    expr(e, s->args[1]);
    fputs(") * sizeof(double));\n", f);
    indent(e);
    fprintf(f, "status = lvm_family_%s_mean_stats(", s->fn);
    if (s->nargs > 2) {
      fputs("(size_t)(", f);
      expr(e, s->args[2]);
      fputs("), ", f);
    }
    elem_addr(e, s->field, s->index);
    fputs(", ", f);
    elem_addr(e, s->field2, s->index);
    fputs(");\n", f);
    fail_check(e, s->span, "the variational factor is improper (CAVI update)");
    return;
  }
  case IS_VIROWS:
    indent(e);
    fprintf(f, "status = lvm_gen_vi_categorical_rows(st, %d, ", s->local);
    expr(e, s->args[0]);
    fputs(", ", f);
    elem_addr(e, s->field, &zero_index);
    fputs(", ", f);
    elem_addr(e, s->field2, &zero_index);
    fputs(");\n", f);
    fail_check(e, s->span, "the variational factor is improper (CAVI update)");
    return;
  case IS_FAIL:
    indent(e);
    fputs("return gen_fail(st, ", f);
    where(e, s->span);
    fputs(", ", f);
    c_string(f, s->fn);
    fputs(", LVM_EDATA);\n", f);
    return;
  case IS_SLICE:
    indent(e);
    fprintf(f, "status = lvm_gen_slice(st, r, warmup, %d, &((double *)st->v[%lld])[4 * (", s->local,
            s->args[0]->i);
    expr(e, s->index);
    fprintf(f, ")], %s, ", s->fn);
    expr(e, s->index);
    fputs(", &", f);
    field_ref(e, s->field);
    fputc('[', f);
    expr(e, s->index);
    fputs("]);\n", f);
    fail_check(e, s->span, "slice sampling failed (the log density is not finite here)");
    return;
  }
}

static void body(E *e, const PtrVec *b) {
  for (int i = 0; i < b->n; i++) stmt(e, b->v[i]);
}

static void locals(E *e, const IrFunc *fn) {
  for (int i = fn->nparams; i < fn->locals.n; i++) {
    const IrLocal *l = fn->locals.v[i];
    indent(e);
    if (l->scratch_n) {
      fprintf(e->f, "double *l%d = gen_scratch(st, %d, (size_t)(", i, e->fn_index * 4096 + i);
      expr(e, l->scratch_n);
      fputs("));\n", e->f);
      indent(e);
      fprintf(e->f, "if (!l%d) return gen_fail(st, \"%s\", \"out of memory\", LVM_ENOMEM);\n", i,
              e->m->source);
    } else {
      fprintf(e->f, "%s l%d = 0; (void)l%d;\n", c_type(l->type), i, i);
    }
  }
}

static void func(E *e, const IrFunc *fn) {
  FILE *f = e->f;
  e->fn = fn;
  bool is_sweep = !strcmp(fn->name, "sweep");
  if (fn->nparams) {
    fprintf(f, "static double %s(lvm_vars *st", fn->name);
    for (int i = 0; i < fn->nparams; i++) {
      const IrLocal *l = fn->locals.v[i];
      fprintf(f, ", %s l%d", c_type(l->type), i);
    }
    fputs(") {\n", f);
  } else if (fn->ret == IR_F64) {
    fprintf(f, "static double gen_%s(lvm_vars *st) {\n", fn->name);
  } else {
    fprintf(f, "static int gen_%s(lvm_vars *st, lvm_rng *r%s) {\n", fn->name,
            is_sweep ? ", int warmup" : "");
  }
  e->depth = 1;
  if (fn->ret == IR_I64) fputs("  lvm_status status = LVM_OK; (void)status; (void)r;\n", f);
  if (is_sweep) fputs("  (void)warmup;\n", f);
  locals(e, fn);
  body(e, &fn->body);
  fputs("}\n\n", f);
}

static void c_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fputc('\\', f);
    if ((unsigned char)*s < 32) fprintf(f, "\\%03o", (unsigned char)*s);
    else fputc(*s, f);
  }
  fputc('"', f);
}

int emit_c(FILE *f, const IrModule *m, Diags *diags) {
  E e = {f, m, NULL, 0, diags, 0};
  fprintf(f, "/* Generated by lvmc from ");
  c_string(f, m->source);
  fprintf(f, "; do not edit. */\n");
  fputs("#include <math.h>\n#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n"
        "#include \"lvm/dist.h\"\n#include \"lvm/family.h\"\n#include \"lvm/gen.h\"\n#include \"lvm/slice.h\"\n"
        "#include \"lvm/special.h\"\n#include \"lvm/vars.h\"\n#include \"lvm/vi.h\"\n\n",
        f);
  /* tables */
  fprintf(f, "static const lvm_size_desc gen_sizes[] = {\n");
  for (int i = 0; i < m->sizes.n; i++) {
    const IrSizeDesc *z = m->sizes.v[i];
    fputs("  {", f);
    c_string(f, z->text);
    fprintf(f, ", %d, %lld, %lld},\n", z->var, z->add, z->value);
  }
  if (!m->sizes.n) fputs("  {\"\", -1, 0, 0},\n", f);
  fputs("};\n\nstatic const lvm_var_desc gen_vars[] = {\n", f);
  for (int i = 0; i < m->vars.n; i++) {
    const IrVarDesc *v = m->vars.v[i];
    fputs("  {", f);
    c_string(f, v->name);
    fprintf(f, ", (lvm_var_kind)%d, (lvm_domain)%d, %d, %d, {", v->kind, v->domain, v->is_int, v->ndim);
    for (int d = 0; d < v->ndim; d++) fprintf(f, "%s%d", d ? ", " : "", v->dim[d]);
    if (!v->ndim) fputs("0", f);
    fprintf(f, "}, %d, %d, %.17g},\n", v->domain_arg, v->has_default, v->default_value);
  }
  fputs("};\n\n", f);
  /* prototypes, then the kernels */
  for (int i = 0; i < m->funcs.n; i++) {
    const IrFunc *fn = m->funcs.v[i];
    if (fn->nparams) {
      fprintf(f, "static double %s(lvm_vars *st, int64_t l0, double l1);\n", fn->name);
    }
  }
  fputc('\n', f);
  for (int i = 0; i < m->funcs.n; i++) {
    e.fn_index = i;
    func(&e, m->funcs.v[i]);
  }
  /* CAVI: the factor table (lvm/vi.h) */
  if (m->vi_factors.n) {
    fputs("static const lvm_vi_factor gen_vi_factors[] = {\n", f);
    for (int i = 0; i < m->vi_factors.n; i++) {
      const IrViFactor *v = m->vi_factors.v[i];
      fprintf(f, "  {%d, \"%s\", %d, %d, %d},\n", v->var, v->family, v->eta, v->stats, v->size);
    }
    fputs("};\n\n", f);
  }
  /* the model record */
  fputs("static const lvm_gen_model gen_model = {\n  {", f);
  c_string(f, m->model);
  fprintf(f, ", %d, gen_vars, %d, gen_sizes},\n  ", m->vars.n, m->sizes.n);
  c_string(f, m->source);
  fputs(",\n  gen_init, gen_sweep, gen_log_joint, gen_simulate,\n  ", f);
  if (ir_find_func(m, "vi_sweep")) fputs("gen_vi_local, gen_vi_sweep, gen_vi_expect, ", f);
  else fputs("NULL, NULL, NULL, ", f);
  fputs(m->vi_factors.n ? "gen_vi_factors, " : "NULL, ", f);
  if (m->vi_unsupported) c_string(f, m->vi_unsupported);
  else fputs("NULL", f);
  /* vi_seed follows vi_refresh, which every model with CAVI kernels has */
  fprintf(f, ", %d,%s%s\n};\n\n"
             "int main(int argc, char **argv) { return lvm_gen_main(&gen_model, argc, argv); }\n",
          m->vi_factors.n, ir_find_func(m, "vi_refresh") ? " gen_vi_refresh," : "",
          ir_find_func(m, "vi_seed") ? " gen_vi_seed," : "");
  return ferror(f) ? -1 : 0;
}
