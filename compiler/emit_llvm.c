/* emit_llvm.c — phase 6, second backend: the loop IR as an LLVM module,
 * through LLVM's C API only.
 *
 * The module is the same program as the C backend's file (emit_c.c, the
 * reference semantics): the variable table as constant data, one function
 * per IR function over the runtime's generic state (lvm/vars.h), and the
 * lvm_gen_model record `gen_model` (lvm/gen.h), plus `main` for an
 * executable.  Locals are allocas (mem2reg promotes them); floating-point
 * arithmetic is plain fadd/fmul/... without fast-math flags (no contraction,
 * no reassociation), evaluated in IR order, so that a model gives the same
 * draws from both backends.  Math functions are the same libm / runtime
 * functions the C file calls (the libm ones declared without side effects,
 * as -fno-math-errno does for the C file).
 *
 * Conditional evaluation follows C: `&&`, `||` and `?:` evaluate their
 * operands only when needed (branches, which SimplifyCFG turns back into
 * selects where that is safe).
 *
 * The pointers to the variables' arrays (st->v[k]) never change while a
 * kernel runs (setup allocates them), so each function loads the ones it
 * uses once, in its entry block. */
#include "emit_llvm.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/DebugInfo.h>
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/LLJITUtils.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lvm/gen.h"

/* The module mirrors these runtime layouts (emit_tables, vars_member): a
 * change to them must be made here too.  lvm_gen_model may grow optional
 * fields at the end (new kernels): emit them in emit_tables and emit_c. */
_Static_assert(offsetof(lvm_gen_model, vi_local) == sizeof(lvm_vars_desc) + 5 * sizeof(void *) &&
                   offsetof(lvm_gen_model, n_vi_factors) == sizeof(lvm_vars_desc) + 10 * sizeof(void *) &&
                   offsetof(lvm_gen_model, vi_refresh) == sizeof(lvm_vars_desc) + 11 * sizeof(void *) &&
                   offsetof(lvm_gen_model, vi_seed) == sizeof(lvm_vars_desc) + 12 * sizeof(void *) &&
                   sizeof(lvm_gen_model) == sizeof(lvm_vars_desc) + 13 * sizeof(void *),
               "lvm_gen_model changed: emit its fields in emit_tables() (and emit_c.c)");
_Static_assert(sizeof(lvm_vi_factor) == 32 && offsetof(lvm_vi_factor, family) == 8 &&
                   offsetof(lvm_vi_factor, size) == 24,
               "lvm_vi_factor changed: update emit_tables()");
_Static_assert(sizeof(lvm_vars_desc) == 5 * sizeof(void *), "lvm_vars_desc changed");
_Static_assert(sizeof(lvm_size_desc) == 32 && offsetof(lvm_size_desc, add) == 16, "lvm_size_desc changed");
_Static_assert(sizeof(lvm_var_desc) == 72 && offsetof(lvm_var_desc, dim) == 24 &&
                   offsetof(lvm_var_desc, default_value) == 64,
               "lvm_var_desc changed");
_Static_assert(offsetof(lvm_vars, v) == 1 * sizeof(void *) && offsetof(lvm_vars, missing) == 3 * sizeof(void *) &&
                   offsetof(lvm_vars, latent) == 4 * sizeof(void *) && offsetof(lvm_vars, n) == 6 * sizeof(void *),
               "lvm_vars changed: update vars_member()");

/* ------------------------------------------------------------------ */
/* Signatures of the runtime and libm functions the IR names          */

/* ret: d double, i int, l int64_t, v void.  params: r lvm_rng *, p pointer,
 * d double, l int64_t (and size_t), i int. */
typedef struct Sig {
  const char *name;
  char ret;
  const char *params;
  bool pure; /* no side effects (libm under -fno-math-errno) */
} Sig;

static const Sig sigs[] = {
    /* libm */
    {"exp", 'd', "d", true}, {"log", 'd', "d", true}, {"log1p", 'd', "d", true},
    {"expm1", 'd', "d", true}, {"sqrt", 'd', "d", true}, {"fabs", 'd', "d", true},
    {"cos", 'd', "d", true}, {"sin", 'd', "d", true}, {"pow", 'd', "dd", true},
    /* lvm/special.h */
    {"lvm_lgamma", 'd', "d", false}, {"lvm_digamma", 'd', "d", false},
    {"lvm_lbeta", 'd', "dd", false}, {"lvm_lchoose", 'd', "dd", false},
    {"lvm_lfactorial", 'd', "d", false}, {"lvm_log_bessel_i0", 'd', "d", false},
    {"lvm_inv_logit", 'd', "d", false}, {"lvm_logit", 'd', "d", false},
    {"lvm_log_inv_logit", 'd', "d", false}, {"lvm_log1m_inv_logit", 'd', "d", false},
    {"lvm_log1pexp", 'd', "d", false}, {"lvm_lmgamma_d", 'd', "dd", false},
    /* lvm/dist.h samplers */
    {"lvm_normal_draw", 'd', "rdd", false}, {"lvm_normal_prec_draw", 'd', "rdd", false},
    {"lvm_lognormal_draw", 'd', "rdd", false}, {"lvm_gamma_draw", 'd', "rdd", false},
    {"lvm_inv_gamma_draw", 'd', "rdd", false}, {"lvm_exponential_draw", 'd', "rd", false},
    {"lvm_beta_draw", 'd', "rdd", false}, {"lvm_von_mises_draw", 'd', "rdd", false},
    {"lvm_uniform_draw", 'd', "rdd", false}, {"lvm_bernoulli_draw", 'i', "rd", false},
    {"lvm_bernoulli_logit_draw", 'i', "rd", false}, {"lvm_binomial_draw", 'l', "rld", false},
    {"lvm_binomial_logit_draw", 'l', "rld", false}, {"lvm_poisson_draw", 'l', "rd", false},
    {"lvm_poisson_log_draw", 'l', "rd", false},
    {"lvm_categorical_logit_draw", 'l', "rlp", false}, {"lvm_dirichlet_draw", 'v', "rlpp", false},
    /* lvm/gen.h */
    {"lvm_gen_scratch", 'p', "pil", false}, {"lvm_gen_fail", 'i', "pppi", false},
    {"lvm_gen_slice", 'i', "priipplp", false},
    {"lvm_gen_vi_categorical_rows", 'i', "pilpp", false}, {"lvm_gen_log_det", 'd', "pl", false},
};

static const Sig *find_sig(const char *name) {
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    if (!strcmp(sigs[i].name, name)) return &sigs[i];
  return NULL;
}

/* ------------------------------------------------------------------ */
/* The emitter                                                          */

typedef struct L {
  LLVMContextRef C;
  LLVMModuleRef M;
  LLVMBuilderRef B;
  LLVMBuilderRef EB;  /* positioned at the end of the entry block */
  const IrModule *m;
  Diags *diags;
  const LlvmOptions *o;
  LLVMTypeRef i1, i8, i32, i64, f64, ptr, vars_ty;
  LLVMValueRef *kernels;  /* per IR function */
  /* the function being emitted */
  const IrFunc *fn;
  int fn_index;
  LLVMValueRef F, st, rng, warmup, status;
  LLVMValueRef *slots;    /* per local: its alloca */
  LLVMValueRef *vbase;    /* per runtime variable: st->v[k], loaded in the entry block */
  int nvbase;
  LLVMValueRef *sizev;    /* per size: st->n[i], loaded in the entry block (kernels never change sizes) */
  unsigned tbaa_kind;     /* "tbaa": f64 and i64 array elements never alias */
  LLVMValueRef tbaa_f64, tbaa_i64;
  LLVMMetadataRef tbaa_ty[2]; /* the f64 and i64 type nodes */
  PtrVec tbaa_arr;        /* per array (2 k: variable k, 2 i + 1: scratch local i): its tag, or NULL */
  /* debug info */
  LLVMDIBuilderRef dib;
  LLVMMetadataRef cu, file, sp;
  bool with_vi;  /* name the CAVI kernels in the record (else they are dead code) */
  int errors;
  PtrVec strs;  /* text, global, text, global, ... */
  Arena arena;
} L;

static LLVMTypeRef named_struct(L *l, const char *name, LLVMTypeRef *el, unsigned n) {
  LLVMTypeRef t = LLVMStructCreateNamed(l->C, name);
  LLVMStructSetBody(t, el, n, 0);
  return t;
}

static LLVMTypeRef ir_ty(L *l, IrType t) { return t == IR_I64 ? l->i64 : l->f64; }

static LLVMTypeRef sig_ty(L *l, char c) {
  switch (c) {
  case 'd': return l->f64;
  case 'i': return l->i32;
  case 'l': return l->i64;
  case 'v': return LLVMVoidTypeInContext(l->C);
  default: return l->ptr;
  }
}

static LLVMValueRef declare(L *l, const char *name, LLVMTypeRef ret, LLVMTypeRef *params, int n) {
  LLVMValueRef f = LLVMGetNamedFunction(l->M, name);
  if (f) return f;
  f = LLVMAddFunction(l->M, name, LLVMFunctionType(ret, params, (unsigned)n, 0));
  return f;
}

static void add_attr(L *l, LLVMValueRef f, const char *name, uint64_t v) {
  unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
  LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(l->C, kind, v));
}

