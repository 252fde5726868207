#include "ast.h"

#include <math.h>
#include <string.h>

Node *ast_new(Arena *a, NodeKind kind, Span span) {
  Node *n = arena_alloc(a, sizeof *n);
  n->kind = kind;
  n->span = span;
  return n;
}

static const char *const domain_names[D_COUNT] = {
  [D_NONE] = "?", [D_REAL] = "real", [D_POS] = "pos", [D_UNIT] = "unit",
  [D_INT] = "int", [D_NAT] = "nat", [D_BIN] = "bin", [D_SPIN] = "spin",
  [D_CAT] = "cat", [D_SIMPLEX] = "simplex", [D_VEC] = "vec", [D_SPD] = "spd",
};

const char *domain_name(Domain d) {
  return (d >= 0 && d < D_COUNT) ? domain_names[d] : "?";
}

Domain domain_lookup(const char *name) {
  for (int d = D_REAL; d < D_COUNT; d++)
    if (strcmp(domain_names[d], name) == 0) return (Domain)d;
  return D_NONE;
}

bool domain_has_size(Domain d) {
  return d == D_CAT || d == D_SIMPLEX || d == D_VEC || d == D_SPD;
}

const char *op_text(int op) {
  switch (op) {
  case OP_EQ: return "==";
  case OP_NE: return "!=";
  case OP_LE: return "<=";
  case OP_GE: return ">=";
  case OP_AND: return "&&";
  case OP_OR: return "||";
  case '+': return "+";
  case '-': return "-";
  case '*': return "*";
  case '/': return "/";
  case '^': return "^";
  case '<': return "<";
  case '>': return ">";
  case '!': return "!";
  default: return "?";
  }
}

static int prec(const Node *e) {
  if (e->kind == N_NUM && e->num < 0) return 5;
  if (e->kind != N_BINARY) return e->kind == N_UNARY ? 5 : 7;
  switch (e->op) {
  case OP_OR: return 0;
  case OP_AND: return 1;
  case '+': case '-': return 3;
  case '*': case '/': return 4;
  case '^': return 6;
  default: return 2;
  }
}

static void unparse_num(StrBuf *b, double v, bool is_int) {
  if (is_int) sb_printf(b, "%.0f", v);
  else if (isfinite(v) && v == floor(v) && fabs(v) < 1e15) sb_printf(b, "%.1f", v);
  else sb_printf(b, "%.17g", v);
}

static void unparse_list(StrBuf *b, const PtrVec *l) {
  for (int i = 0; i < l->n; i++) {
    if (i) sb_puts(b, ", ");
    ast_unparse(b, l->v[i]);
  }
}

static void unparse_sub(StrBuf *b, const Node *e, int p) {
  bool par = prec(e) < p;
  if (par) sb_putc(b, '(');
  ast_unparse(b, e);
  if (par) sb_putc(b, ')');
}

void ast_unparse(StrBuf *b, const Node *e) {
  if (!e) {
    sb_puts(b, "?");
    return;
  }
  switch (e->kind) {
  case N_NUM: unparse_num(b, e->num, e->is_int); break;
  case N_NAME: sb_puts(b, e->name); break;
  case N_INDEX:
    unparse_sub(b, e->a, 7);
    sb_putc(b, '[');
    unparse_list(b, &e->list);
    sb_putc(b, ']');
    break;
  case N_CALL:
    sb_printf(b, "%s(", e->name);
    unparse_list(b, &e->list);
    sb_putc(b, ')');
    break;
  case N_COMPREH:
    sb_printf(b, "%s(", e->name);
    ast_unparse(b, e->a);
    sb_printf(b, " for %s in ", e->var);
    ast_unparse(b, e->b);
    sb_putc(b, ':');
    ast_unparse(b, e->c);
    if (e->d) {
      sb_puts(b, " if ");
      ast_unparse(b, e->d);
    }
    sb_putc(b, ')');
    break;
  case N_UNARY:
    sb_puts(b, op_text(e->op));
    unparse_sub(b, e->a, 6);
    break;
  case N_BINARY: {
    int p = prec(e);
    /* left-assoc except '^' */
    unparse_sub(b, e->a, e->op == '^' ? p + 1 : p);
    if (e->op == '^') sb_puts(b, "^");
    else sb_printf(b, " %s ", op_text(e->op));
    unparse_sub(b, e->b, e->op == '^' ? p : p + 1);
    break;
  }
  case N_TRANSPOSE:
    unparse_sub(b, e->a, 7);
    sb_putc(b, '\'');
    break;
  default: sb_puts(b, "<stmt>"); break;
  }
}

/* ---- dump ---- */

static void indent(FILE *out, int depth) {
  for (int i = 0; i < depth; i++) fputs("  ", out);
}

static void dump_type(FILE *out, const Node *t) {
  if (!t) {
    fputs("?", out);
    return;
  }
  StrBuf b = {0};
  sb_puts(&b, domain_name(t->domain));
  if (t->a) {
    sb_putc(&b, '(');
    ast_unparse(&b, t->a);
    sb_putc(&b, ')');
  }
  if (t->list.n) {
    sb_putc(&b, '[');
    unparse_list(&b, &t->list);
    sb_putc(&b, ']');
  }
  fputs(b.s, out);
  sb_free(&b);
}

