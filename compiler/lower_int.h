/* lower_int.h — internal to the lowering (lower.c, lower_vi.c): the
 * lowering context and the helpers the Gibbs sweep and the CAVI kernels
 * share.  Not used outside the lowering. */
#ifndef LVMC_LOWER_INT_H
#define LVMC_LOWER_INT_H

#include "lower.h"
#include "poly.h"

/* lvm_domain values (lvm/data.h), kept in step by a test of the C backend. */
enum { LD_REAL, LD_POS, LD_UNIT, LD_INT, LD_NAT, LD_BIN, LD_SPIN, LD_CAT, LD_SIMPLEX, LD_VEC, LD_SPD };
enum { VK_DATA, VK_PARAM, VK_RANDOM, VK_DETERMINISTIC, VK_AUX };

enum { LW_MAX_OVERRIDES = 8 };

typedef struct Lower Lower;

/* A replacement for lower_atom (CAVI: atoms become expected statistics);
 * returns NULL to lower the atom as usual. */
typedef IrExpr *(*AtomHook)(Lower *l, const Atom *a, int power);

struct Lower {
  Arena *A;
  Compilation *comp;
  Model *m;
  Plan *plan;
  IrModule *mod;
  IrFunc *fn;
  PtrVec *out;          /* statement list being filled */
  PolyCtx pc;
  PtrVec bind_name;     /* const char* (interned) */
  PtrVec bind_local;    /* (intptr_t) local index */
  Sym **syms;           /* var index -> Sym */
  int nsyms;
  int *size_field;      /* size index -> field index */
  int ok;
  Span span;            /* statement being lowered, for messages */
  int *aux_of;          /* var index -> hidden slice-state variable, or -1 */
  /* enumeration: a reference replaced by a value, and per-value tables */
  const char *override_key;
  IrExpr *override_val;
  PtrVec memo_key;      /* const char*: atom keys with a per-value table */
  PtrVec memo_tab;      /* (intptr_t) scratch local of the table */
  PtrVec memo_ref_of;   /* const char*: the element reference each table is for */
  const char *memo_ref; /* the reference inverted at this point (tables valid for it) */
  int memo_kv;          /* local holding the value index while enumerating */
  /* CAVI: more references replaced by values (sums over discrete factors),
   * the atom hook, and the reference visit_group has located at the element */
  int novr;
  const char *ovr_key[LW_MAX_OVERRIDES];
  IrExpr *ovr_val[LW_MAX_OVERRIDES];
  AtomHook atom_hook;
  void *hook_ctx;
  const char *visit_key;
  const char **soft_fail; /* non-NULL: lw_fail records its first message here instead */
  /* CAVI: monomials whose sum over the term's plates is computed elsewhere
   * (lw_scatter_eta calls the ScatterFn for them outside the plate loops) */
  bool (*hoisted)(Lower *l, const Mono *m);
};

typedef struct VRef {
  int factor;          /* index in the monomial */
  const Atom *atom;    /* the reference atom (the variable's element) */
  StatKind stat;       /* statistic this factor gives */
} VRef;

typedef void (*TouchFn)(Lower *l, const Mono *m, void *ctx);

/* The context of a TouchFn that accumulates: the local `acc`, and in a
 * function made by lw_touch_func its parameters e and x. */
typedef struct AccCtx {
  int acc, e, x;
  void *user;
} AccCtx;

/* How a family's natural parameters lie in a scratch array: per element of
 * the variable (a scalar, a simplex, a vector or a matrix: VS doubles of
 * the state) ES doubles of eta, one block per statistic in the order of the
 * family's `stats` declaration (a vector's x block has D entries, x x' D*D;
 * a matrix's X block D*D, log det X one). */
typedef struct EtaLayout {
  const Family *fam;
  int k;              /* the variable */
  int kind;           /* 0 scalar, 1 simplex, 2 vector, 3 matrix */
  IrExpr *D;          /* sized families: K or D; NULL for scalar ones */
  IrExpr *VS, *ES;    /* doubles per value, per eta */
  int ns;
  StatKind stat[8];
  IrExpr *off[8];     /* offset of each statistic's block */
  bool work;          /* the family's routines take a work buffer */
} EtaLayout;

/* Where one monomial's coefficient goes: the references to v (refs[0..nr)),
 * the statistic slot, and the element's eta and state offsets (NULL: the
 * element of the first reference). */
typedef struct EtaTarget {
  const EtaLayout *L;
  const VRef *refs;
  int nr, slot;
  IrExpr *ebase, *vbase;
} EtaTarget;

/* Scatter accumulation of one monomial's coefficient (its factors except
 * those in the bit set `skip`) into scratch `eta` at lw_eta_index(t); the
 * function opens the monomial's binders itself. */
typedef void (*ScatterFn)(Lower *l, const Mono *m, unsigned skip, int eta, const EtaTarget *t);

void lw_fail(Lower *l, const char *what);
int lw_var_index(Lower *l, const Sym *y);
int lw_add_size(Lower *l, const char *text, int var, long long add, long long value);
/* One plate loop of statement st (bound, its filter opened), and the
 * filter alone (the `if` of `for n in 1:N if c`; nothing without one). */