static LLVMValueRef declare_sig(L *l, const Sig *s) {
  LLVMValueRef f = LLVMGetNamedFunction(l->M, s->name);
  if (f) return f;
  LLVMTypeRef ps[8];
  int n = (int)strlen(s->params);
  for (int i = 0; i < n; i++) ps[i] = sig_ty(l, s->params[i]);
  f = declare(l, s->name, sig_ty(l, s->ret), ps, n);
  if (s->pure) {
    add_attr(l, f, "memory", 0); /* memory(none) */
    add_attr(l, f, "nounwind", 0);
    add_attr(l, f, "willreturn", 0);
  }
  return f;
}

/* Call a runtime function by name; arguments converted to its parameter
 * types as C converts them. */
static LLVMValueRef coerce(L *l, LLVMValueRef v, LLVMTypeRef to);

static LLVMValueRef call_sig(L *l, const Sig *s, LLVMValueRef *args, int n) {
  LLVMValueRef f = declare_sig(l, s);
  LLVMTypeRef ft = LLVMGlobalGetValueType(f);
  LLVMTypeRef ps[8];
  LLVMGetParamTypes(ft, ps);
  for (int i = 0; i < n; i++) args[i] = coerce(l, args[i], ps[i]);
  return LLVMBuildCall2(l->B, ft, f, args, (unsigned)n, "");
}

static LLVMValueRef call_named(L *l, const char *name, LLVMValueRef *args, int n) {
  const Sig *s = find_sig(name);
  if (!s) {
    fprintf(stderr, "lvmc: internal error: the LLVM backend does not know the runtime function '%s'\n",
            name);
    l->errors++;
    return NULL;
  }
  return call_sig(l, s, args, n);
}

/* C's implicit conversions between int, int64_t and double. */
static LLVMValueRef coerce(L *l, LLVMValueRef v, LLVMTypeRef to) {
  LLVMTypeRef from = LLVMTypeOf(v);
  if (from == to) return v;
  if (to == l->f64) return LLVMBuildSIToFP(l->B, v, to, "");
  if (from == l->f64) return LLVMBuildFPToSI(l->B, v, to, "");
  if (LLVMGetTypeKind(from) == LLVMIntegerTypeKind && LLVMGetTypeKind(to) == LLVMIntegerTypeKind)
    return LLVMBuildIntCast2(l->B, v, to, 1, "");
  return v;
}

/* A constant C string, one global per distinct text. */
static LLVMValueRef global_str(L *l, const char *s) {
  for (int i = 0; i < l->strs.n; i += 2)
    if (!strcmp(l->strs.v[i], s)) return l->strs.v[i + 1];
  LLVMValueRef init = LLVMConstStringInContext(l->C, s, (unsigned)strlen(s), 0);
  LLVMValueRef g = LLVMAddGlobal(l->M, LLVMTypeOf(init), "str");
  LLVMSetInitializer(g, init);
  LLVMSetGlobalConstant(g, 1);
  LLVMSetLinkage(g, LLVMPrivateLinkage);
  LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
  LLVMSetAlignment(g, 1);
  vec_push(&l->arena, &l->strs, arena_strdup(&l->arena, s));
  vec_push(&l->arena, &l->strs, g);
  return g;
}

static LLVMValueRef cstr(L *l, const char *s) { return global_str(l, s); }

static LLVMValueRef ci64(L *l, long long v) { return LLVMConstInt(l->i64, (unsigned long long)v, 1); }
static LLVMValueRef ci32(L *l, int v) { return LLVMConstInt(l->i32, (unsigned long long)v, 1); }

static LLVMBasicBlockRef block(L *l, const char *name) {
  return LLVMAppendBasicBlockInContext(l->C, l->F, name);
}

static bool terminated(L *l) { return LLVMGetBasicBlockTerminator(LLVMGetInsertBlock(l->B)) != NULL; }

/* After a return: later statements of the same body go to a block no
 * branch reaches (removed by the optimiser). */
static void after_terminator(L *l) { LLVMPositionBuilderAtEnd(l->B, block(l, "dead")); }

/* st->FIELD (field i of lvm_vars), a pointer, loaded with builder b. */
static LLVMValueRef vars_member(L *l, LLVMBuilderRef b, int i) {
  LLVMValueRef p = LLVMBuildStructGEP2(b, l->vars_ty, l->st, (unsigned)i, "");
  return LLVMBuildLoad2(b, l->ptr, p, "");
}
enum { VARS_V = 1, VARS_MISSING = 3, VARS_LATENT = 4, VARS_N = 6 };

/* The array of runtime variable k (hoisted into the entry block). */
static LLVMValueRef var_base(L *l, int k) {
  if (k < 0 || k >= l->nvbase) ICE("variable index %d out of range", k);
  if (!l->vbase[k]) {
    LLVMValueRef v = vars_member(l, l->EB, VARS_V);
    LLVMValueRef idx = ci64(l, k);
    LLVMValueRef p = LLVMBuildGEP2(l->EB, l->ptr, v, &idx, 1, "");
    l->vbase[k] = LLVMBuildLoad2(l->EB, l->ptr, p, "");
  }
  return l->vbase[k];
}

/* The value of size i, loaded once in the entry block. */
static LLVMValueRef size_value(L *l, int i) {
  if (!l->sizev[i]) {
    LLVMValueRef n = vars_member(l, l->EB, VARS_N);
    LLVMValueRef idx = ci64(l, i);
    l->sizev[i] = LLVMBuildLoad2(l->EB, l->i64, LLVMBuildGEP2(l->EB, l->i64, n, &idx, 1, ""), "");
  }
  return l->sizev[i];
}

/* Type-based alias information on a load or store of an array element:
 * the model's f64 arrays (variables, factors, scratch) and its i64 arrays
 * are distinct memory, so a store to one does not force reloads of the
 * other (e.g. a discrete value held in z[n] while the statistics of the
 * other factors are read).  Other accesses carry no tag (may alias all). */
static LLVMValueRef tbaa(L *l, LLVMValueRef inst, LLVMTypeRef t) {
  if (!l->tbaa_f64) {
    LLVMMetadataRef name = LLVMMDStringInContext2(l->C, "lvmc arrays", 11);
    LLVMMetadataRef root = LLVMMDNodeInContext2(l->C, &name, 1);
    LLVMMetadataRef zero = LLVMValueAsMetadata(ci64(l, 0));
    const char *names[2] = {"f64", "i64"};
    LLVMValueRef *tags[2] = {&l->tbaa_f64, &l->tbaa_i64};
    for (int i = 0; i < 2; i++) {
      LLVMMetadataRef ty[3] = {LLVMMDStringInContext2(l->C, names[i], 3), root, zero};
      LLVMMetadataRef tn = LLVMMDNodeInContext2(l->C, ty, 3);
      l->tbaa_ty[i] = tn;
      LLVMMetadataRef tag[3] = {tn, tn, zero};
      *tags[i] = LLVMMetadataAsValue(l->C, LLVMMDNodeInContext2(l->C, tag, 3));
    }
    l->tbaa_kind = LLVMGetMDKindIDInContext(l->C, "tbaa", 4);
  }
  if (t == l->f64) LLVMSetMetadata(inst, l->tbaa_kind, l->tbaa_f64);
  else if (t == l->i64) LLVMSetMetadata(inst, l->tbaa_kind, l->tbaa_i64);
  return inst;
}

/* Finer: an element of one array (variable k, or scratch local k when
 * scratch), whose type node is a child of its element type's, so that
 * accesses to two different arrays never alias (each variable and each
 * scratch buffer is an allocation of its own: lvm_vars_setup,
 * lvm_gen_scratch), while an access tagged only f64 or i64 may alias any
 * array of that type.  The loads of one array can then stay in registers
 * across the stores of another (accumulating into the statistics while
 * reading the probabilities). */
static LLVMValueRef tbaa_array(L *l, LLVMValueRef inst, LLVMTypeRef t, bool scratch, int k) {
  if (t != l->f64 && t != l->i64) return inst;
  tbaa(l, inst, t); /* creates the type nodes */
  size_t key = 2 * (size_t)k + (scratch ? 1 : 0);
  while ((size_t)l->tbaa_arr.n <= key) vec_push(&l->arena, &l->tbaa_arr, NULL);
  if (!l->tbaa_arr.v[key]) {
    char name[32];
    int n = snprintf(name, sizeof name, "%s%d", scratch ? "s" : "v", k);
    LLVMMetadataRef zero = LLVMValueAsMetadata(ci64(l, 0));
    LLVMMetadataRef ty[3] = {LLVMMDStringInContext2(l->C, name, (size_t)n), l->tbaa_ty[t == l->i64], zero};
    LLVMMetadataRef tn = LLVMMDNodeInContext2(l->C, ty, 3);
    LLVMMetadataRef tag[3] = {tn, tn, zero};
    l->tbaa_arr.v[key] = LLVMMetadataAsValue(l->C, LLVMMDNodeInContext2(l->C, tag, 3));
  }
  LLVMSetMetadata(inst, l->tbaa_kind, l->tbaa_arr.v[key]);
  return inst;
}

static LLVMValueRef load_elem(L *l, LLVMTypeRef t, LLVMValueRef addr, bool scratch, int k) {
  return tbaa_array(l, LLVMBuildLoad2(l->B, t, addr, ""), t, scratch, k);
}