void ast_dump_expr(FILE *out, const Node *e) {
  if (!e) {
    fputs("nil", out);
    return;
  }
  switch (e->kind) {
  case N_NUM:
    if (e->is_int) fprintf(out, "%.0f", e->num);
    else fprintf(out, "%.17g", e->num);
    if (!e->is_int && e->num == floor(e->num) && fabs(e->num) < 1e15) fputs(".0", out);
    break;
  case N_NAME: fputs(e->name, out); break;
  case N_INDEX:
    fputs("(index ", out);
    ast_dump_expr(out, e->a);
    for (int i = 0; i < e->list.n; i++) {
      fputc(' ', out);
      ast_dump_expr(out, e->list.v[i]);
    }
    fputc(')', out);
    break;
  case N_CALL:
    fprintf(out, "(call %s", e->name);
    for (int i = 0; i < e->list.n; i++) {
      fputc(' ', out);
      ast_dump_expr(out, e->list.v[i]);
    }
    fputc(')', out);
    break;
  case N_COMPREH:
    fprintf(out, "(%s-over %s ", e->name, e->var);
    ast_dump_expr(out, e->b);
    fputc(' ', out);
    ast_dump_expr(out, e->c);
    if (e->d) {
      fputs(" (if ", out);
      ast_dump_expr(out, e->d);
      fputc(')', out);
    }
    fputc(' ', out);
    ast_dump_expr(out, e->a);
    fputc(')', out);
    break;
  case N_UNARY:
    fprintf(out, "(%s ", e->op == '-' ? "neg" : "not");
    ast_dump_expr(out, e->a);
    fputc(')', out);
    break;
  case N_BINARY:
    fprintf(out, "(%s ", op_text(e->op));
    ast_dump_expr(out, e->a);
    fputc(' ', out);
    ast_dump_expr(out, e->b);
    fputc(')', out);
    break;
  case N_TRANSPOSE:
    fputs("(transpose ", out);
    ast_dump_expr(out, e->a);
    fputc(')', out);
    break;
  default: fputs("<not an expression>", out); break;
  }
}

static void dump_args(FILE *out, const PtrVec *l) {
  for (int i = 0; i < l->n; i++) {
    fputc(' ', out);
    ast_dump_expr(out, l->v[i]);
  }
}

static void dump_node(FILE *out, const Node *n, int depth) {
  indent(out, depth);
  switch (n->kind) {
  case N_MODEL: fprintf(out, "(model %s)\n", n->name); break;
  case N_DATA:
  case N_PARAM:
  case N_ANNOT:
    fprintf(out, "(%s %s ", n->kind == N_DATA ? "data" : n->kind == N_PARAM ? "param" : "var",
            n->name);
    dump_type(out, n->type);
    if (n->a) {
      fputs(" (default ", out);
      ast_dump_expr(out, n->a);
      fputc(')', out);
    }
    fputs(")\n", out);
    break;
  case N_TILDE:
  case N_REST:
    fprintf(out, "(%s ", n->kind == N_TILDE ? "~" : "| rest ~");
    ast_dump_expr(out, n->a);
    fprintf(out, " %s", n->name);
    dump_args(out, &n->list);
    fputs(")\n", out);
    break;
  case N_ASSIGN:
    fputs("(= ", out);
    ast_dump_expr(out, n->a);
    fputc(' ', out);
    ast_dump_expr(out, n->b);
    fputs(")\n", out);
    break;
  case N_FACTOR:
    fputs("(factor ", out);
    ast_dump_expr(out, n->a);
    fputs(")\n", out);
    break;
  case N_FOR:
    fprintf(out, "(for %s ", n->var);
    ast_dump_expr(out, n->b);
    fputc(' ', out);
    ast_dump_expr(out, n->c);
    if (n->d) {
      fputs(" (if ", out);
      ast_dump_expr(out, n->d);
      fputc(')', out);
    }
    fputc('\n', out);
    dump_node(out, n->a, depth + 1);
    indent(out, depth);
    fputs(")\n", out);
    break;
  case N_BLOCK:
    fputs("(block\n", out);
    for (int i = 0; i < n->list.n; i++) dump_node(out, n->list.v[i], depth + 1);
    indent(out, depth);
    fputs(")\n", out);
    break;
  case N_DIST:
    fprintf(out, "(dist %s", n->name);
    for (int i = 0; i < n->list.n; i++) {
      const Node *p = n->list.v[i];
      fprintf(out, "%s%s:", i == 1 ? " | " : " ", p->name);
      dump_type(out, p->type);
    }
    fputs("\n", out);
    indent(out, depth + 1);
    ast_dump_expr(out, n->a);
    fputs(")\n", out);
    break;
  case N_FAMILY: {
    const Node *p = n->list.v[0];
    fprintf(out, "(family %s %s:", n->name, p->name);
    dump_type(out, p->type);
    fputc('\n', out);
    for (int i = 0; i < n->clauses.n; i++) {
      const Node *c = n->clauses.v[i];
      indent(out, depth + 1);
      fprintf(out, "(%s", c->name);
      dump_args(out, &c->list);
      fputs(")\n", out);
    }
    indent(out, depth);
    fputs(")\n", out);
    break;
  }
  default:
    fputs("(?)\n", out);
    break;
  }
}

void ast_dump(FILE *out, const Program *p, bool include_stdlib) {
  for (int i = 0; i < p->items.n; i++) {
    const Node *n = p->items.v[i];
    if (n->from_stdlib && !include_stdlib) continue;
    dump_node(out, n, 0);
  }
}

bool ast_mentions_name(const Node *e, const char *name) {
  if (!e) return false;
  if (e->kind == N_NAME) return e->name == name;
  if (ast_mentions_name(e->a, name) || ast_mentions_name(e->b, name) || ast_mentions_name(e->c, name) ||
      ast_mentions_name(e->d, name))
    return true;
  for (int i = 0; i < e->list.n; i++)
    if (ast_mentions_name(e->list.v[i], name)) return true;
  return false;
}