void lw_open_plate(Lower *l, const Node *st, const Node *loop);
void lw_plate_filter(Lower *l, const Node *st, const Node *loop);
IrExpr *lw_size_expr(Lower *l, int size);
IrExpr *lw_var_len(Lower *l, int k);
void lw_emit(Lower *l, IrStmt *s);
/* The local bound to a loop or binder name, or -1. */
int lw_bound(Lower *l, const char *name);
/* The size index of a bound (a constant, or a scalar integer data value
 * plus or minus a constant), or -1 when it is none of these. */
int lw_try_size(Lower *l, const Node *e);
int lw_new_local(Lower *l, const char *base, IrType t);
int lw_scratch(Lower *l, const char *name, IrExpr *n);
/* for i in 0 .. n - 1: scratch `buf`[i] = 0 (buf >= 0), else field[i] = 0 */
void lw_zero_array(Lower *l, int buf, int field, IrExpr *n, Span span);
/* The loops of a term instance of monomial m: the statement's plates, then
 * m's sum binders, as Binders; their number, or -1 when more than max. */
int lw_loops(const Node *st, const Mono *m, Binder *out, int max);
int lw_free_elements(Lower *l, Span span, int k, PtrVec **body);
void lw_bind(Lower *l, const char *name, int local);
void lw_unbind(Lower *l, int n);
IrExpr *lw_lower_int(Lower *l, const Node *e);
IrExpr *lw_lower_ref(Lower *l, const Node *ref);
IrExpr *lw_flat_index(Lower *l, int k, const PtrVec *idx);
IrExpr *lw_load_var(Lower *l, int k, IrExpr *flat);
IrExpr *lw_ref_flat(Lower *l, const Atom *a, int k);
IrExpr *lw_lower_atom(Lower *l, const Atom *a, int power);
IrExpr *lw_mono_value(Lower *l, const Mono *m, int skip);
IrExpr *lw_mono_value_mask(Lower *l, const Mono *m, unsigned skip);
IrExpr *lw_lower_poly(Lower *l, const Poly *p);
int lw_open_binders(Lower *l, const Binder *b, int nb, PtrVec **saved);
int lw_open_plates(Lower *l, const Node *st, PtrVec **saved);
void lw_close_scope(Lower *l, int nbound, PtrVec *saved);
IrFunc *lw_new_func(Lower *l, const char *name, IrType ret);
PtrVec lw_collect_terms(Lower *l);
PtrVec lw_statement_order(Lower *l);
void lw_lower_deterministic(Lower *l, const PtrVec *order);
int lw_mono_vrefs(const Mono *m, const Sym *v, VRef *out, int max);
int lw_stat_slot(const Family *f, StatKind k);
bool lw_mentions(const Poly *p, const Sym *v);
bool lw_term_counts(const Term *t, const Sym *v);
void lw_add_vref(Lower *l, const Node *ref, const Sym *v, const Atom **out, int *n, int max);
void lw_node_vrefs(Lower *l, const Node *e, const Sym *v, const Atom **out, int *n, int max);
void lw_collect_vrefs(Lower *l, const Atom *a, const Sym *v, const Atom **out, int *n, int max);
void lw_for_touching(Lower *l, const Sym *v, int k, int e, const PtrVec *terms, TouchFn fn, void *ctx);
/* Does every instance of every term touch at most one element of v (its
 * references to v in a term all the same index expression, over the
 * statement's plates and data)?  Then the elements' updates do not read
 * each other and may be done all at once. */
bool lw_elements_independent(Lower *l, const Sym *v, const PtrVec *terms);
/* A zeroed scratch eta (returned) with every monomial that mentions v
 * scattered into it (one pass over each term's plates), through `acc`. */
int lw_scatter_eta(Lower *l, const VarPlan *vp, const PtrVec *terms, ScatterFn acc, EtaLayout *L);
void lw_eta_layout(Lower *l, const Family *fam, int k, const Sym *v, EtaLayout *L);
/* Emit: for each element of L's variable whose first value is free, ...;
 * returns the body to fill, with the element's eta and state offsets. */
PtrVec *lw_free_element_loop(Lower *l, const EtaLayout *L, Span span, IrExpr **eoff, IrExpr **first);
/* The eta index of a target (may emit a statement computing the element). */
IrExpr *lw_eta_index(Lower *l, const EtaTarget *t);
/* A generated function NAME(e, x) returning the sum of fn over the term
 * instances touching element e of v, with v[e] set to x. */
IrFunc *lw_touch_func(Lower *l, const char *name, Sym *v, const PtrVec *terms, TouchFn fn,
                      AccCtx *ctx);

/* Locals of the current function: eta[0..1] of element e's normal
 * conditional from lf(e, -1), lf(e, 0), lf(e, 1) (lf is quadratic in x). */
void lw_quadratic_eta(Lower *l, const IrFunc *lf, int e, int eta, Span span);

/* lower_vi.c: the CAVI kernels vi_local, vi_sweep, vi_expect and the factor
 * table (IrModule.vi_*); never fails the build: what CAVI cannot handle
 * becomes IrModule.vi_unsupported. */
void lower_vi(Lower *l, const PtrVec *terms, const PtrVec *order);

#endif