/* Address of field[index] (index NULL: a scalar field). */
static LLVMValueRef field_addr(L *l, int field, LLVMValueRef index) {
  const IrField *fl = l->m->fields.v[field];
  if (fl->size) {
    LLVMValueRef n = vars_member(l, l->B, VARS_N);
    LLVMValueRef idx = ci64(l, fl->index);
    return LLVMBuildGEP2(l->B, l->i64, n, &idx, 1, "");
  }
  LLVMValueRef base = var_base(l, fl->index);
  if (!index) return base;
  return LLVMBuildGEP2(l->B, ir_ty(l, fl->type), base, &index, 1, "");
}

static LLVMValueRef scratch_addr(L *l, int local, LLVMValueRef index) {
  LLVMValueRef base = LLVMBuildLoad2(l->B, l->ptr, l->slots[local], "");
  return LLVMBuildGEP2(l->B, l->f64, base, &index, 1, "");
}

static LLVMValueRef expr(L *l, const IrExpr *x);

/* The address of an IR_SCRATCH element expression. */
static LLVMValueRef scratch_elem_addr(L *l, const IrExpr *x) {
  if (x->op != IR_SCRATCH) ICE("an address of %s", ir_op_name(x->op));
  return scratch_addr(l, x->local, expr(l, x->args[0]));
}

/* An i64 or f64 value as a condition (C: != 0). */
static LLVMValueRef truth(L *l, LLVMValueRef v) {
  if (LLVMTypeOf(v) == l->f64) return LLVMBuildFCmp(l->B, LLVMRealUNE, v, LLVMConstReal(l->f64, 0), "");
  return LLVMBuildICmp(l->B, LLVMIntNE, v, LLVMConstNull(LLVMTypeOf(v)), "");
}

/* C's `a && b` / `a || b` as int64_t: b evaluated only when needed. */
static LLVMValueRef short_circuit(L *l, const IrExpr *x) {
  bool is_and = x->op == IR_AND;
  LLVMValueRef a = truth(l, expr(l, x->args[0]));
  LLVMBasicBlockRef from = LLVMGetInsertBlock(l->B);
  LLVMBasicBlockRef rhs = block(l, is_and ? "and.rhs" : "or.rhs");
  LLVMBasicBlockRef end = block(l, is_and ? "and.end" : "or.end");
  if (is_and) LLVMBuildCondBr(l->B, a, rhs, end);
  else LLVMBuildCondBr(l->B, a, end, rhs);
  LLVMPositionBuilderAtEnd(l->B, rhs);
  LLVMValueRef b = truth(l, expr(l, x->args[1]));
  LLVMBasicBlockRef rhs_end = LLVMGetInsertBlock(l->B);
  LLVMBuildBr(l->B, end);
  LLVMPositionBuilderAtEnd(l->B, end);
  LLVMValueRef phi = LLVMBuildPhi(l->B, l->i1, "");
  LLVMValueRef vals[2] = {LLVMConstInt(l->i1, is_and ? 0 : 1, 0), b};
  LLVMBasicBlockRef bbs[2] = {from, rhs_end};
  LLVMAddIncoming(phi, vals, bbs, 2);
  return LLVMBuildZExt(l->B, phi, l->i64, "");
}

/* C's `c ? x : y`: only the chosen operand is evaluated. */
/* Can e be evaluated whatever the condition of the select it is an arm of
 * (no loads, calls or integer divisions; a few operations)?  *budget
 * counts the operations left. */
static bool speculatable(const IrExpr *e, int *budget) {
  if (--*budget < 0) return false;
  switch (e->op) {
  case IR_CONST_F: case IR_CONST_I: case IR_LOCAL: return true;
  case IR_NEG: case IR_NOT: case IR_I2F: return speculatable(e->args[0], budget);
  case IR_DIV: if (e->type != IR_F64) return false; /* fall through */
  case IR_ADD: case IR_SUB: case IR_MUL: case IR_LT: case IR_LE: case IR_EQ: case IR_NE:
    return speculatable(e->args[0], budget) && speculatable(e->args[1], budget);
  default: return false;
  }
}

/* arg0 ? arg1 : arg2.  Arms that can be evaluated either way make an LLVM
 * select (for doubles on x86 a compare and a mask, no branch to
 * mispredict); other arms are evaluated only when chosen. */
static LLVMValueRef conditional(L *l, const IrExpr *x) {
  LLVMTypeRef t = ir_ty(l, x->type);
  int budget = 8;
  if (speculatable(x->args[1], &budget) && speculatable(x->args[2], &budget)) {
    LLVMValueRef c = truth(l, expr(l, x->args[0]));
    LLVMValueRef vt = coerce(l, expr(l, x->args[1]), t), vf = coerce(l, expr(l, x->args[2]), t);
    return LLVMBuildSelect(l->B, c, vt, vf, "");
  }
  LLVMValueRef c = truth(l, expr(l, x->args[0]));
  LLVMBasicBlockRef bt = block(l, "sel.then"), bf = block(l, "sel.else"), end = block(l, "sel.end");
  LLVMBuildCondBr(l->B, c, bt, bf);
  LLVMPositionBuilderAtEnd(l->B, bt);
  LLVMValueRef vt = coerce(l, expr(l, x->args[1]), t);
  LLVMBasicBlockRef bt_end = LLVMGetInsertBlock(l->B);
  LLVMBuildBr(l->B, end);
  LLVMPositionBuilderAtEnd(l->B, bf);
  LLVMValueRef vf = coerce(l, expr(l, x->args[2]), t);
  LLVMBasicBlockRef bf_end = LLVMGetInsertBlock(l->B);
  LLVMBuildBr(l->B, end);
  LLVMPositionBuilderAtEnd(l->B, end);
  LLVMValueRef phi = LLVMBuildPhi(l->B, t, "");
  LLVMValueRef vals[2] = {vt, vf};
  LLVMBasicBlockRef bbs[2] = {bt_end, bf_end};
  LLVMAddIncoming(phi, vals, bbs, 2);
  return phi;
}

/* lvm_vars_free_elem(st, k, e): latent[k] || (missing[k] && missing[k][e]). */
static LLVMValueRef free_elem(L *l, int k, LLVMValueRef e) {
  LLVMValueRef kk = ci64(l, k);
  LLVMValueRef lat = LLVMBuildLoad2(l->B, l->i8, LLVMBuildGEP2(l->B, l->i8, vars_member(l, l->B, VARS_LATENT), &kk, 1, ""), "");
  LLVMBasicBlockRef from = LLVMGetInsertBlock(l->B);
  LLVMBasicBlockRef bm = block(l, "free.mask"), bx = block(l, "free.elem"), end = block(l, "free.end");
  LLVMBuildCondBr(l->B, LLVMBuildICmp(l->B, LLVMIntNE, lat, LLVMConstNull(l->i8), ""), end, bm);
  LLVMPositionBuilderAtEnd(l->B, bm);
  LLVMValueRef mk = LLVMBuildLoad2(l->B, l->ptr, LLVMBuildGEP2(l->B, l->ptr, vars_member(l, l->B, VARS_MISSING), &kk, 1, ""), "");
  LLVMBuildCondBr(l->B, LLVMBuildIsNotNull(l->B, mk, ""), bx, end);
  LLVMPositionBuilderAtEnd(l->B, bx);
  LLVMValueRef me = LLVMBuildLoad2(l->B, l->i8, LLVMBuildGEP2(l->B, l->i8, mk, &e, 1, ""), "");
  LLVMValueRef mf = LLVMBuildICmp(l->B, LLVMIntNE, me, LLVMConstNull(l->i8), "");
  LLVMBuildBr(l->B, end);
  LLVMPositionBuilderAtEnd(l->B, end);
  LLVMValueRef phi = LLVMBuildPhi(l->B, l->i1, "");
  LLVMValueRef vals[3] = {LLVMConstInt(l->i1, 1, 0), LLVMConstInt(l->i1, 0, 0), mf};
  LLVMBasicBlockRef bbs[3] = {from, bm, bx};
  LLVMAddIncoming(phi, vals, bbs, 3);
  return LLVMBuildZExt(l->B, phi, l->i64, "");
}

static LLVMValueRef arith(L *l, IrOp op, IrType t, LLVMValueRef a, LLVMValueRef b) {
  bool f = t == IR_F64;
  if (f) {
    a = coerce(l, a, l->f64);
    b = coerce(l, b, l->f64);
  }
  switch (op) {
  case IR_ADD: return f ? LLVMBuildFAdd(l->B, a, b, "") : LLVMBuildAdd(l->B, a, b, "");
  case IR_SUB: return f ? LLVMBuildFSub(l->B, a, b, "") : LLVMBuildSub(l->B, a, b, "");
  case IR_MUL: return f ? LLVMBuildFMul(l->B, a, b, "") : LLVMBuildMul(l->B, a, b, "");
  case IR_DIV: return f ? LLVMBuildFDiv(l->B, a, b, "") : LLVMBuildSDiv(l->B, a, b, "");
  case IR_IDIV: return LLVMBuildSDiv(l->B, a, b, "");
  case IR_REM: return LLVMBuildSRem(l->B, a, b, "");
  default: ICE("not an arithmetic op: %s", ir_op_name(op));
  }
}

