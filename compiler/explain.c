#include "explain.h"

#include <string.h>

#include "conj.h"
#include "lvm/data.h"
#include "sema.h"

void explain_term(StrBuf *b, Arena *a, const Node *stmt, const Dist *d) {
  ast_unparse(b, instantiate_term(a, stmt, d));
}

/* ---- helpers ---- */

static void plates(StrBuf *b, const Sym *y) {
  if (!y->defs.n) {
    sb_puts(b, "-");
    return;
  }
  const DefSite *ds = y->defs.v[0];
  if (!ds->loops.n) {
    sb_puts(b, "-");
    return;
  }
  for (int i = 0; i < ds->loops.n; i++) {
    const Node *l = ds->loops.v[i];
    if (i) sb_puts(b, ", ");
    sb_printf(b, "%s in ", l->var);
    ast_unparse(b, l->b);
    sb_putc(b, ':');
    ast_unparse(b, l->c);
    if (l->d) {
      sb_puts(b, " if ");
      ast_unparse(b, l->d);
    }
  }
}

static void names(StrBuf *b, const PtrVec *v, SymKind only, int any) {
  int k = 0;
  for (int i = 0; i < v->n; i++) {
    const Sym *y = v->v[i];
    if (!any && y->kind != only) continue;
    sb_printf(b, "%s%s", k++ ? ", " : "", y->name);
  }
  if (!k) sb_puts(b, "-");
}

static const char *where(Compilation *c, Span sp) {
  StrBuf b = {0};
  span_format(&c->diags, sp, &b);
  const char *r = arena_strdup(&c->arena, b.s ? b.s : "?");
  sb_free(&b);
  return r;
}

static void print_value(FILE *out, const Sym *y) {
  if (y->has_value) {
    fprintf(out, " = %.17g", y->value);
    fputs(!y->value_from_data ? " (default)"
          : (y->data && y->data->source && !strcmp(y->data->source, "--set")) ? " (--set)"
                                                                              : " (data file)",
          out);
  } else if (y->data) {
    fputs(" (data file)", out);
  } else if (y->decl && y->decl->a) {
    StrBuf b = {0};
    ast_unparse(&b, y->decl->a);
    fprintf(out, " = %s (default)", b.s);
    sb_free(&b);
  } else {
    fputs(y->kind == SYM_DATA ? " (from the data file)" : " (to be learned or given)", out);
  }
}

void explain_model(FILE *out, Compilation *c) {
  Model *m = c->model;
  Source *src = diags_source(&c->diags, c->user_src);
  fprintf(out, "model %s  (%s)\n", m->name ? m->name : "(unnamed)", src ? src->name : "?");
  if (!m->have_data)
    fputs("no data file given: roles are provisional (give --data to see what is observed)\n", out);
  int nd = 0;
  for (int i = 0; i < m->syms.n; i++) {
    const Sym *y = m->syms.v[i];
    if (y->kind != SYM_DATA && y->kind != SYM_PARAM) continue;
    if (!nd++) fputs("\nfixed inputs\n", out);
    StrBuf t = {0};
    type_format(&t, y->type);
    fprintf(out, "  %-5s %-12s %-16s", y->kind == SYM_DATA ? "data" : "param", y->name,
            t.s ? t.s : "?");
    sb_free(&t);
    print_value(out, y);
    fputc('\n', out);
  }
  fputs("\nrandom variables\n", out);
  for (int i = 0; i < m->syms.n; i++) {
    const Sym *y = m->syms.v[i];
    if (y->kind != SYM_VAR) continue;
    StrBuf t = {0}, p = {0};
    type_format(&t, y->type);
    plates(&p, y);
    Role r = y->role;
    const char *role = r ? role_name(r) : y->deterministic ? "deterministic" : "random";
    fprintf(out, "  %s\n", y->name);
    fprintf(out, "    role      %s", role);
    if (r == ROLE_PARTIAL)
      fprintf(out, " (%lld observed, %lld missing)", y->n_observed, y->n_missing);
    fputc('\n', out);
    fprintf(out, "    type      %s\n", t.s ? t.s : "?");
    fprintf(out, "    plates    %s\n", p.s);
    sb_free(&t);
    sb_free(&p);
    StrBuf pa = {0}, ch = {0};
    names(&pa, &y->parents, SYM_VAR, 1);
    names(&ch, &y->children, SYM_VAR, 1);
    fprintf(out, "    parents   %s\n    children  %s\n", pa.s, ch.s);
    sb_free(&pa);
    sb_free(&ch);
    if (y->rest) fputs("    given by its full conditional ('| rest')\n", out);
    for (int j = 0; j < y->defs.n; j++) {
      const DefSite *ds = y->defs.v[j];
      const Node *st = ds->stmt;
      StrBuf b = {0};
      ast_unparse(&b, ds->lhs);
      if (st->kind == N_ASSIGN) {
        sb_puts(&b, " = ");
        ast_unparse(&b, st->b);
        fprintf(out, "    defined   %s   [%s]\n", b.s, where(c, st->span));
      } else {
        sb_printf(&b, " %s %s(", st->kind == N_REST ? "| rest ~" : "~", st->name);
        for (int k = 0; k < st->list.n; k++) {
          if (k) sb_puts(&b, ", ");
          ast_unparse(&b, st->list.v[k]);
        }
        sb_puts(&b, ")");
        fprintf(out, "    defined   %s   [%s]\n", b.s, where(c, st->span));
        Dist *d = model_find_dist(m, st->name);
        if (d) {
          StrBuf term = {0};
          explain_term(&term, &c->arena, st, d);
          fprintf(out, "    log p  += %s\n", term.s);
          sb_free(&term);
        }
      }
      sb_free(&b);
    }
    for (int j = 0; j < y->factors.n; j++) {
      const Node *f = y->factors.v[j];
      StrBuf b = {0};
      ast_unparse(&b, f->a);
      fprintf(out, "    factor    %s   [%s]\n", b.s, where(c, f->span));
      sb_free(&b);
    }
  }
  if (m->factors.n) {
    fputs("\nfactors (log-potentials added to the log joint)\n", out);
    for (int i = 0; i < m->factors.n; i++) {
      const Node *f = m->factors.v[i];
      StrBuf b = {0};
      ast_unparse(&b, f->a);
      fprintf(out, "  %s   [%s]\n", b.s, where(c, f->span));
      sb_free(&b);
    }
  }
  plan_print(out, c, conj_analyse(c));
}

