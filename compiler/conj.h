/* conj.h — phase 4: conjugacy analysis and the inference plan.
 *
 * After Autoconj (Hoffman, Johnson, Tran 2018).  The log joint is the sum of
 * every '~' statement's log density (the stdlib `dist` body with the
 * statement's arguments substituted, deterministic nodes inlined) and every
 * factor, each summed over its plates.  Each term is rewritten into a sum of
 * monomials  c · Π atom^p  (with comprehension and plate binders), where an
 * atom is a variable reference (`mu[z[n]]`), a function of a polynomial
 * (`log(tau[k])`, `lgamma(alpha)`), or a parenthesised sum raised to a
 * non-expandable power.  For a latent variable v, every monomial that
 * mentions v contributes a statistic of v (x, x^2, 1/x, log x, log(1 - x),
 * x x', log det X, one-hot through an index); a monomial that mentions v in
 * any other way makes v non-conjugate, and the atom is the reason.  The set
 * of statistics is matched against the `family` declarations of the stdlib
 * (smallest family whose statistics contain the set, on v's domain).
 */
#ifndef LVMC_CONJ_H
#define LVMC_CONJ_H

#include "compile.h"

typedef enum UpdateKind {
  UPD_NONE = 0,     /* observed, deterministic, fixed */
  UPD_CONJUGATE,    /* exact draw from the family of the complete conditional */
  UPD_ENUMERATE,    /* finite discrete support: enumerate the values */
  UPD_SLICE,        /* univariate slice sampling on an unconstrained scale */
  UPD_UNSUPPORTED,  /* no update available yet (reason says why) */
} UpdateKind;

/* Statistic kinds, as they appear in `family ... { stats ...; }`. */
typedef enum StatKind {
  ST_X = 0,     /* x */
  ST_X2,        /* x^2 (scalars) */
  ST_INV,       /* 1/x */
  ST_LOG,       /* log x (elementwise for simplex) */
  ST_LOG1M,     /* log(1 - x) */
  ST_OUTER,     /* x x' (vectors) */
  ST_LOGDET,    /* log det X */
  ST_ONEHOT,    /* 1[x = k] (discrete, through indexing) */
  ST_COUNT
} StatKind;

typedef struct VarPlan {
  Sym *var;
  UpdateKind kind;
  Family *family;           /* UPD_CONJUGATE */
  unsigned stats;           /* bit set of StatKind found */
  bool coupled;             /* a term mentions two elements of var together */
  const char *reason;       /* UPD_SLICE / UPD_UNSUPPORTED: why not conjugate */
  Span reason_span;         /* the statement that breaks conjugacy */
  int nterms;               /* monomials mentioning var */
} VarPlan;

typedef struct Plan {
  PtrVec vars;              /* VarPlan*, in model order, latent variables only */
} Plan;

/* The log-density term a '~' statement adds: the dist body with the
 * statement's arguments (and the signature's sizes) substituted. */
Node *instantiate_term(Arena *a, const Node *stmt, const Dist *d);

/* Analyse the model (after sema, without errors).  With `data` absent,
 * variables whose role is unknown are treated as latent. */
Plan *conj_analyse(Compilation *c);
const char *stat_name(StatKind k);
const char *update_name(UpdateKind k);
/* Print the plan (`lvmc explain`): one line per latent variable, JAGS's
 * list.samplers / NIMBLE's printSamplers in spirit. */
void plan_print(FILE *out, Compilation *c, const Plan *p);
/* The CAVI factor of a latent variable: its runtime family ("normal", ...),
 * "discrete" for an enumerated variable, or NULL with *why saying why CAVI
 * does not cover it. */
const char *plan_vi_factor(Arena *A, const VarPlan *vp, const char **why);

#endif