static LLVMValueRef compare(L *l, IrOp op, LLVMValueRef a, LLVMValueRef b) {
  LLVMValueRef c;
  if (LLVMTypeOf(a) == l->f64 || LLVMTypeOf(b) == l->f64) {
    a = coerce(l, a, l->f64);
    b = coerce(l, b, l->f64);
    LLVMRealPredicate p = op == IR_LT ? LLVMRealOLT : op == IR_LE ? LLVMRealOLE : op == IR_EQ ? LLVMRealOEQ : LLVMRealUNE;
    c = LLVMBuildFCmp(l->B, p, a, b, "");
  } else {
    LLVMIntPredicate p = op == IR_LT ? LLVMIntSLT : op == IR_LE ? LLVMIntSLE : op == IR_EQ ? LLVMIntEQ : LLVMIntNE;
    c = LLVMBuildICmp(l->B, p, a, b, "");
  }
  return LLVMBuildZExt(l->B, c, l->i64, "");
}

static LLVMValueRef expr(L *l, const IrExpr *x) {
  switch (x->op) {
  case IR_CONST_F: return LLVMConstReal(l->f64, x->f);
  case IR_CONST_I: return ci64(l, x->i);
  case IR_LOCAL: {
    const IrLocal *lc = l->fn->locals.v[x->local];
    return LLVMBuildLoad2(l->B, ir_ty(l, lc->type), l->slots[x->local], "");
  }
  case IR_FIELD: {
    const IrField *fl = l->m->fields.v[x->field];
    if (fl->size) return size_value(l, fl->index);
    return load_elem(l, ir_ty(l, fl->type), field_addr(l, x->field, NULL), false, fl->index);
  }
  case IR_LOAD: {
    const IrField *fl = l->m->fields.v[x->field];
    LLVMValueRef i = expr(l, x->args[0]);
    return load_elem(l, ir_ty(l, fl->type), field_addr(l, x->field, i), false, fl->index);
  }
  case IR_SCRATCH: return load_elem(l, l->f64, scratch_addr(l, x->local, expr(l, x->args[0])), true, x->local);
  case IR_FREE: {
    LLVMValueRef e = expr(l, x->args[0]);
    return free_elem(l, ((IrField *)l->m->fields.v[x->field])->index, e);
  }
  case IR_NEG: {
    LLVMValueRef a = expr(l, x->args[0]);
    return LLVMTypeOf(a) == l->f64 ? LLVMBuildFNeg(l->B, a, "") : LLVMBuildNeg(l->B, a, "");
  }
  case IR_NOT: {
    LLVMValueRef a = truth(l, expr(l, x->args[0]));
    return LLVMBuildZExt(l->B, LLVMBuildNot(l->B, a, ""), l->i64, "");
  }
  case IR_I2F: return coerce(l, expr(l, x->args[0]), l->f64);
  case IR_F2I: return coerce(l, expr(l, x->args[0]), l->i64);
  case IR_ADD:
  case IR_SUB:
  case IR_MUL:
  case IR_DIV:
  case IR_REM:
  case IR_IDIV: {
    LLVMValueRef a = expr(l, x->args[0]);
    LLVMValueRef b = expr(l, x->args[1]);
    return arith(l, x->op, x->type, a, b);
  }
  case IR_LT:
  case IR_LE:
  case IR_EQ:
  case IR_NE: {
    LLVMValueRef a = expr(l, x->args[0]);
    LLVMValueRef b = expr(l, x->args[1]);
    return compare(l, x->op, a, b);
  }
  case IR_AND:
  case IR_OR: return short_circuit(l, x);
  case IR_SELECT: return conditional(l, x);
  case IR_CALL: {
    LLVMValueRef args[8];
    if (x->nargs > 8) ICE("call of %s with %d arguments", x->fn, x->nargs);
    for (int i = 0; i < x->nargs; i++) args[i] = expr(l, x->args[i]);
    const Sig *s = find_sig(x->fn);
    if (s) return call_sig(l, s, args, x->nargs);
    /* the IR's contract: f64 ... -> f64 */
    LLVMTypeRef ps[8];
    for (int i = 0; i < x->nargs; i++) ps[i] = l->f64;
    LLVMValueRef f = declare(l, x->fn, l->f64, ps, x->nargs);
    for (int i = 0; i < x->nargs; i++) args[i] = coerce(l, args[i], l->f64);
    return LLVMBuildCall2(l->B, LLVMGlobalGetValueType(f), f, args, (unsigned)x->nargs, "");
  }
  case IR_ARRCALL: {
    /* fn(&field[arg0], (int64_t)arg1) */
    LLVMValueRef args[2] = {field_addr(l, x->field, expr(l, x->args[0])), expr(l, x->args[1])};
    LLVMValueRef v = call_named(l, x->fn, args, 2);
    return v ? v : LLVMConstReal(l->f64, 0);
  }
  case IR_KCALL: {
    LLVMValueRef f = LLVMGetNamedFunction(l->M, x->fn);
    if (!f) ICE("call of the unknown kernel %s", x->fn);
    LLVMTypeRef ft = LLVMGlobalGetValueType(f);
    LLVMValueRef args[8];
    LLVMTypeRef ps[8];
    if (x->nargs + 1 > 8 || (unsigned)(x->nargs + 1) != LLVMCountParamTypes(ft))
      ICE("call of %s with %d arguments", x->fn, x->nargs);
    LLVMGetParamTypes(ft, ps);
    args[0] = l->st;
    for (int i = 0; i < x->nargs; i++) args[i + 1] = coerce(l, expr(l, x->args[i]), ps[i + 1]);
    return LLVMBuildCall2(l->B, ft, f, args, (unsigned)x->nargs + 1, "");
  }
  default: break;
  }
  ICE("the LLVM backend cannot emit %s", ir_op_name(x->op));
}

/* ---- Statements --------------------------------------------------- */

static void body(L *l, const PtrVec *b);

/* The source-location string of a span (the C backend's table entries). */
static LLVMValueRef where(L *l, Span s) {
  StrBuf b = {0};
  span_format(l->diags, s, &b);
  LLVMValueRef v = cstr(l, b.s ? b.s : "?");
  sb_free(&b);
  return v;
}

/* return gen_fail(st, where, what, status) from the current function. */
static void return_fail(L *l, Span s, LLVMValueRef what, LLVMValueRef status) {
  LLVMValueRef args[4] = {l->st, where(l, s), what, status};
  LLVMValueRef r = call_named(l, "lvm_gen_fail", args, 4);
  LLVMBuildRet(l->B, coerce(l, r, l->fn->ret == IR_F64 ? l->f64 : l->i32));
}

/* status = call; if (status != LVM_OK) return gen_fail(st, where, what, status); */
static void fail_check(L *l, LLVMValueRef status, Span s, const char *what) {
  LLVMBuildStore(l->B, status, l->status);
  LLVMBasicBlockRef bad = block(l, "fail"), ok = block(l, "ok");
  LLVMBuildCondBr(l->B, LLVMBuildICmp(l->B, LLVMIntNE, status, ci32(l, 0), ""), bad, ok);
  LLVMPositionBuilderAtEnd(l->B, bad);
  return_fail(l, s, cstr(l, what), status);
  LLVMPositionBuilderAtEnd(l->B, ok);
}

/* Debug location of a statement (line 0 when it has no span). */
static void locate(L *l, Span s) {
  if (!l->dib) return;
  /* statements from elsewhere (stdlib bodies) keep line 0: the scope is the model file */
  const Source *src = diags_source(l->diags, s.src);
  bool here = src && src->name && !strcmp(src->name, l->m->source) && s.line > 0;
  LLVMMetadataRef loc = LLVMDIBuilderCreateDebugLocation(l->C, here ? (unsigned)s.line : 0,
                                                         here && s.col > 0 ? (unsigned)s.col : 0, l->sp, NULL);
  LLVMSetCurrentDebugLocation2(l->B, loc);
}

static void store_field(L *l, int field, LLVMValueRef index, LLVMValueRef v) {
  const IrField *fl = l->m->fields.v[field];
  LLVMValueRef addr = field_addr(l, field, index);
  LLVMTypeRef t = ir_ty(l, fl->size ? IR_I64 : fl->type);
  LLVMValueRef st = LLVMBuildStore(l->B, coerce(l, v, t), addr);
  if (!fl->size) tbaa_array(l, st, t, false, fl->index);
}