void dump_typed(FILE *out, Compilation *c) {
  Model *m = c->model;
  fprintf(out, "model %s\n", m->name ? m->name : "(unnamed)");
  for (int i = 0; i < m->syms.n; i++) {
    const Sym *y = m->syms.v[i];
    StrBuf t = {0};
    type_format(&t, y->type);
    fprintf(out, "%s %s : %s", symkind_name(y->kind), y->name, t.s ? t.s : "?");
    sb_free(&t);
    if (y->kind == SYM_VAR) {
      fprintf(out, " defs=%d", y->defs.n);
      if (y->deterministic) fputs(" deterministic", out);
      if (y->rest) fputs(" rest", out);
      if (y->factors.n) fprintf(out, " factors=%d", y->factors.n);
      if (y->role) fprintf(out, " role=%s", role_name(y->role));
    } else if (y->has_value) {
      fprintf(out, " = %.17g", y->value);
    }
    fputc('\n', out);
  }
  for (int i = 0; i < m->stmts.n; i++) {
    const Node *st = m->stmts.v[i];
    if (st->kind == N_FACTOR) continue;
    StrBuf b = {0};
    ast_unparse(&b, st->a);
    sb_puts(&b, " : ");
    type_format(&b, st->ty);
    fprintf(out, "stmt %s\n", b.s);
    sb_free(&b);
  }
}

void dump_graph(FILE *out, Compilation *c) {
  Model *m = c->model;
  fprintf(out, "digraph \"%s\" {\n", m->name ? m->name : "model");
  for (int i = 0; i < m->syms.n; i++) {
    const Sym *y = m->syms.v[i];
    const char *shape = y->kind == SYM_VAR ? (y->deterministic ? "diamond" : "ellipse") : "box";
    const char *style = y->role == ROLE_OBSERVED ? ",style=filled,fillcolor=gray80"
                        : y->role == ROLE_PARTIAL ? ",style=filled,fillcolor=gray92" : "";
    fprintf(out, "  \"%s\" [shape=%s%s];\n", y->name, shape, style);
  }
  for (int i = 0; i < m->syms.n; i++) {
    const Sym *y = m->syms.v[i];
    for (int j = 0; j < y->parents.n; j++)
      fprintf(out, "  \"%s\" -> \"%s\";\n", ((Sym *)y->parents.v[j])->name, y->name);
  }
  for (int i = 0; i < m->factors.n; i++) {
    fprintf(out, "  \"factor%d\" [shape=square,label=\"\",width=0.15];\n", i + 1);
    for (int j = 0; j < m->syms.n; j++) {
      const Sym *y = m->syms.v[j];
      for (int k = 0; k < y->factors.n; k++)
        if (y->factors.v[k] == m->factors.v[i])
          fprintf(out, "  \"factor%d\" -> \"%s\" [dir=none];\n", i + 1, y->name);
    }
  }
  fputs("}\n", out);
}