static void stmt(L *l, const IrStmt *s) {
  if (terminated(l)) after_terminator(l);
  locate(l, s->span);
  switch (s->kind) {
  case IS_BLOCK: body(l, &s->body); return;
  case IS_FOR: {
    /* for (l = lo; l <= hi; l++): hi evaluated before every iteration, as in C */
    LLVMBuildStore(l->B, coerce(l, expr(l, s->lo), l->i64), l->slots[s->local]);
    LLVMBasicBlockRef cond = block(l, "for.cond"), bb = block(l, "for.body"), inc = block(l, "for.inc"),
                      end = block(l, "for.end");
    LLVMBuildBr(l->B, cond);
    LLVMPositionBuilderAtEnd(l->B, cond);
    LLVMValueRef i = LLVMBuildLoad2(l->B, l->i64, l->slots[s->local], "");
    LLVMValueRef hi = coerce(l, expr(l, s->hi), l->i64);
    LLVMBuildCondBr(l->B, LLVMBuildICmp(l->B, LLVMIntSLE, i, hi, ""), bb, end);
    LLVMPositionBuilderAtEnd(l->B, bb);
    body(l, &s->body);
    if (!terminated(l)) LLVMBuildBr(l->B, inc);
    LLVMPositionBuilderAtEnd(l->B, inc);
    locate(l, s->span);
    LLVMValueRef i2 = LLVMBuildLoad2(l->B, l->i64, l->slots[s->local], "");
    LLVMBuildStore(l->B, LLVMBuildAdd(l->B, i2, ci64(l, 1), ""), l->slots[s->local]);
    LLVMBuildBr(l->B, cond);
    LLVMPositionBuilderAtEnd(l->B, end);
    return;
  }
  case IS_IF: {
    LLVMValueRef c = truth(l, expr(l, s->cond));
    LLVMBasicBlockRef bt = block(l, "if.then"), end = block(l, "if.end");
    LLVMBasicBlockRef bf = s->els.n ? block(l, "if.else") : end;
    LLVMBuildCondBr(l->B, c, bt, bf);
    LLVMPositionBuilderAtEnd(l->B, bt);
    body(l, &s->body);
    if (!terminated(l)) LLVMBuildBr(l->B, end);
    if (s->els.n) {
      LLVMPositionBuilderAtEnd(l->B, bf);
      body(l, &s->els);
      if (!terminated(l)) LLVMBuildBr(l->B, end);
    }
    LLVMMoveBasicBlockAfter(end, LLVMGetInsertBlock(l->B));
    LLVMPositionBuilderAtEnd(l->B, end);
    return;
  }
  case IS_SET: {
    const IrLocal *lc = l->fn->locals.v[s->local];
    LLVMBuildStore(l->B, coerce(l, expr(l, s->value), ir_ty(l, lc->type)), l->slots[s->local]);
    return;
  }
  case IS_STORE:
  case IS_ACC: {
    LLVMValueRef i = expr(l, s->index);
    LLVMValueRef addr;
    LLVMTypeRef t;
    bool scratch = s->local >= 0;
    int key = scratch ? s->local : ((const IrField *)l->m->fields.v[s->field])->index;
    if (s->local >= 0) {
      addr = scratch_addr(l, s->local, i);
      t = l->f64;
    } else {
      const IrField *fl = l->m->fields.v[s->field];
      addr = field_addr(l, s->field, i);
      t = ir_ty(l, fl->type);
    }
    LLVMValueRef v = coerce(l, expr(l, s->value), t);
    if (s->kind == IS_ACC) {
      LLVMValueRef old = load_elem(l, t, addr, scratch, key);
      v = t == l->f64 ? LLVMBuildFAdd(l->B, old, v, "") : LLVMBuildAdd(l->B, old, v, "");
    }
    tbaa_array(l, LLVMBuildStore(l->B, v, addr), t, scratch, key);
    return;
  }
  case IS_SETF: store_field(l, s->field, NULL, expr(l, s->value)); return;
  case IS_RETURN: {
    LLVMValueRef v = expr(l, s->value);
    LLVMBuildRet(l->B, coerce(l, v, l->fn->ret == IR_F64 ? l->f64 : l->i32));
    return;
  }
  case IS_RTCALL: {
    /* status-returning: int fn(args), the arguments as their IR types */
    LLVMValueRef args[8];
    LLVMTypeRef ps[8];
    if (s->nargs > 8) ICE("runtime call of %s with %d arguments", s->fn, s->nargs);
    for (int i = 0; i < s->nargs; i++) {
      args[i] = expr(l, s->args[i]);
      ps[i] = LLVMTypeOf(args[i]);
    }
    LLVMValueRef f = declare(l, s->fn, l->i32, ps, s->nargs);
    LLVMValueRef r = LLVMBuildCall2(l->B, LLVMGlobalGetValueType(f), f, args, (unsigned)s->nargs, "");
    fail_check(l, r, s->span, s->fn);
    return;
  }
  case IS_DRAW: {
    LLVMValueRef i = expr(l, s->index);
    LLVMValueRef args[8];
    if (s->nargs + 1 > 8) ICE("draw from %s with %d arguments", s->fn, s->nargs);
    args[0] = l->rng;
    for (int k = 0; k < s->nargs; k++) args[k + 1] = expr(l, s->args[k]);
    LLVMValueRef v = call_named(l, s->fn, args, s->nargs + 1);
    if (v) store_field(l, s->field, i, v);
    return;
  }
  case IS_DRAWVEC: {
    LLVMValueRef args[4] = {l->rng, expr(l, s->args[0]),
                            LLVMBuildLoad2(l->B, l->ptr, l->slots[s->local], ""), NULL};
    args[3] = field_addr(l, s->field, expr(l, s->index));
    call_named(l, s->fn, args, 4);
    return;
  }
  case IS_CATDRAW: {
    LLVMValueRef i = expr(l, s->index);
    LLVMValueRef off = expr(l, s->args[1]);
    LLVMValueRef args[3] = {l->rng, expr(l, s->args[0]), LLVMBuildLoad2(l->B, l->ptr, l->slots[s->local], "")};
    LLVMValueRef d = call_named(l, "lvm_categorical_logit_draw", args, 3);
    store_field(l, s->field, i, LLVMBuildAdd(l->B, coerce(l, off, l->i64), d, ""));
    return;
  }
  case IS_FAMILY: {
    const IrField *fl = l->m->fields.v[s->field];
    char name[128];
    snprintf(name, sizeof name, "lvm_family_%s_draw", s->fn);
    LLVMValueRef args[5];
    LLVMTypeRef ps[5];
    int n = 0;
    args[n++] = l->rng;
    bool sized = s->nargs > 1 && fl->type == IR_F64;
    if (sized) args[n++] = coerce(l, expr(l, s->args[1]), l->i64);
    args[n++] = scratch_addr(l, s->local, expr(l, s->args[0]));
    LLVMValueRef gv = NULL;
    if (fl->type == IR_F64) {
      args[n++] = field_addr(l, s->field, expr(l, s->index));
      /* the work buffer (mvnormal, wishart): &scratch[i] */
      if (s->value) args[n++] = scratch_elem_addr(l, s->value);
    } else {
      /* int gv = 0; draw into gv; field[index] = gv */
      gv = LLVMBuildAlloca(l->EB, l->i32, "gv");
      LLVMBuildStore(l->B, ci32(l, 0), gv);
      args[n++] = gv;
    }
    for (int k = 0; k < n; k++) ps[k] = LLVMTypeOf(args[k]);
    LLVMValueRef f = declare(l, name, l->i32, ps, n);
    LLVMValueRef r = LLVMBuildCall2(l->B, LLVMGlobalGetValueType(f), f, args, (unsigned)n, "");
    if (gv) store_field(l, s->field, expr(l, s->index), LLVMBuildLoad2(l->B, l->i32, gv, ""));
    fail_check(l, r, s->span, "the complete conditional is improper or invalid");
    return;
  }
  case IS_VIFACTOR: {
    /* memcpy(&field[index], &scratch[args0], args1 * sizeof(double));
     * status = lvm_family_<fn>_mean_stats([K,] &field[index], &field2[index]) */
    LLVMValueRef dst = field_addr(l, s->field, expr(l, s->index));
    LLVMValueRef src = scratch_addr(l, s->local, expr(l, s->args[0]));
    LLVMValueRef bytes = LLVMBuildMul(l->B, coerce(l, expr(l, s->args[1]), l->i64), ci64(l, 8), "");
    LLVMBuildMemCpy(l->B, dst, 8, src, 8, bytes);
    char name[128];
    snprintf(name, sizeof name, "lvm_family_%s_mean_stats", s->fn);
    LLVMValueRef args[3];
    LLVMTypeRef ps[3];
    int n = 0;
    if (s->nargs > 2) args[n++] = coerce(l, expr(l, s->args[2]), l->i64);
    args[n++] = field_addr(l, s->field, expr(l, s->index));
    args[n++] = field_addr(l, s->field2, expr(l, s->index));
    for (int k = 0; k < n; k++) ps[k] = LLVMTypeOf(args[k]);
    LLVMValueRef f = declare(l, name, l->i32, ps, n);
    LLVMValueRef r = LLVMBuildCall2(l->B, LLVMGlobalGetValueType(f), f, args, (unsigned)n, "");
    fail_check(l, r, s->span, "the variational factor is improper (CAVI update)");
    return;
  }
  case IS_VIROWS: {
    /* status = lvm_gen_vi_categorical_rows(st, var, K, &field[0], &field2[0]) */
    LLVMValueRef args[5] = {l->st, ci32(l, s->local), expr(l, s->args[0]), field_addr(l, s->field, NULL),
                            field_addr(l, s->field2, NULL)};
    LLVMValueRef r = call_named(l, "lvm_gen_vi_categorical_rows", args, 5);
    fail_check(l, r, s->span, "the variational factor is improper (CAVI update)");
    return;
  }
  case IS_FAIL:
    return_fail(l, s->span, cstr(l, s->fn), ci32(l, LVM_EDATA));
    return;
  case IS_SLICE: {
    /* status = lvm_gen_slice(st, r, warmup, kind, &v[aux][4 e], fn, e, &field[e]) */
    LLVMValueRef e = expr(l, s->index);
    LLVMValueRef four_e = LLVMBuildMul(l->B, ci64(l, 4), e, "");
    LLVMValueRef ss = LLVMBuildGEP2(l->B, l->f64, var_base(l, (int)s->args[0]->i), &four_e, 1, "");
    LLVMValueRef logp = LLVMGetNamedFunction(l->M, s->fn);
    if (!logp) ICE("slice update with the unknown kernel %s", s->fn);
    LLVMValueRef args[8] = {l->st, l->rng, l->warmup, ci32(l, s->local), ss, logp, e,
                            field_addr(l, s->field, expr(l, s->index))};
    LLVMValueRef r = call_named(l, "lvm_gen_slice", args, 8);
    fail_check(l, r, s->span, "slice sampling failed (the log density is not finite here)");
    return;
  }
  }
}

static void body(L *l, const PtrVec *b) {
  for (int i = 0; i < b->n; i++) stmt(l, b->v[i]);
}

/* ---- Functions and the module ----------------------------------- */

static const char *kernel_name(const IrFunc *fn, char *buf, size_t n) {
  if (fn->nparams) return fn->name;
  snprintf(buf, n, "gen_%s", fn->name);
  return buf;
}

static LLVMValueRef declare_kernel(L *l, const IrFunc *fn) {
  char buf[128];
  LLVMTypeRef ps[3];
  int n = 0;
  LLVMTypeRef ret;
  ps[n++] = l->ptr; /* lvm_vars *st */
  if (fn->nparams) {
    ret = l->f64;
    for (int i = 0; i < fn->nparams && n < 3; i++) ps[n++] = ir_ty(l, ((IrLocal *)fn->locals.v[i])->type);
  } else if (fn->ret == IR_F64) {
    ret = l->f64;
  } else {
    ret = l->i32;
    ps[n++] = l->ptr; /* lvm_rng *r */
    if (!strcmp(fn->name, "sweep")) ps[n++] = l->i32;
  }
  LLVMValueRef f = LLVMAddFunction(l->M, kernel_name(fn, buf, sizeof buf), LLVMFunctionType(ret, ps, (unsigned)n, 0));
  LLVMSetLinkage(f, LLVMInternalLinkage);
  add_attr(l, f, "nounwind", 0);
  return f;
}

static void define_kernel(L *l, int index) {
  const IrFunc *fn = l->m->funcs.v[index];
  l->fn = fn;
  l->fn_index = index;
  l->F = l->kernels[index];
  l->st = LLVMGetParam(l->F, 0);
  LLVMSetValueName2(l->st, "st", 2);
  l->rng = l->warmup = NULL;
  if (!fn->nparams && fn->ret == IR_I64) {
    l->rng = LLVMGetParam(l->F, 1);
    LLVMSetValueName2(l->rng, "r", 1);
    if (!strcmp(fn->name, "sweep")) {
      l->warmup = LLVMGetParam(l->F, 2);
      LLVMSetValueName2(l->warmup, "warmup", 6);
    }
  }
  if (l->dib) {
    char buf[128];
    const char *name = kernel_name(fn, buf, sizeof buf);
    LLVMMetadataRef ty = LLVMDIBuilderCreateSubroutineType(l->dib, l->file, NULL, 0, LLVMDIFlagZero);
    unsigned line = 0;
    for (int i = 0; i < fn->body.n && !line; i++) {
      const IrStmt *s = fn->body.v[i];
      if (s->span.line > 0) line = (unsigned)s->span.line;
    }
    l->sp = LLVMDIBuilderCreateFunction(l->dib, l->file, name, strlen(name), name, strlen(name), l->file, line, ty,
                                        1, 1, line, LLVMDIFlagZero, l->o->optimize);
    LLVMSetSubprogram(l->F, l->sp);
  }
  LLVMBasicBlockRef entry = block(l, "entry");
  LLVMBasicBlockRef start = block(l, "start");
  LLVMPositionBuilderAtEnd(l->EB, entry);
  LLVMPositionBuilderAtEnd(l->B, start);
  locate(l, NO_SPAN);
  /* the entry block: allocas, zeroed locals, hoisted array pointers */
  if (l->dib) LLVMSetCurrentDebugLocation2(l->EB, LLVMDIBuilderCreateDebugLocation(l->C, 0, 0, l->sp, NULL));
  l->slots = calloc((size_t)fn->locals.n + 1, sizeof *l->slots);
  l->nvbase = l->m->vars.n;
  l->vbase = calloc((size_t)l->nvbase + 1, sizeof *l->vbase);
  l->sizev = calloc((size_t)l->m->sizes.n + 1, sizeof *l->sizev);
  if (!l->slots || !l->vbase || !l->sizev) ICE("out of memory");
  l->status = LLVMBuildAlloca(l->EB, l->i32, "status");
  LLVMBuildStore(l->EB, ci32(l, 0), l->status);
  for (int i = 0; i < fn->locals.n; i++) {
    const IrLocal *lc = fn->locals.v[i];
    char name[32];
    snprintf(name, sizeof name, "l%d", i);
    LLVMTypeRef t = lc->scratch_n || lc->scratch > 0 ? l->ptr : ir_ty(l, lc->type);
    l->slots[i] = LLVMBuildAlloca(l->EB, t, name);
    LLVMValueRef init = i < fn->nparams ? LLVMGetParam(l->F, (unsigned)i + 1) : LLVMConstNull(t);
    LLVMBuildStore(l->EB, init, l->slots[i]);
  }
  /* scratch arrays: gen_scratch(st, id, n), in order, as the C file does */
  for (int i = fn->nparams; i < fn->locals.n; i++) {
    const IrLocal *lc = fn->locals.v[i];
    if (!lc->scratch_n) continue;
    LLVMValueRef args[3] = {l->st, ci32(l, index * 4096 + i), expr(l, lc->scratch_n)};
    LLVMValueRef p = call_named(l, "lvm_gen_scratch", args, 3);
    LLVMBuildStore(l->B, p, l->slots[i]);
    LLVMBasicBlockRef bad = block(l, "nomem"), ok = block(l, "ok");
    LLVMBuildCondBr(l->B, LLVMBuildIsNull(l->B, p, ""), bad, ok);
    LLVMPositionBuilderAtEnd(l->B, bad);
    LLVMValueRef fa[4] = {l->st, cstr(l, l->m->source), cstr(l, "out of memory"), ci32(l, LVM_ENOMEM)};
    LLVMValueRef r = call_named(l, "lvm_gen_fail", fa, 4);
    LLVMBuildRet(l->B, coerce(l, r, fn->ret == IR_F64 ? l->f64 : l->i32));
    LLVMPositionBuilderAtEnd(l->B, ok);
  }
  body(l, &fn->body);
  if (!terminated(l)) {
    /* falling off the end (the lowering always returns): 0 */
    LLVMBuildRet(l->B, fn->ret == IR_F64 || fn->nparams ? LLVMConstReal(l->f64, 0) : ci32(l, 0));
  }
  LLVMBuildBr(l->EB, start);
  if (l->dib) LLVMDIBuilderFinalizeSubprogram(l->dib, l->sp);
  free(l->slots);
  free(l->vbase);
  free(l->sizev);
  l->slots = l->vbase = l->sizev = NULL;
}

/* The tables and the gen_model record. */
static void emit_tables(L *l, bool with_main) {
  /* lvm_size_desc {const char *text; int var; long long add, value;} */
  LLVMTypeRef size_el[4] = {l->ptr, l->i32, l->i64, l->i64};
  LLVMTypeRef size_ty = named_struct(l, "lvm_size_desc", size_el, 4);
  int nsz = l->m->sizes.n ? l->m->sizes.n : 1;
  LLVMValueRef *sz = calloc((size_t)nsz, sizeof *sz);
  for (int i = 0; i < nsz; i++) {
    const IrSizeDesc *z = l->m->sizes.n ? l->m->sizes.v[i] : NULL;
    LLVMValueRef f[4] = {global_str(l, z ? z->text : ""), ci32(l, z ? z->var : -1), ci64(l, z ? z->add : 0),
                         ci64(l, z ? z->value : 0)};
    sz[i] = LLVMConstNamedStruct(size_ty, f, 4);
  }
  LLVMValueRef sizes_init = LLVMConstArray2(size_ty, sz, (uint64_t)nsz);
  LLVMValueRef sizes = LLVMAddGlobal(l->M, LLVMTypeOf(sizes_init), "gen_sizes");
  LLVMSetInitializer(sizes, sizes_init);
  LLVMSetGlobalConstant(sizes, 1);
  LLVMSetLinkage(sizes, LLVMInternalLinkage);
  free(sz);
  /* lvm_var_desc {name; kind; domain; is_int; ndim; dim[8]; domain_arg; has_default; default_value} */
  LLVMTypeRef dims_ty = LLVMArrayType2(l->i32, 8);
  LLVMTypeRef var_el[9] = {l->ptr, l->i32, l->i32, l->i32, l->i32, dims_ty, l->i32, l->i32, l->f64};
  LLVMTypeRef var_ty = named_struct(l, "lvm_var_desc", var_el, 9);
  int nv = l->m->vars.n ? l->m->vars.n : 1;
  LLVMValueRef *vs = calloc((size_t)nv, sizeof *vs);
  for (int i = 0; i < l->m->vars.n; i++) {
    const IrVarDesc *v = l->m->vars.v[i];
    LLVMValueRef dims[8];
    for (int d = 0; d < 8; d++) dims[d] = ci32(l, d < v->ndim ? v->dim[d] : 0);
    LLVMValueRef f[9] = {global_str(l, v->name), ci32(l, v->kind), ci32(l, v->domain), ci32(l, v->is_int),
                         ci32(l, v->ndim), LLVMConstArray2(l->i32, dims, 8), ci32(l, v->domain_arg),
                         ci32(l, v->has_default), LLVMConstReal(l->f64, v->default_value)};
    vs[i] = LLVMConstNamedStruct(var_ty, f, 9);
  }
  if (!l->m->vars.n) vs[0] = LLVMConstNull(var_ty);
  LLVMValueRef vars_init = LLVMConstArray2(var_ty, vs, (uint64_t)nv);
  LLVMValueRef vars = LLVMAddGlobal(l->M, LLVMTypeOf(vars_init), "gen_vars");
  LLVMSetInitializer(vars, vars_init);
  LLVMSetGlobalConstant(vars, 1);
  LLVMSetLinkage(vars, LLVMInternalLinkage);
  free(vs);
  /* lvm_vi_factor {var; family; eta; stats; size} (CAVI), when there are factors */
  LLVMValueRef factors = LLVMConstNull(l->ptr);
  int nf = l->m->vi_factors.n;
  if (nf) {
    LLVMTypeRef fac_el[5] = {l->i32, l->ptr, l->i32, l->i32, l->i32};
    LLVMTypeRef fac_ty = named_struct(l, "lvm_vi_factor", fac_el, 5);
    LLVMValueRef *fs = calloc((size_t)nf, sizeof *fs);
    if (!fs) ICE("out of memory");
    for (int i = 0; i < nf; i++) {
      const IrViFactor *v = l->m->vi_factors.v[i];
      LLVMValueRef f[5] = {ci32(l, v->var), global_str(l, v->family), ci32(l, v->eta), ci32(l, v->stats),
                           ci32(l, v->size)};
      fs[i] = LLVMConstNamedStruct(fac_ty, f, 5);
    }
    LLVMValueRef fac_init = LLVMConstArray2(fac_ty, fs, (uint64_t)nf);
    factors = LLVMAddGlobal(l->M, LLVMTypeOf(fac_init), "gen_vi_factors");
    LLVMSetInitializer(factors, fac_init);
    LLVMSetGlobalConstant(factors, 1);
    LLVMSetLinkage(factors, LLVMInternalLinkage);
    free(fs);
  }
  /* lvm_gen_model {lvm_vars_desc {model; n_vars; vars; n_sizes; sizes}; source; init; sweep; log_joint;
   * simulate; vi_local; vi_sweep; vi_expect; vi_factors; vi_unsupported; n_vi_factors; vi_refresh;
   * vi_seed} */
  LLVMTypeRef desc_el[5] = {l->ptr, l->i32, l->ptr, l->i32, l->ptr};
  LLVMTypeRef desc_ty = named_struct(l, "lvm_vars_desc", desc_el, 5);
  LLVMTypeRef gm_el[14] = {desc_ty, l->ptr, l->ptr, l->ptr, l->ptr, l->ptr, l->ptr,
                           l->ptr,  l->ptr, l->ptr, l->ptr, l->i32, l->ptr, l->ptr};
  LLVMTypeRef gm_ty = named_struct(l, "lvm_gen_model", gm_el, 14);
  LLVMValueRef d[5] = {global_str(l, l->m->model), ci32(l, l->m->vars.n), vars, ci32(l, l->m->sizes.n), sizes};
  const char *kn[7] = {"gen_init", "gen_sweep", "gen_log_joint", "gen_simulate",
                       "gen_vi_local", "gen_vi_sweep", "gen_vi_expect"};
  LLVMValueRef g[14] = {LLVMConstNamedStruct(desc_ty, d, 5), global_str(l, l->m->source)};
  for (int i = 0; i < 7; i++) {
    LLVMValueRef k = i < 4 || l->with_vi ? LLVMGetNamedFunction(l->M, kn[i]) : NULL;
    g[i + 2] = k ? k : LLVMConstNull(l->ptr);
  }
  g[9] = l->with_vi ? factors : LLVMConstNull(l->ptr);
  g[10] = l->m->vi_unsupported ? global_str(l, l->m->vi_unsupported) : LLVMConstNull(l->ptr);
  g[11] = ci32(l, l->with_vi ? nf : 0);
  LLVMValueRef refresh = l->with_vi ? LLVMGetNamedFunction(l->M, "gen_vi_refresh") : NULL;
  g[12] = refresh ? refresh : LLVMConstNull(l->ptr);
  LLVMValueRef seed = l->with_vi ? LLVMGetNamedFunction(l->M, "gen_vi_seed") : NULL;
  g[13] = seed ? seed : LLVMConstNull(l->ptr);
  LLVMValueRef gm = LLVMAddGlobal(l->M, gm_ty, "gen_model");
  LLVMSetInitializer(gm, LLVMConstNamedStruct(gm_ty, g, 14));
  LLVMSetGlobalConstant(gm, 1);
  if (!with_main) return;
  LLVMSetLinkage(gm, LLVMInternalLinkage);
  /* int main(int argc, char **argv) { return lvm_gen_main(&gen_model, argc, argv); } */
  LLVMTypeRef mp[2] = {l->i32, l->ptr};
  LLVMValueRef mainf = LLVMAddFunction(l->M, "main", LLVMFunctionType(l->i32, mp, 2, 0));
  LLVMTypeRef gp[3] = {l->ptr, l->i32, l->ptr};
  LLVMValueRef gmain = declare(l, "lvm_gen_main", l->i32, gp, 3);
  LLVMPositionBuilderAtEnd(l->B, LLVMAppendBasicBlockInContext(l->C, mainf, "entry"));
  if (l->dib) {
    LLVMMetadataRef ty = LLVMDIBuilderCreateSubroutineType(l->dib, l->file, NULL, 0, LLVMDIFlagZero);
    LLVMMetadataRef sp = LLVMDIBuilderCreateFunction(l->dib, l->file, "main", 4, "main", 4, l->file, 0, ty, 0, 1, 0,
                                                     LLVMDIFlagZero, l->o->optimize);
    LLVMSetSubprogram(mainf, sp);
    LLVMSetCurrentDebugLocation2(l->B, LLVMDIBuilderCreateDebugLocation(l->C, 0, 0, sp, NULL));
  }
  LLVMValueRef a[3] = {gm, LLVMGetParam(mainf, 0), LLVMGetParam(mainf, 1)};
  LLVMBuildRet(l->B, LLVMBuildCall2(l->B, LLVMGlobalGetValueType(gmain), gmain, a, 3, ""));
}

/* Split a path into directory and file name for the compile unit; the
 * directory is "." for relative paths (stable output: no absolute paths
 * the user did not give). */
static void debug_setup(L *l) {
  const char *src = l->m->source;
  l->dib = LLVMCreateDIBuilder(l->M);
  l->file = LLVMDIBuilderCreateFile(l->dib, src, strlen(src), ".", 1);
  l->cu = LLVMDIBuilderCreateCompileUnit(l->dib, LLVMDWARFSourceLanguageC, l->file, "lvmc", 4, l->o->optimize, "",
                                         0, 0, "", 0, LLVMDWARFEmissionLineTablesOnly, 0, 0, 0, "", 0, "", 0);
  LLVMAddModuleFlag(l->M, LLVMModuleFlagBehaviorWarning, "Debug Info Version", 18,
                    LLVMValueAsMetadata(ci32(l, (int)LLVMDebugMetadataVersion())));
  LLVMAddModuleFlag(l->M, LLVMModuleFlagBehaviorWarning, "Dwarf Version", 13, LLVMValueAsMetadata(ci32(l, 5)));
}

/* Build the module in context C; NULL (after a message) on failure.
 * Without with_vi the record does not name the CAVI kernels (the
 * optimiser then drops them). */
static LLVMModuleRef build_module(LLVMContextRef C, const IrModule *m, Diags *diags, const LlvmOptions *o,
                                  bool with_main, bool with_vi) {
  L l = {0};
  l.with_vi = with_vi;
  arena_init(&l.arena);
  l.C = C;
  l.m = m;
  l.diags = diags;
  l.o = o;
  l.M = LLVMModuleCreateWithNameInContext(m->model, C);
  LLVMSetSourceFileName(l.M, m->source, strlen(m->source));
  l.B = LLVMCreateBuilderInContext(C);
  l.EB = LLVMCreateBuilderInContext(C);
  l.i1 = LLVMInt1TypeInContext(C);
  l.i8 = LLVMInt8TypeInContext(C);
  l.i32 = LLVMInt32TypeInContext(C);
  l.i64 = LLVMInt64TypeInContext(C);
  l.f64 = LLVMDoubleTypeInContext(C);
  l.ptr = LLVMPointerTypeInContext(C, 0);
  /* lvm_vars: desc, v, len, missing, latent, hidden, n, ... (the members kernels read) */
  LLVMTypeRef vm[7] = {l.ptr, l.ptr, l.ptr, l.ptr, l.ptr, l.ptr, l.ptr};
  l.vars_ty = named_struct(&l, "lvm_vars", vm, 7);
  if (o->debug) debug_setup(&l);
  l.kernels = calloc((size_t)m->funcs.n + 1, sizeof *l.kernels);
  if (!l.kernels) ICE("out of memory");
  for (int i = 0; i < m->funcs.n; i++) l.kernels[i] = declare_kernel(&l, m->funcs.v[i]);
  for (int i = 0; i < m->funcs.n; i++) define_kernel(&l, i);
  LLVMSetCurrentDebugLocation2(l.B, NULL);
  emit_tables(&l, with_main);
  free(l.kernels);
  if (l.dib) {
    LLVMDIBuilderFinalize(l.dib);
    LLVMDisposeDIBuilder(l.dib);
  }
  LLVMDisposeBuilder(l.B);
  LLVMDisposeBuilder(l.EB);
  arena_free(&l.arena);
  char *msg = NULL;
  if (l.errors || LLVMVerifyModule(l.M, LLVMReturnStatusAction, &msg)) {
    if (msg) fprintf(stderr, "lvmc: internal error: the LLVM module of '%s' does not verify:\n%s\n", m->model, msg);
    LLVMDisposeMessage(msg);
    LLVMDisposeModule(l.M);
    return NULL;
  }
  LLVMDisposeMessage(msg);
  return l.M;
}

/* ------------------------------------------------------------------ */
/* Targets, passes, object files and the JIT                           */

static void init_native(void) {
  static int done;
  if (done) return;
  done = 1;
  LLVMInitializeNativeTarget();
  LLVMInitializeNativeAsmPrinter();
}

/* A target machine for the host: the baseline CPU (as `cc -O2` without
 * -march) for object files, the host's own CPU for the JIT. */
static LLVMTargetMachineRef host_machine(bool native_cpu) {
  init_native();
  char *triple = LLVMGetDefaultTargetTriple();
  LLVMTargetRef t;
  char *err = NULL;
  if (LLVMGetTargetFromTriple(triple, &t, &err)) {
    fprintf(stderr, "lvmc: LLVM has no target for '%s': %s\n", triple, err ? err : "?");
    LLVMDisposeMessage(err);
    LLVMDisposeMessage(triple);
    return NULL;
  }
  char *cpu = native_cpu ? LLVMGetHostCPUName() : NULL;
  char *features = native_cpu ? LLVMGetHostCPUFeatures() : NULL;
  LLVMTargetMachineRef tm = LLVMCreateTargetMachine(t, triple, cpu ? cpu : "", features ? features : "",
                                                    LLVMCodeGenLevelDefault, LLVMRelocPIC, LLVMCodeModelDefault);
  LLVMDisposeMessage(cpu);
  LLVMDisposeMessage(features);
  LLVMDisposeMessage(triple);
  return tm;
}

static void set_target(LLVMModuleRef M, LLVMTargetMachineRef tm) {
  char *triple = LLVMGetTargetMachineTriple(tm);
  LLVMSetTarget(M, triple);
  LLVMDisposeMessage(triple);
  LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
  char *dl = LLVMCopyStringRepOfTargetData(td);
  LLVMSetDataLayout(M, dl);
  LLVMDisposeMessage(dl);
  LLVMDisposeTargetData(td);
}

/* An lvmc built with AddressSanitizer links executables with the
 * sanitized runtime (build.c); their kernels are instrumented too, so that
 * the test suite's ASan build checks the generated code (as the C
 * backend's `cc -fsanitize=address` does). */
#if defined(__SANITIZE_ADDRESS__)
enum { SANITIZE = 1 };
#else
enum { SANITIZE = 0 };
#endif

static int optimize(LLVMModuleRef M, LLVMTargetMachineRef tm, bool sanitize) {
  const char *pipeline = "default<O2>";
  if (sanitize) {
    unsigned kind = LLVMGetEnumAttributeKindForName("sanitize_address", 16);
    for (LLVMValueRef f = LLVMGetFirstFunction(M); f; f = LLVMGetNextFunction(f))
      if (!LLVMIsDeclaration(f))
        LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(LLVMGetModuleContext(M), kind, 0));
    pipeline = "default<O2>,asan";
  }
  LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
  LLVMErrorRef e = LLVMRunPasses(M, pipeline, tm, po);
  LLVMDisposePassBuilderOptions(po);
  if (e) {
    char *msg = LLVMGetErrorMessage(e);
    fprintf(stderr, "lvmc: internal error: LLVM passes failed: %s\n", msg);
    LLVMDisposeErrorMessage(msg);
    return 1;
  }
  return 0;
}

int llvm_emit_ir(FILE *f, const IrModule *m, Diags *diags, const LlvmOptions *o) {
  LLVMContextRef C = LLVMContextCreate();
  LLVMModuleRef M = build_module(C, m, diags, o, true, true);
  int rc = 1;
  if (M) {
    char *s = LLVMPrintModuleToString(M);
    rc = fputs(s, f) < 0 ? 1 : 0;
    LLVMDisposeMessage(s);
    LLVMDisposeModule(M);
  }
  LLVMContextDispose(C);
  return rc;
}

int llvm_emit_object(const char *path, const IrModule *m, Diags *diags, const LlvmOptions *o) {
  LLVMTargetMachineRef tm = host_machine(false);
  if (!tm) return 1;
  LLVMContextRef C = LLVMContextCreate();
  LLVMModuleRef M = build_module(C, m, diags, o, true, true);
  int rc = 1;
  if (M) {
    set_target(M, tm);
    if (!o->optimize || optimize(M, tm, SANITIZE) == 0) {
      char *err = NULL;
      if (LLVMTargetMachineEmitToFile(tm, M, path, LLVMObjectFile, &err)) {
        fprintf(stderr, "lvmc: cannot write the object file '%s': %s\n", path, err ? err : "?");
      } else {
        rc = 0;
      }
      LLVMDisposeMessage(err);
    }
    LLVMDisposeModule(M);
  }
  LLVMContextDispose(C);
  LLVMDisposeTargetMachine(tm);
  return rc;
}

static int jit_error(LLVMErrorRef e, const char *what) {
  char *msg = LLVMGetErrorMessage(e);
  fprintf(stderr, "lvmc: %s: %s\n", what, msg);
  LLVMDisposeErrorMessage(msg);
  return -1;
}

int llvm_run(const IrModule *m, Diags *diags, const LlvmOptions *o, int argc, char **argv) {
  LLVMTargetMachineRef tm = host_machine(true);
  if (!tm) return -1;
  LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
  /* start-up: the CAVI kernels are compiled only for the commands that can
   * use them (not for sample, simulate, summary: argv[1] is the command) */
  bool with_vi = !(argc >= 2 && (!strcmp(argv[1], "sample") || !strcmp(argv[1], "simulate") ||
                                 !strcmp(argv[1], "summary")));
  LLVMModuleRef M = build_module(LLVMOrcThreadSafeContextGetContext(tsc), m, diags, o, false, with_vi);
  if (!M) {
    LLVMOrcDisposeThreadSafeContext(tsc);
    LLVMDisposeTargetMachine(tm);
    return -1;
  }
  set_target(M, tm);
  if (o->optimize && optimize(M, tm, false) != 0) {
    LLVMDisposeModule(M);
    LLVMOrcDisposeThreadSafeContext(tsc);
    LLVMDisposeTargetMachine(tm);
    return -1;
  }
  /* the JIT compiles for the same machine the passes ran for */
  LLVMOrcLLJITBuilderRef jb = LLVMOrcCreateLLJITBuilder();
  LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(jb, LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(tm));
  LLVMOrcLLJITRef jit;
  LLVMErrorRef e = LLVMOrcCreateLLJIT(&jit, jb);
  if (e) {
    LLVMDisposeModule(M);
    LLVMOrcDisposeThreadSafeContext(tsc);
    return jit_error(e, "cannot start the JIT");
  }
  int rc = -1;
  LLVMOrcJITDylibRef jd = LLVMOrcLLJITGetMainJITDylib(jit);
  LLVMOrcDefinitionGeneratorRef gen;
  /* the runtime (linked into lvmc whole, symbols exported) and libm */
  e = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(&gen, LLVMOrcLLJITGetGlobalPrefix(jit), NULL, NULL);
  if (e) {
    jit_error(e, "cannot resolve the runtime for the JIT");
    LLVMDisposeModule(M);
    goto out;
  }
  LLVMOrcJITDylibAddGenerator(jd, gen);
  if (o->debug) {
    /* register the code's DWARF with a debugger (GDB's JIT interface) */
    e = LLVMOrcLLJITEnableDebugSupport(jit);
    if (e) jit_error(e, "warning: no debug information for the JIT-compiled code");
  }
  e = LLVMOrcLLJITAddLLVMIRModule(jit, jd, LLVMOrcCreateNewThreadSafeModule(M, tsc));
  if (e) {
    jit_error(e, "cannot add the model to the JIT");
    goto out;
  }
  LLVMOrcExecutorAddress addr = 0;
  e = LLVMOrcLLJITLookup(jit, &addr, "gen_model");
  if (e) {
    jit_error(e, "cannot compile the model in memory");
    goto out;
  }
  rc = lvm_gen_main((const lvm_gen_model *)(uintptr_t)addr, argc, argv);
out:
  LLVMOrcDisposeThreadSafeContext(tsc);
  LLVMOrcDisposeLLJIT(jit);
  return rc;
}
